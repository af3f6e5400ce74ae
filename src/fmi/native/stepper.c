/*
 * fmu-gateway's native stepping loops (loaded through koffi by src/fmi/stepper.ts).
 *
 * Why: every koffi call costs ~50-150 ns of Node-API marshalling, so a step that makes two
 * (Co-Simulation: doStep + one get) or four (Model Exchange Euler: derivatives, time, states,
 * completedIntegratorStep) native calls from JavaScript pays several hundred ns above a C host.
 * These loops make the same FMI calls, in the same order, with the same arithmetic, for a chunk
 * of plain steps per koffi call, and write the rows into a column-major buffer the engine copies
 * into its columns with one memcpy per column, and take each value into the recorder's running
 * column statistics (src/engine/column-stats.ts) with the same arithmetic: no JavaScript touches
 * a value, so a fresh worker's cold (not yet optimised) code costs nothing per row. Anything not plain (a status other than OK, a flag, a step that is not a
 * whole grid step, an output point inside a step) ends the chunk *before or at* that call, and
 * the engine's JavaScript path takes over from exactly that point, so results and errors are
 * those of the JavaScript path.
 *
 * Built by tools/build-stepper.ts with -ffp-contract=off: no fused multiply-add, so grid times
 * and Euler updates round exactly as the JavaScript doubles do. FMI 3 declarations are our own,
 * from the specification. The FMU's function pointers are the addresses koffi resolved (lib.symbol).
 */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Bumped whenever a layout or signature below changes (stepper.ts checks it). */
#define FGW_ABI 5

typedef int (*DoStep3)(void *, double, double, bool, bool *, bool *, bool *, double *);
typedef int (*GetF64_3)(void *, const uint32_t *, size_t, double *, size_t);
typedef int (*SetTime3)(void *, double);
typedef int (*SetX3)(void *, const double *, size_t);
typedef int (*GetX3)(void *, double *, size_t);
typedef int (*Completed3)(void *, bool, bool *, bool *);
/* FMI 2: fmi2Boolean is an int; fmi2GetReal has no value count; fmi2DoStep has no out-arguments. */
typedef int (*DoStep2)(void *, double, double, int);
typedef int (*GetReal2)(void *, const uint32_t *, size_t, double *);
typedef int (*Completed2)(void *, int, int *, int *);
typedef int (*GetI32_3)(void *, const uint32_t *, size_t, int32_t *, size_t);
typedef int (*GetBool3)(void *, const uint32_t *, size_t, uint8_t *, size_t);
typedef int (*GetInt2)(void *, const uint32_t *, size_t, int *);

int fgw_abi(void) { return FGW_ABI; }

/* src/engine/recorder.ts gridTime: start + i*interval, capped at stop. */
static double grid_time(double start, double stop, double h, double i) {
    double t = start + i * h;
    return t > stop || stop - t <= 1e-9 * h ? stop : t;
}

static inline void *P(uint64_t a) { return (void *)(uintptr_t)a; }

/*
 * The outputs of a row: one get per group (src/engine/recorder.ts groups outputs by type), each
 * converted to double as the recorder's Number() does. A group is 6 words: the get function,
 * value references, their count, the values' count, the kind, a scratch buffer (integers):
 * kind 0 fmi3GetFloat64, 1 fmi3GetInt32, 2 fmi3GetBoolean (C bool, read as a byte),
 * 3 fmi2GetReal, 4 fmi2GetInteger / fmi2GetBoolean (int), 5 continuous states taken from the state
 * vector x (the values just set; word 1 is then their int32_t state indices, no call).
 * Returns the first status that is not OK.
 */
static int get_groups(void *inst, const uint64_t *g, size_t groups, double *out, const double *x) {
    for (size_t k = 0; k < groups; k++, g += 6) {
        void *fn = P(g[0]);
        const uint32_t *vrs = (const uint32_t *)P(g[1]);
        const size_t nvr = (size_t)g[2], nv = (size_t)g[3];
        void *scratch = P(g[5]);
        int s;
        switch (g[4]) {
        case 0: s = ((GetF64_3)fn)(inst, vrs, nvr, out, nv); break;
        case 1:
            s = ((GetI32_3)fn)(inst, vrs, nvr, (int32_t *)scratch, nv);
            for (size_t j = 0; j < nv && s == 0; j++) out[j] = ((int32_t *)scratch)[j];
            break;
        case 2:
            s = ((GetBool3)fn)(inst, vrs, nvr, (uint8_t *)scratch, nv);
            for (size_t j = 0; j < nv && s == 0; j++) out[j] = ((uint8_t *)scratch)[j];
            break;
        case 3: s = ((GetReal2)fn)(inst, vrs, nvr, out); break;
        case 5:
            s = 0;
            for (size_t j = 0; j < nv; j++) out[j] = x[((const int32_t *)vrs)[j]];
            break;
        default:
            s = ((GetInt2)fn)(inst, vrs, nvr, (int *)scratch);
            for (size_t j = 0; j < nv && s == 0; j++) out[j] = ((int *)scratch)[j];
            break;
        }
        if (s != 0) return s;
        out += nv;
    }
    return 0;
}

