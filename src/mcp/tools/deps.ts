/** What every tool registrar receives from the server factory. */
import type { ServiceContext } from '../../service/context.ts';
import type { EarlyRuns } from '../early-runs.ts';

export interface ToolDeps {
  ctx: ServiceContext;
  /** Where the agent sits: stdio = same machine (local paths allowed), http = possibly remote. */
  transport: 'stdio' | 'http';
  log: (line: string) => void;
  /** Largest .fmu accepted by upload_fmu as content_base64 (decoded bytes). */
  maxUploadBytes: number;
  /** MAX_OUTPUT_ROWS: simulate's input schema rejects requests recording more rows. */
  maxOutputRows: number;
  /** True when tools may reach a remote gateway (FMU_GATEWAY_MODE remote/auto): openWorldHint. */
  openWorld: boolean;
  /**
   * True when a run may have to be paid for (Stripe or x402 enabled here, or a remote gateway that
   * may answer 402). Otherwise quote and redeem_checkout are not registered and the payment fields
   * and statuses are left out of tools/list (they cost every agent context and mean nothing here).
   */
  payments: boolean;
  /**
   * Whose runs these are: results are stored with it, and only this caller lists and reads them.
   * stdio has one local caller; over HTTP it comes from the API key (undefined = not identified:
   * runs are not listed).
   */
  callerId?: string;
  /** stdio: the first simulate, started before the server was up (../early-runs.ts); its handler takes it. */
  earlyRuns?: EarlyRuns;
}
