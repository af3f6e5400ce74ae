/** Registers every tool of the server (one file per tool). */
import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import type { ToolDeps } from './deps.ts';
import { registerBuyCredits } from './buy-credits.ts';
import { registerCompareRuns } from './compare-runs.ts';
import { registerGetResult } from './get-result.ts';
import { registerGetVariables } from './get-variables.ts';
import { structureInputErrors } from './input-errors.ts';
import { registerListLibrary } from './list-library.ts';
import { registerQuote } from './quote.ts';
import { registerRedeemCheckout } from './redeem-checkout.ts';
import { registerReport } from './report.ts';
import { registerSimulate } from './simulate.ts';
import { registerSimulateSystem } from './simulate-system.ts';
import { registerSweep } from './sweep.ts';
import { registerUploadFmu } from './upload-fmu.ts';
import { registerUploadSystem } from './upload-system.ts';
import { shareOutputSchemaJson } from './output-schema-memo.ts';

export function registerTools(server: McpServer, deps: ToolDeps): void {
  const tools = new Map<string, RegisteredTool>();
  // Before the first registration: it wraps the tools/call handler that registration installs.
  const wrapped = structureInputErrors(
    server,
    (name) => tools.get(name),
    () => [...tools.keys()],
    { payments: deps.payments },
  );
  tools.set('list_library', registerListLibrary(server, deps));
  tools.set('get_variables', registerGetVariables(server, deps));
  tools.set('upload_fmu', registerUploadFmu(server, deps));
  tools.set('simulate', registerSimulate(server, deps));
  tools.set('get_result', registerGetResult(server, deps));
  tools.set('sweep', registerSweep(server, deps));
  tools.set('compare_runs', registerCompareRuns(server, deps));
  tools.set('report', registerReport(server, deps));
  if (deps.payments) {
    tools.set('quote', registerQuote(server, deps));
    tools.set('redeem_checkout', registerRedeemCheckout(server, deps));
    tools.set('buy_credits', registerBuyCredits(server, deps));
  }
  tools.set('upload_system', registerUploadSystem(server, deps));
  tools.set('simulate_system', registerSimulateSystem(server, deps));
  for (const tool of tools.values()) shareOutputSchemaJson(tool);
  // Fail at start-up, not silently: without the wrap, bad arguments get the SDK's uncoded text.
  if (!wrapped()) throw new Error('registerTools: the tools/call handler was installed before it could be wrapped');
}
