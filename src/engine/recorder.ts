/**
 * Records outputs into preallocated columns. Numeric outputs are grouped by type and
 * read with one get call per group per row into a reused buffer; strings (and Binary,
 * as hex) go to string[] columns. An FMI 3 array variable becomes one column per element,
 * named "A[i]" / "A[i,j]" (1-based, row-major); Int64 / UInt64 columns also keep their exact
 * values (ResultColumn.exact). The row count is checked against maxRows before
 * anything is allocated.
 */
import { GatewayError } from '../errors.ts';
import type { FmiInstance, NumericBuffer, OutputGroup, PreparedNumeric } from '../fmi/instance.ts';
import type { ModelVariable, VariableType } from '../schemas/model-description.ts';
import type { ResultColumn, SimulationOptions } from './types.ts';
import { attachEventRows, attachStats, StatsAccumulator } from './column-stats.ts';
import { allocBuffer, elementNames, findRecordable, isNumericType, requireRecordable, variableSize } from './variables.ts';

/** Rejects bad timing options with BAD_REQUEST saying what to change. */
export function checkTiming(o: Pick<SimulationOptions, 'startTime' | 'stopTime' | 'outputInterval'>): void {
  if (!Number.isFinite(o.startTime) || !Number.isFinite(o.stopTime))
    throw new GatewayError('BAD_REQUEST', 'start_time and stop_time must be finite numbers.');
  if (o.stopTime <= o.startTime)
    throw new GatewayError('BAD_REQUEST', `stop_time (${o.stopTime}) must be greater than start_time (${o.startTime}).`);
  if (!(o.outputInterval > 0) || !Number.isFinite(o.outputInterval))
    throw new GatewayError('BAD_REQUEST', `step (output interval) must be a positive number, got ${o.outputInterval}.`);
}

/** Points on the grid start + i*interval up to stop (1e-9 relative slack), plus stop itself when off the grid. */
export function gridPoints(startTime: number, stopTime: number, interval: number): number {
  const onGrid = Math.floor((stopTime - startTime) / interval + 1e-9) + 1;
  const lastGrid = startTime + (onGrid - 1) * interval;
  return stopTime - lastGrid > 1e-9 * interval ? onGrid + 1 : onGrid;
}

/** The i-th communication / output point: start + i*interval (no accumulated drift), capped at stop. */
export function gridTime(startTime: number, stopTime: number, interval: number, i: number): number {
  const t = startTime + i * interval;
  return t > stopTime || stopTime - t <= 1e-9 * interval ? stopTime : t;
}

export interface RecorderOptions {
  /** Rows to preallocate (normally gridPoints(...)). */
  capacity: number;
  /** Hard limit; exceeding it (up front or while growing) → OUTPUT_LIMIT_EXCEEDED. */
  maxRows?: number;
  /** Allocate an eventRows column (ME). */
  trackEvents?: boolean;
  /** The requested output names, in order (variables or array elements "x[2]"): the columns finish() returns. Default: every column. */
  select?: readonly string[];
  /**
   * Model Exchange: the continuous states' variable names in state-vector order. A group of
   * outputs that are all (scalar) states is then recorded from the state vector the driver
   * passes to record() — the values it has just set into the FMU, which is what a get would
   * return (FMI 2 §3.2.1, FMI 3 §3.2.4) — without a native call per row.
   */
  stateNames?: readonly string[];
}

interface NumericGroup {
  type: VariableType;
  vrs: Uint32Array;
  /** Values behind vrs: FMI 3 array variables contribute every element (row-major). */
  nValues: number;
  /** Per variable of the group: its first value slot. */
  firsts: number[];
  vars: ModelVariable[];
  buf: NumericBuffer;
  /** The binding's prepared native get (fast path), when it offers one. */
  access: PreparedNumeric | undefined;
  /** One per value slot. */
  columns: Float64Array[];
  /** Per value slot, its index in the state vector, when every slot is a scalar continuous state. */
  stateIndex: Int32Array | undefined;
  /** Int64 / UInt64: the exact values per slot, beside the nearest doubles in `columns`. */
  exact: (BigInt64Array | BigUint64Array)[] | undefined;
  /** The running stats' slot of this group's first value (column-stats.ts). */
  slot: number;
}

/**
 * The variables to record: those the given names refer to (a name may pick one element "x[2]" of
 * an array: the whole array is read, RecorderOptions.select keeps that column), else every
 * causality="output" variable.
 */
