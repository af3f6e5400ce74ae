/**
 * Entry point of the `fmu-gateway` command (build/cli/cli.mjs): every sub-command, each module
 * loaded when it is picked (src/cli/main.ts dispatches). The launcher may run a hot command from
 * its own code-cached bundle instead (bin/code-cache.js); both come from the same sources.
 */
import { runCli, type CommandModule } from './cli/main.ts';
import { markStartup } from './startup-trace.ts';

markStartup('bundle loaded');

const COMMANDS: Record<string, CommandModule> = {
  library: async () => (await import('./cli/library.ts')).runLibraryCommand,
  info: async () => (await import('./cli/info.ts')).runInfoCommand,
  simulate: async () => (await import('./cli/simulate.ts')).runSimulateCommand,
  sweep: async () => (await import('./cli/sweep.ts')).runSweepCommand,
  run: async () => (await import('./cli/run.ts')).runRunCommand,
  redeem: async () => (await import('./cli/redeem.ts')).runRedeemCommand,
  report: async () => (await import('./cli/report.ts')).runReportCommand,
  mcp: async () => (await import('./cli/mcp.ts')).runMcpCommand,
  serve: async () => (await import('./cli/serve.ts')).runServeCommand,
  doctor: async () => (await import('./cli/doctor.ts')).runDoctorCommand,
  worker: async () => (await import('./cli/worker.ts')).runWorkerCommand,
};

runCli(process.argv.slice(2), COMMANDS);
