/** `fmu-gateway library [query]`: the built-in models as a table (or JSON with --json). */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { GatewayError } from '../errors.ts';
import { libraryAvailability } from '../library/availability.ts';
import { createCatalog } from '../library/catalog.ts';
import { listLibrary } from '../service/list-library.ts';
import { createLocalContext } from './local-context.ts';
import { renderTable } from './output.ts';

const USAGE = `Usage: fmu-gateway library [query] [options]
  query                  words matched against names, descriptions, tags and variable names
  --limit N              at most N models (1-200, default 200)
  --json                 print the models as JSON
  -h, --help             this text
`;

export async function runLibraryCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, limit: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  const limit = values.limit === undefined ? 200 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 200) {
    throw new GatewayError('BAD_REQUEST', `--limit expects a whole number from 1 to 200, got "${values.limit}"`);
  }
  // The worker pool is created lazily, so listing starts no worker process.
  const ctx = await createLocalContext(loadConfig(), { catalog: createCatalog() });
  const query = positionals.join(' ').trim();
  const result = listLibrary(ctx.ctx, {
    ...(query !== '' ? { query } : {}),
    limit,
  });
  if (values.json === true) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  }
  if (result.models.length === 0) {
    process.stdout.write(`No library model matches "${query}".\n`);
    return 0;
  }
  const rows = result.models.map((m) => [
    m.id,
    m.interfaces.join('+'),
    m.fmi_versions.join(','),
    m.tags.slice(0, 3).join(','),
    m.description.length > 70 ? `${m.description.slice(0, 67)}...` : m.description,
  ]);
  process.stdout.write(renderTable(['id', 'interfaces', 'FMI', 'tags', 'description'], rows));
  process.stdout.write(`\n${result.total} model(s). Next: fmu-gateway info <id>, fmu-gateway simulate <id>\n`);
  // Listed from the catalog, but runnable only with binaries for this machine: say what is missing.
  const availability = libraryAvailability();
  if (!availability.ready) process.stderr.write(`note: the built-in models cannot run here yet: ${availability.detail}\n`);
  return 0;
}
