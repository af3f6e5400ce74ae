import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isGatewayError } from '../../../src/errors.ts';
import { openFmu } from '../../../src/fmi/archive.ts';
import type { OpenedFmu } from '../../../src/fmi/opened-fmu.ts';
import { currentPlatform } from '../../../src/fmi/platform.ts';
import { ensureBinary } from '../../../src/fmi/source-build.ts';
import type { CraftEntry } from '../../helpers/zip-craft.ts';
import { craftZip } from '../../helpers/zip-craft.ts';

const root = mkdtempSync(join(tmpdir(), 'fmu-source-build-test-'));
after(() => rmSync(root, { recursive: true, force: true }));
const p = currentPlatform();

// Our own minimal stand-in for the function-prefix logic the FMI headers define: with
// FMIx_FUNCTION_PREFIX set the names get prefixed, unless FMIx_OVERRIDE_FUNCTION_PREFIX is defined.
const prefixHeader = (v: 2 | 3): string => `
#if defined(FMI${v}_OVERRIDE_FUNCTION_PREFIX) || !defined(FMI${v}_FUNCTION_PREFIX)
#define FMI_NAME(n) n
#else
#define FMI_CAT_(a, b) a##b
#define FMI_CAT(a, b) FMI_CAT_(a, b)
#define FMI_NAME(n) FMI_CAT(FMI${v}_FUNCTION_PREFIX, n)
#endif
`;

const FMI2_C = `#define FMI2_FUNCTION_PREFIX Tiny2_
#include "mini_fmi2.h"
#include <math.h>
const char *FMI_NAME(fmi2GetVersion)(void) { return "2.0"; }
const char *FMI_NAME(fmi2GetTypesPlatform)(void) { return "default"; }
double FMI_NAME(fmi2TinyWave)(double t) { return sin(t); }
`;

const FMI2_MD = `<fmiModelDescription fmiVersion="2.0" modelName="Tiny2" guid="{t2}">
  <CoSimulation modelIdentifier="Tiny2"><SourceFiles><File name="tiny2.c"/></SourceFiles></CoSimulation>
</fmiModelDescription>`;

const FMI3_C = `#define FMI3_FUNCTION_PREFIX Tiny3_
#include "mini_fmi3.h"
#include "tiny_config.h"
#if TINY_GAIN != 3
#error "TINY_GAIN from buildDescription.xml did not arrive"
#endif
const char *FMI_NAME(fmi3GetVersion)(void) { return "3.0"; }
void *FMI_NAME(fmi3InstantiateCoSimulation)(void) { return 0; }
int FMI_NAME(fmi3DoStep)(void *instance, double t, double h) { (void)instance; return t + h > TINY_LIMIT; }
void FMI_NAME(fmi3FreeInstance)(void *instance) { (void)instance; }
`;

const FMI3_MD = `<fmiModelDescription fmiVersion="3.0" modelName="Tiny3" instantiationToken="{t3}">
  <CoSimulation modelIdentifier="Tiny3"/>
</fmiModelDescription>`;

const buildDescription = (sourceName = 'src/tiny3.c'): string => `<?xml version="1.0"?>
<fmiBuildDescription fmiVersion="3.0">
  <BuildConfiguration modelIdentifier="Other"><SourceFileSet><SourceFile name="missing.c"/></SourceFileSet></BuildConfiguration>
  <BuildConfiguration modelIdentifier="Tiny3">
    <SourceFileSet language="C99" compilerOptions="-fplugin=/tmp/evil.so">
      <SourceFile name="${sourceName}"/>
      <PreprocessorDefinition name="TINY_GAIN" value="3"/>
      <IncludeDirectory name="include"/>
    </SourceFileSet>
  </BuildConfiguration>
</fmiBuildDescription>`;

function fmi3Entries(sourceName?: string): CraftEntry[] {
  return [
    { name: 'modelDescription.xml', data: FMI3_MD },
    { name: 'sources/buildDescription.xml', data: buildDescription(sourceName) },
    { name: 'sources/src/tiny3.c', data: FMI3_C },
    { name: 'sources/include/mini_fmi3.h', data: prefixHeader(3) },
    { name: 'sources/include/tiny_config.h', data: '#define TINY_LIMIT 10.0\n' },
  ];
}

