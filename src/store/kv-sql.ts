/**
 * What the two SQL backends share: the counter table and the triggers that keep it (generated
 * from COUNTER_RULES, so every write path — keyv's upsert, deleteMany, a hand-run DELETE — keeps
 * the totals right, inside the same statement's transaction), and the indexed range queries.
 * Only the dialect differs (placeholders, JSON access, string functions, collation).
 */
import { COUNTER_RULES, KEY_PREFIX, USAGE_STAMP_WIDTH, prefixEnd, type CounterRule, type RangeOptions, type RawValue } from './kv.ts';

export const TABLE = 'fmu_gateway';
export const COUNTERS = 'fmu_gateway_counters';
/** A counter row whose presence says the counters were built (backfilled) for existing rows. */
const VERSION_KEY = `${KEY_PREFIX}count:__version`;

export type Dialect = 'sqlite' | 'postgres';
export type Query = (sql: string, params: unknown[]) => Promise<{ key: string; value: RawValue; n?: number | string }[]>;

const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** SQL expressions over a row alias (`new`, `old`, or a table) for one dialect. */
function exprs(d: Dialect) {
  const k = (row: string) => (d === 'postgres' ? `${row}.key COLLATE "C"` : `${row}.key`);
  return {
    /** True when the row belongs to the rule's family (and has a caller segment). */
    inFamily(rule: CounterRule, row: string): string {
      const head = KEY_PREFIX + rule.family;
      const rest = `substr(${row}.key, ${head.length + 1})`;
      const hasColon = d === 'postgres' ? `position(':' in ${rest}) > 0` : `instr(${rest}, ':') > 0`;
      return `(${k(row)} >= ${lit(head)} AND ${k(row)} < ${lit(prefixEnd(head))} AND ${hasColon})`;
    },
    counterKey(rule: CounterRule, row: string): string {
      const head = KEY_PREFIX + rule.family;
      const rest = `substr(${row}.key, ${head.length + 1})`;
      const caller = d === 'postgres' ? `split_part(${rest}, ':', 1)` : `substr(${rest}, 1, instr(${rest}, ':') - 1)`;
      return `${lit(`${KEY_PREFIX}count:${rule.counter}:`)} || ${caller}`;
    },
    amount(rule: CounterRule, row: string): string {
      if (rule.field === undefined) return '1';
      return d === 'postgres'
        ? `coalesce(round((${row}.value::jsonb -> 'value' ->> ${lit(rule.field)})::numeric), 0)::bigint`
        : `coalesce(CAST(round(json_extract(${row}.value, ${lit(`$.value.${rule.field}`)})) AS INTEGER), 0)`;
    },
  };
}

function bump(d: Dialect, keyExpr: string, amountExpr: string, where: string, from = ''): string {
  const n = d === 'postgres' ? `${COUNTERS}.n` : 'n';
  return `INSERT INTO ${COUNTERS} (key, n) SELECT ${keyExpr}, ${amountExpr}${from} WHERE ${where} ON CONFLICT (key) DO UPDATE SET n = ${n} + excluded.n`;
}

/** Statements of the trigger bodies: what to do for each rule on insert / update / delete. */
function triggerStatements(d: Dialect) {
  const e = exprs(d);
  const row = (r: string) => (d === 'postgres' ? r.toUpperCase() : r);
  const ins = COUNTER_RULES.map((r) => bump(d, e.counterKey(r, row('new')), e.amount(r, row('new')), e.inFamily(r, row('new'))));
  const upd = COUNTER_RULES.filter((r) => r.mode === 'balance' && r.field !== undefined).map((r) =>
    bump(d, e.counterKey(r, row('new')), `${e.amount(r, row('new'))} - ${e.amount(r, row('old'))}`, e.inFamily(r, row('new'))),
  );
  const del = COUNTER_RULES.filter((r) => r.mode === 'balance').map((r) =>
    bump(d, e.counterKey(r, row('old')), `-(${e.amount(r, row('old'))})`, e.inFamily(r, row('old'))),
  );
  return { ins, upd, del };
}

/** Backfill of every counter from the rows already there (a store written before counters). */
function backfillStatements(d: Dialect): string[] {
  const e = exprs(d);
  return COUNTER_RULES.map(
    (r) =>
      `INSERT INTO ${COUNTERS} (key, n) SELECT ${e.counterKey(r, 't')}, sum(${e.amount(r, 't')}) FROM ${TABLE} t WHERE ${e.inFamily(r, 't')} GROUP BY 1 ` +
      `ON CONFLICT (key) DO UPDATE SET n = ${d === 'postgres' ? `${COUNTERS}.n` : 'n'} + excluded.n`,
  );
}

/**
 * Creates the counter table and triggers (idempotent) and backfills once. The caller runs these
 * statements in order, as one transaction where its driver allows (PostgreSQL: under an advisory
 * lock, so two gateways starting together do not both backfill).
 */