export function resolveOutputs(instance: FmiInstance, names: readonly string[] | undefined): ModelVariable[] {
  const md = instance.modelDescription;
  const vars = names
    ? [...new Set(names.map((n) => requireRecordable(md, n, 'outputs').variable))]
    : md.variables.filter((v) => v.causality === 'output');
  for (const v of vars) {
    if (v.type === 'Clock') throw new GatewayError('BAD_REQUEST', `Clock variable "${v.name}" cannot be recorded.`);
    if ((v.type === 'String' || v.type === 'Binary') && (v.dimensions?.length ?? 0) > 0)
      throw new GatewayError('BAD_REQUEST', `${v.type} array variable "${v.name}" cannot be recorded (numeric arrays only).`, {
        name: v.name,
      });
  }
  return vars;
}

/** Largest grid the engine records when the caller sets no limit (8 bytes × 50M = 400 MB per column). */
export const ENGINE_MAX_ROWS = 50_000_000;

export class Recorder {
  private rowCount = 0;
  private capacity: number;
  private readonly maxRows: number;
  private readonly groups: NumericGroup[] = [];
  private readonly stringVars: ModelVariable[] = [];
  private readonly stringVrs: Uint32Array;
  private readonly binaryVrs: Uint32Array;
  private readonly binaryVars: ModelVariable[] = [];
  private readonly stringColumns: string[][];
  private readonly binaryColumns: string[][];
  private eventRows: Uint8Array | undefined;
  /** The rows markEvent() marked, ascending, each once (column-stats.ts: no scan of eventRows after the run). */
  private readonly eventList: number[] = [];
  /** min / max / integral / non-finite count per numeric value slot, as the rows arrive (column-stats.ts). */
  private readonly stats: StatsAccumulator;
  private timeCol: Float64Array;
  private readonly select: readonly string[] | undefined;

  constructor(
    private readonly instance: FmiInstance,
    private readonly variables: readonly ModelVariable[],
    options: RecorderOptions,
  ) {
    // Without a caller's limit, still refuse what typed arrays cannot hold (a RangeError otherwise).
    this.maxRows = options.maxRows ?? ENGINE_MAX_ROWS;
    if (options.capacity > this.maxRows) {
      throw new GatewayError(
        'OUTPUT_LIMIT_EXCEEDED',
        `The run would record ${options.capacity} rows, more than the limit of ${this.maxRows}. Increase the output step or shorten the time span.`,
        { rows: options.capacity, maxRows: this.maxRows },
      );
    }
    this.capacity = options.capacity;
    this.select = options.select;
    this.timeCol = new Float64Array(this.capacity);
    const byType = new Map<VariableType, ModelVariable[]>();
    for (const v of variables) {
      if (v.type === 'String') this.stringVars.push(v);
      else if (v.type === 'Binary') this.binaryVars.push(v);
      else if (isNumericType(v.type)) byType.set(v.type, [...(byType.get(v.type) ?? []), v]);
    }
    const md = instance.modelDescription;
    let slots = 0;
    for (const [type, vs] of byType) {
      const vrs = Uint32Array.from(vs, (v) => v.value_reference);
      const firsts: number[] = [];
      let nValues = 0;
      for (const v of vs) {
        firsts.push(nValues);
        nValues += variableSize(md, v);
      }
      const access = instance.prepareGet?.(type, vrs, nValues);
      let stateIndex: Int32Array | undefined;
      if (options.stateNames !== undefined && type === 'Float64' && nValues === vs.length) {
        const names = options.stateNames;
        const idx = Int32Array.from(vs, (v) => names.indexOf(v.name));
        if (idx.every((i) => i >= 0)) stateIndex = idx;
      }
      const buf = access ? access.values : allocBuffer(instance.fmiVersion, type, Math.max(1, nValues));
      const big = buf instanceof BigInt64Array || buf instanceof BigUint64Array;
      this.groups.push({
        type,
        vrs,
        nValues,
        firsts,
        vars: vs,
        access,
        buf,
        columns: Array.from({ length: nValues }, () => new Float64Array(this.capacity)),
        stateIndex,
        slot: slots,
        exact:
          big && (type === 'Int64' || type === 'UInt64')
            ? Array.from({ length: nValues }, () =>
                type === 'UInt64' ? new BigUint64Array(this.capacity) : new BigInt64Array(this.capacity),
              )
            : undefined,
      });
      slots += nValues;
    }
    this.stats = new StatsAccumulator(slots);
    this.stringVrs = Uint32Array.from(this.stringVars, (v) => v.value_reference);
    this.binaryVrs = Uint32Array.from(this.binaryVars, (v) => v.value_reference);
    this.stringColumns = this.stringVars.map(() => []);
    this.binaryColumns = this.binaryVars.map(() => []);
    if (options.trackEvents) this.eventRows = new Uint8Array(this.capacity);
  }

