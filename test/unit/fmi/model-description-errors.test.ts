import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isGatewayError } from '../../../src/errors.ts';
import { parseModelDescription } from '../../../src/fmi/model-description.ts';

function fmi2(
  body: string,
  rootAttrs = 'fmiVersion="2.0" modelName="M" guid="{g}"',
  iface = '<CoSimulation modelIdentifier="M"/>',
): string {
  return `<?xml version="1.0"?><fmiModelDescription ${rootAttrs}>${iface}<ModelVariables>${body}</ModelVariables></fmiModelDescription>`;
}

function fmi3(body: string, structure = '', rootAttrs = 'fmiVersion="3.0" modelName="M" instantiationToken="{t}"'): string {
  return `<fmiModelDescription ${rootAttrs}><CoSimulation modelIdentifier="M"/><ModelVariables>${body}</ModelVariables><ModelStructure>${structure}</ModelStructure></fmiModelDescription>`;
}

/** Asserts MODEL_DESCRIPTION_INVALID and, when given, the element/attribute named in data. */
function rejects(xml: string, element?: string, attribute?: string): void {
  assert.throws(
    () => parseModelDescription(xml),
    (e: unknown) => {
      assert.ok(isGatewayError(e), `expected GatewayError, got ${String(e)}`);
      assert.equal(e.code, 'MODEL_DESCRIPTION_INVALID', e.message);
      if (element !== undefined) assert.equal(e.data?.element, element, e.message);
      if (attribute !== undefined) assert.equal(e.data?.attribute, attribute, e.message);
      return true;
    },
  );
}

