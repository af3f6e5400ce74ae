/** What /health and doctor say about the scale-out pieces (src/queue, src/blobs). */
import { z } from 'zod';

export const ScaleHealthSchema = z
  .object({
    node: z.string().describe('This node\'s name (FMU_GATEWAY_NODE_NAME); worker nodes appear in provenance as "worker:<name>".'),
    queue: z
      .object({
        ok: z.boolean(),
        url: z.string().describe('FMU_GATEWAY_QUEUE_URL without its password.'),
        waiting: z.number().int().nonnegative(),
        active: z.number().int().nonnegative(),
        delayed: z.number().int().nonnegative(),
        failed: z.number().int().nonnegative(),
        workers: z.number().int().nonnegative().describe('Worker-node connections alive (one per `fmu-gateway worker`).'),
        detail: z.string().optional(),
      })
      .optional()
      .describe('Present when runs are queued (FMU_GATEWAY_QUEUE_URL).'),
    blobs: z.object({
      kind: z.enum(['local', 's3']),
      location: z.string(),
      ok: z.boolean(),
      detail: z.string().optional(),
    }),
  })
  .describe('Scale-out: the job queue and the shared blob store (absent when everything runs in this process).');
export type ScaleHealth = z.infer<typeof ScaleHealthSchema>;
