/**
 * Building tool results the same way for every tool: structured content that validates against
 * the tool's output schema, a short readable text block, and (for errors / payment requests)
 * `isError: true` with the structured data mirrored as JSON text for clients that ignore it.
 */
import type { CallToolResult, ContentBlock } from '@modelcontextprotocol/server';
import { toGatewayError } from '../../errors.ts';
import { toErrorOutput, type ErrorResult, type PaymentRequired } from '../../schemas/errors.ts';
import { escapeForTextBlock } from '../../text-escape.ts';

export function okResult(structured: { status: string }, text: string, extra: readonly ContentBlock[] = []): CallToolResult {
  return {
    content: [{ type: 'text', text: escapeForTextBlock(text) }, ...extra],
    structuredContent: structured as Record<string, unknown>,
  };
}

/** Anything thrown by the service → `status: "error"` (or `payment_required`) with isError. */
export function errorResult(e: unknown, log: (line: string) => void): CallToolResult {
  const err = toGatewayError(e);
  // Unknown errors are our bug: keep the stack in our log, tell the agent only that it was internal.
  if (err.code === 'INTERNAL') log(`mcp: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  return failureResult(toErrorOutput(err));
}

/** An error / payment_required envelope → isError result, the data mirrored as JSON text. */
export function failureResult(out: ErrorResult | PaymentRequired): CallToolResult {
  const summary =
    out.status === 'payment_required'
      ? `Payment required: ${out.amount} ${out.currency.toUpperCase()}. Open ${out.checkout_url}, then call redeem_checkout with session_id "${out.session_id}", then call again with payment_token.`
      : `Error ${out.error.code}: ${out.error.message}${out.error.hint === undefined ? '' : `\nHint: ${out.error.hint}`}`;
  return {
    content: [
      { type: 'text', text: escapeForTextBlock(summary) },
      { type: 'text', text: JSON.stringify(out) },
    ],
    structuredContent: out as unknown as Record<string, unknown>,
    isError: true,
  };
}

/** Runs a tool body; whatever it throws becomes an error result, never a protocol error. */
export async function guarded(body: () => Promise<CallToolResult>, log: (line: string) => void): Promise<CallToolResult> {
  try {
    return await body();
  } catch (e) {
    return errorResult(e, log);
  }
}
