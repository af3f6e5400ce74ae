/**
 * The inheritable-descriptor check of the worker spawn (src/runner/inheritable-fds.ts), with real
 * descriptors: dup(2) gives a copy WITHOUT close-on-exec (as an inherited one is); node's own are
 * close-on-exec (the positive and negative sides of every assertion).
 */
import assert from 'node:assert/strict';
import { closeSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import type Koffi from 'koffi';
import { createInheritableDescriptors } from '../../../src/runner/inheritable-fds.ts';

const linux = process.platform === 'linux' ? false : 'Linux only (/proc/self/fdinfo)';

describe('inheritable descriptors', { skip: linux }, () => {
  const libc = (createRequire(import.meta.url)('koffi') as typeof Koffi).load('libc.so.6');
  const dup = libc.func('int dup(int)') as (fd: number) => number;
  const dup2 = libc.func('int dup2(int, int)') as (fd: number, to: number) => number;

  it('finds a descriptor without close-on-exec, new since the last reading, and not node’s own', () => {
    let clock = 0;
    const check = createInheritableDescriptors(1000, () => clock);
    const own = openSync('/dev/null', 'r'); // close-on-exec, as node opens everything
    const first = check.list() ?? assert.fail('fdinfo unreadable');
    assert.ok(!first.includes(own));
    const copy = dup(own);
    assert.ok(copy > 2);
    try {
      clock = 10; // within the rescan interval: a new number is still read
      assert.ok((check.list() ?? []).includes(copy), 'the dup (no close-on-exec) is found');
    } finally {
      closeSync(copy);
      closeSync(own);
    }
    clock = 20;
    assert.ok(!(check.list() ?? []).includes(copy), 'gone once closed');
  });

  it('a remembered number reused by an inheritable descriptor is caught by the next full reading', () => {
    let clock = 0;
    const check = createInheritableDescriptors(1000, () => clock);
    const own = openSync('/dev/null', 'r');
    const target = openSync('/dev/null', 'r');
    try {
      assert.ok(!(check.list() ?? []).includes(target));
      // The same number now holds a descriptor without close-on-exec (dup2 clears the flag).
      assert.equal(dup2(own, target), target);
      clock = 10;
      // Within the interval the remembered answer stands (this is the documented window)...
      assert.ok(!(check.list() ?? []).includes(target));
      clock = 1010;
      // ...and the full reading after it finds the reused number.
      assert.ok((check.list() ?? []).includes(target));
    } finally {
      closeSync(target);
      closeSync(own);
    }
  });

  it('with no interval every call reads every descriptor', () => {
    const check = createInheritableDescriptors(0);
    const own = openSync('/dev/null', 'r');
    const target = openSync('/dev/null', 'r');
    try {
      assert.ok(!(check.list() ?? []).includes(target));
      assert.equal(dup2(own, target), target);
      assert.ok((check.list() ?? []).includes(target));
    } finally {
      closeSync(target);
      closeSync(own);
    }
  });
});
