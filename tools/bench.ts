/**
 * `npm run bench`: runs every benchmark in bench/ one after the other (never in parallel:
 * they measure time on a 2-core machine), each printing its figures beside its baseline.
 * `npm run bench -- cosim` runs only the benchmarks whose file name contains "cosim".
 */
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const ORDER = [
  'startup.ts',
  'cosim-step.ts',
  'me-step.ts',
  'me-stiff.ts',
  'pool.ts',
  'mcp.ts',
  'rest.ts',
  'warm.ts',
  'load.ts',
  'load-store.ts',
  'admission-cpu.ts',
  'gateway-cpu.ts',
  'model-description.ts',
  'result-path.ts',
  'system.ts',
  'scale.ts',
  'formats.ts',
];
const filter = process.argv[2];

let failed = 0;
for (const file of ORDER) {
  if (filter !== undefined && !file.includes(filter)) continue;
  const path = join(root, 'bench', file);
  if (!existsSync(path)) {
    console.log(`\n## ${file}: not present`);
    continue;
  }
  console.log(`\n## ${file}`);
  const r = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', path], { stdio: 'inherit', cwd: root });
  if (r.status !== 0) {
    failed++;
    console.log(`(${file} exited with ${r.status ?? r.signal})`);
  }
}
process.exit(failed === 0 ? 0 : 1);
