/**
 * The `fmu-gateway` command line: picks the sub-command from a table and hands over. Shared by the
 * full CLI bundle (src/cli.ts: every command, each loaded on demand) and the per-command bundles
 * the launcher runs with a V8 code cache (tools/build-cli.ts CACHED_COMMANDS, bin/code-cache.js),
 * which hold one command's table entry only.
 * Every command module exports `run…Command(argv): Promise<number>` (the exit code).
 * stdout belongs to the command's output (and to the MCP protocol for `mcp`); logs go to stderr.
 */
import { formatCliError } from './output.ts';
import { markStartup } from '../startup-trace.ts';

export const USAGE = `fmu-gateway — find, inspect and run FMI 2.0 / 3.0 simulation models (FMUs)

Usage:
  fmu-gateway library [query]                       list the built-in models (msl:<Name>)
  fmu-gateway info <file.fmu | msl:Name>             model summary and variable table
  fmu-gateway simulate <file.fmu | msl:Name> [options]
      --stop T --step H [--start-time T0] [--set name=value]... [--output a,b]
      [--input in.csv] [--interface CS|ME] [--solver euler|rk45|bdf] [--fixed-step H] [--tolerance R]
      [--fmi-version 2.0|3.0] [--csv out.csv | --json]
  fmu-gateway sweep <file.fmu | msl:Name> --stop T --step H --set k=1,2,3 --set c=0.1:0.5:5 [--json]
  fmu-gateway run [<file.fmu | msl:Name> | --fmu F] --auto [--config F.json] [--quote] [--payment-token T] [--out DIR]
                                                     on FMU_GATEWAY_URL, a local serve or here; save CSV, JSON, PNG
  fmu-gateway report RUN_ID|SWEEP_ID --out DIR [--purpose T] [--limit "var.kpi>=x"]...
                                                     report.json, report.md (a brief), report.png (the chart)
  fmu-gateway redeem SESSION_ID                      a paid checkout → its payment token (for run --payment-token)
  fmu-gateway mcp                                    MCP server over stdio
  fmu-gateway serve [--port 8000] [--host 127.0.0.1] MCP (Streamable HTTP at /mcp) + REST API
  fmu-gateway doctor                                 check the C compiler and the worker sandbox
  fmu-gateway worker                                 run queued simulations (FMU_GATEWAY_QUEUE_URL) here
`;

export type CommandModule = () => Promise<(argv: string[]) => Promise<number>>;

async function main(argv: string[], commands: Record<string, CommandModule>): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    // No command is a usage error: the text goes to stderr, stdout stays empty.
    process.stderr.write(USAGE);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (name === '--version' || name === '-v') {
    const { ENGINE_VERSION } = await import('../version.ts');
    process.stdout.write(`${ENGINE_VERSION}\n`);
    return 0;
  }
  const load = commands[name];
  if (load === undefined) {
    process.stderr.write(`Unknown command "${name}".\n\n${USAGE}`);
    return 2;
  }
  const run = await load();
  markStartup(`command ${name} loaded`);
  try {
    return await run(rest);
  } catch (e) {
    // node:util parseArgs refuses unknown or malformed options with a TypeError: a usage error
    // (exit 2, no stack trace), not an internal one.
    if (isParseArgsError(e)) {
      const message = e.message.replace(/\. To specify a positional argument[\s\S]*$/, '.');
      process.stderr.write(`fmu-gateway ${name}: ${message}\nRun \`fmu-gateway ${name} --help\` for its options.\n`);
      return 2;
    }
    throw e;
  }
}

function isParseArgsError(e: unknown): e is Error {
  return e instanceof TypeError && String((e as { code?: unknown }).code ?? '').startsWith('ERR_PARSE_ARGS_');
}

/**
 * Commands that end the process as soon as their answer is out: a one-shot command has closed
 * everything it opened by then (stores, the worker pool: its workers are killed and reaped), so
 * letting node wind down by itself (every handle's close, the worker threads' teardown, the heap)
 * only delays the shell's prompt — ~20 ms of a ~0.3 s `simulate` (issue 24, docs/architecture.md).
 */
const EXIT_WHEN_DONE = new Set(['simulate']);

/** process.exit once stdout and stderr have taken every byte (pipes, files, terminals: at once on Linux). */
function exitAfterOutput(code: number): void {
  let pending = 2;
  const done = (): void => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

/** Runs the command line `argv` (process.argv.slice(2)) with these commands; sets process.exitCode. */
export function runCli(argv: string[], commands: Record<string, CommandModule>): void {
  // A reader that stops early (`fmu-gateway library | head`, an MCP client that went away) closes
  // stdout: that ends the command quietly, like other command-line tools, not with a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  main(argv, commands).then(
    (code) => {
      markStartup('command done');
      process.exitCode = code;
      if (EXIT_WHEN_DONE.has(argv[0] ?? '')) exitAfterOutput(code);
    },
    (error: unknown) => {
      process.stderr.write(`${formatCliError(error)}\n`);
      process.exitCode = 1;
    },
  );
}