  get rows(): number {
    return this.rowCount;
  }

  /**
   * Reads every output from the instance and appends a row at `time`. `states`: the continuous
   * states the FMU holds now (exactly what was set), for the groups that are states only.
   */
  record(time: number, states?: Float64Array): void {
    const row = this.rowCount;
    if (row >= this.capacity) this.grow();
    this.timeCol[row] = time;
    for (let g = 0; g < this.groups.length; g++) {
      const group = this.groups[g] as NumericGroup;
      const stateIndex = group.stateIndex;
      if (stateIndex !== undefined && states !== undefined) {
        const columns = group.columns;
        for (let j = 0; j < columns.length; j++) {
          const v = states[stateIndex[j] as number] as number;
          (columns[j] as Float64Array)[row] = v;
          this.stats.add(group.slot + j, row, v, this.timeCol);
        }
        continue;
      }
      if (group.access) group.access.run();
      else this.instance.getNumeric(group.type, group.vrs, group.buf, group.nValues);
      const { buf, columns, exact } = group;
      if (exact !== undefined) {
        for (let j = 0; j < columns.length; j++) {
          const b = (buf as BigInt64Array)[j] as bigint;
          (exact[j] as BigInt64Array)[row] = b;
          (columns[j] as Float64Array)[row] = Number(b);
        }
      } else {
        for (let j = 0; j < columns.length; j++) (columns[j] as Float64Array)[row] = Number(buf[j]);
      }
      for (let j = 0; j < columns.length; j++)
        this.stats.add(group.slot + j, row, (columns[j] as Float64Array)[row] as number, this.timeCol);
    }
    if (this.stringVars.length > 0) {
      const values = this.instance.getStrings(this.stringVrs);
      for (let j = 0; j < values.length; j++) this.stringColumns[j]?.push(values[j] ?? '');
    }
    if (this.binaryVars.length > 0) {
      const values = this.instance.getBinary(this.binaryVrs);
      for (let j = 0; j < values.length; j++) this.binaryColumns[j]?.push(Buffer.from(values[j] ?? new Uint8Array(0)).toString('hex'));
    }
    this.rowCount = row + 1;
  }

  /**
   * The numeric outputs as the native chunk loops read them (one get per group, values as doubles
   * in group order; a group of continuous states from the state vector, as record() does), when
   * there are no string / binary outputs and no exact 64-bit integers.
   */
  nativeLayout(): { groups: OutputGroup[]; nValues: number } | undefined {
    if (this.stringVars.length > 0 || this.binaryVars.length > 0) return undefined;
    let nValues = 0;
    for (const g of this.groups) {
      if (g.exact !== undefined || g.columns.length !== g.nValues) return undefined;
      nValues += g.nValues;
    }
    return {
      groups: this.groups.map((g) => ({
        type: g.type,
        vrs: g.vrs,
        nValues: g.nValues,
        ...(g.stateIndex !== undefined ? { stateIndex: g.stateIndex } : {}),
      })),
      nValues,
    };
  }

  /** The last recorded row's time (0 before any row): what a native chunk's first row integrates from. */
  get lastTime(): number {
    return this.rowCount > 0 ? (this.timeCol[this.rowCount - 1] as number) : 0;
  }

  /**
   * A native chunk takes its rows into the running statistics itself (stepper.c put_row): the
   * figures so far move into its block, and record() goes on there for the rows it records.
   */
  useNativeStats(block: Float64Array): void {
    this.stats.adopt(block);
  }

