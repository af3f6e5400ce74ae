/**
 * Request limits of the HTTP server on a real socket: a slow client is cut off while sending its
 * request, never while we stream a long answer; a too-large body is refused at once and not read
 * to its end.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { McpServer } from '@modelcontextprotocol/server';
import type { FastifyPluginAsync } from 'fastify';
import { DISCARD_LINGER_MS } from '../../../src/http/body.ts';
import { createMcpEndpoint } from '../../../src/http/mcp-endpoint.ts';
import { createOriginPolicy } from '../../../src/http/security.ts';
import { startHttpServer, type RunningHttpServer } from '../../../src/http/server.ts';

const REQUEST_TIMEOUT_MS = 300;

/** /mcp as the gateway mounts it (src/http/routes/mcp.ts): nothing parsed, the raw request handed over. */
function rawMcpRoute(maxBodyBytes: number): FastifyPluginAsync {
  const handle = createMcpEndpoint({ createServer: () => ({}) as McpServer, maxBodyBytes, log: () => undefined });
  return async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_req, _payload, done) => done(null, undefined));
    app.all('/mcp', async (req, reply) => {
      reply.hijack();
      await handle(req.raw, reply.raw);
    });
  };
}

/** Collects what the server sends and when the connection ends. */
function rawClient(port: number): { socket: Socket; text: () => string; closed: Promise<number> } {
  const t0 = Date.now();
  const socket = connect(port, '127.0.0.1');
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString()));
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - t0)));
  return { socket, text: () => text, closed };
}

const within = <T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> =>
  Promise.race([p, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref())]);

describe('HTTP server request limits', { timeout: 30_000 }, () => {
  let http: RunningHttpServer;
  before(async () => {
    http = await startHttpServer(
      {
        policy: (port) => createOriginPolicy({ host: '127.0.0.1', port }),
        requestTimeoutMs: REQUEST_TIMEOUT_MS,
        log: () => undefined,
        register: async (app) => {
          // An answer that lasts four times the request timeout, like a run streaming progress.
          app.get('/stream', (_req, reply) => {
            reply.hijack();
            const res = reply.raw;
            res.writeHead(200, { 'content-type': 'text/event-stream' });
            let n = 0;
            const t = setInterval(
              () => {
                res.write(`data: ${n}\n\n`);
                if (++n === 6) {
                  clearInterval(t);
                  res.end();
                }
              },
              (4 * REQUEST_TIMEOUT_MS) / 6,
            );
          });
          await app.register(rawMcpRoute(1024));
        },
      },
      { host: '127.0.0.1', port: 0 },
    );
  });
  after(async () => {
    await http?.close();
  });

  it('cuts off a client that sends its body too slowly with 408', async () => {
    const c = rawClient(http.port);
    c.socket.write(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${http.port}\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{`);
    const closedAfter = await within(c.closed, 10 * REQUEST_TIMEOUT_MS);
    c.socket.destroy();
    assert.notEqual(closedAfter, 'timeout', 'the connection is still open');
    assert.match(c.text(), /^HTTP\/1\.1 408/);
  });

  it('does not cut a streamed answer that outlasts the request timeout', async () => {
    const res = await fetch(`${http.url}/stream`);
    assert.equal(res.status, 200);
    const body = await res.text();
    assert.equal(body.split('\n\n').filter((e) => e.startsWith('data:')).length, 6);
  });

  it('answers a too-large declared body with 413 at once and closes the connection instead of reading it all', async () => {
    // Its own server with the default (5 min) request timeout, so only the refusal can end the upload.
    const mcp = await startHttpServer(
      {
        policy: (port) => createOriginPolicy({ host: '127.0.0.1', port }),
        log: () => undefined,
        register: async (app) => {
          await app.register(rawMcpRoute(1024));
        },
      },
      { host: '127.0.0.1', port: 0 },
    );
    const c = rawClient(mcp.port);
    try {
      // 10 GB declared: read to its end (~10 s even on loopback) it would outlast the wait below.
      c.socket.write(
        `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${mcp.port}\r\ncontent-type: application/json\r\n` +
          `accept: application/json, text/event-stream\r\ncontent-length: 10000000000\r\n\r\n`,
      );
      const chunk = Buffer.alloc(1 << 20, 32);
      let sending = true;
      void c.closed.then(() => (sending = false));
      void (async () => {
        while (sending && !c.socket.destroyed) {
          if (!c.socket.write(chunk)) await within(new Promise((r) => c.socket.once('drain', r)), 100);
        }
      })();
      const closedAfter = await within(c.closed, DISCARD_LINGER_MS + 4000);
      sending = false;
      assert.match(c.text(), /^HTTP\/1\.1 413/);
      assert.notEqual(closedAfter, 'timeout', 'the server kept reading the refused body');
    } finally {
      c.socket.destroy();
      await mcp.close();
    }
  });
});
