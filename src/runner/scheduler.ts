/**
 * The pool's scheduler: which waiting job runs next, and on which idle worker. Pure bookkeeping
 * (no processes, no timers), so its fairness is tested alone (test/unit/runner/scheduler.test.ts).
 *
 *  - One FIFO queue per caller; callers take turns (round robin, one job per turn), so a caller
 *    flooding the pool delays another caller by at most one job per worker, never by its backlog.
 *  - A caller holds at most `maxBusyPerCaller` workers at once (default: all but one), so one
 *    caller cannot occupy every worker and a newcomer is served as soon as a job ends.
 *  - A job runs on an idle worker bound to its binding (same FMU, same caller: the reuse rule),
 *    else on a fresh worker; a job that could run but finds neither is counted in `starved`,
 *    for the worker supply to start (or free room for) a fresh one.
 */
import { GatewayError } from '../errors.ts';

export interface SchedulerJob {
  /** Whose job it is: the unit of fairness (an API key; every diagnostic its own). */
  readonly caller: string;
  /** Which bound worker may take it (FMU + caller); undefined: only a fresh worker may. */
  readonly binding: string | undefined;
}

export interface IdleWorker {
  /** The binding of a worker that already ran a job; undefined for a fresh one. */
  readonly binding: string | undefined;
}

export interface Assignment<J, W> {
  job: J;
  worker: W;
}

export interface SchedulerOptions {
  /** Workers that may run jobs at once (the pool size). */
  slots: number;
  /** Workers one caller may hold at once (default max(1, slots - 1)). */
  maxBusyPerCaller?: number;
  /** Jobs waiting in total beyond those that find a slot; more → QUEUE_FULL (default 64). */
  maxQueued?: number;
}

export interface Scheduler<J extends SchedulerJob, W extends IdleWorker> {
  /** Queues a job (QUEUE_FULL past the bound). */
  enqueue(job: J): void;
  /** Takes a waiting job out (cancelled); false when it is not waiting. */
  remove(job: J): boolean;
  /**
   * Matches waiting jobs with idle workers, in fair order, and marks them running.
   * `starved`: jobs that could start now (a slot free, their caller under its cap) but found no
   * worker that may take them.
   */
  assign(idle: readonly W[]): { assignments: Assignment<J, W>[]; starved: number };
  /** A running job ended: its caller's slot is free again. */
  finished(job: J): void;
  /**
   * An assigned job did not start after all (its worker turned out unusable): it waits again at
   * the head of its caller's queue, and that caller has the next turn.
   */
  unassign(job: J): void;
  /** Every waiting job, taken out (pool closing or failing). */
  drain(): J[];
  readonly queued: number;
  readonly busy: number;
  /** Running jobs of one caller. */
  busyOf(caller: string): number;
}

export function createScheduler<J extends SchedulerJob, W extends IdleWorker>(options: SchedulerOptions): Scheduler<J, W> {
  const slots = Math.max(1, options.slots);
  const maxBusyPerCaller = Math.max(1, options.maxBusyPerCaller ?? slots - 1);
  const maxQueued = options.maxQueued ?? 64;
  /** Waiting jobs per caller; a caller is in `turns` exactly while its queue is not empty. */
  const queues = new Map<string, J[]>();
  /** Callers in the order they get their next turn. */
  const turns: string[] = [];
  const busyPer = new Map<string, number>();
  let queued = 0;
  let busy = 0;

  function enqueue(job: J): void {
    // Jobs that will find a free slot at once do not count against the waiting bound.
    if (queued >= maxQueued + Math.max(0, slots - busy)) {
      throw new GatewayError('QUEUE_FULL', `${queued} simulations are already waiting (limit ${maxQueued}); retry later.`, {
        queue_length: maxQueued,
      });
    }
    let q = queues.get(job.caller);
    if (q === undefined) {
      q = [];
      queues.set(job.caller, q);
      turns.push(job.caller);
    }
    q.push(job);
    queued++;
  }

  function dropCaller(caller: string): void {
    queues.delete(caller);
    const i = turns.indexOf(caller);
    if (i >= 0) turns.splice(i, 1);
  }

  function remove(job: J): boolean {
    const q = queues.get(job.caller);
    const i = q === undefined ? -1 : q.indexOf(job);
    if (q === undefined || i < 0) return false;
    q.splice(i, 1);
    queued--;
    if (q.length === 0) dropCaller(job.caller);
    return true;
  }

  function assign(idle: readonly W[]): { assignments: Assignment<J, W>[]; starved: number } {
    const free = [...idle];
    const assignments: Assignment<J, W>[] = [];
    /** Callers whose head job cannot start in this pass (cap reached or no worker fits). */
    const blocked = new Set<string>();
    let starved = 0;
    while (busy < slots && blocked.size < turns.length) {
      // The first caller in turn order that may start a job now.
      const caller = turns.find((c) => !blocked.has(c));
      if (caller === undefined) break;
      const q = queues.get(caller) as J[];
      const job = q[0] as J;
      if ((busyPer.get(caller) ?? 0) >= maxBusyPerCaller) {
        blocked.add(caller);
        continue;
      }
      // Its own warm worker first (no start-up, library already loaded), else a fresh one.
      let at = job.binding === undefined ? -1 : free.findIndex((w) => w.binding === job.binding);
      if (at < 0) at = free.findIndex((w) => w.binding === undefined);
      if (at < 0) {
        starved++;
        blocked.add(caller);
        continue;
      }
      const [worker] = free.splice(at, 1) as [W];
      q.shift();
      queued--;
      busy++;
      busyPer.set(caller, (busyPer.get(caller) ?? 0) + 1);
      assignments.push({ job, worker });
      // The caller's turn is used: to the back of the line (or out, with nothing left waiting).
      turns.splice(turns.indexOf(caller), 1);
      if (q.length === 0) queues.delete(caller);
      else turns.push(caller);
    }
    return { assignments, starved };
  }

  function finished(job: J): void {
    const n = (busyPer.get(job.caller) ?? 0) - 1;
    if (n > 0) busyPer.set(job.caller, n);
    else busyPer.delete(job.caller);
    busy = Math.max(0, busy - 1);
  }

  function unassign(job: J): void {
    finished(job);
    const q = queues.get(job.caller);
    if (q === undefined) queues.set(job.caller, [job]);
    else {
      q.unshift(job);
      turns.splice(turns.indexOf(job.caller), 1);
    }
    turns.unshift(job.caller);
    queued++;
  }

  function drain(): J[] {
    const out: J[] = [];
    for (const c of turns) out.push(...(queues.get(c) ?? []));
    queues.clear();
    turns.length = 0;
    queued = 0;
    return out;
  }

  return {
    enqueue,
    remove,
    assign,
    finished,
    unassign,
    drain,
    get queued() {
      return queued;
    },
    get busy() {
      return busy;
    },
    busyOf: (caller) => busyPer.get(caller) ?? 0,
  };
}