export function schemaStatements(d: Dialect): { setup: string[]; needsBackfill: string; backfill: string[] } {
  const t = triggerStatements(d);
  const setup: string[] = [`CREATE TABLE IF NOT EXISTS ${COUNTERS} (key VARCHAR(255) PRIMARY KEY, n BIGINT NOT NULL DEFAULT 0)`];
  if (d === 'sqlite') {
    const trig = (name: string, when: string, body: string[]) =>
      body.length === 0
        ? []
        : [`CREATE TRIGGER IF NOT EXISTS ${name} AFTER ${when} ON ${TABLE} BEGIN ${body.map((s) => `${s};`).join(' ')} END`];
    setup.push(
      ...trig(`${TABLE}_count_ins`, 'INSERT', t.ins),
      ...trig(`${TABLE}_count_upd`, 'UPDATE', t.upd),
      ...trig(`${TABLE}_count_del`, 'DELETE', t.del),
    );
  } else {
    const block = (stmts: string[]) => stmts.map((s) => `${s};`).join('\n    ');
    setup.push(
      `CREATE INDEX IF NOT EXISTS ${TABLE}_key_c ON ${TABLE} (key COLLATE "C")`,
      `CREATE OR REPLACE FUNCTION ${TABLE}_count() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    ${block(t.ins)}
  ELSIF TG_OP = 'UPDATE' THEN
    ${block(t.upd)}
  ELSIF TG_OP = 'DELETE' THEN
    ${block(t.del)}
  END IF;
  RETURN NULL;
END
$fn$`,
      `DROP TRIGGER IF EXISTS ${TABLE}_count ON ${TABLE}`,
      `CREATE TRIGGER ${TABLE}_count AFTER INSERT OR UPDATE OR DELETE ON ${TABLE} FOR EACH ROW EXECUTE FUNCTION ${TABLE}_count()`,
    );
  }
  return {
    setup,
    needsBackfill: `SELECT key FROM ${COUNTERS} WHERE key = ${lit(VERSION_KEY)}`,
    backfill: [...backfillStatements(d), `INSERT INTO ${COUNTERS} (key, n) VALUES (${lit(VERSION_KEY)}, 1)`],
  };
}

/** Numbered ($1) or positional (?) placeholders. */
const ph = (d: Dialect) => (i: number) => (d === 'postgres' ? `$${i}` : '?');

export function sqlRange(d: Dialect, query: Query) {
  const p = ph(d);
  const key = d === 'postgres' ? 'key COLLATE "C"' : 'key';
  return {
    async scan(fullPrefix: string): Promise<[string, RawValue][]> {
      const rows = await query(`SELECT key, value FROM ${TABLE} WHERE ${key} >= ${p(1)} AND ${key} < ${p(2)}`, [
        fullPrefix,
        prefixEnd(fullPrefix),
      ]);
      return rows.map((r) => [r.key, r.value]);
    },
    async range(fullPrefix: string, o: RangeOptions): Promise<[string, RawValue][]> {
      const lo = o.from !== undefined && o.from > fullPrefix ? o.from : fullPrefix;
      const params: unknown[] = [lo, prefixEnd(fullPrefix)];
      let where = `${key} >= ${p(1)} AND ${key} < ${p(2)}`;
      if (o.after !== undefined) {
        params.push(o.after);
        where += ` AND ${key} ${o.reverse === true ? '<' : '>'} ${p(3)}`;
      }
      params.push(o.limit);
      const rows = await query(
        `SELECT key, value FROM ${TABLE} WHERE ${where} ORDER BY ${key} ${o.reverse === true ? 'DESC' : 'ASC'} LIMIT ${p(params.length)}`,
        params,
      );
      return rows.map((r) => [r.key, r.value]);
    },
    async counter(fullCounterKey: string): Promise<number> {
      const rows = await query(`SELECT key, n FROM ${COUNTERS} WHERE key = ${p(1)}`, [fullCounterKey]);
      return Number(rows[0]?.n ?? 0);
    },
    async usageBefore(cutoffMs: number, limit: number): Promise<string[]> {
      const head = `${KEY_PREFIX}usage:`;
      // The stamp is the last segment's first 15 characters (usage.ts); compared as fixed-width text.
      const rows = await query(
        `SELECT key FROM ${TABLE} WHERE ${key} >= ${p(1)} AND ${key} < ${p(2)} AND substr(key, length(key) - 23, ${USAGE_STAMP_WIDTH}) < ${p(3)} LIMIT ${p(4)}`,
        [head, prefixEnd(head), String(Math.max(0, Math.floor(cutoffMs))).padStart(USAGE_STAMP_WIDTH, '0'), limit],
      );
      return rows.map((r) => r.key);
    },
  };
}
