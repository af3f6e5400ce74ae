/**
 * modelDescription.xml (FMI 2.0 and FMI 3.0, both with ModelExchange and CoSimulation) and the
 * FMI 3 sources/buildDescription.xml, generated from a normalized model.json.
 */
import type { NormModel, NormVariable } from './model-spec.ts';
import { isFloatType, isIntegerType } from './model-spec.ts';

export const GENERATION_TOOL = 'FMU Gateway fmu-builder 0.1';

export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function attrs(pairs: Record<string, string | number | boolean | undefined>): string {
  let out = '';
  for (const [k, v] of Object.entries(pairs)) if (v !== undefined) out += ` ${k}="${xmlEscape(String(v))}"`;
  return out;
}

/**
 * FMI 2 type of a model variable (see library/adapters/fmi2.c): Binary is left out (undefined).
 * UInt32 / Int64 / UInt64 become Real (exact up to 2^53), smaller integers Integer.
 */
export function fmi2TypeOf(v: NormVariable): 'Real' | 'Integer' | 'Boolean' | 'String' | undefined {
  if (isFloatType(v.type) || v.type === 'UInt32' || v.type === 'Int64' || v.type === 'UInt64') return 'Real';
  if (isIntegerType(v.type)) return 'Integer';
  if (v.type === 'Boolean') return 'Boolean';
  if (v.type === 'String') return 'String';
  return undefined;
}

function startText(v: NormVariable): string | undefined {
  if (v.start === undefined) return undefined;
  if (typeof v.start === 'boolean') return v.start ? 'true' : 'false';
  return String(v.start);
}

function unitsXml(model: NormModel, indent: string): string[] {
  if (model.spec.units.length === 0) return [];
  const out = [`${indent}<UnitDefinitions>`];
  for (const u of model.spec.units) {
    const base = u.base_unit ? `${indent}    <BaseUnit${attrs(u.base_unit)}/>` : undefined;
    const displays = (u.display_units ?? []).map(
      (d) => `${indent}    <DisplayUnit${attrs({ name: d.name, factor: d.factor, offset: d.offset })}/>`,
    );
    if (base === undefined && displays.length === 0) out.push(`${indent}  <Unit${attrs({ name: u.name })}/>`);
    else out.push(`${indent}  <Unit${attrs({ name: u.name })}>`, ...(base ? [base] : []), ...displays, `${indent}  </Unit>`);
  }
  out.push(`${indent}</UnitDefinitions>`);
  return out;
}

function defaultExperimentXml(model: NormModel): string {
  const d = model.spec.default_experiment;
  return `  <DefaultExperiment${attrs({ startTime: d.start_time, stopTime: d.stop_time, tolerance: d.tolerance, stepSize: d.step_size })}/>`;
}

const LOG_CATEGORIES = [
  '  <LogCategories>',
  '    <Category name="logEvents" description="Events handled by the FMU"/>',
  '    <Category name="logStatusWarning" description="Warnings"/>',
  '    <Category name="logStatusError" description="Errors (always logged)"/>',
  '    <Category name="logAll" description="Everything"/>',
  '  </LogCategories>',
];

/** Outputs, state derivatives, and what FMI lists as initial unknowns (by variable). */
function initialUnknowns(model: NormModel, vars: NormVariable[]): NormVariable[] {
  return vars.filter(
    (v) =>
      (v.causality === 'output' && v.initial !== 'exact') ||
      v.causality === 'calculatedParameter' ||
      (v.isState && v.initial !== 'exact') ||
      v.derivativeOf !== undefined,
  );
}

