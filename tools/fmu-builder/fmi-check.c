/*
 * Native check driver for tests: dlopens an FMU binary and runs it through the raw FMI 2 or
 * FMI 3 C API, independently of the TypeScript binding. Prints one CSV row per output point.
 *
 * usage: fmi-check <lib.so> <2|3> <guid|token> <cs|me> <stop> <step> <vr,vr,...> [vr=value ...]
 *   Float64 (FMI 3) / Real (FMI 2) values of the listed vrs are printed; start values are set
 *   before initialization. Only Co-Simulation is driven
 *   (only cs is implemented).
 * Exit status: 0 on success, 2 on usage error, 3 on an FMI call failing (message on stderr).
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static void *lib;
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
    va_list ap;
    va_start(ap, message);
    fprintf(stderr, "[%s %d %s] ", name, status, category);
    vfprintf(stderr, message, ap);
    fprintf(stderr, "\n");
    va_end(ap);
}
static void logger3(void *env, int status, const char *category, const char *message) {
    (void)env;
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
    const bool cs = strcmp(argv[4], "cs") == 0;
    const double stop = atof(argv[5]), step = atof(argv[6]);
    unsigned vrs[64];
    size_t nvr = 0;
    for (char *tok = strtok(argv[7], ","); tok && nvr < 64; tok = strtok(NULL, ",")) vrs[nvr++] = (unsigned)atoi(tok);
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
    for (int i = 8; i < argc; i++) {
        unsigned vr = (unsigned)atoi(argv[i]);
        char *eq = strchr(argv[i], '=');
        if (eq == NULL) return 2;
        double val = atof(eq + 1);
        if (v == 2) CHECK(((int (*)(void *, const unsigned *, size_t, const double *))sym("fmi2SetReal"))(c, &vr, 1, &val));
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
#define PRINT_ROW(t)                                                                \
    do {                                                                            \
        if (v == 2) CHECK(get2(c, vrs, nvr, values));                               \
        else CHECK(get3(c, vrs, nvr, values, nvr));                                 \
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
        fprintf(stderr, "me mode not implemented in this driver\n");
        return 2;
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
