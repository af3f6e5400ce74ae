/** What `doctor` and `/health` say about the remote gateway (FMU_GATEWAY_URL) of modes remote / auto. */
import { z } from 'zod';

export const RemoteStatusSchema = z
  .object({
    mode: z.enum(['local', 'remote', 'auto']),
    configured: z.boolean().describe('True when FMU_GATEWAY_URL is set.'),
    url: z.string().optional(),
    reachable: z.boolean().optional().describe('Its GET /health answered.'),
    latency_ms: z.number().optional(),
    remote_status: z.string().optional().describe('The status its /health reported.'),
    checked_at: z.string().optional().describe('ISO 8601 time of the check.'),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  })
  .describe('The remote gateway calls are forwarded to, and whether it answers.');
export type RemoteStatus = z.infer<typeof RemoteStatusSchema>;