export function generateFmi2Xml(model: NormModel, guid: string, sourceFiles: string[] | undefined): string {
  const id = model.spec.name;
  const vars = model.variables.filter((v) => fmi2TypeOf(v) !== undefined);
  const index = new Map(vars.map((v, i) => [v, i + 1] as const)); // FMI 2: 1-based index in ModelVariables
  const sources =
    sourceFiles === undefined
      ? []
      : ['    <SourceFiles>', ...sourceFiles.map((f) => `      <File${attrs({ name: f })}/>`), '    </SourceFiles>'];
  const common = {
    modelIdentifier: id,
    canNotUseMemoryManagementFunctions: true,
    canGetAndSetFMUstate: false,
    canSerializeFMUstate: false,
    providesDirectionalDerivative: false,
  };
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<fmiModelDescription${attrs({
      fmiVersion: '2.0',
      modelName: id,
      guid,
      description: model.spec.description,
      author: model.spec.author,
      version: model.spec.version,
      generationTool: GENERATION_TOOL,
      variableNamingConvention: 'structured',
      numberOfEventIndicators: model.eventIndicators.length,
    })}>`,
    ...(() => {
      const me = attrs({ ...common, completedIntegratorStepNotNeeded: !model.spec.step_events });
      return sources.length ? [`  <ModelExchange${me}>`, ...sources, '  </ModelExchange>'] : [`  <ModelExchange${me}/>`];
    })(),
    ...(() => {
      const cs = attrs({
        ...common,
        canHandleVariableCommunicationStepSize: true,
        canInterpolateInputs: false,
        maxOutputDerivativeOrder: 0,
        canRunAsynchronuously: false,
      });
      return sources.length ? [`  <CoSimulation${cs}>`, ...sources, '  </CoSimulation>'] : [`  <CoSimulation${cs}/>`];
    })(),
    ...unitsXml(model, '  '),
    ...LOG_CATEGORIES,
    defaultExperimentXml(model),
    '  <ModelVariables>',
  ];
  for (const v of vars) {
    const t = fmi2TypeOf(v) as string;
    lines.push(
      `    <ScalarVariable${attrs({
        name: v.name,
        valueReference: v.vr,
        description: v.description,
        causality: v.causality,
        variability: v.variability,
        initial: v.initial,
      })}>`,
    );
    const typeAttrs: Record<string, string | number | boolean | undefined> = { start: startText(v) };
    if (t === 'Real' || t === 'Integer') Object.assign(typeAttrs, { min: v.min, max: v.max });
    if (t === 'Real') {
      Object.assign(typeAttrs, {
        unit: v.unit,
        nominal: v.nominal,
        derivative: v.derivativeOf ? index.get(v.derivativeOf) : undefined,
        reinit: v.reinit || undefined,
      });
    }
    lines.push(`      <${t}${attrs(typeAttrs)}/>`, '    </ScalarVariable>');
  }
  const deps = (v: NormVariable): string =>
    v.dependsOn === undefined ? '' : ` dependencies="${v.dependsOn.map((d) => index.get(d)).join(' ')}"`;
  const unknowns = (tag: string, list: NormVariable[]): string[] =>
    list.length === 0
      ? []
      : [
          `    <${tag}>`,
          ...list.map((v) => `      <Unknown index="${index.get(v)}"${tag === 'Outputs' ? deps(v) : ''}/>`),
          `    </${tag}>`,
        ];
  lines.push(
    '  </ModelVariables>',
    '  <ModelStructure>',
    ...unknowns(
      'Outputs',
      vars.filter((v) => v.causality === 'output'),
    ),
    ...unknowns('Derivatives', model.derivatives),
    ...unknowns('InitialUnknowns', initialUnknowns(model, vars)),
    '  </ModelStructure>',
    '</fmiModelDescription>',
    '',
  );
  return lines.join('\n');
}

export function generateFmi3Xml(model: NormModel, token: string): string {
  const id = model.spec.name;
  const common = { modelIdentifier: id, canGetAndSetFMUState: false, canSerializeFMUState: false, providesDirectionalDerivatives: false };
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<fmiModelDescription${attrs({
      fmiVersion: '3.0',
      modelName: id,
      instantiationToken: token,
      description: model.spec.description,
      author: model.spec.author,
      version: model.spec.version,
      generationTool: GENERATION_TOOL,
      variableNamingConvention: 'structured',
    })}>`,
    `  <ModelExchange${attrs({ ...common, needsCompletedIntegratorStep: model.spec.step_events })}/>`,
    `  <CoSimulation${attrs({ ...common, canHandleVariableCommunicationStepSize: true, maxOutputDerivativeOrder: 0, hasEventMode: false, providesIntermediateUpdate: false, canReturnEarlyAfterIntermediateUpdate: false })}/>`,
    ...unitsXml(model, '  '),
    ...LOG_CATEGORIES,
    defaultExperimentXml(model),
    '  <ModelVariables>',
  ];
  for (const v of model.variables) {
    const a: Record<string, string | number | boolean | undefined> = {
      name: v.name,
      valueReference: v.vr,
      description: v.description,
      causality: v.causality,
      variability: v.variability,
      initial: v.initial,
    };
    const start = startText(v);
    if (isFloatType(v.type)) {
      Object.assign(a, {
        unit: v.unit,
        min: v.min,
        max: v.max,
        nominal: v.nominal,
        start,
        derivative: v.derivativeOf?.vr,
        reinit: v.reinit || undefined,
      });
    } else if (isIntegerType(v.type)) {
      Object.assign(a, { min: v.min, max: v.max, start });
    } else if (v.type === 'Boolean') {
      Object.assign(a, { start });
    }
    if ((v.type === 'String' || v.type === 'Binary') && start !== undefined) {
      lines.push(`    <${v.type}${attrs(a)}>`, `      <Start${attrs({ value: start })}/>`, `    </${v.type}>`);
    } else {
      lines.push(`    <${v.type}${attrs(a)}/>`);
    }
  }
  lines.push(
    '  </ModelVariables>',
    '  <ModelStructure>',
    ...model.variables
      .filter((v) => v.causality === 'output')
      .map(
        (v) =>
          `    <Output valueReference="${v.vr}"${v.dependsOn === undefined ? '' : ` dependencies="${v.dependsOn.map((d) => d.vr).join(' ')}"`}/>`,
      ),
    ...model.derivatives.map((v) => `    <ContinuousStateDerivative valueReference="${v.vr}"/>`),
    ...initialUnknowns(model, model.variables).map((v) => `    <InitialUnknown valueReference="${v.vr}"/>`),
    ...model.eventIndicators.map((v) => `    <EventIndicator valueReference="${v.vr}"/>`),
    '  </ModelStructure>',
    '</fmiModelDescription>',
    '',
  );
  return lines.join('\n');
}

export function generateBuildDescription(modelIdentifier: string, cFiles: string[]): string {
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<fmiBuildDescription fmiVersion="3.0">',
    `  <BuildConfiguration${attrs({ modelIdentifier })}>`,
    '    <SourceFileSet language="C99">',
    ...cFiles.map((f) => `      <SourceFile${attrs({ name: f })}/>`),
    '    </SourceFileSet>',
    '    <Library name="m"/>',
    '  </BuildConfiguration>',
    '</fmiBuildDescription>',
    '',
  ].join('\n');
}