describe('parseModelDescription refuses hostile and invalid input', () => {
  test('refuses a DOCTYPE with nested entities (billion laughs) without expanding it', () => {
    const lol = [
      '<?xml version="1.0"?>',
      '<!DOCTYPE lolz [',
      '<!ENTITY lol "lol">',
      ...Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`),
      ']>',
      '<fmiModelDescription fmiVersion="2.0" modelName="&lol9;" guid="g"><CoSimulation modelIdentifier="M"/></fmiModelDescription>',
    ].join('\n');
    const t0 = performance.now();
    rejects(lol, '!DOCTYPE');
    assert.ok(performance.now() - t0 < 200, 'refusal must be immediate');
  });

  test('refuses an external entity declaration', () => {
    rejects(
      '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><fmiModelDescription modelName="&x;"/>',
      '!DOCTYPE',
    );
  });

  test('refuses malformed XML with its position', () => {
    rejects('<fmiModelDescription fmiVersion="2.0"><ModelVariables></fmiModelDescription>', 'xml');
    rejects('', 'xml');
    rejects('not xml at all', 'xml');
  });

  test('refuses a document whose root is not fmiModelDescription', () => {
    rejects('<modelDescription fmiVersion="2.0"/>', 'modelDescription');
  });

  test('refuses missing fmiVersion, modelName, guid and instantiationToken', () => {
    rejects(fmi2('', 'modelName="M" guid="g"'), 'fmiModelDescription', 'fmiVersion');
    rejects(fmi2('', 'fmiVersion="2.0" guid="g"'), 'fmiModelDescription', 'modelName');
    rejects(fmi2('', 'fmiVersion="2.0" modelName="M"'), 'fmiModelDescription', 'guid');
    rejects(fmi3('', '', 'fmiVersion="3.0" modelName="M"'), 'fmiModelDescription', 'instantiationToken');
  });

  test('refuses unknown FMI versions', () => {
    for (const version of ['1.0', '4.0', '3.0-beta.2', 'two']) {
      rejects(fmi2('', `fmiVersion="${version}" modelName="M" guid="g"`), 'fmiModelDescription', 'fmiVersion');
    }
  });

  test('refuses an FMU with neither ModelExchange nor CoSimulation', () => {
    rejects(fmi2('', undefined, ''), 'fmiModelDescription');
  });

  test('refuses duplicate variable names', () => {
    rejects(
      fmi2(
        '<ScalarVariable name="x" valueReference="1"><Real/></ScalarVariable><ScalarVariable name="x" valueReference="2"><Real/></ScalarVariable>',
      ),
      'ScalarVariable',
      'name',
    );
    rejects(fmi3('<Float64 name="x" valueReference="1"/><Int32 name="x" valueReference="2"/>'), 'ModelVariables', 'name');
  });

  test('refuses any duplicate value reference in FMI 3, even across types', () => {
    rejects(fmi3('<Float64 name="a" valueReference="7"/><Int32 name="b" valueReference="7"/>'), 'Int32', 'valueReference');
  });

  test('refuses bad numbers, naming the attribute', () => {
    rejects(fmi2('<ScalarVariable name="x" valueReference="abc"><Real/></ScalarVariable>'), 'ScalarVariable', 'valueReference');
    rejects(fmi2('<ScalarVariable name="x" valueReference="-1"><Real/></ScalarVariable>'), 'ScalarVariable', 'valueReference');
    rejects(fmi2('<ScalarVariable name="x" valueReference="1"><Real start="1.2.3"/></ScalarVariable>'), 'Real', 'start');
    rejects(fmi2('<ScalarVariable name="x" valueReference="1"><Integer start="1.5"/></ScalarVariable>'), 'Integer', 'start');
    rejects(fmi2('<ScalarVariable name="x" valueReference="1"><Boolean start="yes"/></ScalarVariable>'), 'Boolean', 'start');
    rejects(fmi2('<ScalarVariable name="x" valueReference="1"><Real min="2" max="1"/></ScalarVariable>'), 'Real', 'min');
    rejects(fmi3('<Int8 name="x" valueReference="1" start="300"/>'), 'Int8', 'start');
    rejects(fmi3('<UInt32 name="x" valueReference="1" start="-1"/>'), 'UInt32', 'start');
    rejects(fmi3('<Float64 name="x" valueReference="1" nominal="big"/>'), 'Float64', 'nominal');
    rejects(fmi3('<Binary name="x" valueReference="1"><Start value="zz"/></Binary>'), 'Binary', 'start');
  });

  test('refuses several start values on a scalar FMI 3 variable', () => {
    rejects(fmi3('<Float64 name="x" valueReference="1" start="1 2"/>'), 'Float64', 'start');
  });

  test('refuses unknown enumeration values for causality, variability and initial', () => {
    rejects(
      fmi2('<ScalarVariable name="x" valueReference="1" causality="sideways"><Real/></ScalarVariable>'),
      'ScalarVariable',
      'causality',
    );
    rejects(fmi3('<Float64 name="x" valueReference="1" variability="sometimes"/>'), 'Float64', 'variability');
    rejects(fmi3('<Float64 name="x" valueReference="1" initial="maybe"/>'), 'Float64', 'initial');
  });

  test('refuses references to variables that do not exist', () => {
    rejects(fmi2('<ScalarVariable name="x" valueReference="1"><Real derivative="5"/></ScalarVariable>'), 'Real', 'derivative');
    rejects(fmi3('<Float64 name="x" valueReference="1" derivative="99"/>'), 'Float64', 'derivative');
    rejects(fmi3('<Float64 name="x" valueReference="1"/>', '<Output valueReference="2"/>'), 'Output', 'valueReference');
    rejects(fmi3('<Float64 name="x" valueReference="1"><Dimension valueReference="42"/></Float64>'), 'Dimension', 'valueReference');
    const ms = '<ModelStructure><Outputs><Unknown index="3"/></Outputs></ModelStructure>';
    rejects(
      `<fmiModelDescription fmiVersion="2.0" modelName="M" guid="g"><CoSimulation modelIdentifier="M"/><ModelVariables><ScalarVariable name="x" valueReference="1"><Real/></ScalarVariable></ModelVariables>${ms}</fmiModelDescription>`,
      'Unknown',
      'index',
    );
  });

  test('refuses an undefined or mismatched declaredType', () => {
    rejects(fmi2('<ScalarVariable name="x" valueReference="1"><Real declaredType="Nope"/></ScalarVariable>'), 'Real', 'declaredType');
    rejects(fmi3('<Enumeration name="e" valueReference="1" start="1"/>'), 'Enumeration', 'declaredType');
  });

  test('refuses a ScalarVariable without a type element', () => {
    rejects(fmi2('<ScalarVariable name="x" valueReference="1"/>'), 'ScalarVariable');
  });

  test('survives deeply nested annotations without crashing', () => {
    const depth = 5000;
    const nested = '<a>'.repeat(depth) + '</a>'.repeat(depth);
    const xml = `<fmiModelDescription fmiVersion="2.0" modelName="M" guid="g"><CoSimulation modelIdentifier="M"/><VendorAnnotations>${nested}</VendorAnnotations></fmiModelDescription>`;
    let result: unknown;
    try {
      result = parseModelDescription(xml);
    } catch (e) {
      result = e;
    }
    // Either parsed (annotations ignored) or refused as invalid: never an unhandled crash.
    assert.ok(!(result instanceof Error) || (isGatewayError(result) && result.code === 'MODEL_DESCRIPTION_INVALID'), String(result));
  });
});
