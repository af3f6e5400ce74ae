/**
 * The reason the output schemas are flat objects: the real SDK server must list them, and the
 * real SDK client must accept error and payment results (it validates even when isError is true).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport, McpServer } from '@modelcontextprotocol/server';
import { GatewayError } from '../../../src/errors.ts';
import { toErrorOutput } from '../../../src/schemas/errors.ts';
import { SimulateInputSchema, SimulateOutputSchema } from '../../../src/schemas/simulate.ts';

async function connect(result: () => Record<string, unknown>, isError: boolean) {
  const server = new McpServer({ name: 't', version: '0' });
  server.registerTool('simulate', { description: 'test', inputSchema: SimulateInputSchema, outputSchema: SimulateOutputSchema }, () => {
    const structuredContent = result();
    return { content: [{ type: 'text', text: JSON.stringify(structuredContent) }], structuredContent, isError };
  });
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'c', version: '0' });
  await Promise.all([server.connect(a), client.connect(b)]);
  return { client, close: () => Promise.all([client.close(), server.close()]) };
}

describe('simulate output schema with the MCP SDK', () => {
  it('is listed as an object outputSchema', async () => {
    const { client, close } = await connect(() => ({}), false);
    const { tools } = await client.listTools();
    assert.equal(tools[0]?.outputSchema?.type, 'object');
    assert.equal(tools[0]?.inputSchema.type, 'object');
    await close();
  });

  it('lets an error result with isError reach the client', async () => {
    const { client, close } = await connect(() => toErrorOutput(new GatewayError('NOT_FOUND', 'no such model')), true);
    const res = await client.callTool({ name: 'simulate', arguments: { fmu_id: 'msl:Nope', stop_time: 1 } });
    assert.equal(res.isError, true);
    assert.equal((res.structuredContent as { error: { code: string } }).error.code, 'NOT_FOUND');
    await close();
  });

  it('lets a payment_required result reach the client', async () => {
    const data = {
      amount: 1,
      currency: 'usd',
      checkout_url: 'https://x/c',
      session_id: 's',
      expires_at: 'e',
      methods: ['stripe_checkout'],
      next_steps: ['a'],
    };
    const { client, close } = await connect(() => toErrorOutput(new GatewayError('PAYMENT_REQUIRED', 'pay', data)), true);
    const res = await client.callTool({ name: 'simulate', arguments: { fmu_id: 'msl:A', stop_time: 1 } });
    assert.equal((res.structuredContent as { status: string }).status, 'payment_required');
    await close();
  });

  it('reports the cross-field message when the arguments are invalid', async () => {
    const { client, close } = await connect(() => ({}), false);
    const res = await client.callTool({ name: 'simulate', arguments: { fmu_id: 'msl:A', start_time: 5, stop_time: 1 } });
    assert.equal(res.isError, true);
    assert.match(JSON.stringify(res.content), /stop_time \(1\) must be greater than start_time \(5\)/);
    await close();
  });
});
