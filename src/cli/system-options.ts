/**
 * The `simulate` options that apply to .ssp systems, apart from the code that runs systems: the
 * option table is needed to parse any command line, the system code only when a .ssp is given.
 */
export const SYSTEM_OPTIONS = {
  master: { type: 'string' },
  'communication-step': { type: 'string' },
} as const;

export const SYSTEM_OPTIONS_USAGE = `  --master gauss-seidel|jacobi   .ssp systems: Co-Simulation master (default gauss-seidel)
  --communication-step H         .ssp systems: CS macro step, s (default: the output interval)
`;

export function isSystemArgument(arg: string | undefined): arg is string {
  return arg !== undefined && /\.ssp$/i.test(arg);
}
