/**
 * The use cases that may be forwarded (FMU_GATEWAY_MODE, see placement.ts), as the MCP tools call
 * them. The local use cases (listLibrary, getVariables, uploadFmu) stay synchronous and unaware of
 * remotes; simulate decides its placement itself.
 */
import { isGatewayError } from '../errors.ts';
import { UPLOADED_ID_PATTERN } from '../schemas/common.ts';
import type { ListLibraryInput, ListLibrarySuccess } from '../schemas/library.ts';
import type { UploadFmuInput, UploadFmuSuccess } from '../schemas/upload.ts';
import type { GetVariablesInput, GetVariablesSuccess } from '../schemas/variables.ts';
import type { ServiceContext } from './context.ts';
import { ensureOnRemote } from './forward.ts';
import { getVariables } from './get-variables.ts';
import { listLibrary } from './list-library.ts';
import { forwardAll } from './placement.ts';
import { uploadFmu, type UploadOptions } from './upload-fmu.ts';

/** list_library: the remote's library in remote mode; auto mode lists the one built here. */
export async function routedListLibrary(ctx: ServiceContext, input: ListLibraryInput): Promise<ListLibrarySuccess> {
  const remote = forwardAll(ctx);
  if (remote !== undefined) return remote.listLibrary(input.query, input.limit);
  return listLibrary(ctx, input);
}

/**
 * get_variables: forwarded in remote mode, and in auto mode for an uploaded id only the remote
 * holds (reading a model description needs no binary, so what is stored here answers here).
 */
export async function routedGetVariables(ctx: ServiceContext, input: GetVariablesInput): Promise<GetVariablesSuccess> {
  const remote = forwardAll(ctx);
  if (remote !== undefined) return remote.getVariables(input);
  try {
    return await getVariables(ctx, input);
  } catch (e) {
    const remoteMayHaveIt =
      ctx.config.mode === 'auto' &&
      ctx.remote !== undefined &&
      isGatewayError(e) &&
      e.code === 'NOT_FOUND' &&
      UPLOADED_ID_PATTERN.test(input.fmu_id);
    if (remoteMayHaveIt && ctx.remote !== undefined) return ctx.remote.getVariables(input);
    throw e;
  }
}

/**
 * upload_fmu: validated and stored here; in remote mode also sent to the remote (only when it lacks
 * these bytes). In auto mode an FMU that cannot run here is sent when it is first simulated.
 */
export async function routedUploadFmu(ctx: ServiceContext, input: UploadFmuInput, opts: UploadOptions = {}): Promise<UploadFmuSuccess> {
  const stored = await uploadFmu(ctx, input, opts);
  const remote = forwardAll(ctx);
  if (remote === undefined) return stored;
  // Validated and summarised here (no FMU code runs for that); the remote gets the bytes once.
  const sent = await ensureOnRemote(ctx, remote, stored.fmu_id);
  return { ...stored, already_stored: sent === false };
}