/*
 * Row w of a chunk: time t and the values into the column-major buffer (capacity cap per column),
 * and each value into its slot of the running statistics `acc` (7 doubles per value: non-finite
 * count, first row of the minimum, of the maximum, minimum, maximum, trapezoid sum, previous
 * value), as StatsAccumulator.add in src/engine/column-stats.ts does: row R of the recording,
 * previous row's time tp. Same operations in the same order (no FMA), so the same doubles.
 */
static void put_row(double *rows, size_t cap, size_t w, double t, const double *vals, size_t nvals, double *acc, double R, double tp) {
    rows[w] = t;
    for (size_t j = 0; j < nvals; j++) {
        const double v = vals[j];
        double *a = acc + 7 * j;
        rows[(j + 1) * cap + w] = v;
        if (v == v) {
            if (a[1] < 0 || v < a[3]) { a[3] = v; a[1] = R; }
            if (a[2] < 0 || v > a[4]) { a[4] = v; a[2] = R; }
            if (isinf(v)) a[0] = a[0] + 1;
        } else a[0] = a[0] + 1;
        if (R > 0) a[5] = a[5] + 0.5 * (v + a[6]) * (t - tp);
        a[6] = v;
    }
}

/* ---- Co-Simulation, FMI 3 ------------------------------------------------------------------
 * p: [0] instance, [1] fmi3DoStep, [2] fmi3GetFloat64, [3] value references (uint32_t *),
 *    [4] rows (double *, column-major: time, then nvals values, cap each), [5] doStep out-arguments
 *    (3 C bools), [6] lastSuccessfulTime (double *), [7] running stats (7 doubles per value),
 *    [8] one row's values (scratch)
 * d in:  [0] start, [1] stop, [2] h, [3] t (current grid time), [4] i (next grid index),
 *        [5] end (grid index not to reach), [6] nvr, [7] nvals, [11] FMI version,
 *        [12] the recording's row count (row index of the first row written), [13] its last row's
 *        time, [14] cap
 * d out: [8] rows written, [9] reason (0 end reached, 1 doStep not plain: step i+rows attempted,
 *        status in [10], flags in p[5], lastSuccessfulTime in p[6]; 2 get not OK: step i+rows
 *        done, row not written, status in [10]), [3] t after the last written row.
 */
void fgw_cs(const uint64_t *p, double *d) {
    void *inst = P(p[0]);
    const bool v3 = d[11] == 3;
    DoStep3 do_step = (DoStep3)P(p[1]);
    DoStep2 do_step2 = (DoStep2)P(p[1]);
    const uint64_t *groups = (const uint64_t *)P(p[2]);
    double *rows = (double *)P(p[4]);
    bool *flags = (bool *)P(p[5]);
    double *last = (double *)P(p[6]);
    double *acc = (double *)P(p[7]);
    double *vals = (double *)P(p[8]);
    const double start = d[0], stop = d[1], h = d[2], end = d[5], base = d[12];
    const size_t ngroups = (size_t)d[6], nvals = (size_t)d[7], cap = (size_t)d[14];
    double t = d[3], i = d[4], tp = d[13];
    double written = 0, reason = 0, status = 0;
    for (; i < end; i++) {
        const double next = grid_time(start, stop, h, i);
        int s;
        if (v3) {
            *last = t + (next - t); /* lastSuccessfulTime defaults to the step's end, as in fmi3.ts doStep */
            s = do_step(inst, t, next - t, true, &flags[0], &flags[1], &flags[2], last);
            if (s != 0 || flags[1]) { reason = 1; status = s; break; }
        } else {
            s = do_step2(inst, t, next - t, 1);
            if (s != 0) { reason = 1; status = s; break; }
        }
        t = next;
        s = get_groups(inst, groups, ngroups, vals, NULL);
        if (s != 0) { reason = 2; status = s; break; }
        put_row(rows, cap, (size_t)written, t, vals, nvals, acc, base + written, tp);
        tp = t;
        written++;
    }
    d[3] = t;
    d[8] = written;
    d[9] = reason;
    d[10] = status;
}

