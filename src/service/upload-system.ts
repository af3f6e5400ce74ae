/**
 * Use case upload_system: an SSP archive (path or content_base64) or a JSON system description
 * → a stored, checked system and its system_id. Everything is validated before anything is
 * stored — the archive (src/systems/ssp.ts), every component FMU (as upload_fmu does), the
 * declared connectors against the FMUs, the connections as a whole (types, units, algebraic
 * loops) — so a refused upload leaves nothing behind but the FMU cache's unpacked copies.
 * Component FMUs of an archive are then stored as the caller's uploads (sha256 ids).
 */
import { GatewayError, isGatewayError } from '../errors.ts';
import type { OpenedFmu } from '../fmi/opened-fmu.ts';
import type { InterfaceKind } from '../schemas/model-description.ts';
import { SystemDescriptionSchema, type SystemDescription, type UploadSystemInput, type UploadSystemSuccess } from '../schemas/system.ts';
import type { UploadFmuInput } from '../schemas/upload.ts';
import { planSystem } from '../systems/plan.ts';
import { checkSspConnectors, parseSsp } from '../systems/ssp.ts';
import type { ServiceContext } from './context.ts';
import { archiveLimits, openWithContext, resolveFmu } from './fmu-resolver.ts';
import { systemStoreOf } from './simulate-system.ts';
import { readUpload, storeUpload, type UploadOptions } from './upload-fmu.ts';

function interfacesOf(md: OpenedFmu['modelDescription']): InterfaceKind[] {
  return [...(md.co_simulation ? (['CS'] as const) : []), ...(md.model_exchange ? (['ME'] as const) : [])];
}

/** Checks a description against its (already resolvable) components: connectors, types, units, loops. */
async function checkDescription(ctx: ServiceContext, description: SystemDescription): Promise<Map<string, OpenedFmu>> {
  const opened = new Map<string, OpenedFmu>();
  for (const [name, spec] of Object.entries(description.components)) {
    const c = typeof spec === 'string' ? { fmu_id: spec } : spec;
    try {
      opened.set(name, (await resolveFmu(ctx, c.fmu_id, 'fmi_version' in c ? c.fmi_version : undefined)).opened);
    } catch (e) {
      if (isGatewayError(e)) throw new GatewayError(e.code, `Component ${name}: ${e.message}`, { ...e.data, component: name });
      throw e;
    }
  }
  planSystem(
    description,
    Object.entries(description.components).map(([name, spec]) => ({
      name,
      modelDescription: (opened.get(name) as OpenedFmu).modelDescription,
      ...(typeof spec !== 'string' && spec.interface !== undefined ? { interface: spec.interface } : {}),
    })),
  );
  return opened;
}

export async function uploadSystem(ctx: ServiceContext, input: UploadSystemInput, opts: UploadOptions = {}): Promise<UploadSystemSuccess> {
  const warnings: string[] = [];
  let description: SystemDescription;
  let opened: Map<string, OpenedFmu>;
  if (input.system !== undefined) {
    description = input.system;
    opened = await checkDescription(ctx, description);
  } else {
    const bytes = readUpload(ctx, { path: input.path, content_base64: input.content_base64 } as UploadFmuInput, opts);
    const ssp = parseSsp(bytes, archiveLimits(ctx));
    warnings.push(...ssp.warnings);
    // Every FMU validated (and parsed) before anything is stored.
    const bySource = new Map<string, OpenedFmu>();
    for (const [source, fmu] of ssp.fmus) {
      try {
        bySource.set(source, await openWithContext(ctx, { bytes: fmu }));
      } catch (e) {
        if (isGatewayError(e)) throw new GatewayError(e.code, `SSP archive: ${source}: ${e.message}`, { ...e.data, source });
        throw e;
      }
    }
    for (const comp of ssp.components) checkSspConnectors(comp, (bySource.get(comp.source) as OpenedFmu).modelDescription.variables);
    description = SystemDescriptionSchema.parse({
      ...ssp.description,
      components: Object.fromEntries(
        ssp.components.map((c) => [
          c.name,
          {
            fmu_id: `sha256:${(bySource.get(c.source) as OpenedFmu).sha256}`,
            ...(c.interface !== undefined ? { interface: c.interface } : {}),
          },
        ]),
      ),
    });
    planSystem(
      description,
      ssp.components.map((c) => ({
        name: c.name,
        modelDescription: (bySource.get(c.source) as OpenedFmu).modelDescription,
        ...(c.interface !== undefined ? { interface: c.interface } : {}),
      })),
    );
    // Checked: now the component FMUs become the caller's uploads.
    for (const [source, o] of bySource) {
      const fmu = ssp.fmus.get(source) as Buffer;
      await storeUpload(ctx, o, () => ctx.fmuStore.put(fmu), fmu.byteLength);
    }
    opened = new Map(ssp.components.map((c) => [c.name, bySource.get(c.source) as OpenedFmu]));
  }
  const { systemId } = systemStoreOf(ctx).put(description);
  ctx.logger.info('system uploaded', { system_id: systemId, components: opened.size, connections: description.connections.length });
  return {
    status: 'ok',
    system_id: systemId,
    ...(description.name !== undefined ? { name: description.name } : {}),
    components: Object.fromEntries(
      Object.entries(description.components).map(([name, spec]) => {
        const o = opened.get(name) as OpenedFmu;
        return [
          name,
          {
            fmu_id: typeof spec === 'string' ? spec : spec.fmu_id,
            model_name: o.modelDescription.model_name,
            interfaces: interfacesOf(o.modelDescription),
          },
        ];
      }),
    ),
    connections: description.connections.length,
    warnings,
  };
}
