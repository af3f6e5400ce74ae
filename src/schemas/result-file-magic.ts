/**
 * The columnar result file's magic (src/schemas/result-file.ts describes the format). Apart from
 * the zod schemas so the worker, which only writes files, does not load zod at start-up.
 */
export const RESULT_FILE_MAGIC = 'FGCOLS01';
