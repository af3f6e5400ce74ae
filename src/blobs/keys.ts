/**
 * The only place blob keys are made: from ids that were validated first (a sha256, a run id, a
 * job id of ours), so no string from a caller or an FMU ever names an object.
 */
import { GatewayError } from '../errors.ts';
import { isRunId } from '../store/run-result-store.ts';

const SHA256_HEX = /^[0-9a-f]{64}$/;
const JOB_ID = /^j[0-9a-z]{6,40}$/;

function bad(what: string, value: string): GatewayError {
  return new GatewayError('INTERNAL', `refusing to build a blob key from an invalid ${what}`, { value: value.slice(0, 80) });
}

export const blobKeys = {
  fmu(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw bad('sha256', sha256);
    return `fmus/${sha256}.fmu`;
  },
  fmuCompileOptions(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw bad('sha256', sha256);
    return `fmus/${sha256}.compile.json`;
  },
  runFile(runId: string, file: 'result.cols' | 'meta.json' | 'result.csv'): string {
    if (!isRunId(runId)) throw bad('run id', runId);
    return `runs/${runId}/${file}`;
  },
  jobResult(jobId: string): string {
    if (!JOB_ID.test(jobId)) throw bad('job id', jobId);
    return `jobs/${jobId}/result.cols`;
  },
};

export function isJobId(s: string): boolean {
  return JOB_ID.test(s);
}
