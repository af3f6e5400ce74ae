/**
 * A worker's binding: the FMU (by content hash) and the caller it may run jobs for again. Apart
 * from the job runner so the pool can queue a job before that module (and its schemas) is loaded.
 */
export const bindingOf = (sha256: string, callerId: string | null): string => JSON.stringify([sha256, callerId]);
