/**
 * Addresses of the bound FMI functions the native stepping helper (stepper.ts) calls itself, kept
 * beside a binding's raw function table. Plain numbers, as koffi's lib.symbol resolved them.
 */
import type { LibraryHandle } from 'koffi';

const addresses = new WeakMap<object, Record<string, number>>();

/** Records the address of `name` for `raw` (no-op when it is not a safe, non-null number). */
export function recordAddress(raw: object, lib: LibraryHandle, name: string): void {
  const a = Number(lib.symbol(name) as unknown);
  if (!Number.isSafeInteger(a) || a === 0) return;
  let table = addresses.get(raw);
  if (table === undefined) addresses.set(raw, (table = {}));
  table[name] = a;
}

export function symbolAddresses(raw: object): Readonly<Record<string, number>> {
  return addresses.get(raw) ?? {};
}
