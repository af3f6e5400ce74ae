/**
 * modelDescription.xml (FMI 2.0 or 3.0) → the version-neutral ModelDescription of
 * src/schemas/model-description.ts. Hostile input is refused before parsing (DOCTYPE/ENTITY),
 * every attribute is read strictly, and the result is validated against the zod schema.
 */
import { GatewayError } from '../errors.ts';
import type { ModelDescription } from '../schemas/model-description.ts';
import { ModelDescriptionSchema } from '../schemas/model-description.ts';
import { parseFmi2 } from './model-description-fmi2.ts';
import { parseFmi3 } from './model-description-fmi3.ts';
import { mdError, parseXmlTree, reqString } from './model-description-xml.ts';

export { fmi2SourceFiles } from './model-description-fmi2.ts';
export { parseXmlTree } from './model-description-xml.ts';
export type { XmlElement } from './model-description-xml.ts';

/** '2.0' for 2.0.x, '3.0' for 3.0.x; anything else (1.0, 3.0-beta, 4.0) is refused. */
function fmiMajor(version: string): '2.0' | '3.0' | undefined {
  if (/^2\.0(\.\d+)?$/.test(version)) return '2.0';
  if (/^3\.0(\.\d+)?$/.test(version)) return '3.0';
  return undefined;
}

export function parseModelDescription(xml: string): ModelDescription {
  const root = parseXmlTree(xml);
  if (root.tag !== 'fmiModelDescription') {
    throw mdError(`the root element is <${root.tag}>, expected <fmiModelDescription>`, { element: root.tag });
  }
  const version = reqString(root, 'fmiVersion').trim();
  const major = fmiMajor(version);
  if (!major) {
    throw mdError(`fmiVersion "${version}" is not supported; this gateway runs FMI 2.0 and FMI 3.0 FMUs`, {
      element: 'fmiModelDescription',
      attribute: 'fmiVersion',
    });
  }
  const md = major === '2.0' ? parseFmi2(root) : parseFmi3(root);
  const checked = ModelDescriptionSchema.safeParse(md);
  if (!checked.success) {
    // Our parsers should never produce an invalid object; if they do, name the field for the bug report.
    const issue = checked.error.issues[0];
    throw new GatewayError(
      'MODEL_DESCRIPTION_INVALID',
      `modelDescription.xml: ${issue?.message ?? 'invalid'} at ${issue?.path.join('.') ?? '?'}`,
      {
        element: 'fmiModelDescription',
        path: issue?.path.map(String) ?? [],
      },
    );
  }
  return checked.data;
}