let n = 0;
function open(entries: CraftEntry[]): { fmu: OpenedFmu; cacheDir: string } {
  const cacheDir = join(root, `cache${n++}`);
  return { fmu: openFmu({ bytes: craftZip(entries) }, { cacheDir }), cacheDir };
}

function exported(lib: string): string[] {
  return execFileSync('nm', ['-D', '--defined-only', lib], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.trim().split(/\s+/).pop() ?? '')
    .filter((s) => /fmi[23]/.test(s))
    .sort();
}

function rejectsWith(code: string) {
  return (e: unknown): boolean => {
    assert.ok(isGatewayError(e), String(e));
    assert.equal(e.code, code, e.message);
    return true;
  };
}

function listTree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

describe('ensureBinary', () => {
  test('compiles an FMI 2 source-only FMU once, exporting unprefixed names, then reuses it', async () => {
    const { fmu, cacheDir } = open([
      { name: 'modelDescription.xml', data: FMI2_MD },
      { name: 'sources/tiny2.c', data: FMI2_C },
      { name: 'sources/mini_fmi2.h', data: prefixHeader(2) },
    ]);
    const before = listTree(fmu.unpackedDir);
    const first = await ensureBinary(fmu, 'CS', { cacheDir });
    assert.equal(first.origin, 'compiled');
    assert.equal(first.path, join(cacheDir, `${fmu.sha256}-build`, p.fmi2, `Tiny2${p.ext}`));
    assert.deepEqual(exported(first.path), ['fmi2GetTypesPlatform', 'fmi2GetVersion', 'fmi2TinyWave']);
    const mtime = statSync(first.path).mtimeMs;

    const second = await ensureBinary(fmu, 'CS', { cacheDir });
    assert.deepEqual(second, { path: first.path, origin: 'cache' });
    assert.equal(statSync(first.path).mtimeMs, mtime);
    // The unpacked FMU tree was never written to, and no temporary build dir is left.
    assert.deepEqual(listTree(fmu.unpackedDir), before);
    assert.deepEqual(readdirSync(join(cacheDir, `${fmu.sha256}-build`)), [p.fmi2]);
  });

  test('compiles an FMI 3 FMU from buildDescription.xml with its definitions and include dirs, unprefixed', async () => {
    const { fmu, cacheDir } = open(fmi3Entries());
    const built = await ensureBinary(fmu, 'CS', { cacheDir });
    assert.equal(built.origin, 'compiled');
    assert.equal(built.path, join(cacheDir, `${fmu.sha256}-build`, p.fmi3, `Tiny3${p.ext}`));
    assert.deepEqual(exported(built.path), ['fmi3DoStep', 'fmi3FreeInstance', 'fmi3GetVersion', 'fmi3InstantiateCoSimulation']);
  });

  test('the FMI 3 fixture really is prefixed without our override (so the previous test can fail)', () => {
    const { fmu } = open(fmi3Entries());
    const out = join(root, 'prefixed.so');
    const src = join(fmu.unpackedDir, 'sources');
    execFileSync('cc', ['-shared', '-fPIC', '-I', join(src, 'include'), '-DTINY_GAIN=3', join(src, 'src/tiny3.c'), '-o', out]);
    assert.ok(exported(out).includes('Tiny3_fmi3GetVersion'));
    assert.ok(!exported(out).includes('fmi3GetVersion'));
  });

  test('reports compiler errors as COMPILE_FAILED with the compiler output, leaving nothing behind', async () => {
    const { fmu, cacheDir } = open([
      { name: 'modelDescription.xml', data: FMI2_MD },
      { name: 'sources/tiny2.c', data: 'int broken( {\n' },
    ]);
    await assert.rejects(ensureBinary(fmu, 'CS', { cacheDir }), (e: unknown) => {
      rejectsWith('COMPILE_FAILED')(e);
      assert.ok(isGatewayError(e));
      const lines = e.data?.output as string[];
      assert.ok(lines.length > 0 && lines.length <= 20);
      assert.match(lines.join('\n'), /tiny2\.c/);
      assert.match(e.message, /tiny2\.c/);
      return true;
    });
    assert.deepEqual(readdirSync(join(cacheDir, `${fmu.sha256}-build`)), []);
  });

  test("returns the FMU's own binary without compiling when one exists for this platform", async () => {
    const { fmu, cacheDir } = open([
      { name: 'modelDescription.xml', data: FMI2_MD },
      { name: `binaries/${p.fmi2}/Tiny2${p.ext}`, data: 'prebuilt' },
      { name: 'sources/tiny2.c', data: 'this would not compile' },
    ]);
    const r = await ensureBinary(fmu, 'CS', { cacheDir });
    assert.deepEqual(r, { path: join(fmu.unpackedDir, 'binaries', p.fmi2, `Tiny2${p.ext}`), origin: 'fmu' });
    assert.equal(existsSync(join(cacheDir, `${fmu.sha256}-build`)), false);
  });

  test('refuses an FMU with neither a matching binary nor sources', async () => {
    const { fmu, cacheDir } = open([
      { name: 'modelDescription.xml', data: FMI2_MD },
      { name: 'binaries/win64/Tiny2.dll', data: 'pe' },
    ]);
    await assert.rejects(ensureBinary(fmu, 'CS', { cacheDir }), rejectsWith('PLATFORM_UNSUPPORTED'));
  });

  test('reports a missing compiler as COMPILER_MISSING naming the package to install', async () => {
    const { fmu, cacheDir } = open(fmi3Entries());
    await assert.rejects(ensureBinary(fmu, 'CS', { cacheDir, compiler: join(root, 'no-such-cc') }), (e: unknown) => {
      rejectsWith('COMPILER_MISSING')(e);
      assert.match((e as Error).message, /apt-get install gcc/);
      return true;
    });
  });

  test('stops a compiler that runs past the time limit', async () => {
    const slow = join(root, 'slow-cc.sh');
    writeFileSync(slow, '#!/bin/sh\nsleep 30\necho late\n'); // sleep is a grandchild, as cc1 is under gcc
    chmodSync(slow, 0o755);
    const { fmu, cacheDir } = open(fmi3Entries());
    const t0 = Date.now();
    await assert.rejects(ensureBinary(fmu, 'CS', { cacheDir, compiler: slow, timeoutMs: 300 }), (e: unknown) => {
      rejectsWith('COMPILE_FAILED')(e);
      assert.equal((e as { data?: Record<string, unknown> }).data?.timeout_ms, 300, (e as Error).message);
      return true;
    });
    assert.ok(Date.now() - t0 < 5000);
  });

  test(
    'compiles in a sandbox: sources cannot read host files by absolute include or .incbin',
    { skip: !existsSync('/usr/bin/bwrap') },
    async () => {
      const secret = join(mkdtempSync(join(root, 'host-')), 'secret.txt');
      writeFileSync(secret, 'HOST_SECRET_1234 = hunter2;\n');
      const include = open([
        { name: 'modelDescription.xml', data: FMI2_MD },
        { name: 'sources/tiny2.c', data: `#include "${secret}"\n` },
      ]);
      await assert.rejects(ensureBinary(include.fmu, 'CS', { cacheDir: include.cacheDir }), (e: unknown) => {
        rejectsWith('COMPILE_FAILED')(e);
        assert.doesNotMatch(JSON.stringify({ m: (e as Error).message, d: (e as { data?: unknown }).data }), /HOST_SECRET_1234|hunter2/);
        return true;
      });
      // .incbin would copy the file into the library, which the FMU could then print as an output.
      const incbin = `${FMI2_C}\n__asm__(".section .rodata\\n.incbin \\"${secret}\\"\\n.previous");\n`;
      const embed = open([
        { name: 'modelDescription.xml', data: FMI2_MD },
        { name: 'sources/tiny2.c', data: incbin },
        { name: 'sources/mini_fmi2.h', data: prefixHeader(2) },
      ]);
      await assert.rejects(ensureBinary(embed.fmu, 'CS', { cacheDir: embed.cacheDir }), rejectsWith('COMPILE_FAILED'));
    },
  );

  test('refuses source names in buildDescription.xml that escape sources/', async () => {
    // issue 9: a name from the FMU that would become a path outside sources/ is invalid metadata,
    // refused when the FMU is opened (before anything is unpacked or compiled).
    assert.throws(() => open(fmi3Entries('../modelDescription.xml')), rejectsWith('MODEL_DESCRIPTION_INVALID'));
  });

  test('refuses an FMI 3 source FMU without buildDescription.xml', async () => {
    const { fmu, cacheDir } = open(fmi3Entries().filter((e) => e.name !== 'sources/buildDescription.xml'));
    await assert.rejects(ensureBinary(fmu, 'CS', { cacheDir }), rejectsWith('COMPILE_FAILED'));
  });

  test('says which option helps when a header the sources include is missing', async () => {
    const { fmu, cacheDir } = open([
      { name: 'modelDescription.xml', data: FMI2_MD },
      { name: 'sources/tiny2.c', data: `#include "vendor_config.h"\n${FMI2_C}` },
      { name: 'sources/mini_fmi2.h', data: prefixHeader(2) },
      { name: 'sources/vendor/vendor_config.h', data: '/* here, but not on the include path */\n' },
    ]);
    await assert.rejects(ensureBinary(fmu, 'CS', { cacheDir }), (e: unknown) => {
      rejectsWith('COMPILE_FAILED')(e);
      assert.match((e as Error).message, /compile_options\.include_dirs/);
      return true;
    });
    const built = await ensureBinary(fmu, 'CS', { cacheDir, build: { include_dirs: ['vendor'], defines: [] } });
    assert.ok(exported(built.path).includes('fmi2GetVersion'));
  });

  test("caller-provided host include directories are searched before the gateway's FMI headers", async () => {
    // This fmi2Functions.h is not the standard one (it defines FMI_NAME): only the caller's copy works.
    const headers = mkdtempSync(join(root, 'headers-'));
    writeFileSync(join(headers, 'fmi2Functions.h'), prefixHeader(2));
    const entries: CraftEntry[] = [
      { name: 'modelDescription.xml', data: FMI2_MD },
      { name: 'sources/tiny2.c', data: FMI2_C.replace('"mini_fmi2.h"', '"fmi2Functions.h"') },
    ];
    const a = open(entries);
    await assert.rejects(ensureBinary(a.fmu, 'CS', { cacheDir: a.cacheDir }), rejectsWith('COMPILE_FAILED'));
    const b = open(entries);
    const built = await ensureBinary(b.fmu, 'CS', { cacheDir: b.cacheDir, includeDirs: [headers] });
    assert.equal(built.origin, 'compiled');
    assert.ok(exported(built.path).includes('fmi2GetVersion'));
  });

  test('concurrent calls for the same FMU share one build', async () => {
    const { fmu, cacheDir } = open(fmi3Entries());
    const [a, b] = await Promise.all([ensureBinary(fmu, 'CS', { cacheDir }), ensureBinary(fmu, 'CS', { cacheDir })]);
    assert.equal(a.path, b.path);
    assert.deepEqual(readdirSync(join(cacheDir, `${fmu.sha256}-build`)), [p.fmi3]);
  });

  test('refuses an FMI 2 source FMU that lists no source files', async () => {
    const md = FMI2_MD.replace('<SourceFiles><File name="tiny2.c"/></SourceFiles>', '');
    const { fmu, cacheDir } = open([
      { name: 'modelDescription.xml', data: md },
      { name: 'sources/tiny2.c', data: FMI2_C },
    ]);
    await assert.rejects(ensureBinary(fmu, 'CS', { cacheDir }), rejectsWith('COMPILE_FAILED'));
  });
});
