/** The use cases every face (MCP, HTTP, CLI, TypeScript API) calls. */
export type { CatalogEntryLike, CatalogLike, Logger, ServiceContext, SimulationRunner } from './context.ts';
export { createStderrLogger, silentLogger } from './context.ts';
export { listLibrary } from './list-library.ts';
export { getVariables } from './get-variables.ts';
export { uploadFmu, type UploadOptions } from './upload-fmu.ts';
export { simulate, type SimulateCallOptions, type SimulateServiceResult } from './simulate.ts';
export { quote } from './quote.ts';
export { redeemCheckout } from './redeem-checkout.ts';
export { payForRun } from './pay.ts';
export { stripeWebhook } from './stripe-webhook.ts';
export { buyCredits, creditCheckoutStatus, listCredits } from './credits.ts';
export {
  assertRunVisible,
  readRunResult,
  runCsvFile,
  runIdFromUri,
  runParquetBytes,
  streamRunArrow,
  streamRunCsv,
  streamRunMat,
  type RunResultFile,
} from './read-run.ts';
export type { CallerAccess, FinishedRunFacts, UploadedFmuFacts } from './access.ts';
export { createCallerAccess, diskUsedBy, type CallerAccessOptions } from './caller-access.ts';
export { sweepRetention, type SweepReport } from './retention.ts';
export { assertFmuVisible } from './fmu-resolver.ts';
export { storeUpload, uploadFmuFromFile } from './upload-fmu.ts';
export {
  ANONYMOUS_CALLER,
  authenticateKey,
  createApiKey,
  getRunInfo,
  listUsage,
  scopeToCaller,
  type AccountStore,
  type RunInfo,
} from './accounts.ts';
export { describeLibraryModel, describeUploadedFmu, type ResourceDescription } from './describe.ts';
export { resultUri } from './simulate-result.ts';
export { renderPng, renderSvg, type PlotInput } from '../report/chart.ts';
// createInProcessRunner (tests, benchmarks) is imported from './in-process-runner.ts' directly: through
// this barrel it would load the FMI bindings (koffi) into every face on its way to the first answer.
export { routedGetVariables, routedListLibrary, routedUploadFmu } from './routed.ts';
export { simulateSystem } from './simulate-system.ts';
export { uploadSystem } from './upload-system.ts';
