/** The use cases every face (MCP, HTTP, CLI, TypeScript API) calls. */
export type { CatalogEntryLike, CatalogLike, Logger, ServiceContext, SimulationRunner } from './context.ts';
export { createStderrLogger, silentLogger } from './context.ts';
export { listLibrary } from './list-library.ts';
export { getVariables } from './get-variables.ts';
export { uploadFmu, type UploadOptions } from './upload-fmu.ts';
export { simulate, type SimulateCallOptions, type SimulateServiceResult } from './simulate.ts';
export { readRunResult, runCsvFile, runIdFromUri, streamRunArrow, streamRunCsv, type RunResultFile } from './read-run.ts';
export { describeLibraryModel, describeUploadedFmu, type ResourceDescription } from './describe.ts';
export { resultUri } from './simulate-result.ts';
export { renderPng, renderSvg, type PlotInput } from './plot.ts';
export { createInProcessRunner } from './in-process-runner.ts';
export { routedGetVariables, routedListLibrary, routedUploadFmu } from './routed.ts';
