/**
 * The MCP server factory: one McpServer with the gateway's tools and resources, for either
 * transport. It holds no state of its own, so the HTTP endpoint can build one per request.
 */
import { McpServer } from '@modelcontextprotocol/server';
import type { ServiceContext } from '../service/context.ts';
import { LOCAL_CALLER } from '../schemas/accounts.ts';
import { ERROR_CODES } from '../errors.ts';
import { ENGINE_VERSION } from '../version.ts';
import { registerResources } from './resources/index.ts';
import type { EarlyRuns } from './early-runs.ts';
import type { ToolDeps } from './tools/deps.ts';
import { registerTools } from './tools/index.ts';

export interface McpServerOptions {
  transport: 'stdio' | 'http';
  /** The caller's identity (its API key's id over HTTP); stdio defaults to the one local caller. */
  callerId?: string;
  /** stdio: runs started before the server was up, for the simulate tool to take (early-runs.ts). */
  earlyRuns?: EarlyRuns;
}

const INSTRUCTIONS = `FMU Gateway runs FMI 2.0 / 3.0 simulation models (FMUs).
Typical session: list_library (or upload_fmu for your own .fmu) → get_variables {fmu_id} for exact names, units
and the default experiment → simulate {fmu_id, stop_time, start_values, input_signals, outputs, kpis, plot}.
simulate answers with a small summary and run_id; read rows with get_result {run_id, columns, start_time, stop_time}.
sweep {parameters: [{name, values}]} runs a grid; compare_runs {run_ids} sets stored runs side by side.
Every failure is a tool result with status "error", a stable error.code and error.hint saying how to fix the call.
Times are in seconds; values in the units get_variables reports.
error.code is one of: ${ERROR_CODES.join(', ')}.`;

export function createMcpServer(ctx: ServiceContext, opts: McpServerOptions): McpServer {
  const server = new McpServer(
    { name: 'fmu-gateway', title: 'FMU Gateway', version: ENGINE_VERSION.replace(/^fmu-gateway /, '') },
    {
      instructions: INSTRUCTIONS,
      // No `capabilities`: declaring tools or resources here makes the SDK install its handlers in
      // this constructor, before our hooks (tools/input-errors.ts, resources/paging.ts) can wrap
      // them; the first registerTool / registerResource declares each capability instead.
      // No `logging`: FMU log lines reach the agent inside results (warnings, error.data), not as
      // notifications/message, and a capability must not promise what the server does not send.
      // Input tables are bounded by the schemas (1000 signals, ...); this caps pathological payloads early.
      maxToolInputElements: 2_000_000,
    },
  );
  const deps: ToolDeps = {
    ctx,
    transport: opts.transport,
    log: (line) => ctx.logger.error(line),
    maxUploadBytes: ctx.config.limits.maxFmuBytes,
    maxOutputRows: ctx.config.limits.maxOutputRows,
    openWorld: ctx.config.mode !== 'local',
    payments: ctx.config.stripe.enabled || ctx.config.x402.payTo !== undefined || ctx.config.mode !== 'local',
  };
  // HTTP: the API key's caller (the per-request context carries it); stdio: the one local user.
  const callerId = opts.callerId ?? ctx.access?.callerId ?? (opts.transport === 'stdio' ? LOCAL_CALLER : undefined);
  if (callerId !== undefined) deps.callerId = callerId;
  if (opts.earlyRuns !== undefined) deps.earlyRuns = opts.earlyRuns;
  registerTools(server, deps);
  registerResources(server, deps);
  return server;
}
