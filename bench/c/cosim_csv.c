/*
 * Baseline for bench/result-path.ts: a whole program that does what `fmu-gateway simulate
 * <fmu> --csv out.csv` does for the raw-fmi2 fixture, in C: dlopen the FMU binary, run the
 * Co-Simulation loop (one fmi2DoStep, one fmi2GetReal, one fmi2GetInteger per step) into
 * preallocated columns, then write the CSV "time,y,n" with one row per communication point.
 * Numbers are written as the shortest of %.15g / %.16g / %.17g that reads back to the same
 * double (the gateway writes the shortest round-trip decimal too), integers with %d.
 * The bench times the whole process from spawn to exit.
 *   cosim_csv <binary.so> <guid> <resource-uri> <steps> <step-size> <out.csv>
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void *(*Instantiate)(const char *, int, const char *, const char *, const void *, int, int);
typedef int (*Setup)(void *, int, double, double, int, double);
typedef int (*Simple)(void *);
typedef void (*FreeInst)(void *);
typedef int (*DoStep)(void *, double, double, int);
typedef int (*GetReal)(void *, const unsigned *, size_t, double *);
typedef int (*GetInteger)(void *, const unsigned *, size_t, int *);

typedef struct {
    void (*logger)(void *, const char *, int, const char *, const char *, ...);
    void *(*allocateMemory)(size_t, size_t);
    void (*freeMemory)(void *);
    void *stepFinished;
    void *componentEnvironment;
} Callbacks;

static void logger(void *env, const char *name, int status, const char *cat, const char *msg, ...) {
    (void)env; (void)name; (void)status; (void)cat; (void)msg;
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
    if (argc != 7) { fprintf(stderr, "usage: %s <so> <guid> <resources> <steps> <h> <out.csv>\n", argv[0]); return 2; }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) { fprintf(stderr, "%s\n", dlerror()); return 2; }
    long steps = atol(argv[4]);
    double h = atof(argv[5]);
    Instantiate inst = (Instantiate)sym(lib, "fmi2Instantiate");
    Setup setup = (Setup)sym(lib, "fmi2SetupExperiment");
    Simple enter = (Simple)sym(lib, "fmi2EnterInitializationMode");
    Simple exit_ = (Simple)sym(lib, "fmi2ExitInitializationMode");
    Simple term = (Simple)sym(lib, "fmi2Terminate");
    FreeInst freei = (FreeInst)sym(lib, "fmi2FreeInstance");
    DoStep doStep = (DoStep)sym(lib, "fmi2DoStep");
    GetReal getReal = (GetReal)sym(lib, "fmi2GetReal");
    GetInteger getInteger = (GetInteger)sym(lib, "fmi2GetInteger");
    Callbacks cb = { logger, calloc, free, NULL, NULL };
    void *c = inst("bench", 1, argv[2], argv[3], &cb, 0, 0);
    if (!c) { fprintf(stderr, "instantiate failed\n"); return 2; }
    if (setup(c, 0, 0, 0, 1, steps * h) || enter(c) || exit_(c)) { fprintf(stderr, "init failed\n"); return 2; }
    size_t rows = (size_t)steps + 1;
    double *time = malloc(sizeof(double) * rows);
    double *col_y = malloc(sizeof(double) * rows);
    int *col_n = malloc(sizeof(int) * rows);
    const unsigned vr_y = 1, vr_n = 4;
    double y; int n;
    if (getReal(c, &vr_y, 1, &y) || getInteger(c, &vr_n, 1, &n)) return 2;
    time[0] = 0; col_y[0] = y; col_n[0] = n;
    /* Communication points on the grid i*h (no accumulated drift), as the gateway steps. */
    for (long i = 0; i < steps; i++) {
        double t = i * h, next = (i + 1) * h;
        if (doStep(c, t, next - t, 1) > 1) { fprintf(stderr, "doStep failed at %ld\n", i); return 2; }
        if (getReal(c, &vr_y, 1, &y) || getInteger(c, &vr_n, 1, &n)) return 2;
        time[i + 1] = next;
        col_y[i + 1] = y;
        col_n[i + 1] = n;
    }
    term(c);
    freei(c);
    FILE *f = fopen(argv[6], "w");
    if (!f) { perror(argv[6]); return 2; }
    static char buf[1 << 20];
    setvbuf(f, buf, _IOFBF, sizeof buf);
    fputs("time,y,n\n", f);
    char line[128];
    for (size_t r = 0; r < rows; r++) {
        int len = put_double(line, time[r]);
        line[len++] = ',';
        len += put_double(line + len, col_y[r]);
        len += snprintf(line + len, 16, ",%d\n", col_n[r]);
        fwrite(line, 1, (size_t)len, f);
    }
    if (fclose(f) != 0) { perror("fclose"); return 2; }
    free(time); free(col_y); free(col_n);
    dlclose(lib);
    return 0;
}
