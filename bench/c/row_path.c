/*
 * Baselines for bench/result-path.ts: whole programs that do what `fmu-gateway simulate <fmu>
 * [--interface ME --solver euler] [--csv out.csv]` does, in C, against an FMI 3.0 shared library
 * (dlopen). FMI 3 declarations are our own, from the specification.
 *
 *   row_path <binary.so> <token> <resource-uri> <cs|me> <csv|fmusim|none> <steps> <h> <nx> <out.csv|-> <vr>...
 *
 * Stepping (grid t_i = i*h, no accumulated drift, as the gateway steps):
 *   cs  one fmi3DoStep per row, then one fmi3GetFloat64 of the outputs;
 *   me  textbook explicit Euler: x_{i+1} = x_i + h f(t_i, x_i), per step fmi3GetContinuousStateDerivatives
 *       (the FMU holds (t_i, x_i)), the update, fmi3SetTime(t_{i+1}), fmi3SetContinuousStates,
 *       fmi3CompletedIntegratorStep, one fmi3GetFloat64 of the outputs (the model has no event
 *       indicators; the gateway's extra fmi3GetEventIndicators only applies when it has some).
 * Output:
 *   csv     "the C program": rows into preallocated columns, then the CSV "time,<outputs>" written
 *           at the end with the shortest of %.15g/%.16g/%.17g that reads back to the same double
 *           (the gateway writes the shortest round-trip decimal too);
 *   fmusim  "the fmusim-like loop": one fprintf("%.16g") row per step inside the loop, as fmusim's
 *           recorder does (not always round-trip, but that is what fmusim pays);
 *   none    columns only, no file: the loop's own cost.
 * Output columns: the Float64 value references given (named v<vr> in the header unless
 * ROW_PATH_HEADER is set, which replaces the whole header line). ROW_PATH_SET="vr=value,..."
 * sets Float64 start values (parameters) before initialization.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void *Inst;
typedef void (*LogFn)(void *, int, const char *, const char *);
typedef Inst (*InstCS)(const char *, const char *, const char *, bool, bool, bool, bool, const uint32_t *, size_t, void *, LogFn,
                       void *);
typedef Inst (*InstME)(const char *, const char *, const char *, bool, bool, void *, LogFn);
typedef int (*EnterInit)(Inst, bool, double, double, bool, double);
typedef int (*Simple)(Inst);
typedef void (*FreeInst)(Inst);
typedef int (*Update)(Inst, bool *, bool *, bool *, bool *, bool *, double *);
typedef int (*SetTime)(Inst, double);
typedef int (*Vec)(Inst, double *, size_t);
typedef int (*Completed)(Inst, bool, bool *, bool *);
typedef int (*DoStep)(Inst, double, double, bool, bool *, bool *, bool *, double *);
typedef int (*GetF64)(Inst, const uint32_t *, size_t, double *, size_t);
typedef int (*SetF64)(Inst, const uint32_t *, size_t, const double *, size_t);

static void logger(void *env, int status, const char *category, const char *message) {
    (void)env; (void)status; (void)category; (void)message;
}

static void *sym(void *lib, const char *name) {
    void *p = dlsym(lib, name);
    if (!p) { fprintf(stderr, "missing symbol %s\n", name); exit(2); }
    return p;
}

/* Shortest of 15..17 significant digits that round-trips; returns the length written. */
static int put_double(char *out, double v) {
    int len = 0;
    for (int prec = 15; prec <= 17; prec++) {
        len = snprintf(out, 32, "%.*g", prec, v);
        if (prec == 17 || strtod(out, NULL) == v) break;
    }
    return len;
}

int main(int argc, char **argv) {
    if (argc < 11) {
        fprintf(stderr, "usage: %s <so> <token> <resources> <cs|me> <csv|fmusim|none> <steps> <h> <nx> <out|-> <vr>...\n", argv[0]);
        return 2;
    }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) { fprintf(stderr, "%s\n", dlerror()); return 2; }
    const bool me = strcmp(argv[4], "me") == 0;
    const char *mode = argv[5];
    const long steps = atol(argv[6]);
    const double h = strtod(argv[7], NULL);
    const size_t nx = (size_t)atol(argv[8]);
    const char *out = argv[9];
    const size_t nvr = (size_t)(argc - 10);
    uint32_t *vrs = malloc(sizeof *vrs * nvr);
    for (size_t j = 0; j < nvr; j++) vrs[j] = (uint32_t)strtoul(argv[10 + j], NULL, 10);

    EnterInit enter_init = (EnterInit)sym(lib, "fmi3EnterInitializationMode");
    Simple exit_init = (Simple)sym(lib, "fmi3ExitInitializationMode");
    Simple terminate = (Simple)sym(lib, "fmi3Terminate");
    FreeInst free_instance = (FreeInst)sym(lib, "fmi3FreeInstance");
    GetF64 get_f64 = (GetF64)sym(lib, "fmi3GetFloat64");
    Inst c;
    if (me) c = ((InstME)sym(lib, "fmi3InstantiateModelExchange"))("bench", argv[2], argv[3], false, false, NULL, logger);
    else c = ((InstCS)sym(lib, "fmi3InstantiateCoSimulation"))("bench", argv[2], argv[3], false, false, false, false, NULL, 0, NULL, logger, NULL);
    if (!c) { fprintf(stderr, "instantiate failed\n"); return 2; }
    const char *set = getenv("ROW_PATH_SET");
    for (const char *p = set; p && *p;) {
        char *end;
        uint32_t vr = (uint32_t)strtoul(p, &end, 10);
        if (*end != '=') { fprintf(stderr, "bad ROW_PATH_SET\n"); return 2; }
        double v = strtod(end + 1, &end);
        if (((SetF64)sym(lib, "fmi3SetFloat64"))(c, &vr, 1, &v, 1)) { fprintf(stderr, "set failed\n"); return 2; }
        p = *end == ',' ? end + 1 : end;
    }
    if (enter_init(c, false, 0, 0, true, (double)steps * h) || exit_init(c)) { fprintf(stderr, "init failed\n"); return 2; }

    const size_t rows = (size_t)steps + 1;
    const bool columns = strcmp(mode, "fmusim") != 0;
    double *time = columns ? malloc(sizeof(double) * rows) : NULL;
    double *vals = columns ? malloc(sizeof(double) * rows * nvr) : NULL; /* row-major: one get per row */
    double *row = malloc(sizeof(double) * (nvr + 1));
    FILE *f = NULL;
    static char buf[1 << 20];
    if (strcmp(mode, "none") != 0) {
        f = fopen(out, "w");
        if (!f) { perror(out); return 2; }
        setvbuf(f, buf, _IOFBF, sizeof buf);
    }
    const char *header = getenv("ROW_PATH_HEADER");
    if (!columns) {
        if (header) fprintf(f, "%s\n", header);
        else { fputs("time", f); for (size_t j = 0; j < nvr; j++) fprintf(f, ",v%u", vrs[j]); fputc('\n', f); }
    }

