/**
 * `npm run test:conformance`: starts `fmu-gateway serve` on a free port and runs the MCP
 * conformance suite's server scenarios against /mcp (the suite needs Node 22: npx fetches it).
 * Exit 0 when every scenario that applies to this server passes.
 *
 * Scenarios that do not apply (listed in NOT_APPLICABLE with the reason) are still run and shown,
 * but do not fail the run: they call fixture tools / resources / prompts of the suite's reference
 * server ("test_image_content", "test://static-text", ...) or features we do not offer.
 */
import { fileURLToPath } from 'node:url';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// The suite's first release with spec 2026-07-28 scenarios (0.1.x knows 2025-06-18 / 2025-11-25).
const SUITE = '@modelcontextprotocol/conformance@0.2.0-alpha.12';
const SPEC = '2026-07-28';
const EXPECTED_FAILURES = join(ROOT, 'tools', 'conformance-expected-failures.yml');

const NOT_APPLICABLE: Record<string, string> = {
  'logging-set-level': 'no logging capability (not advertised): we log to stderr, never to the client',
  'completion-complete': 'no completions capability (no prompt/template arguments worth completing)',
  'tools-call-image': 'fixture tool test_image_content (our image content: simulate with plot: true, see e2e)',
  'tools-call-audio': 'fixture tool test_audio_content; we return no audio',
  'tools-call-embedded-resource': 'fixture tool test_embedded_resource; we return resource_link blocks',
  'tools-call-mixed-content': 'fixture tool test_multiple_content_types',
  'tools-call-with-logging': 'fixture tool test_tool_with_logging; we log to stderr, not to the client',
  'tools-call-with-progress': 'fixture tool test_tool_with_progress (our progress: simulate, see test/e2e)',
  'tools-call-sampling': 'fixture tool test_sampling; we never ask the client to sample',
  'tools-call-elicitation': 'fixture tool test_elicitation; we never elicit',
  'elicitation-sep1034-defaults': 'elicitation fixture tool; we never elicit',
  'elicitation-sep1330-enums': 'elicitation fixture tool; we never elicit',
  'resources-read-text': 'fixture resource test://static-text (ours: fmu-gateway://..., see e2e)',
  'resources-read-binary': 'fixture resource test://static-binary',
  'resources-templates-read': 'fixture template test://template/{id}/data',
  'resources-subscribe': 'no resource subscriptions: our resources do not change once written',
  'resources-unsubscribe': 'no resource subscriptions',
  'prompts-list': 'no prompts',
  'prompts-get-simple': 'no prompts',
  'prompts-get-with-args': 'no prompts',
  'prompts-get-embedded-resource': 'no prompts',
  'prompts-get-with-image': 'no prompts',
};

async function startServer(dataDir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/fmu-gateway.js'), 'serve', '--port', '0', '--allow-unsandboxed'], {
    cwd: ROOT,
    env: { ...process.env, FMU_GATEWAY_DATA_DIR: dataDir, FMU_GATEWAY_CACHE_DIR: join(dataDir, 'cache') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      log += d.toString();
      const m = /MCP endpoint (http:\/\/\S+\/mcp)/.exec(log);
      if (m?.[1] !== undefined) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${log}`)));
  });
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

const dataDir = mkdtempSync(join(tmpdir(), 'fmu-gw-conformance-'));
const server = await startServer(dataDir);
console.log(`server: ${server.url}`);
const run = spawnSync(
  'npx',
  [
    '-y',
    '-p',
    'node@22',
    '-p',
    SUITE,
    'conformance',
    'server',
    '--url',
    server.url,
    '--spec-version',
    SPEC,
    '--expected-failures',
    EXPECTED_FAILURES,
  ],
  {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  },
);
await server.stop();
rmSync(dataDir, { recursive: true, force: true });

const out = `${run.stdout}\n${run.stderr}`;
const lines = out.split('\n').filter((l) => /^[✓✗] \S+: \d+ passed, \d+ failed/.test(l));
if (lines.length === 0) {
  console.error(`the conformance suite produced no summary (exit ${run.status}):\n${out.slice(-4000)}`);
  process.exit(1);
}
let failedApplicable = 0;
for (const line of lines) {
  const m = /^([✓✗]) (\S+): (\d+) passed, (\d+) failed/.exec(line);
  if (m === null) continue;
  const [, , name = '', , failed = '0'] = m;
  const reason = NOT_APPLICABLE[name];
  if (reason !== undefined) {
    console.log(`  n/a  ${name} (${reason})`);
  } else if (Number(failed) > 0) {
    failedApplicable++;
    console.log(`  FAIL ${name}`);
  } else {
    console.log(`  pass ${name}`);
  }
}
console.log(
  failedApplicable === 0
    ? `conformance (spec ${SPEC}): every applicable scenario passes`
    : `conformance (spec ${SPEC}): ${failedApplicable} applicable scenario(s) failed`,
);
// The suite's own verdict too: it fails on a failure not in the baseline and on a stale entry.
if (run.status !== 0) console.log(`the suite exited ${run.status} against ${EXPECTED_FAILURES}`);
process.exit(failedApplicable === 0 && run.status === 0 ? 0 : 1);
