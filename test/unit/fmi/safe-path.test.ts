/**
 * safe-path: the kind checks (model identifier, relative path) and the final-path check under a
 * root, including symlinks that lead out and paths that do not exist yet.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { GatewayError } from '../../../src/errors.ts';
import { modelIdentifierProblem, relativePathProblem, resolveInside } from '../../../src/fmi/safe-path.ts';

const dir = mkdtempSync(join(tmpdir(), 'safe-path-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('modelIdentifierProblem', () => {
  it('accepts C identifiers', () => {
    for (const id of ['BouncingBall', '_x', 'a1_B2', 'x'.repeat(200)]) assert.equal(modelIdentifierProblem(id), undefined, id);
  });
  it('refuses paths, dots, spaces, leading digits, non-ASCII and over-long names', () => {
    for (const id of ['../../x', 'a/b', 'a\\b', 'lib.so', 'a b', '1x', 'é', '', 'x\0', 'x'.repeat(201)]) {
      assert.ok(modelIdentifierProblem(id) !== undefined, JSON.stringify(id));
    }
  });
});

describe('relativePathProblem', () => {
  it('accepts plain relative paths', () => {
    for (const p of ['model.c', 'src/a.c', './a.c', 'a//b.c', 'dir/']) assert.equal(relativePathProblem(p), undefined, p);
  });
  it('refuses anything that could leave the root or fool a reader', () => {
    for (const p of [
      '',
      ' ',
      '..',
      '../a.c',
      'a/../../b',
      '/etc/passwd',
      'C:\\x',
      'C:x',
      'a\\b',
      'a\0b',
      'a\nb',
      'a\u001b[2J',
      '.',
      `${'x'.repeat(256)}.c`,
    ]) {
      assert.ok(relativePathProblem(p) !== undefined, JSON.stringify(p));
    }
  });
});

describe('resolveInside', () => {
  const root = join(dir, 'root');
  mkdirSync(join(root, 'sub'), { recursive: true });
  const escapes = (parts: string | string[]) =>
    assert.throws(
      () => resolveInside(root, parts, { code: 'MODEL_DESCRIPTION_INVALID', what: 'x' }),
      (e: unknown) => e instanceof GatewayError && e.code === 'MODEL_DESCRIPTION_INVALID' && e.data?.reason === 'path_escape',
    );

  it('returns the resolved path for names inside the root, existing or not', () => {
    assert.equal(resolveInside(root, ['sub', 'a.c'], { what: 'x' }), join(root, 'sub', 'a.c'));
    assert.equal(resolveInside(root, 'not/yet/there.so', { what: 'x' }), join(root, 'not', 'yet', 'there.so'));
    assert.equal(resolveInside(root, 'sub/../b', { what: 'x' }), join(root, 'b'));
  });

  it('refuses names that resolve outside, absolute parts and NUL bytes', () => {
    escapes('../x');
    escapes(['sub', '../../x']);
    escapes('/etc/passwd');
    escapes(['sub', '/etc']);
    escapes('a\0b');
    escapes(`../${'root'}x/y`); // a sibling sharing the prefix "root" is not inside
  });

  it('refuses a path that leaves through a symlink, even one that does not exist yet below it', () => {
    const outside = join(dir, 'outside');
    mkdirSync(outside, { recursive: true });
    symlinkSync(outside, join(root, 'link'));
    escapes(['link', 'lib.so']);
    escapes(['link', 'new', 'dir', 'lib.so']);
    symlinkSync(join(dir, 'nowhere'), join(root, 'dangling'));
    escapes(['dangling', 'x']);
  });

  it('default code is FMU_INVALID', () => {
    assert.throws(
      () => resolveInside(root, '../x', { what: 'x' }),
      (e: unknown) => e instanceof GatewayError && e.code === 'FMU_INVALID',
    );
  });
});
