/**
 * Ranking of library entries for a free-text query, and "did you mean" suggestions for
 * unknown ids. Pure functions over small arrays (the library has tens of models), so a
 * linear scan per query is the simplest thing that is fast enough.
 */

export interface Searchable {
  name: string;
  description: string;
  tags: readonly string[];
  equations: readonly string[];
  variables: readonly { name: string }[];
}

/** Query words: lower-case, split on whitespace and commas; a leading "msl:" is ignored. */
export function queryTerms(query: string): string[] {
  return query.toLowerCase().replace(/^msl:/, '').split(/[\s,]+/).filter((t) => t.length > 0);
}

/**
 * Score of one query word against one entry; 0 = no match. Name matches rank above tags,
 * tags above description, description above variable names and equations.
 */
function termScore(e: Searchable, term: string): number {
  const name = e.name.toLowerCase();
  if (name === term) return 1000;
  if (name.startsWith(term)) return 500;
  if (name.includes(term)) return 300;
  let best = 0;
  for (const tag of e.tags) {
    const t = tag.toLowerCase();
    if (t === term) best = Math.max(best, 120);
    else if (t.includes(term)) best = Math.max(best, 80);
  }
  if (best > 0) return best;
  if (e.description.toLowerCase().includes(term)) return 40;
  if (e.variables.some((v) => v.name.toLowerCase() === term)) return 20;
  if (e.equations.some((q) => q.toLowerCase().includes(term))) return 10;
  return 0;
}

/**
 * Entries matching every query word, best first (ties by name). An empty query returns all
 * entries by name. Every word must match somewhere (AND), so adding words narrows the result.
 */
export function rankEntries<T extends Searchable>(entries: readonly T[], query: string | undefined): T[] {
  const terms = queryTerms(query ?? '');
  const byName = (a: T, b: T): number => a.name.localeCompare(b.name);
  if (terms.length === 0) return [...entries].sort(byName);
  const scored: { e: T; score: number }[] = [];
  for (const e of entries) {
    let score = 0;
    let all = true;
    for (const term of terms) {
      const s = termScore(e, term);
      if (s === 0) { all = false; break; }
      score += s;
    }
    if (all) scored.push({ e, score });
  }
  return scored.sort((a, b) => b.score - a.score || byName(a.e, b.e)).map((s) => s.e);
}

/** Levenshtein edit distance (case-insensitive), for suggestions only. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase(), t = b.toLowerCase();
  let prev = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const cur = [i];
    for (let j = 1; j <= t.length; j++) {
      cur.push(Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (s[i - 1] === t[j - 1] ? 0 : 1)));
    }
    prev = cur;
  }
  return prev[t.length] as number;
}

/**
 * Names close to `wanted`: same name in another case, substring either way, or within an
 * edit distance of about a third of the name. At most `max`, closest first.
 */
export function closeMatches(wanted: string, names: readonly string[], max = 3): string[] {
  const w = wanted.toLowerCase();
  const candidates: { name: string; d: number }[] = [];
  for (const name of names) {
    const n = name.toLowerCase();
    // Substrings only from 3 letters, else "a" would suggest every model.
    const sub = (w.length >= 3 && n.includes(w)) || (n.length >= 3 && w.includes(n));
    const d = n === w ? 0 : sub ? 1 : editDistance(n, w);
    if (d <= Math.max(2, Math.floor(Math.min(n.length, w.length) / 3))) candidates.push({ name, d });
  }
  return candidates.sort((a, b) => a.d - b.d || a.name.localeCompare(b.name)).slice(0, max).map((c) => c.name);
}
