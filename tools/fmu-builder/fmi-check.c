/*
 * Native check driver for tests: dlopens an FMU binary and runs it through the raw FMI 2 or
 * FMI 3 C API, independently of the TypeScript binding. Prints one CSV row per output point.
 *
 * usage: fmi-check <lib.so> <2|3> <guid|token> <cs|me|misuse> <stop> <step> <vr,vr,...> [vr=value ...]
 *   cs: Co-Simulation with fixed communication steps. me: Model Exchange with explicit Euler of
 *   the given step (no event handling: for models without events; FMI 2: list exactly the states). misuse: calls functions in
 *   wrong states / with wrong arguments and prints "name=status" lines (Co-Simulation instance).
 *   Values of the listed vrs are printed: Float64 (FMI 3) / Real (FMI 2), or Int32 / Integer when
 *   the vr is written "iVR" (e.g. 1,i2). Start values "vr=value" (or "iVR=value") are set before
 *   initialization.
 *   me-time: Model Exchange instance; sets the time forward, back within the step, then back before
 *   an event, and prints "name=status" lines. logging: Co-Simulation instance stepped to <stop>
 *   in four quarters with debug logging off, only logStatusError, only logEvents, then every
 *   category, printing the count of OK-status log messages of each quarter ("off=N" ...).
 * Exit status: 0 on success, 2 on usage error, 3 on an FMI call failing (message on stderr).
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static void *lib;
static int ok_logs; /* OK-status log messages received (logging mode) */
static void *sym(const char *name) {
    void *p = dlsym(lib, name);
    if (p == NULL) {
        fprintf(stderr, "missing symbol %s\n", name);
        exit(3);
    }
    return p;
}
#define CHECK(call)                                                          \
    do {                                                                     \
        int st_ = (call);                                                    \
        if (st_ > 1) {                                                       \
            fprintf(stderr, "%s failed with status %d\n", #call, st_);       \
            exit(3);                                                         \
        }                                                                    \
    } while (0)

/* FMI 2 logger: printf-style, as the standard says. */
static void logger2(void *env, const char *name, int status, const char *category, const char *message, ...) {
    (void)env;
    if (status == 0) ok_logs++;
    va_list ap;
    va_start(ap, message);
    fprintf(stderr, "[%s %d %s] ", name, status, category);
    vfprintf(stderr, message, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}
static void logger3(void *env, int status, const char *category, const char *message) {
    (void)env;
    if (status == 0) ok_logs++;
    fprintf(stderr, "[%d %s] %s\n", status, category, message);
}

typedef struct {
    void (*logger)(void *, const char *, int, const char *, const char *, ...);
    void *(*alloc)(size_t, size_t);
    void (*free)(void *);
    void *step_finished;
    void *env;
} Callbacks2;

int main(int argc, char **argv) {
    if (argc < 8) {
        fprintf(stderr, "usage: fmi-check <lib> <2|3> <guid> <cs|me> <stop> <step> <vrs> [vr=value...]\n");
        return 2;
    }
    lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 3;
    }
    const int v = atoi(argv[2]);
    const char *guid = argv[3];
    const bool misuse = strcmp(argv[4], "misuse") == 0;
    const bool me_time = strcmp(argv[4], "me-time") == 0;
    const bool logging = strcmp(argv[4], "logging") == 0;
    const bool cs = misuse || logging || strcmp(argv[4], "cs") == 0;
    const double stop = atof(argv[5]), step = atof(argv[6]);
    unsigned vrs[64];
    bool is_int[64];
    size_t nvr = 0;
    for (char *tok = strtok(argv[7], ","); tok && nvr < 64; tok = strtok(NULL, ",")) {
        is_int[nvr] = tok[0] == 'i';
        vrs[nvr++] = (unsigned)atoi(tok + (tok[0] == 'i'));
    }
    double values[64];
    void *c;
    if (v == 2) {
        static Callbacks2 cb = {logger2, calloc, free, NULL, NULL};
        c = ((void *(*)(const char *, int, const char *, const char *, const void *, int, int))sym("fmi2Instantiate"))(
            "check", cs ? 1 : 0, guid, "file:///tmp", &cb, 0, 0);
    } else if (cs) {
        c = ((void *(*)(const char *, const char *, const char *, bool, bool, bool, bool, const unsigned *, size_t, void *,
                        void *, void *))sym("fmi3InstantiateCoSimulation"))("check", guid, "/tmp/", false, false, false,
                                                                              false, NULL, 0, NULL, (void *)logger3, NULL);
    } else {
        c = ((void *(*)(const char *, const char *, const char *, bool, bool, void *, void *))sym(
            "fmi3InstantiateModelExchange"))("check", guid, "/tmp/", false, false, NULL, (void *)logger3);
    }
    if (c == NULL) {
        fprintf(stderr, "instantiate returned NULL\n");
        return 3;
    }
    if (misuse) {
        unsigned vr = (unsigned)atoi(argv[7]);
        double x = 1;
        int ix = 1;
        if (v == 2) {
            printf("doStep_before_init=%d\n", ((int (*)(void *, double, double, int))sym("fmi2DoStep"))(c, 0, 0.1, 1));
            printf("reset=%d\n", ((int (*)(void *))sym("fmi2Reset"))(c));
            CHECK(((int (*)(void *))sym("fmi2EnterInitializationMode"))(c));
            CHECK(((int (*)(void *))sym("fmi2ExitInitializationMode"))(c));
            printf("getInteger_of_real=%d\n", ((int (*)(void *, const unsigned *, size_t, int *))sym("fmi2GetInteger"))(c, &vr, 1, &ix));
            printf("reset=%d\n", ((int (*)(void *))sym("fmi2Reset"))(c));
            CHECK(((int (*)(void *, int, double, double, int, double))sym("fmi2SetupExperiment"))(c, 0, 0, 0, 0, 0));
            CHECK(((int (*)(void *))sym("fmi2EnterInitializationMode"))(c));
            CHECK(((int (*)(void *))sym("fmi2ExitInitializationMode"))(c));
            printf("setReal_unknown_vr=%d\n", ((int (*)(void *, const unsigned *, size_t, const double *))sym("fmi2SetReal"))(c, (unsigned[]){999}, 1, &x));
            printf("reset=%d\n", ((int (*)(void *))sym("fmi2Reset"))(c));
            CHECK(((int (*)(void *))sym("fmi2EnterInitializationMode"))(c));
            CHECK(((int (*)(void *))sym("fmi2ExitInitializationMode"))(c));
            printf("setReal_state_in_step_mode=%d\n", ((int (*)(void *, const unsigned *, size_t, const double *))sym("fmi2SetReal"))(c, &vr, 1, &x));
            printf("getFMUstate=%d\n", ((int (*)(void *, void **))sym("fmi2GetFMUstate"))(c, (void *[]){NULL}));
            printf("setTime_on_cs=%d\n", ((int (*)(void *, double))sym("fmi2SetTime"))(c, 1.0));
            ((void (*)(void *))sym("fmi2FreeInstance"))(c);
        } else {
            bool b1, b2, b3;
            double last;
            int (*doStep)(void *, double, double, bool, bool *, bool *, bool *, double *) = (void *)sym("fmi3DoStep");
            printf("doStep_before_init=%d\n", doStep(c, 0, 0.1, true, &b1, &b2, &b3, &last));
            printf("reset=%d\n", ((int (*)(void *))sym("fmi3Reset"))(c));
            CHECK(((int (*)(void *, bool, double, double, bool, double))sym("fmi3EnterInitializationMode"))(c, false, 0, 0, false, 0));
            CHECK(((int (*)(void *))sym("fmi3ExitInitializationMode"))(c));
            printf("getInt32_of_float64=%d\n", ((int (*)(void *, const unsigned *, size_t, int *, size_t))sym("fmi3GetInt32"))(c, &vr, 1, &ix, 1));
            printf("reset=%d\n", ((int (*)(void *))sym("fmi3Reset"))(c));
            CHECK(((int (*)(void *, bool, double, double, bool, double))sym("fmi3EnterInitializationMode"))(c, false, 0, 0, false, 0));
            CHECK(((int (*)(void *))sym("fmi3ExitInitializationMode"))(c));
            printf("setFloat64_unknown_vr=%d\n", ((int (*)(void *, const unsigned *, size_t, const double *, size_t))sym("fmi3SetFloat64"))(c, (unsigned[]){999}, 1, &x, 1));
            printf("reset=%d\n", ((int (*)(void *))sym("fmi3Reset"))(c));
            CHECK(((int (*)(void *, bool, double, double, bool, double))sym("fmi3EnterInitializationMode"))(c, false, 0, 0, false, 0));
            CHECK(((int (*)(void *))sym("fmi3ExitInitializationMode"))(c));
            printf("setFloat64_state_in_step_mode=%d\n", ((int (*)(void *, const unsigned *, size_t, const double *, size_t))sym("fmi3SetFloat64"))(c, &vr, 1, &x, 1));
            printf("getFMUState=%d\n", ((int (*)(void *, void **))sym("fmi3GetFMUState"))(c, (void *[]){NULL}));
            printf("setTime_on_cs=%d\n", ((int (*)(void *, double))sym("fmi3SetTime"))(c, 1.0));
            printf("doStep_negative_step=%d\n", doStep(c, 0, -1, true, &b1, &b2, &b3, &last));
            ((void (*)(void *))sym("fmi3FreeInstance"))(c);
        }
        dlclose(lib);
        return 0;
    }
    if (me_time) {
        const char *p = v == 2 ? "fmi2" : "fmi3";
        char name[64];
#define FN(n) (snprintf(name, sizeof name, "%s%s", p, n), sym(name))
        if (v == 2) CHECK(((int (*)(void *, int, double, double, int, double))sym("fmi2SetupExperiment"))(c, 0, 0, 0, 0, 0));
        if (v == 2) CHECK(((int (*)(void *))sym("fmi2EnterInitializationMode"))(c));
        else CHECK(((int (*)(void *, bool, double, double, bool, double))sym("fmi3EnterInitializationMode"))(c, false, 0, 0, false, 0));
        CHECK(((int (*)(void *))FN("ExitInitializationMode"))(c));
        CHECK(((int (*)(void *))FN("EnterContinuousTimeMode"))(c));
        int (*setTime)(void *, double) = (int (*)(void *, double))FN("SetTime");
        printf("setTime_forward=%d\n", setTime(c, 0.5));
        printf("setTime_back_within_step=%d\n", setTime(c, 0.25));
        printf("enterEventMode=%d\n", ((int (*)(void *))FN("EnterEventMode"))(c));
        printf("enterContinuousTimeMode=%d\n", ((int (*)(void *))FN("EnterContinuousTimeMode"))(c));
        printf("setTime_at_event=%d\n", setTime(c, 0.25));
        printf("setTime_before_event=%d\n", setTime(c, 0.2));
        ((void (*)(void *))FN("FreeInstance"))(c);
        dlclose(lib);
        return 0;
    }
    if (logging) {
        const char *p = v == 2 ? "fmi2" : "fmi3";
        char name[64];
        int (*setDebugLogging)(void *, int, size_t, const char *const *) = NULL;
        int (*setDebugLogging3)(void *, bool, size_t, const char *const *) = NULL;
        if (v == 2) setDebugLogging = (int (*)(void *, int, size_t, const char *const *))sym("fmi2SetDebugLogging");
        else setDebugLogging3 = (int (*)(void *, bool, size_t, const char *const *))sym("fmi3SetDebugLogging");
#define SET_LOGGING(on, n, cats) (v == 2 ? setDebugLogging(c, (on), (n), (cats)) : setDebugLogging3(c, (on), (n), (cats)))
        printf("unknown_category=%d\n", SET_LOGGING(true, 1, (const char *const[]){"logNothing"}));
        if (v == 2) CHECK(((int (*)(void *, int, double, double, int, double))sym("fmi2SetupExperiment"))(c, 0, 0, 0, 0, 0));
        if (v == 2) CHECK(((int (*)(void *))sym("fmi2EnterInitializationMode"))(c));
        else CHECK(((int (*)(void *, bool, double, double, bool, double))sym("fmi3EnterInitializationMode"))(c, false, 0, 0, false, 0));
        CHECK(((int (*)(void *))FN("ExitInitializationMode"))(c));
        const char *labels[] = {"off", "errors_only", "events_only", "all"};
        const long n = (long)(stop / step + 0.5);
        for (int q = 0; q < 4; q++) {
            if (q == 1) CHECK(SET_LOGGING(true, 1, (const char *const[]){"logStatusError"}));
            if (q == 2) CHECK(SET_LOGGING(true, 1, (const char *const[]){"logEvents"}));
            if (q == 3) CHECK(SET_LOGGING(true, 0, NULL));
            ok_logs = 0;
            for (long i = q * n / 4; i < (q + 1) * n / 4; i++) {
                bool b1, b2, b3;
                double last;
                if (v == 2) CHECK(((int (*)(void *, double, double, int))sym("fmi2DoStep"))(c, i * step, step, 1));
                else CHECK(((int (*)(void *, double, double, bool, bool *, bool *, bool *, double *))sym("fmi3DoStep"))(
                    c, i * step, step, true, &b1, &b2, &b3, &last));
            }
            printf("%s=%d\n", labels[q], ok_logs);
        }
        ((void (*)(void *))FN("FreeInstance"))(c);
        dlclose(lib);
        return 0;
    }
    for (int i = 8; i < argc; i++) {
        const bool int_set = argv[i][0] == 'i';
        unsigned vr = (unsigned)atoi(argv[i] + int_set);
        char *eq = strchr(argv[i], '=');
        if (eq == NULL) return 2;
        double val = atof(eq + 1);
        int ival = atoi(eq + 1);
        if (int_set && v == 2) CHECK(((int (*)(void *, const unsigned *, size_t, const int *))sym("fmi2SetInteger"))(c, &vr, 1, &ival));
        else if (int_set) CHECK(((int (*)(void *, const unsigned *, size_t, const int *, size_t))sym("fmi3SetInt32"))(c, &vr, 1, &ival, 1));
        else if (v == 2) CHECK(((int (*)(void *, const unsigned *, size_t, const double *))sym("fmi2SetReal"))(c, &vr, 1, &val));
        else CHECK(((int (*)(void *, const unsigned *, size_t, const double *, size_t))sym("fmi3SetFloat64"))(c, &vr, 1, &val, 1));
    }
    if (v == 2) {
        CHECK(((int (*)(void *, int, double, double, int, double))sym("fmi2SetupExperiment"))(c, 0, 0, 0, 1, stop));
        CHECK(((int (*)(void *))sym("fmi2EnterInitializationMode"))(c));
        CHECK(((int (*)(void *))sym("fmi2ExitInitializationMode"))(c));
    } else {
        CHECK(((int (*)(void *, bool, double, double, bool, double))sym("fmi3EnterInitializationMode"))(c, false, 0, 0, true, stop));
        CHECK(((int (*)(void *))sym("fmi3ExitInitializationMode"))(c));
    }
    int (*get2)(void *, const unsigned *, size_t, double *) = v == 2 ? (void *)sym("fmi2GetReal") : NULL;
    int (*get3)(void *, const unsigned *, size_t, double *, size_t) = v == 3 ? (void *)sym("fmi3GetFloat64") : NULL;
    int (*geti2)(void *, const unsigned *, size_t, int *) = v == 2 ? (void *)sym("fmi2GetInteger") : NULL;
    int (*geti3)(void *, const unsigned *, size_t, int *, size_t) = v == 3 ? (void *)sym("fmi3GetInt32") : NULL;
#define PRINT_ROW(t)                                                                \
    do {                                                                            \
        for (size_t j_ = 0; j_ < nvr; j_++) {                                       \
            int iv_ = 0;                                                            \
            if (is_int[j_] && v == 2) CHECK(geti2(c, &vrs[j_], 1, &iv_));            \
            else if (is_int[j_]) CHECK(geti3(c, &vrs[j_], 1, &iv_, 1));              \
            else if (v == 2) CHECK(get2(c, &vrs[j_], 1, &values[j_]));               \
            else CHECK(get3(c, &vrs[j_], 1, &values[j_], 1));                        \
            if (is_int[j_]) values[j_] = iv_;                                       \
        }                                                                           \
        printf("%.17g", (t));                                                       \
        for (size_t i_ = 0; i_ < nvr; i_++) printf(",%.17g", values[i_]);           \
        printf("\n");                                                               \
    } while (0)
    const long n = (long)(stop / step + 0.5);
    PRINT_ROW(0.0);
    if (cs) {
        for (long i = 0; i < n; i++) {
            double t = i * step;
            if (v == 2) {
                int st = ((int (*)(void *, double, double, int))sym("fmi2DoStep"))(c, t, step, 1);
                if (st == 2) { /* Discard: terminated by the model */
                    double last;
                    CHECK(((int (*)(void *, int, double *))sym("fmi2GetRealStatus"))(c, 2, &last));
                    PRINT_ROW(last);
                    printf("# terminated at %.17g\n", last);
                    break;
                }
                CHECK(st);
            } else {
                bool ev, term, early;
                double last;
                CHECK(((int (*)(void *, double, double, bool, bool *, bool *, bool *, double *))sym("fmi3DoStep"))(
                    c, t, step, true, &ev, &term, &early, &last));
                if (term) {
                    PRINT_ROW(last);
                    printf("# terminated at %.17g\n", last);
                    break;
                }
            }
            PRINT_ROW((i + 1) * step);
        }
    } else {
        /* Model Exchange, explicit Euler: after initialization one event iteration, then continuous time. */
        double x[16], dx[16];
        size_t nx = 0;
        if (v == 2) {
            struct { int a, b, c, d, e; double t; } info;
            CHECK(((int (*)(void *, void *))sym("fmi2NewDiscreteStates"))(c, &info));
            CHECK(((int (*)(void *))sym("fmi2EnterContinuousTimeMode"))(c));
            nx = nvr; /* FMI 2 has no inquiry function: the caller lists exactly the state vrs */
        } else {
            bool a, b, cc, d, e;
            double t;
            CHECK(((int (*)(void *, bool *, bool *, bool *, bool *, bool *, double *))sym("fmi3UpdateDiscreteStates"))(c, &a, &b, &cc, &d, &e, &t));
            CHECK(((int (*)(void *))sym("fmi3EnterContinuousTimeMode"))(c));
            CHECK(((int (*)(void *, size_t *))sym("fmi3GetNumberOfContinuousStates"))(c, &nx));
        }
        const char *getx = v == 2 ? "fmi2GetContinuousStates" : "fmi3GetContinuousStates";
        const char *getdx = v == 2 ? "fmi2GetDerivatives" : "fmi3GetContinuousStateDerivatives";
        const char *setx = v == 2 ? "fmi2SetContinuousStates" : "fmi3SetContinuousStates";
        const char *sett = v == 2 ? "fmi2SetTime" : "fmi3SetTime";
        for (long i = 0; i < n; i++) {
            CHECK(((int (*)(void *, double *, size_t))sym(getx))(c, x, nx));
            CHECK(((int (*)(void *, double *, size_t))sym(getdx))(c, dx, nx));
            for (size_t j = 0; j < nx; j++) x[j] += step * dx[j];
            CHECK(((int (*)(void *, double))sym(sett))(c, (i + 1) * step));
            CHECK(((int (*)(void *, const double *, size_t))sym(setx))(c, x, nx));
            PRINT_ROW((i + 1) * step);
        }
    }
    if (v == 2) {
        ((int (*)(void *))sym("fmi2Terminate"))(c);
        ((void (*)(void *))sym("fmi2FreeInstance"))(c);
    } else {
        ((int (*)(void *))sym("fmi3Terminate"))(c);
        ((void (*)(void *))sym("fmi3FreeInstance"))(c);
    }
    dlclose(lib);
    return 0;
}
