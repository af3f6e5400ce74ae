/**
 * The one checker every native FMI call goes through: it keeps the worst status,
 * throws FMI_CALL_FAILED on Error / Fatal / Pending / unknown codes (naming the function,
 * the status and the FMU's last log lines), and hands OK / Warning / Discard back to the caller.
 * Pending (FMI 2 asynchronous fmi2DoStep) throws because this importer never polls
 * fmi2GetStatus: carrying on would record the outputs of an unfinished step.
 * No allocation unless it throws.
 */
import { GatewayError } from '../errors.ts';
import type { FmiStatusName } from './instance.ts';
import { STATUS_ERROR, STATUS_PENDING, statusName } from './koffi-types.ts';
import type { LogRing } from './logger.ts';

/** Severity rank per status code (OK, Warning, Discard, Error, Fatal, Pending). */
const RANK = [0, 1, 3, 4, 5, 2];

export class StatusChecker {
  private worst = 0;

  constructor(
    private readonly log: LogRing,
    private readonly instanceName: string,
  ) {}

  get worstStatus(): FmiStatusName {
    return statusName(this.worst);
  }

  /** Returns the status code unchanged unless it is Error, Fatal, Pending or unknown, which throw. */
  check(fn: string, status: number): number {
    if (status === 0) return 0;
    if ((RANK[status] ?? 6) > (RANK[this.worst] ?? 6)) this.worst = status;
    if (status === STATUS_PENDING)
      throw this.failure(
        fn,
        status,
        'an asynchronous step, which this importer does not support; use an FMU that computes doStep synchronously',
      );
    if (status >= STATUS_ERROR) throw this.failure(fn, status);
    return status;
  }

  /** The error for a failed call; also used for calls that signal failure otherwise (NULL instance). */
  failure(fn: string, status: number | string, detail?: string): GatewayError {
    const name = typeof status === 'string' ? status : statusName(status);
    const lines = this.log.last(10);
    const message =
      `${fn} returned ${name} for instance "${this.instanceName}"` +
      (detail ? ` (${detail})` : '') +
      (lines.length > 0 ? `. Last FMU log lines:\n${lines.join('\n')}` : '. The FMU logged nothing; run with logging on for details.');
    return new GatewayError('FMI_CALL_FAILED', message, { function: fn, status: name, log: lines });
  }
}
