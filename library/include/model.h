/*
 * The model interface: what one model (library/models/<Name>/model.c) implements once,
 * and what the generic FMI 2 / FMI 3 adapters (library/adapters/) call.
 *
 * Adding a model = one model.json + one model.c:
 *   - model.json lists the variables. tools/fmu-builder.ts assigns their value references
 *     (time = 0, then 1, 2, ... in file order) and generates, from the same list, both
 *     modelDescription.xml and "model_generated.h", which defines:
 *       struct ModelVariables   one C field per variable, named after it: "der(x)" -> der_x,
 *                               "a.b" -> a_b (non [A-Za-z0-9_] characters become '_');
 *                               Float32 float, Float64 double, IntN intN_t, UIntN uintN_t,
 *                               Boolean bool, String char * (owned, set with model_set_string),
 *                               Binary ModelBinary (owned, set with model_set_binary);
 *       VR_<field>              the value reference of each variable;
 *       MODEL_NX, MODEL_NZ      number of continuous states / event indicators;
 *       MODEL_IDENTIFIER, MODEL_GUID.
 *     So value references and metadata match the XML by construction.
 *   - Continuous states are the Float64 variables named by some variable's "derivative_of";
 *     event indicators are the Float64 variables with "event_indicator": true. The adapters
 *     read and write them directly in m->v; the model never copies state vectors.
 *   - model.c defines `const ModelHooks model_hooks = { .calculate_values = ..., ... };`
 *     (designated initializers; hooks left out are NULL and skipped).
 *
 * The model reads and writes its variables as m->v.<field>, and time as m->time.
 */
#ifndef FMUGW_MODEL_H
#define FMUGW_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Status numbering equals fmi2Status / fmi3Status (OK .. Fatal), so adapters can cast. */
typedef enum { MODEL_OK = 0, MODEL_WARNING = 1, MODEL_DISCARD = 2, MODEL_ERROR = 3, MODEL_FATAL = 4 } ModelStatus;

typedef enum {
    MT_FLOAT32, MT_FLOAT64,
    MT_INT8, MT_UINT8, MT_INT16, MT_UINT16, MT_INT32, MT_UINT32, MT_INT64, MT_UINT64,
    MT_BOOLEAN, MT_STRING, MT_BINARY
} ModelVarType;

typedef enum { MC_PARAMETER, MC_CALCULATED_PARAMETER, MC_INPUT, MC_OUTPUT, MC_LOCAL, MC_INDEPENDENT } ModelCausality;
typedef enum { MV_CONSTANT, MV_FIXED, MV_TUNABLE, MV_DISCRETE, MV_CONTINUOUS } ModelVariability;
typedef enum { MI_NONE, MI_EXACT, MI_APPROX, MI_CALCULATED } ModelInitial;

/* One FMI 3 Binary value; the data is owned by the instance (see model_set_binary). */
typedef struct {
    uint8_t *data;
    size_t size;
} ModelBinary;

/* One row of the generated variable table (indexed by value reference). */
typedef struct {
    unsigned int vr;
    ModelVarType type;
    unsigned char causality;   /* ModelCausality */
    unsigned char variability; /* ModelVariability */
    unsigned char initial;     /* ModelInitial (MI_NONE when the XML has no initial attribute) */
    size_t offset;             /* offsetof(ModelVariables, field); MODEL_OFFSET_TIME for "time" */
    const char *name;
} ModelVarInfo;

#define MODEL_OFFSET_TIME ((size_t)-1)

typedef struct ModelInstance ModelInstance;

#include "model_generated.h"

/* Sizes that stay valid C array lengths when a model has no states / indicators. */
#define MODEL_NX_ALLOC (MODEL_NX > 0 ? MODEL_NX : 1)
#define MODEL_NZ_ALLOC (MODEL_NZ > 0 ? MODEL_NZ : 1)

/* What event_update reports back (FMI 2 fmi2EventInfo / FMI 3 fmi3UpdateDiscreteStates). */
typedef struct {
    bool discrete_states_need_update; /* call event_update again at the same time instant */
    bool terminate_simulation;        /* the model asks to stop (FMI 2 CS: Discard; FMI 3: terminateSimulation) */
    bool values_of_continuous_states_changed; /* a state was re-initialized (e.g. a bounce) */
    bool nominals_of_continuous_states_changed;
} ModelEventInfo;

typedef enum { MODEL_KIND_ME = 0, MODEL_KIND_CS = 1 } ModelKind;

