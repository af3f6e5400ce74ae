/**
 * DNS-rebinding protection for the local HTTP server: a web page on an attacker's domain can make
 * a browser send requests to 127.0.0.1 (after re-pointing its DNS name), but it cannot forge the
 * Host header (it names the attacker's domain) nor the Origin header. So every request must carry
 * a Host we answer to, and an Origin that is absent (non-browser clients) or allowed.
 */

export interface OriginPolicy {
  /** Allowed Host header values, lower case: "hostname" (any port) or "hostname:port". */
  hosts: ReadonlySet<string>;
  /** Allowed Origin values besides the loopback ones, lower case, exact ("https://app.example.com"). */
  origins: ReadonlySet<string>;
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** Bracket a bare IPv6 literal so it can be joined with a port, as Host headers write it. */
function hostPart(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host.toLowerCase();
}

/**
 * The default policy for a server bound to `host`:`port`: the bound address and the loopback names,
 * on that port, plus any extra hosts / origins the operator configured (e.g. from PUBLIC_BASE_URL).
 */
export function createOriginPolicy(opts: {
  host: string;
  port: number;
  extraHosts?: readonly string[];
  extraOrigins?: readonly string[];
}): OriginPolicy {
  const hosts = new Set<string>();
  // A wildcard bind has no name of its own; clients then reach us through a name the operator lists.
  const bound = opts.host === '0.0.0.0' || opts.host === '::' ? [] : [hostPart(opts.host)];
  for (const name of [...LOOPBACK_NAMES, ...bound]) hosts.add(`${name}:${opts.port}`);
  for (const h of opts.extraHosts ?? []) hosts.add(h.trim().toLowerCase());
  const origins = new Set((opts.extraOrigins ?? []).map((o) => o.trim().toLowerCase().replace(/\/+$/, '')));
  return { hosts, origins };
}

/** Adds the host and origin of a public base URL (a reverse proxy in front of us) to the policy. */
export function withPublicBaseUrl(policy: OriginPolicy, publicBaseUrl: string | undefined): OriginPolicy {
  if (publicBaseUrl === undefined || publicBaseUrl === '') return policy;
  let url: URL;
  try {
    url = new URL(publicBaseUrl);
  } catch {
    return policy;
  }
  return {
    hosts: new Set([...policy.hosts, url.host.toLowerCase()]),
    origins: new Set([...policy.origins, url.origin.toLowerCase()]),
  };
}

export type CheckResult = { ok: true } | { ok: false; reason: string };

export function checkHost(policy: OriginPolicy, hostHeader: string | undefined): CheckResult {
  if (hostHeader === undefined || hostHeader === '') {
    return { ok: false, reason: 'Missing Host header.' };
  }
  const host = hostHeader.trim().toLowerCase();
  // "name:port" entries match exactly; bare "name" entries match that name on any port.
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : (host.split(':')[0] ?? host);
  if (policy.hosts.has(host) || policy.hosts.has(name)) return { ok: true };
  return {
    ok: false,
    reason: `Host "${hostHeader}" is not allowed (DNS rebinding protection). Connect through localhost or 127.0.0.1, or start the server with --allowed-host ${name}.`,
  };
}

export function checkOrigin(policy: OriginPolicy, originHeader: string | undefined): CheckResult {
  // Non-browser clients (SDKs, curl, agents) send no Origin: nothing to protect against there.
  if (originHeader === undefined || originHeader === '') return { ok: true };
  const origin = originHeader.trim().toLowerCase();
  if (policy.origins.has(origin)) return { ok: true };
  let url: URL | undefined;
  try {
    url = new URL(origin);
  } catch {
    url = undefined;
  }
  // Any port on a loopback name: local tools (e.g. an inspector UI) run on their own ports.
  if (url !== undefined && (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_NAMES.includes(url.hostname)) {
    return { ok: true };
  }
  return {
    ok: false,
    reason: `Origin "${originHeader}" is not allowed (DNS rebinding protection). Start the server with --allowed-origin ${originHeader} to allow it.`,
  };
}
