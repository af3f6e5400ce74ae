/**
 * One rule for tests that need something from the machine (bwrap, root, PostgreSQL, Redis,
 * CVODE, gcc, nginx, chromium, python3-scipy…): on a developer's machine a missing prerequisite
 * skips the test with a printed note; under `CI=true` it fails the run instead, so a green CI
 * never hides a suite that did not run.
 *
 *   const skip = prerequisite('Redis', redisMissing());
 *   describe('…', { skip }, () => { … });
 */
const printed = new Set<string>();

export const inCi = (): boolean => process.env['CI'] === 'true' || process.env['CI'] === '1';

/**
 * `missing` is why the prerequisite is absent (undefined / false / '' when present). Returns the
 * value for node:test's `skip` option: false when present; the reason when absent outside CI.
 * Under CI an absent prerequisite throws, which fails the test file.
 */
export function prerequisite(name: string, missing: string | undefined | false | null): string | false {
  if (missing === undefined || missing === false || missing === null || missing === '') return false;
  const reason = `${name}: ${missing}`;
  if (inCi()) throw new Error(`CI=true and a test prerequisite is missing (${reason}); install it with .ci/install-system-deps.sh`);
  if (!printed.has(reason)) {
    printed.add(reason);
    process.stderr.write(`note: skipped, prerequisite missing: ${reason}\n`);
  }
  return reason;
}
