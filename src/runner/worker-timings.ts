/**
 * Keys of the two wall-clock stamps a worker adds to a result's `timings` (FMU_GATEWAY_PHASES,
 * bench/warm.ts): when the job frame was taken and when the result frame left. Schema-free, so the
 * worker can name them without loading the protocol's schemas (start-up).
 */
export const WORKER_RECEIVED = 'T:received';
export const WORKER_ANSWERED = 'T:answered';
