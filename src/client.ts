/**
 * `import { GatewayClient } from 'fmu-gateway/client'`: the typed client of a hosted FMU Gateway's
 * REST API, for programs outside this package. Built to JavaScript with type declarations into
 * dist/client/ (tools/build-client.ts), so it needs no TypeScript loader.
 */
export { GatewayClient, type GatewayClientOptions, type HealthInfo, type UploadResult } from './remote/client.ts';
export { GatewayError, isGatewayError, ERROR_CODES, type ErrorCode } from './errors.ts';
export type { ListLibrarySuccess, LibraryModel } from './schemas/library.ts';
export type { GetVariablesInput, GetVariablesSuccess, VariableInfo } from './schemas/variables.ts';
export type { SimulateInput, SimulateCompleted, OutputSummary, Provenance, InputSignal } from './schemas/simulate.ts';
export type { UploadFmuSuccess } from './schemas/upload.ts';
export type { PaymentRequired, ErrorInfo } from './schemas/errors.ts';
