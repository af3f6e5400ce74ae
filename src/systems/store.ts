/**
 * Uploaded system descriptions, stored once by content: <dataDir>/systems/<sha256>.json, the
 * sha256 of the canonical JSON (keys sorted) of the normalized description. Written to a
 * temporary name and renamed, so a reader never sees a partial file.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayError } from '../errors.ts';
import { SystemDescriptionSchema, SYSTEM_ID_PATTERN, type SystemDescription } from '../schemas/system.ts';

export interface SystemStore {
  put(description: SystemDescription): { systemId: string; alreadyStored: boolean };
  get(systemId: string): SystemDescription;
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

export function systemIdOf(description: SystemDescription): string {
  return `system:${createHash('sha256')
    .update(JSON.stringify(canonical(description)))
    .digest('hex')}`;
}

export function createSystemStore(dir: string): SystemStore {
  const pathOf = (systemId: string): string => {
    if (!SYSTEM_ID_PATTERN.test(systemId)) throw new GatewayError('BAD_REQUEST', `"${systemId}" is not a system id (system:<64 hex>).`);
    return join(dir, `${systemId.slice('system:'.length)}.json`);
  };
  return {
    put(description) {
      const systemId = systemIdOf(description);
      const path = pathOf(systemId);
      if (existsSync(path)) return { systemId, alreadyStored: true };
      mkdirSync(dir, { recursive: true });
      const tmp = join(dir, `.tmp-${randomBytes(8).toString('hex')}`);
      writeFileSync(tmp, JSON.stringify(description), { flush: true });
      renameSync(tmp, path);
      return { systemId, alreadyStored: false };
    },
    get(systemId) {
      const path = pathOf(systemId);
      if (!existsSync(path)) {
        throw new GatewayError('NOT_FOUND', `No system has id ${systemId}.`, {
          system_id: systemId,
          hint: 'Call upload_system first and use the system_id it returns.',
        });
      }
      return SystemDescriptionSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
    },
  };
}
