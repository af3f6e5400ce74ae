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

/**
 * An error / payment_required envelope → isError result with ONE text block: the readable summary
 * (code, message, hint), then on its last line the machine data as JSON for clients that ignore
 * structuredContent (an error's data; the whole payment request). The message is not repeated.
 */
export function failureResult(out: ErrorResult | PaymentRequired): CallToolResult {
  let text: string;
  if (out.status === 'payment_required') {
    text =
      `Payment required: ${out.amount} ${out.currency.toUpperCase()}. Open ${out.checkout_url}, then call redeem_checkout with session_id "${out.session_id}", then call again with payment_token.` +
      `\n${JSON.stringify(out)}`;
  } else {
    const { code, message, hint, data } = out.error;
    text = `Error ${code}: ${message}${hint === undefined ? '' : `\nHint: ${hint}`}`;
    if (data !== undefined && Object.keys(data).length > 0) text += `\n${JSON.stringify({ data })}`;
  }
  return {
    content: [{ type: 'text', text: escapeForTextBlock(text) }],
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
