/**
 * The connection graph of a system, at the level of variables: a connection is an edge from
 * an output to an input; inside a component, an input is an edge to every output that depends
 * on it directly (model structure `dependencies`; an output without the attribute depends on
 * every input, as FMI says). A cycle of such edges is an algebraic loop: REFUSED with
 * ALGEBRAIC_LOOP naming the cycle (we do not iterate: a fixed-point iteration may converge to
 * a wrong solution or not at all, silently, and neither FMI 2 nor our fixtures give the
 * derivatives a Newton solve would need). Without loops the graph gives:
 *  - the evaluation order of the connections (topological), used at every point;
 *  - the Gauss–Seidel order of the components: strongly connected components of the
 *    component graph in topological order, declaration order inside each.
 */
import { GatewayError } from '../errors.ts';
import type { ModelDescription } from '../schemas/model-description.ts';

export interface GraphComponent {
  name: string;
  modelDescription: ModelDescription;
}

export interface GraphConnection {
  from: { c: number; name: string };
  to: { c: number; name: string };
}

/** The inputs of component md that `output` depends on directly. */
export function feedthroughInputs(md: ModelDescription, output: string): string[] {
  const inputs = md.variables.filter((v) => v.causality === 'input').map((v) => v.name);
  const deps = md.model_structure.output_dependencies?.[output];
  if (deps === undefined) return inputs;
  const set = new Set(deps);
  return inputs.filter((i) => set.has(i));
}

/**
 * Orders the connections so that each comes after those feeding the inputs its source output
 * depends on; throws ALGEBRAIC_LOOP with the cycle when there is none.
 */
export function orderConnections<C extends GraphConnection>(components: readonly GraphComponent[], connections: readonly C[]): C[] {
  const byInput = new Map<string, number>(); // "c:input" -> connection index feeding it
  connections.forEach((k, i) => byInput.set(`${k.to.c}:${k.to.name}`, i));
  // Edges between connections: i -> j when connection j's source output depends on the input connection i feeds.
  const preds: number[][] = connections.map((k) => {
    const md = (components[k.from.c] as GraphComponent).modelDescription;
    return feedthroughInputs(md, k.from.name)
      .map((input) => byInput.get(`${k.from.c}:${input}`))
      .filter((i): i is number => i !== undefined);
  });
  const state = new Uint8Array(connections.length); // 0 new, 1 on stack, 2 done
  const out: C[] = [];
  const stack: number[] = [];
  const visit = (i: number): void => {
    if (state[i] === 2) return;
    if (state[i] === 1) {
      const cycle = stack.slice(stack.indexOf(i));
      const names = (j: number): string[] => {
        const k = connections[j] as C;
        const cn = (c: number): string => (components[c] as GraphComponent).name;
        return [`${cn(k.from.c)}.${k.from.name}`, `${cn(k.to.c)}.${k.to.name}`];
      };
      const path = cycle.flatMap(names);
      path.push(path[0] as string);
      throw new GatewayError(
        'ALGEBRAIC_LOOP',
        `The connections form an algebraic loop (outputs that depend directly on their own inputs around a cycle): ${path.join(' → ')}. ` +
          'Break it with a component whose output depends on states only (e.g. a first-order lag or a delay), or connect differently.',
        { cycle: path },
      );
    }
    state[i] = 1;
    stack.push(i);
    for (const p of preds[i] as number[]) visit(p);
    stack.pop();
    state[i] = 2;
    out.push(connections[i] as C);
  };
  for (let i = 0; i < connections.length; i++) visit(i);
  return out;
}

/** Gauss–Seidel order: Tarjan's strongly connected components of the component graph, sources first. */
export function gaussSeidelOrder(count: number, connections: readonly GraphConnection[]): number[] {
  const succ: number[][] = Array.from({ length: count }, () => []);
  for (const k of connections) if (k.from.c !== k.to.c) (succ[k.from.c] as number[]).push(k.to.c);
  const index = new Int32Array(count).fill(-1);
  const low = new Int32Array(count);
  const onStack = new Uint8Array(count);
  const stack: number[] = [];
  const sccs: number[][] = [];
  let next = 0;
  const strong = (v: number): void => {
    index[v] = low[v] = next++;
    stack.push(v);
    onStack[v] = 1;
    for (const w of succ[v] as number[]) {
      if (index[w] === -1) {
        strong(w);
        low[v] = Math.min(low[v] as number, low[w] as number);
      } else if (onStack[w] === 1) low[v] = Math.min(low[v] as number, index[w] as number);
    }
    if (low[v] === index[v]) {
      const scc: number[] = [];
      let w: number;
      do {
        w = stack.pop() as number;
        onStack[w] = 0;
        scc.push(w);
      } while (w !== v);
      sccs.push(scc.sort((a, b) => a - b));
    }
  };
  for (let v = 0; v < count; v++) if (index[v] === -1) strong(v);
  // Tarjan emits sinks first: reverse for sources first.
  return sccs.reverse().flat();
}
