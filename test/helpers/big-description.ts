/**
 * FMUs whose modelDescription.xml is huge (n variables), for the "big metadata does not stall the
 * server" tests and benchmark. Only the description: no binary is needed to upload or inspect.
 * Cached under build/fixtures/ by n, written atomically (parallel test files share them).
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { craftZip } from './zip-craft.ts';
import { ROOT } from './fixtures.ts';

/** FMI 2 modelDescription.xml text with n continuous local variables (and n/10 parameters). */
export function bigDescriptionXml(n: number): string {
  const parts = [
    '<?xml version="1.0" encoding="UTF-8"?>\n',
    `<fmiModelDescription fmiVersion="2.0" modelName="Big${n}" guid="{big-${n}}" numberOfEventIndicators="0">\n`,
    '<CoSimulation modelIdentifier="Big"/>\n<ModelVariables>\n',
  ];
  for (let i = 0; i < n; i++) {
    const param = i % 10 === 0;
    parts.push(
      param
        ? `<ScalarVariable name="p${i}" valueReference="${i}" causality="parameter" variability="fixed"><Real start="1"/></ScalarVariable>\n`
        : `<ScalarVariable name="x${i}" valueReference="${i}" causality="local" variability="continuous"><Real/></ScalarVariable>\n`,
    );
  }
  parts.push('</ModelVariables>\n<ModelStructure/>\n</fmiModelDescription>\n');
  return parts.join('');
}

export function bigDescriptionFmu(n: number): string {
  const dir = join(ROOT, 'build', 'fixtures', 'big-description');
  const out = join(dir, `big-${n}-v1.fmu`);
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, craftZip([{ name: 'modelDescription.xml', data: Buffer.from(bigDescriptionXml(n)) }]));
  renameSync(tmp, out);
  return out;
}
