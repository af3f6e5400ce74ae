import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkHost, checkOrigin, createOriginPolicy, withPublicBaseUrl } from '../../../src/http/security.ts';

describe('Host / Origin policy', () => {
  const policy = createOriginPolicy({ host: '127.0.0.1', port: 8000 });

  it('accepts the bound address and the loopback names on the bound port', () => {
    for (const h of ['127.0.0.1:8000', 'localhost:8000', 'LOCALHOST:8000', '[::1]:8000']) {
      assert.equal(checkHost(policy, h).ok, true, h);
    }
  });

  it('rejects another port, a foreign name and a missing Host', () => {
    for (const h of ['127.0.0.1:8001', 'evil.example:8000', 'localhost', undefined, '']) {
      assert.equal(checkHost(policy, h).ok, false, String(h));
    }
  });

  it('a wildcard bind allows only the loopback names unless hosts are configured', () => {
    const p = createOriginPolicy({ host: '0.0.0.0', port: 80, extraHosts: ['sim.example.com'] });
    assert.equal(checkHost(p, '0.0.0.0:80').ok, false);
    assert.equal(checkHost(p, 'localhost:80').ok, true);
    // A bare configured name matches any port (reverse proxies rewrite ports).
    assert.equal(checkHost(p, 'sim.example.com:443').ok, true);
    assert.equal(checkHost(p, 'sim.example.com').ok, true);
  });

  it('accepts an absent Origin and loopback origins on any port', () => {
    for (const o of [undefined, '', 'http://localhost:6274', 'http://127.0.0.1', 'https://[::1]:3000']) {
      assert.equal(checkOrigin(policy, o).ok, true, String(o));
    }
  });

  it('rejects foreign, null and non-http origins', () => {
    for (const o of ['http://evil.example', 'null', 'file://', 'http://localhost.evil.example:8000', 'chrome-extension://abc']) {
      assert.equal(checkOrigin(policy, o).ok, false, o);
    }
  });

  it('accepts configured origins and the PUBLIC_BASE_URL host and origin', () => {
    const p = withPublicBaseUrl(
      createOriginPolicy({ host: '127.0.0.1', port: 8000, extraOrigins: ['https://app.example.com/'] }),
      'https://gw.example.com/base',
    );
    assert.equal(checkOrigin(p, 'https://app.example.com').ok, true);
    assert.equal(checkOrigin(p, 'https://gw.example.com').ok, true);
    assert.equal(checkHost(p, 'gw.example.com').ok, true);
    assert.equal(checkOrigin(p, 'http://gw.example.com').ok, false);
  });
});
