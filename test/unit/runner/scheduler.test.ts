import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createScheduler } from '../../../src/runner/scheduler.ts';

interface Job {
  caller: string;
  binding: string | undefined;
  n: number;
}
interface Worker {
  binding: string | undefined;
  id: string;
}

let seq = 0;
const job = (caller: string, fmu = 'm'): Job => ({ caller, binding: `${fmu}/${caller}`, n: ++seq });
const fresh = (id: string): Worker => ({ binding: undefined, id });
const bound = (id: string, binding: string): Worker => ({ binding, id });

describe('scheduler', () => {
  it('serves callers in turn: a flooding caller delays another by one job, not by its backlog', () => {
    const s = createScheduler<Job, Worker>({ slots: 1, maxBusyPerCaller: 1, maxQueued: 100 });
    const flood = Array.from({ length: 20 }, () => job('A'));
    for (const j of flood) s.enqueue(j);
    const b = job('B');
    s.enqueue(b);
    const order: string[] = [];
    for (let i = 0; i < 21; i++) {
      const { assignments } = s.assign([fresh('w')]);
      assert.equal(assignments.length, 1);
      const a = assignments[0]!;
      order.push(a.job.caller);
      s.finished(a.job);
    }
    // A's first job was ahead of B; B runs right after it, then A's backlog.
    assert.deepEqual(order.slice(0, 3), ['A', 'B', 'A']);
    assert.equal(order.filter((c) => c === 'A').length, 20);
  });

  it('alternates among many callers (round robin, FIFO within a caller)', () => {
    const s = createScheduler<Job, Worker>({ slots: 1, maxQueued: 100 });
    const jobs = ['A', 'A', 'A', 'B', 'B', 'C'].map((c) => job(c));
    for (const j of jobs) s.enqueue(j);
    const got: number[] = [];
    for (let i = 0; i < jobs.length; i++) {
      const [a] = s.assign([fresh('w')]).assignments;
      got.push(a!.job.n);
      s.finished(a!.job);
    }
    const [a1, a2, a3, b1, b2, c1] = jobs.map((j) => j.n);
    assert.deepEqual(got, [a1, b1, c1, a2, b2, a3]);
  });

  it('lets one caller hold at most maxBusyPerCaller workers, keeping one for others', () => {
    const s = createScheduler<Job, Worker>({ slots: 3, maxQueued: 100 }); // default cap: slots - 1
    for (let i = 0; i < 5; i++) s.enqueue(job('A'));
    const first = s.assign([fresh('1'), fresh('2'), fresh('3')]);
    assert.equal(first.assignments.length, 2);
    assert.equal(s.busyOf('A'), 2);
    assert.equal(first.starved, 0, 'a capped caller is not starved of workers');
    // A newcomer gets the kept worker at once.
    const b = job('B');
    s.enqueue(b);
    const second = s.assign([fresh('3')]);
    assert.deepEqual(
      second.assignments.map((a) => a.job),
      [b],
    );
  });

  it('gives a job its own bound worker first, never another binding, and reports jobs that find no worker', () => {
    const s = createScheduler<Job, Worker>({ slots: 4, maxQueued: 100 });
    const a = job('A');
    const b = job('B');
    s.enqueue(a);
    s.enqueue(b);
    // One worker bound to A, one bound to some C: B may use neither.
    const { assignments, starved } = s.assign([bound('x', 'm/C'), fresh('f'), bound('y', a.binding!)]);
    const byJob = new Map(assignments.map((x) => [x.job.caller, x.worker.id]));
    assert.equal(byJob.get('A'), 'y', 'A reuses its own warm worker');
    assert.equal(byJob.get('B'), 'f', 'B takes the fresh one, not C’s');
    assert.equal(starved, 0);
    const c = job('D');
    s.enqueue(c);
    const again = s.assign([bound('x', 'm/C')]);
    assert.equal(again.assignments.length, 0);
    assert.equal(again.starved, 1);
    assert.equal(s.queued, 1);
  });

  it('bounds the waiting jobs (QUEUE_FULL) and removes cancelled ones', () => {
    const s = createScheduler<Job, Worker>({ slots: 1, maxQueued: 2 });
    const jobs = [job('A'), job('A'), job('B')];
    for (const j of jobs) s.enqueue(j); // 1 slot free + 2 waiting
    assert.throws(
      () => s.enqueue(job('C')),
      (e: unknown) => (e as { code: string }).code === 'QUEUE_FULL',
    );
    assert.equal(s.remove(jobs[2]!), true);
    assert.equal(s.remove(jobs[2]!), false);
    assert.equal(s.queued, 2);
    assert.deepEqual(
      s.drain().map((j) => j.n),
      [jobs[0]!.n, jobs[1]!.n],
    );
    assert.equal(s.queued, 0);
  });

  it('unassign puts a job whose worker was unusable back at the head of its queue, its caller next', () => {
    const s = createScheduler<Job, Worker>({ slots: 2, maxBusyPerCaller: 2, maxQueued: 100 });
    const a1 = job('A');
    const a2 = job('A');
    const b1 = job('B');
    for (const j of [a1, a2, b1]) s.enqueue(j);
    const first = s.assign([fresh('w1')]);
    assert.deepEqual(
      first.assignments.map((x) => x.job),
      [a1],
    );
    assert.equal(s.busy, 1);
    assert.equal(s.queued, 2);
    s.unassign(a1);
    assert.equal(s.busy, 0);
    assert.equal(s.busyOf('A'), 0);
    assert.equal(s.queued, 3);
    // A again first (a1, not a2), then B: the order is as if the failed assignment never happened.
    const again = s.assign([fresh('w2'), fresh('w3')]);
    assert.deepEqual(
      again.assignments.map((x) => x.job),
      [a1, b1],
    );
    assert.equal(s.queued, 1);
  });
});