  /**
   * Appends `count` rows a native chunk wrote column-major into `rows` (time, then nativeLayout()'s
   * values, `capacity` slots each), already taken into the statistics (useNativeStats): one
   * memcpy per column, no JavaScript per value.
   */
  appendRows(rows: Float64Array, count: number, capacity: number): void {
    const first = this.rowCount;
    while (first + count > this.capacity) this.grow();
    this.timeCol.set(rows.subarray(0, count), first);
    let at = capacity;
    for (let g = 0; g < this.groups.length; g++) {
      const columns = (this.groups[g] as NumericGroup).columns;
      for (let j = 0; j < columns.length; j++, at += capacity) (columns[j] as Float64Array).set(rows.subarray(at, at + count), first);
    }
    this.rowCount = first + count;
  }

  /** Marks the last recorded row as taken at an event (ME). */
  markEvent(): void {
    if (this.eventRows && this.rowCount > 0 && this.eventRows[this.rowCount - 1] !== 1) {
      this.eventRows[this.rowCount - 1] = 1;
      this.eventList.push(this.rowCount - 1);
    }
  }

  /** Doubles the capacity (ME event rows); amortised, never per step. */
  private grow(): void {
    const next = Math.min(this.maxRows, Math.max(16, this.capacity * 2));
    if (next <= this.capacity) {
      throw new GatewayError(
        'OUTPUT_LIMIT_EXCEEDED',
        `The run recorded more than the limit of ${this.maxRows} rows. Increase the output step or shorten the time span.`,
        { maxRows: this.maxRows },
      );
    }
    const copy = (a: Float64Array): Float64Array => {
      const b = new Float64Array(next);
      b.set(a);
      return b;
    };
    this.timeCol = copy(this.timeCol);
    for (const g of this.groups) {
      g.columns = g.columns.map(copy);
      if (g.exact)
        g.exact = g.exact.map((a) => {
          const b = a instanceof BigUint64Array ? new BigUint64Array(next) : new BigInt64Array(next);
          b.set(a as never);
          return b;
        });
    }
    if (this.eventRows) {
      const e = new Uint8Array(next);
      e.set(this.eventRows);
      this.eventRows = e;
    }
    this.capacity = next;
  }

  /** The recorded rows (views truncated to the rows reached), in the order of the requested outputs. */
  finish(): { rows: number; time: Float64Array; columns: ResultColumn[]; eventRows?: Uint8Array } {
    const n = this.rowCount;
    const md = this.instance.modelDescription;
    const time = this.timeCol.subarray(0, n);
    // Per numeric variable, its element columns (one for a scalar), in row-major order.
    const numeric = new Map<ModelVariable, ResultColumn[]>();
    for (const g of this.groups) {
      g.vars.forEach((v, k) => {
        const names = elementNames(md, v);
        const first = g.firsts[k] as number;
        numeric.set(
          v,
          names.map((name, e) => {
            const values = (g.columns[first + e] as Float64Array).subarray(0, n);
            attachStats(values, this.stats.stats(g.slot + first + e, n, time));
            const col: ResultColumn = { name, type: v.type, values };
            const exact = g.exact?.[first + e];
            if (exact) col.exact = exact.subarray(0, n);
            if (v.unit !== undefined) col.unit = v.unit;
            return col;
          }),
        );
      });
    }
    const columnsOf = (v: ModelVariable): ResultColumn[] => {
      let values: string[];
      if (v.type === 'String') values = this.stringColumns[this.stringVars.indexOf(v)] ?? [];
      else if (v.type === 'Binary') values = this.binaryColumns[this.binaryVars.indexOf(v)] ?? [];
      else return numeric.get(v) ?? [];
      return [v.unit === undefined ? { name: v.name, type: v.type, values } : { name: v.name, type: v.type, unit: v.unit, values }];
    };
    let columns: ResultColumn[];
    if (this.select === undefined) columns = this.variables.flatMap(columnsOf);
    else {
      // In the order asked for; a name picking one array element keeps that column only.
      const seen = new Set<string>();
      columns = this.select.flatMap((name) => {
        const r = findRecordable(md, name);
        if (!r) return [];
        const cols = columnsOf(r.variable).filter((c) => (r.element === undefined || c.name === r.element) && !seen.has(c.name));
        for (const c of cols) seen.add(c.name);
        return cols;
      });
    }
    const out: { rows: number; time: Float64Array; columns: ResultColumn[]; eventRows?: Uint8Array } = {
      rows: n,
      time,
      columns,
    };
    if (this.eventRows) {
      out.eventRows = this.eventRows.subarray(0, n);
      attachEventRows(out.eventRows, this.eventList.slice());
    }
    return out;
  }
}
