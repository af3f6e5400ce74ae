/**
 * The eight engineering library models through Model Exchange (our solver drives the FMU's
 * derivatives), FMI 2.0 and 3.0, at solver tolerance 1e-8, against the same independent
 * references as the Co-Simulation tests. Tolerance: 1e-6 of each signal's scale.
 */
import { describe, it } from 'node:test';
import { assertSeriesClose, FMI_VERSIONS, runLibraryModel } from '../helpers/library-run.ts';
import type { LibraryRun } from '../helpers/library-run.ts';
import { dampedOscillator, dcMotorStep, rk45, rlcStep, thermalStep } from '../helpers/references.ts';

type Check = (run: LibraryRun) => void;

const ref = (run: LibraryRun, rhs: Parameters<typeof rk45>[0], y0: number[]): Float64Array[] => rk45(rhs, y0, Array.from(run.time));

const CHECKS: Record<string, Check> = {
  SpringMassDamper: (run) => {
    const p = { m: 1, c: 0.4, k: 4, x0: 1, v0: 0 };
    assertSeriesClose('x', run.time, run.col('x'), (_i, t) => dampedOscillator(p, t).x, { atol: 1e-6 });
  },
  RLC: (run) => {
    const p = { R: 2, L: 0.5, C: 0.05, V: 1, vC0: 0, i0: 0 };
    assertSeriesClose('v_C', run.time, run.col('v_C'), (_i, t) => rlcStep(p, t).vC, { atol: 1e-6 });
  },
  DCMotor: (run) => {
    const p = { R: 1, L: 0.5, K: 0.01, J: 0.01, b: 0.1, V: 12, tauL: 0, i0: 0, w0: 0 };
    assertSeriesClose('w', run.time, run.col('w'), (_i, t) => dcMotorStep(p, t).w, { atol: 1e-6 });
  },
  ThermalMass: (run) => {
    const p = { C: 1000, hA: 10, Q: 500, Tamb: 293.15, T0: 293.15 };
    assertSeriesClose('T', run.time, run.col('T'), (_i, t) => thermalStep(p, t), { atol: 5e-5 });
  },
  Pendulum: (run) => {
    const r = ref(
      run,
      (_t, y, d) => {
        d[0] = y[1] as number;
        d[1] = -9.81 * Math.sin(y[0] as number);
      },
      [2.5, 0],
    );
    assertSeriesClose('theta', run.time, run.col('theta'), (i) => r[i]?.[0] as number, { atol: 3e-6 });
  },
  TankLevel: (run) => {
    const r = ref(
      run,
      (_t, y, d) => {
        const h = y[0] as number,
          e = 1 - h;
        d[0] = 0.3 * Math.min(1, Math.max(0, e + 0.3 * (y[1] as number))) - 0.1 * Math.sqrt(Math.max(h, 0));
        d[1] = e;
      },
      [0.5, 0],
    );
    assertSeriesClose('h', run.time, run.col('h'), (i) => r[i]?.[0] as number, { atol: 1e-6 });
  },
  FuelRail: (run) => {
    const kq = 4 * 0.7 * 4e-8;
    const r = ref(
      run,
      (_t, y, d) => {
        d[0] = 5e13 * (2e-6 - kq * Math.sqrt((2 * Math.max(y[0] as number, 0)) / 750) * 0.1);
      },
      [5e6],
    );
    assertSeriesClose('p', run.time, run.col('p'), (i) => r[i]?.[0] as number, { atol: 12 }); // 1e-6 of 12 MPa
  },
  QuarterCar: (run) => {
    const r = ref(
      run,
      (_t, y, d) => {
        const [zs, vs, zu, vu] = y as unknown as [number, number, number, number];
        const f = 16000 * (zs - zu) + 1000 * (vs - vu);
        d[0] = vs;
        d[1] = -f / 250;
        d[2] = vu;
        d[3] = (f + 160000 * (0.05 - zu)) / 35;
      },
      [0, 0, 0, 0],
    );
    assertSeriesClose('z_s', run.time, run.col('z_s'), (i) => r[i]?.[0] as number, { atol: 5e-8 });
  },
};

for (const v of FMI_VERSIONS) {
  describe(`library models through Model Exchange (FMI ${v}, rk45, tolerance 1e-8)`, () => {
    for (const [name, check] of Object.entries(CHECKS)) {
      it(`${name} matches its reference`, async () => {
        check(await runLibraryModel(name, v, { interface: 'ME', solver: 'rk45', tolerance: 1e-8 }));
      });
    }
  });
}
