/**
 * An acknowledged run is durable (issue 18 / 24): the run store's save resolves only after the
 * kernel confirmed a flush of every object a reader needs — the rows (result.cols), the metadata
 * (meta.json), the run folder (their names) and the results directory (the folder's name). Seen
 * from outside, with strace on a real save in a child process: each flush must have RETURNED 0
 * before the child prints that the save resolved. fdatasync counts for files (it flushes the data
 * and the size a reader needs), fsync for directories.
 *
 * Positive control of the detector: a file written beside the run without any flush is reported
 * as not flushed by the same parser.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { prerequisite } from '../../helpers/prereq.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const strace = spawnSync('strace', ['-V'], { stdio: 'ignore' }).status === 0;
const skip = prerequisite('strace', strace ? undefined : 'strace is not installed (Debian strace)');

const dir = mkdtempSync(join(tmpdir(), 'fmu-gw-durable-syscalls-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Saves one run (as the service does, from a worker's file), then writes SAVED <run folder>. */
const CHILD = `
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createRunResultStore, newRunId } from ${JSON.stringify(join(ROOT, 'src/store/run-result-store.ts'))};
import { writeResultFile } from ${JSON.stringify(join(ROOT, 'src/store/result-file-writer.ts'))};
const data = process.argv[2];
const store = createRunResultStore(data);
const outbox = join(data, 'outbox');
mkdirSync(outbox, { recursive: true });
const workerFile = join(outbox, 'job.cols');
writeResultFile(workerFile, { rows: 3, time: Float64Array.from([0, 1, 2]), columns: [{ name: 'y', type: 'Float64', values: Float64Array.from([1, 2, 3]) }] });
const id = newRunId();
await store.save(id, { rows: 3, time: new Float64Array(0), columns: [], resultFile: workerFile }, { fmu_id: 'msl:M' });
// Never flushed: the detector's positive control.
writeFileSync(join(store.dir, id, 'unflushed.txt'), 'x');
process.stdout.write('SAVED ' + join(store.dir, id) + '\\n');
`;

interface Flush {
  call: 'fsync' | 'fdatasync';
  path: string;
  /** Line index where the call returned 0. */
  doneAt: number;
}

/** Completed flushes (return value 0) with the path strace -y resolved, and the line where SAVED was written. */
function parseTrace(text: string): { flushes: Flush[]; savedAt: number; folder: string } {
  const lines = text.split('\n');
  const pending = new Map<string, { call: Flush['call']; path: string }>();
  const flushes: Flush[] = [];
  let savedAt = -1;
  let folder = '';
  lines.forEach((line, i) => {
    const pid = /^(?:\[pid\s+)?(\d+)\]?\s/.exec(line)?.[1] ?? '?';
    const whole = /\b(fsync|fdatasync)\(\d+<([^>]*)>\)\s+=\s+(-?\d+)/.exec(line);
    if (whole !== null) {
      if (whole[3] === '0') flushes.push({ call: whole[1] as Flush['call'], path: whole[2] as string, doneAt: i });
      return;
    }
    const started = /\b(fsync|fdatasync)\(\d+<([^>]*)>\s*<unfinished \.\.\.>/.exec(line);
    if (started !== null) {
      pending.set(pid, { call: started[1] as Flush['call'], path: started[2] as string });
      return;
    }
    const resumed = /<\.\.\. (fsync|fdatasync) resumed>\)\s+=\s+(-?\d+)/.exec(line);
    if (resumed !== null) {
      const p = pending.get(pid);
      pending.delete(pid);
      if (p !== undefined && resumed[2] === '0') flushes.push({ ...p, doneAt: i });
      return;
    }
    const saved = /write\(1<[^>]*>, "SAVED ([^"\\]*)\\n"/.exec(line);
    if (saved !== null && savedAt < 0) {
      savedAt = i;
      folder = saved[1] as string;
    }
  });
  return { flushes, savedAt, folder };
}

describe('run store save: flushed before it resolves (strace)', { skip, timeout: 120_000 }, () => {
  it('flushes the rows, the metadata, the run folder and the results directory before the save resolves', () => {
    const data = join(dir, 'data');
    const script = join(dir, 'child.mts');
    writeFileSync(script, CHILD);
    const traceFile = join(dir, 'trace.txt');
    const r = spawnSync(
      'strace',
      [
        '-f',
        '-y',
        '-qq',
        '-s',
        '300',
        '-e',
        'trace=fsync,fdatasync,write',
        '-o',
        traceFile,
        process.execPath,
        '--import',
        'tsx',
        script,
        data,
      ],
      { cwd: ROOT, encoding: 'utf8', timeout: 100_000 },
    );
    assert.equal(r.status, 0, `child failed: ${r.stderr}`);
    const { flushes, savedAt, folder } = parseTrace(readFileSync(traceFile, 'utf8'));
    assert.ok(savedAt >= 0 && folder !== '', 'the child reported its save');
    const before = (path: string, call?: Flush['call']): boolean =>
      flushes.some((f) => f.path === path && f.doneAt < savedAt && (call === undefined || f.call === call));
    assert.ok(before(join(folder, 'result.cols')), 'result.cols flushed before the answer');
    assert.ok(before(join(folder, 'meta.json')), 'meta.json flushed before the answer');
    assert.ok(before(folder, 'fsync'), 'the run folder fsynced before the answer');
    assert.ok(before(join(data, 'runs'), 'fsync'), 'the results directory fsynced before the answer');
    // The detector can say no: the file written without a flush is not reported as flushed.
    assert.equal(
      flushes.some((f) => f.path === join(folder, 'unflushed.txt')),
      false,
    );
  });
});
