/** `fmu-gateway library [query]`: the built-in models as a table (or JSON with --json). */
import { parseArgs } from 'node:util';
import { loadConfig } from '../config.ts';
import { createCatalog } from '../library/catalog.ts';
import { listLibrary } from '../service/list-library.ts';
import { createLocalContext } from './local-context.ts';
import { renderTable } from './output.ts';

export async function runLibraryCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, limit: { type: 'string' } },
  });
  // The worker pool is created lazily, so listing starts no worker process.
  const ctx = createLocalContext(loadConfig(), { catalog: createCatalog() });
  const query = positionals.join(' ').trim();
  const result = listLibrary(ctx.ctx, {
    ...(query !== '' ? { query } : {}),
    limit: values.limit !== undefined ? Number(values.limit) : 200,
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
  return 0;
}
