// Plain JavaScript (the launcher runs it before any TypeScript loader): a cheap fingerprint of
// the sources a bundle was built from — file count and newest modification time under src/,
// plus package.json. A bundle is used only while this matches the stamp it was built with.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * True in an installed package: `npm pack` ships built JavaScript only (package.json "files"),
 * no src/. There the bundles are the program, whatever their stamp says.
 */
export function isPackaged(root) {
  return !existsSync(join(root, 'src'));
}

export function sourceStamp(root) {
  let newest = statSync(join(root, 'package.json')).mtimeMs;
  let files = 0;
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.ts')) {
        files++;
        newest = Math.max(newest, statSync(p).mtimeMs);
      }
    }
  };
  walk(join(root, 'src'));
  return `${files}:${newest}`;
}
