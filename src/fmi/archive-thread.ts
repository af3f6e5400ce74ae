/**
 * Worker-thread side of openFmuAsync (archive-async.ts): runs the synchronous openFmu (hashing,
 * zip checks, inflating, parsing modelDescription.xml, unpacking) off the gateway's event loop.
 * The parsed description goes back in slices the main thread pulls one at a time: cloning a
 * 100k-variable object in one message would itself block the event loop for ~200 ms.
 */
import { parentPort } from 'node:worker_threads';
import { toGatewayError } from '../errors.ts';
import type { ModelVariable } from '../schemas/model-description.ts';
import type { FmuSource, OpenFmuOptions } from './archive.ts';
import { openFmu } from './archive.ts';

export type ThreadRequest =
  | { kind: 'open'; id: number; source: { path: string } | { bytes: Uint8Array }; opts: OpenFmuOptions }
  | { kind: 'more'; id: number }
  | { kind: 'drop'; id: number };

// ~2-3 ms of structured-clone work on the main thread per slice (a 4000-variable slice took ~10 ms).
export const VARIABLES_PER_SLICE = 1000;

const rest = new Map<number, { variables: ModelVariable[]; next: number }>();
const port = parentPort;

function slice(id: number): void {
  const r = rest.get(id);
  if (r === undefined) return;
  const end = Math.min(r.next + VARIABLES_PER_SLICE, r.variables.length);
  const variables = r.variables.slice(r.next, end);
  r.next = end;
  const last = end >= r.variables.length;
  if (last) rest.delete(id);
  port?.postMessage({ kind: 'vars', id, variables, last });
}

port?.on('message', (m: ThreadRequest) => {
  if (m.kind === 'more') return slice(m.id);
  if (m.kind === 'drop') {
    rest.delete(m.id);
    return;
  }
  try {
    // Structured clone turns a Buffer into a plain Uint8Array: give openFmu its Buffer back (no copy).
    const source: FmuSource =
      'bytes' in m.source ? { bytes: Buffer.from(m.source.bytes.buffer, m.source.bytes.byteOffset, m.source.bytes.byteLength) } : m.source;
    const opened = openFmu(source, m.opts);
    const all = opened.modelDescription.variables;
    const first = all.slice(0, VARIABLES_PER_SLICE);
    if (all.length > first.length) rest.set(m.id, { variables: all, next: first.length });
    port.postMessage({
      kind: 'opened',
      id: m.id,
      opened: { ...opened, modelDescription: { ...opened.modelDescription, variables: first } },
      total: all.length,
    });
  } catch (e) {
    port.postMessage({ kind: 'error', id: m.id, error: toGatewayError(e).toJSON() });
  }
});

port?.postMessage({ kind: 'ready' });
