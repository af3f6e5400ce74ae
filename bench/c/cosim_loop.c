/*
 * Baseline for bench/cosim-step.ts: the same Co-Simulation loop as the gateway's host,
 * written in C over the same FMU binary (dlopen): per step one fmi2DoStep, one
 * fmi2GetReal and one fmi2GetInteger (the FMU's two outputs), stored into preallocated
 * columns. Prints "ns_per_step <value>" on stdout.
 *   cosim_loop <binary.so> <guid> <resource-uri> <steps> <step-size>
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

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

int main(int argc, char **argv) {
    if (argc != 6) { fprintf(stderr, "usage: %s <so> <guid> <resources> <steps> <h>\n", argv[0]); return 2; }
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
    double *time = malloc(sizeof(double) * (size_t)(steps + 1));
    double *col_y = malloc(sizeof(double) * (size_t)(steps + 1));
    double *col_n = malloc(sizeof(double) * (size_t)(steps + 1));
    const unsigned vr_y = 1, vr_n = 4;
    double y; int n;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (long i = 0; i < steps; i++) {
        double t = i * h;
        if (doStep(c, t, h, 1) > 1) { fprintf(stderr, "doStep failed at %ld\n", i); return 2; }
        if (getReal(c, &vr_y, 1, &y) || getInteger(c, &vr_n, 1, &n)) return 2;
        time[i + 1] = t + h;
        col_y[i + 1] = y;
        col_n[i + 1] = n;
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    double ns = (b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec);
    /* Use the results so the loop is not optimised away. */
    if (col_y[steps] < 0 || col_n[steps] != steps || time[steps] <= 0) fprintf(stderr, "unexpected result\n");
    printf("ns_per_step %.2f\n", ns / steps);
    term(c);
    freei(c);
    free(time); free(col_y); free(col_n);
    dlclose(lib);
    return 0;
}
