/**
 * A gateway process that dies in the middle of the usage roll-up (test/integration/store/
 * usage-rollup-crash.test.ts): it opens the store at argv[2] (a JSON StoreLocation), rolls usage
 * up to the cutoff argv[3] (ms) and SIGKILLs itself at the fold point argv[4] — no cleanup, no
 * rollback by us: whatever the backend kept is what a real crash would leave.
 */
import { openAccountStore, type StoreLocation } from '../../src/store/index.ts';
import type { FoldPoint } from '../../src/store/usage-fold.ts';

const [locJson, cutoffMs, point] = process.argv.slice(2) as [string, string, FoldPoint];
const store = await openAccountStore(JSON.parse(locJson) as StoreLocation);
await store.usage.rollUp(new Date(Number(cutoffMs)), 1000, {
  at: (p) => {
    if (p === point) process.kill(process.pid, 'SIGKILL');
  },
});
// Reaching here means the fold never passed the point: the test sees a clean exit and fails.
await store.close();