/* ---- Model Exchange, FMI 3, explicit Euler (src/engine/solvers/euler.ts) ------------------
 * p: [0] instance, [1] fmi3GetContinuousStateDerivatives, [2] fmi3SetTime, [3] fmi3SetContinuousStates,
 *    [4] fmi3CompletedIntegratorStep, [5] output groups (see get_groups), [6] x,
 *    [7] xPrev, [8] dx (double * nx each), [9] running stats (7 doubles per value), [10] one row's
 *    values (scratch), [11] rows (double *, column-major: time, then nvals values, [13] each),
 *    [12] completed's 2 C bools (FMI 2: 2 ints)
 *    (FMI 2: the same functions' fmi2 counterparts, fmi2GetReal for the get)
 * d in:  [0] nx, [1] nvals, [2] unused, [3] groups,
 *        [4] call completedIntegratorStep (0/1), [5] t0 (grid origin), [6] h, [7] tStop,
 *        [8] start, [9] stop, [10] output interval, [11] points, [12] max steps, [13] max rows
 * d in/out: [14] t, [15] n0 (steps since t0), [16] grid index
 * d out: [17] steps taken, [18] rows written, [19] tPrev,
 *        [20] reason: 0 chunk end (max steps or max rows), 1 the next step is not a plain grid
 *             step (last step before tStop, an output point inside it, a step below the minimum):
 *             nothing done; 2 derivatives not OK / not finite: nothing done (the FMU holds
 *             (t, x) as before); 3 a call failed: [21] function (1 setTime, 2 setStates,
 *             3 completed, 4 get), [22] status, step taken up to that call; 4 completed asked for
 *             an event or termination: step taken, no row written; 5 get not OK: step taken, no
 *             row written, [22] status
 *        [23] worst non-failing status (Warning/Discard) of setTime/setStates/completed, [24] its function
 * d in:  [25] FMI version (2 or 3), [26] the recording's row count (row index of the first row
 *        written), [27] its last row's time
 */
void fgw_me_euler(const uint64_t *p, double *d) {
    void *inst = P(p[0]);
    GetX3 get_dx = (GetX3)P(p[1]);
    SetTime3 set_time = (SetTime3)P(p[2]);
    SetX3 set_x = (SetX3)P(p[3]);
    Completed3 completed = (Completed3)P(p[4]);
    const uint64_t *groups = (const uint64_t *)P(p[5]);
    Completed2 completed2 = (Completed2)P(p[4]);
    const bool v3 = d[25] == 3;
    int *flags2 = (int *)P(p[12]);
    double *x = (double *)P(p[6]), *xp = (double *)P(p[7]), *dx = (double *)P(p[8]);
    double *rows = (double *)P(p[11]);
    bool *flags = (bool *)P(p[12]);
    double *acc = (double *)P(p[9]);
    double *vals = (double *)P(p[10]);
    const size_t nx = (size_t)d[0], nvals = (size_t)d[1], ngroups = (size_t)d[3], cap = (size_t)d[13];
    const double base = d[26];
    double tp = d[27];
    const bool need_completed = d[4] != 0;
    const double t0 = d[5], h = d[6], t_stop = d[7], start = d[8], stop = d[9], out_h = d[10], points = d[11];
    const double max_steps = d[12], max_rows = d[13];
    double t = d[14], n0 = d[15], g = d[16], t_prev = d[19];
    double steps = 0, written = 0, reason = 0, fn = 0, status = 0, worst = 0, worst_fn = 0;
    while (steps < max_steps && written < max_rows) {
        const double t_grid = t0 + (n0 + 1) * h;
        if (t_grid + h * 1e-9 >= t_stop) { reason = 1; break; }
        const double tg = g < points ? grid_time(start, stop, out_h, g) : INFINITY;
        if (tg < t_grid) { reason = 1; break; }
        /* minimumStep (solvers/types.ts) with no minStep setting */
        if (!(h >= 16 * 2.220446049250313e-16 * fabs(t))) { reason = 1; break; }
        int s = get_dx(inst, dx, nx);
        if (s != 0) { reason = 2; break; }
        for (size_t k = 0; k < nx; k++)
            if (!isfinite(dx[k])) { reason = 2; goto out; }
        for (size_t k = 0; k < nx; k++) {
            xp[k] = x[k];
            x[k] += h * dx[k];
        }
        t_prev = t;
        t = t_grid;
        n0++;
        steps++;
#define CALL(id, expr)                                                        \
    s = (expr);                                                               \
    if (s != 0) {                                                             \
        if (s == 1 || s == 2) {                                               \
            if (worst == 0 || (worst == 1 && s == 2)) { worst = s; worst_fn = id; } \
        } else { reason = 3; fn = id; status = s; goto out; }                 \
    }
        CALL(1, set_time(inst, t));
        CALL(2, set_x(inst, x, nx));
        if (need_completed) {
            if (v3) {
                CALL(3, completed(inst, true, &flags[0], &flags[1]));
                if (flags[0] || flags[1]) { reason = 4; break; }
            } else {
                CALL(3, completed2(inst, 1, &flags2[0], &flags2[1]));
                if (flags2[0] || flags2[1]) { reason = 4; break; }
            }
        }
        if (tg == t) {
            s = get_groups(inst, groups, ngroups, vals, x);
            if (s != 0) { reason = 5; status = s; break; }
            put_row(rows, cap, (size_t)written, t, vals, nvals, acc, base + written, tp);
            tp = t;
            written++;
            g++;
        }
    }
out:
    d[14] = t;
    d[15] = n0;
    d[16] = g;
    d[17] = steps;
    d[18] = written;
    d[19] = t_prev;
    d[20] = reason;
    d[21] = fn;
    d[22] = status;
    d[23] = worst;
    d[24] = worst_fn;
}
