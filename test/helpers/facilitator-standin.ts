/**
 * A local stand-in x402 facilitator (POST /verify, POST /settle) as a real HTTP server. A payment
 * is valid when its payload carries `signature: "valid:<nonce>"` and accepts a requirement; each
 * nonce settles once (as an on-chain nonce would), so replays are refused at settlement.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FacilitatorCall {
  path: string;
  body: { x402Version?: number; paymentPayload?: { payload?: { signature?: string } }; paymentRequirements?: unknown };
}

export interface FacilitatorStandin {
  url: string;
  calls: FacilitatorCall[];
  settled: Set<string>;
  close(): Promise<void>;
}

export async function startFacilitatorStandin(): Promise<FacilitatorStandin> {
  const calls: FacilitatorCall[] = [];
  const settled = new Set<string>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: FacilitatorCall['body'] = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as FacilitatorCall['body'];
      } catch {
        res.writeHead(400).end('{"error":"bad json"}');
        return;
      }
      const path = req.url ?? '';
      calls.push({ path, body });
      const sig = body.paymentPayload?.payload?.signature ?? '';
      const nonce = sig.startsWith('valid:') ? sig.slice(6) : undefined;
      const send = (obj: unknown): void => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(obj));
      };
      if (path === '/verify') {
        if (body.x402Version !== 2 || body.paymentRequirements === undefined)
          return send({ isValid: false, invalidReason: 'invalid_x402_version' });
        if (nonce === undefined) return send({ isValid: false, invalidReason: 'invalid_exact_evm_payload_signature' });
        if (settled.has(nonce)) return send({ isValid: false, invalidReason: 'invalid_exact_evm_payload_authorization_nonce_used' });
        return send({ isValid: true, payer: '0x00000000000000000000000000000000000000aa' });
      }
      if (path === '/settle') {
        if (nonce === undefined || settled.has(nonce)) {
          return send({ success: false, errorReason: 'invalid_transaction_state', transaction: '', network: 'eip155:8453' });
        }
        settled.add(nonce);
        return send({
          success: true,
          transaction: `0x${Buffer.from(nonce).toString('hex').padEnd(64, '0')}`,
          network: 'eip155:8453',
          payer: '0x00000000000000000000000000000000000000aa',
        });
      }
      res.writeHead(404).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    settled,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
