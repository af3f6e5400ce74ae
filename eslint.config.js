import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The architecture of STYLE.md and DESIGN.md as lint rules:
 *   cli → mcp | http → service → engine | runner | library | store | payments | remote → fmi
 * Anything may import schemas/ and errors.ts; config.ts only as a type (its values are passed in).
 * Each boundary package stays inside its folder ("the only importer of ...").
 */
const LAYERS = ['fmi', 'engine', 'runner', 'library', 'store', 'payments', 'remote', 'service', 'mcp', 'http', 'cli'];

/** What each folder of src/ may import besides schemas/, errors.ts and the leaf modules. */
const ALLOWED = {
  schemas: [],
  fmi: [],
  engine: ['fmi'],
  // The worker process is where the engine runs: runner/simulate-job.ts calls engine/run.ts, and the
  // job and result types of the pool protocol are the engine's. The worker writes its rows in the
  // run store's columnar format and the pool reads them (store/result-file-writer.ts, -reader.ts).
  runner: ['engine', 'fmi', 'store'],
  library: ['fmi'],
  store: ['fmi'],
  payments: ['fmi'],
  remote: [],
  service: ['engine', 'runner', 'library', 'store', 'payments', 'remote', 'fmi'],
  mcp: ['service'],
  // http hosts the MCP Streamable HTTP endpoint, so it builds the MCP server (mcp/server.ts).
  http: ['mcp', 'service'],
};

/**
 * service/ receives the runner, catalog, stores, payments and remote client as arguments: it may
 * import their types, not their implementations. newRunId is a pure function (the run-id format
 * belongs to the store that validates it), not a collaborator.
 */
const TYPE_ONLY = { service: { layers: ['runner', 'library', 'store', 'payments', 'remote'], allowImportNames: ['newRunId'] } };

/**
 * store/ persists the engine's result as CSV: it may name SimulationResult's type, nothing more.
 */
const TYPE_ONLY_EXTRA = { store: ['engine'] };

/** Third-party packages that only one folder may import. */
const PACKAGE_OWNERS = {
  koffi: 'fmi',
  keyv: 'store',
  '@keyv/sqlite': 'store',
  '@keyv/postgres': 'store',
  '@keyv/redis': 'store',
  pg: 'store',
  // Arrow IPC export of stored results (src/store/result-arrow.ts).
  'apache-arrow': 'store',
  stripe: 'payments',
  undici: 'remote',
};

/** The MCP SDK is a transport concern: the engine and the use cases know nothing of JSON-RPC. */
const MCP_SDK_USERS = ['mcp', 'http'];

const up = (layer) => `^(\\.\\./)+${layer}/`;

function packagePaths(folder) {
  return Object.entries(PACKAGE_OWNERS)
    .filter(([, owner]) => owner !== folder)
    .map(([name, owner]) => ({ name, message: `Only src/${owner}/ may import ${name} (DESIGN.md).` }));
}

function restrictions(folder) {
  const allowed = new Set([folder, ...(ALLOWED[folder] ?? LAYERS)]);
  const typeOnly = TYPE_ONLY[folder];
  const patterns = [];
  for (const layer of LAYERS) {
    if (typeOnly?.layers.includes(layer)) {
      patterns.push({
        regex: up(layer),
        allowTypeImports: true,
        allowImportNames: typeOnly.allowImportNames,
        message: `src/${folder}/ receives ${layer} collaborators as arguments: import their types only (STYLE.md).`,
      });
    } else if (TYPE_ONLY_EXTRA[folder]?.includes(layer)) {
      patterns.push({ regex: up(layer), allowTypeImports: true, message: `src/${folder}/ may import only types from src/${layer}/.` });
    } else if (!allowed.has(layer)) {
      patterns.push({ regex: up(layer), message: `src/${folder}/ may not import src/${layer}/ (STYLE.md: imports point downward).` });
    }
  }
  if (folder !== 'cli') {
    patterns.push({
      regex: '^(\\.\\./)+config\\.ts$',
      allowTypeImports: true,
      message: 'Config values are passed in: import only the Config type (STYLE.md).',
    });
  }
  if (!MCP_SDK_USERS.includes(folder) && folder !== 'cli') {
    patterns.push({
      regex: '^@modelcontextprotocol/',
      message: 'Only src/mcp/ and src/http/ speak MCP (STYLE.md: the engine and service know nothing of JSON-RPC).',
    });
  }
  return ['error', { paths: packagePaths(folder), patterns }];
}

export default tseslint.config(
  { ignores: ['node_modules/', 'build/', 'dist/', '.cache/', 'test/fixtures/**/*.c'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  ...['schemas', ...LAYERS].map((folder) => ({
    files: [`src/${folder}/**/*.ts`],
    rules: { '@typescript-eslint/no-restricted-imports': restrictions(folder) },
  })),
  {
    // Top-level modules: errors.ts is a leaf; config.ts, version.ts and project-root.ts import no
    // layer; cli.ts and index.ts are the composition roots (the CLI and the TypeScript API) and may
    // import anything.
    files: ['src/errors.ts', 'src/config.ts', 'src/version.ts', 'src/project-root.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: packagePaths(undefined),
          patterns: [{ regex: '^\\./(?!project-root\\.ts$)', message: 'A top-level leaf module imports no other module of src/.' }],
        },
      ],
    },
  },
  {
    files: ['src/cli.ts', 'src/index.ts'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { paths: packagePaths(undefined) }] },
  },
  {
    // stdout belongs to the MCP stdio transport; logs go to stderr (console.error / a Logger).
    files: ['src/**/*.ts'],
    rules: { 'no-console': ['error', { allow: ['error', 'warn'] }] },
  },
  {
    // config.ts is the one place that reads the environment (STYLE.md).
    files: ['src/**/*.ts'],
    ignores: ['src/config.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read the environment in src/config.ts and pass the value in.' },
      ],
    },
  },
  {
    // An `any` needs an inline disable that says why (`-- reason`); a stale disable is an error.
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
);
