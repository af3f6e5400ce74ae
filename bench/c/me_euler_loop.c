/*
 * Baseline for bench/me-step.ts: the same forward-Euler Model Exchange loop as the gateway's
 * driver, written directly in C against an FMI 2.0 ME shared library (dlopen). Per step:
 * fmi2GetDerivatives (the FMU already holds the step start), the Euler update, fmi2SetTime,
 * fmi2SetContinuousStates, fmi2CompletedIntegratorStep (unless the model description says
 * completedIntegratorStepNotNeeded) and fmi2GetEventIndicators (when the model has
 * indicators) — the minimal call sequence, which the driver also makes.
 * FMI 2 declarations are our own, from the specification.
 *
 * usage: me_euler_loop <binary.so> <guid> <nx> <nz> <steps> <h> [<need_completed 0|1, default 1>]
 * prints one JSON line: {"ns_per_step": ..., "steps": ..., "x0": final first state}
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef void *Component;
typedef struct {
    void (*logger)(void *, const char *, int, const char *, const char *, ...);
    void *(*allocate)(size_t, size_t);
    void (*release)(void *);
    void (*step_finished)(void *, int);
    void *env;
} Callbacks;
typedef struct {
    int new_discrete_states_needed, terminate, nominals_changed, values_changed, next_event_time_defined;
    double next_event_time;
} EventInfo;

static void logger(void *env, const char *name, int status, const char *category, const char *message, ...) {
    (void)env; (void)name; (void)status; (void)category; (void)message;
}

#define LOAD(var, name) do { var = dlsym(lib, name); if (!var) { fprintf(stderr, "missing %s\n", name); return 2; } } while (0)

int main(int argc, char **argv) {
    if (argc != 7 && argc != 8) { fprintf(stderr, "usage: %s so guid nx nz steps h [need_completed]\n", argv[0]); return 2; }
    const int nx = atoi(argv[3]), nz = atoi(argv[4]);
    const long steps = atol(argv[5]);
    const double h = atof(argv[6]);
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) { fprintf(stderr, "%s\n", dlerror()); return 2; }
    Component (*instantiate)(const char *, int, const char *, const char *, const Callbacks *, int, int);
    int (*setup)(Component, int, double, double, int, double);
    int (*enter_init)(Component), (*exit_init)(Component), (*enter_ct)(Component), (*terminate)(Component);
    int (*new_discrete)(Component, EventInfo *);
    int (*set_time)(Component, double);
    int (*set_x)(Component, const double *, size_t), (*get_x)(Component, double *, size_t);
    int (*get_dx)(Component, double *, size_t), (*get_z)(Component, double *, size_t);
    int (*completed)(Component, int, int *, int *);
    void (*free_instance)(Component);
    LOAD(instantiate, "fmi2Instantiate"); LOAD(setup, "fmi2SetupExperiment");
    LOAD(enter_init, "fmi2EnterInitializationMode"); LOAD(exit_init, "fmi2ExitInitializationMode");
    LOAD(enter_ct, "fmi2EnterContinuousTimeMode"); LOAD(terminate, "fmi2Terminate");
    LOAD(new_discrete, "fmi2NewDiscreteStates"); LOAD(set_time, "fmi2SetTime");
    LOAD(set_x, "fmi2SetContinuousStates"); LOAD(get_x, "fmi2GetContinuousStates");
    LOAD(get_dx, "fmi2GetDerivatives"); LOAD(get_z, "fmi2GetEventIndicators");
    LOAD(completed, "fmi2CompletedIntegratorStep"); LOAD(free_instance, "fmi2FreeInstance");

    Callbacks cb = { logger, calloc, free, NULL, NULL };
    Component c = instantiate("bench", 0, argv[2], "file:///tmp/", &cb, 0, 0);
    if (!c) { fprintf(stderr, "instantiate failed\n"); return 2; }
    double *x = calloc((size_t)nx + 1, sizeof *x), *dx = calloc((size_t)nx + 1, sizeof *dx);
    double *z = calloc((size_t)nz + 1, sizeof *z);
    EventInfo ev = { 1, 0, 0, 0, 0, 0 };
    if (setup(c, 0, 0, 0.0, 0, 0) || enter_init(c) || exit_init(c)) { fprintf(stderr, "init failed\n"); return 2; }
    while (ev.new_discrete_states_needed && !ev.terminate) if (new_discrete(c, &ev)) return 2;
    if (enter_ct(c) || get_x(c, x, (size_t)nx)) return 2;

    const int need_completed = argc > 7 ? atoi(argv[7]) : 1;
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    double t = 0;
    int enter_event = 0, term = 0, status = 0;
    /* The FMU holds (t, x) from here on: each step sets the new point once, as the driver does. */
    status |= set_time(c, t);
    status |= set_x(c, x, (size_t)nx);
    for (long k = 0; k < steps; k++) {
        status |= get_dx(c, dx, (size_t)nx);
        for (int i = 0; i < nx; i++) x[i] += h * dx[i];
        t = (double)(k + 1) * h;
        status |= set_time(c, t);
        status |= set_x(c, x, (size_t)nx);
        if (need_completed) status |= completed(c, 1, &enter_event, &term);
        if (nz > 0) status |= get_z(c, z, (size_t)nz);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    if (status) { fprintf(stderr, "an FMI call failed\n"); return 2; }
    double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / (double)steps;
    printf("{\"ns_per_step\": %.2f, \"steps\": %ld, \"x0\": %.17g}\n", ns, steps, nx > 0 ? x[0] : 0.0);
    terminate(c);
    free_instance(c);
    free(x); free(dx); free(z);
    dlclose(lib);
    return 0;
}