/* Adapter state-machine states, as bits so a function's allowed states are one mask. */
enum {
    ST_INSTANTIATED = 1u << 0,
    ST_INIT = 1u << 1,
    ST_EVENT = 1u << 2,
    ST_CONT = 1u << 3,
    ST_STEP = 1u << 4,        /* FMI 2 stepComplete / FMI 3 Step Mode */
    ST_STEP_FAILED = 1u << 5, /* FMI 2 CS after Discard */
    ST_TERMINATED = 1u << 6,
    ST_ERROR = 1u << 7,
    ST_FATAL = 1u << 8,
    ST_CONFIGURATION = 1u << 9
};

struct ModelInstance {
    /* --- for the model ------------------------------------------------------------------- */
    ModelVariables v;  /* every variable of model.json */
    double time;
    double start_time;
    double stop_time;       /* valid when stop_time_defined */
    bool stop_time_defined;
    double tolerance;       /* importer's relative tolerance, 0 when not given */
    /* Set by initialize / event_update: the next time event (the CS solver lands on it exactly). */
    bool next_event_time_defined;
    double next_event_time;
    const char *resource_location; /* FMI 2 URI / FMI 3 path, may be NULL */
    const char *instance_name;

    /* --- private to the adapters ----------------------------------------------------------- */
    ModelKind kind;
    int fmi_version;     /* 2 or 3 */
    unsigned state;      /* one ST_* bit */
    bool logging_on;
    unsigned log_categories; /* CORE_LOG_* bits enabled by fmiXSetDebugLogging (all by default) */
    bool dirty;          /* calculate_values must run before derived values are read */
    bool terminated_by_model;
    double last_successful_time;
    /* Time of the last event (the start time after initialization): Model Exchange importers
       may set the time back within a step, never before an event, which cannot be undone. */
    double event_time;
    /* Forwards one formatted message to the importer's logger (set by the FMI adapter). */
    void (*log_message)(ModelInstance *m, ModelStatus status, const char *category, const char *message);
    void *adapter_data;
    /* CS solver workspace, preallocated so doStep allocates nothing. */
    double x0[MODEL_NX_ALLOC], xt[MODEL_NX_ALLOC], k1[MODEL_NX_ALLOC], k2[MODEL_NX_ALLOC],
        k3[MODEL_NX_ALLOC], k4[MODEL_NX_ALLOC];
    double z_old[MODEL_NZ_ALLOC], z_new[MODEL_NZ_ALLOC];
    unsigned long events; /* count of handled events (for log messages) */
};

/* The hooks a model implements. Only calculate_values is required. (Nominals of the states
   come from model.json "nominal", default 1.) */
typedef struct {
    /* After start values from model.json are applied (at instantiate and reset): set defaults
       that cannot be written as plain start values. */
    void (*set_defaults)(ModelInstance *m);
    /* At exit of initialization mode, after the importer set parameters: validate them
       (return MODEL_ERROR with model_log for invalid ones), set the first next_event_time. */
    ModelStatus (*initialize)(ModelInstance *m);
    /* From time, states, inputs and parameters compute every derived variable: state
       derivatives, event indicators, outputs, calculated parameters. Called lazily (only when
       something changed) and many times per step: must not allocate or log per call. */
    ModelStatus (*calculate_values)(ModelInstance *m);
    /* At an event (time event due, state event located, or the importer's event mode), and once
       right after initialization (the initial event iteration; Co-Simulation runs it itself):
       update discrete states, re-initialize continuous states, set next_event_time, request
       termination. Check conditions yourself (e.g. h <= 0 && v < 0, or model_time_event_due). */
    ModelStatus (*event_update)(ModelInstance *m, ModelEventInfo *ev);
    /* After each completed integrator step (the importer's completedIntegratorStep in Model
       Exchange, each accepted substep of the Co-Simulation solver), with values up to date:
       return true to ask for an event at this time (a "step event"), e.g. when a state left the
       range the model's current discrete mode is valid for. event_update then runs. */
    bool (*step_completed)(ModelInstance *m);
} ModelHooks;

extern const ModelHooks model_hooks;

/* --- helpers the model may call (implemented in library/adapters/core.c) -------------------- */

/* printf-style message through the importer's logger. MODEL_OK messages are dropped unless
   logging is on; warnings and errors always reach the importer. */
void model_log(ModelInstance *m, ModelStatus status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* True when a time event is due at the current time (next_event_time reached, with a relative
   tolerance of 1e-12 so importers that land on it numerically still trigger it). */
bool model_time_event_due(const ModelInstance *m);

/* Replace an owned String / Binary variable (copies value). MODEL_ERROR when out of memory. */
ModelStatus model_set_string(ModelInstance *m, char **field, const char *value);
ModelStatus model_set_binary(ModelInstance *m, ModelBinary *field, const uint8_t *data, size_t size);

#endif