#define RECORD(t)                                                                                   \
    do {                                                                                            \
        if (get_f64(c, vrs, nvr, row, nvr)) { fprintf(stderr, "get failed\n"); return 2; }         \
        if (columns) { time[r] = (t); memcpy(vals + r * nvr, row, sizeof(double) * nvr); }          \
        else { fprintf(f, "%.16g", (t)); for (size_t j = 0; j < nvr; j++) fprintf(f, ",%.16g", row[j]); fputc('\n', f); } \
        r++;                                                                                        \
    } while (0)

    size_t r = 0;
    int status = 0;
    if (me) {
        Update update = (Update)sym(lib, "fmi3UpdateDiscreteStates");
        Simple enter_ct = (Simple)sym(lib, "fmi3EnterContinuousTimeMode");
        SetTime set_time = (SetTime)sym(lib, "fmi3SetTime");
        Vec set_x = (Vec)sym(lib, "fmi3SetContinuousStates");
        Vec get_x = (Vec)sym(lib, "fmi3GetContinuousStates");
        Vec get_dx = (Vec)sym(lib, "fmi3GetContinuousStateDerivatives");
        Completed completed = (Completed)sym(lib, "fmi3CompletedIntegratorStep");
        bool need = true, term = false, nom = false, vals_changed = false, next_defined = false, enter_event = false;
        double next_time = 0;
        while (need && !term) if (update(c, &need, &term, &nom, &vals_changed, &next_defined, &next_time)) return 2;
        double *x = calloc(nx + 1, sizeof *x), *dx = calloc(nx + 1, sizeof *dx);
        if (enter_ct(c) || get_x(c, x, nx)) return 2;
        RECORD(0.0);
        for (long i = 0; i < steps; i++) {
            status |= get_dx(c, dx, nx);
            for (size_t k = 0; k < nx; k++) x[k] += h * dx[k];
            const double t = (double)(i + 1) * h;
            status |= set_time(c, t);
            status |= set_x(c, x, nx);
            status |= completed(c, true, &enter_event, &term);
            RECORD(t);
        }
        free(x); free(dx);
    } else {
        DoStep do_step = (DoStep)sym(lib, "fmi3DoStep");
        bool ehn = false, term = false, early = false;
        double last = 0;
        RECORD(0.0);
        for (long i = 0; i < steps; i++) {
            const double t = (double)i * h, next = (double)(i + 1) * h;
            status |= do_step(c, t, next - t, true, &ehn, &term, &early, &last);
            RECORD(next);
        }
    }
    if (status) { fprintf(stderr, "an FMI call failed\n"); return 2; }
    terminate(c);
    free_instance(c);
    if (columns && f) {
        if (header) fprintf(f, "%s\n", header);
        else { fputs("time", f); for (size_t j = 0; j < nvr; j++) fprintf(f, ",v%u", vrs[j]); fputc('\n', f); }
        char *line = malloc((nvr + 1) * 32);
        for (size_t k = 0; k < rows; k++) {
            int len = put_double(line, time[k]);
            for (size_t j = 0; j < nvr; j++) {
                line[len++] = ',';
                len += put_double(line + len, vals[k * nvr + j]);
            }
            line[len++] = '\n';
            fwrite(line, 1, (size_t)len, f);
        }
        free(line);
    }
    if (f && fclose(f) != 0) { perror("fclose"); return 2; }
    /* The last row, for the bench's check that both sides computed the same thing. */
    if (columns) {
        printf("%.17g", time[rows - 1]);
        for (size_t j = 0; j < nvr; j++) printf(",%.17g", vals[(rows - 1) * nvr + j]);
        printf("\n");
    }
    free(time); free(vals); free(row); free(vrs);
    dlclose(lib);
    return 0;
}
