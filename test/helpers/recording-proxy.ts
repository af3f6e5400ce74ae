/**
 * A real HTTP proxy on 127.0.0.1 between a forwarding gateway and the hosted one, for tests: it
 * records every request (method, path, body bytes) so a test can see what crossed the wire, and
 * can be told to hang (accept, never answer) to test the forwarding side's deadlines.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  bodyBytes: number;
  /** The upstream's status, once it answered. */
  status?: number;
}

export interface RecordingProxy {
  url: string;
  requests: RecordedRequest[];
  /** While true, requests are accepted and left unanswered. */
  hang: boolean;
  close(): Promise<void>;
}

export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const t = new URL(target);
  const requests: RecordedRequest[] = [];
  const pending = new Set<ServerResponse>();
  const state = { hang: false };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const entry: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', bodyBytes: 0 };
    requests.push(entry);
    if (state.hang) {
      pending.add(res);
      req.resume();
      res.on('close', () => pending.delete(res));
      return;
    }
    const upstream = request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: { ...req.headers, host: t.host } },
      (up) => {
        if (up.statusCode !== undefined) entry.status = up.statusCode;
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.on('data', (chunk: Buffer) => {
      entry.bodyBytes += chunk.length;
    });
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    get hang() {
      return state.hang;
    },
    set hang(v: boolean) {
      state.hang = v;
    },
    close: async () => {
      for (const res of pending) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
