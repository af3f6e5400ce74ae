/*
 * Generic FMI 2.0 adapter (Model Exchange + Co-Simulation) over the model interface.
 *
 * FMI 2 type mapping of the model's variables (FMI 2 has only Real/Integer/Boolean/String):
 *   Float64, Float32, UInt32, Int64, UInt64 -> Real   (64-bit values exact up to 2^53; setting a
 *                                                      non-integral or out-of-range value is an Error)
 *   Int8, UInt8, Int16, UInt16, Int32       -> Integer (range-checked on set)
 *   Boolean -> Boolean, String -> String, Binary -> not exposed (left out of the FMI 2 XML).
 * tools/fmu-builder.ts writes the same mapping into modelDescription.xml.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "fmi2Functions.h" /* the gateway's own FMI 2.0 headers (library/include/fmi) */

typedef struct {
    fmi2CallbackFunctions cb;
    fmi2Status last_step_status;
} Fmi2Data;

#define CB(m) (((Fmi2Data *)(m)->adapter_data)->cb)

/* Adapter messages go to the logger as format + arguments, exactly as FMI 2 specifies. */
#define FMI2_LOG(m, status, category, ...)                                                                   \
    do {                                                                                                     \
        if (CB(m).logger != NULL && core_log_enabled((m), (ModelStatus)(status), (category)))                \
            CB(m).logger(CB(m).componentEnvironment, (m)->instance_name, (status), (category), __VA_ARGS__); \
    } while (0)

/* Messages already formatted by the core / model are passed through "%s" so a '%' in them is inert. */
static void forward_log(ModelInstance *m, ModelStatus status, const char *category, const char *message) {
    if (CB(m).logger == NULL) return;
    CB(m).logger(CB(m).componentEnvironment, m->instance_name, (fmi2Status)status, category, "%s", message);
}

#define ANY_STATE (ST_INSTANTIATED | ST_INIT | ST_EVENT | ST_CONT | ST_STEP | ST_STEP_FAILED | ST_TERMINATED | ST_ERROR)
#define GET_STATES (ST_INIT | ST_EVENT | ST_CONT | ST_STEP | ST_STEP_FAILED | ST_TERMINATED | ST_ERROR)
#define SET_STATES (ST_INSTANTIATED | ST_INIT | ST_EVENT | ST_CONT | ST_STEP)

/* Entry check shared by every function taking an instance. */
#define BEGIN(fn, allowed)                                                   \
    ModelInstance *m = (ModelInstance *)c;                                   \
    if (m == NULL) return fmi2Error;                                         \
    if (!core_check_state(m, fn, (allowed))) return fmi2Error

#define REQUIRE_KIND(fn, k)                                                                                     \
    if (m->kind != (k)) {                                                                                       \
        FMI2_LOG(m, fmi2Error, "logStatusError", "%s: only for %s instances", fn,                               \
                 (k) == MODEL_KIND_ME ? "Model Exchange" : "Co-Simulation");                                    \
        return (fmi2Status)core_track(m, MODEL_ERROR);                                                          \
    }

#define RET(st) return (fmi2Status)core_track(m, (st))

const char *fmi2GetTypesPlatform(void) { return "default"; }
const char *fmi2GetVersion(void) { return "2.0"; }

fmi2Component fmi2Instantiate(fmi2String instanceName, fmi2Type fmuType, fmi2String fmuGUID,
                              fmi2String fmuResourceLocation, const fmi2CallbackFunctions *functions,
                              fmi2Boolean visible, fmi2Boolean loggingOn) {
    (void)visible;
    if (functions == NULL) return NULL;
    fmi2CallbackLogger logger = functions->logger;
    void *env = functions->componentEnvironment;
    const char *name = instanceName != NULL ? instanceName : "";
    if (fmuType != fmi2ModelExchange && fmuType != fmi2CoSimulation) {
        if (logger) logger(env, name, fmi2Error, "logStatusError", "fmi2Instantiate: unknown fmuType %d", (int)fmuType);
        return NULL;
    }
    if (fmuGUID == NULL || strcmp(fmuGUID, MODEL_GUID) != 0) {
        if (logger)
            logger(env, name, fmi2Error, "logStatusError",
                   "fmi2Instantiate: GUID '%s' does not match this binary's GUID '%s' (modelDescription.xml and "
                   "binary are from different builds)",
                   fmuGUID != NULL ? fmuGUID : "(null)", MODEL_GUID);
        return NULL;
    }
    Fmi2Data *data = calloc(1, sizeof *data);
    if (data == NULL) return NULL;
    /* The standard struct has const members: copy its bytes into our heap block. */
    memcpy(&data->cb, functions, sizeof data->cb);
    ModelInstance *m = core_instantiate(name, fmuType == fmi2CoSimulation ? MODEL_KIND_CS : MODEL_KIND_ME, 2,
                                        fmuResourceLocation, loggingOn != 0, forward_log, data);
    if (m == NULL) {
        if (logger) logger(env, name, fmi2Error, "logStatusError", "fmi2Instantiate: out of memory or invalid start values");
        free(data);
        return NULL;
    }
    FMI2_LOG(m, fmi2OK, "logAll", "fmi2Instantiate: %s instance '%s' of %s created",
             fmuType == fmi2CoSimulation ? "Co-Simulation" : "Model Exchange", name, MODEL_IDENTIFIER);
    return m;
}

void fmi2FreeInstance(fmi2Component c) {
    ModelInstance *m = (ModelInstance *)c;
    if (m == NULL) return;
    void *data = m->adapter_data;
    core_free(m);
    free(data);
}

fmi2Status fmi2SetDebugLogging(fmi2Component c, fmi2Boolean loggingOn, size_t nCategories, const fmi2String categories[]) {
    BEGIN("fmi2SetDebugLogging", ANY_STATE);
    return (fmi2Status)core_set_debug_logging(m, "fmi2SetDebugLogging", loggingOn != 0, nCategories, categories);
}

fmi2Status fmi2SetupExperiment(fmi2Component c, fmi2Boolean toleranceDefined, fmi2Real tolerance, fmi2Real startTime,
                               fmi2Boolean stopTimeDefined, fmi2Real stopTime) {
    BEGIN("fmi2SetupExperiment", ST_INSTANTIATED);
    if (stopTimeDefined && stopTime < startTime) {
        FMI2_LOG(m, fmi2Error, "logStatusError", "fmi2SetupExperiment: stopTime %g is before startTime %g", stopTime,
                 startTime);
        RET(MODEL_ERROR);
    }
    m->start_time = startTime;
    m->time = startTime;
    m->stop_time_defined = stopTimeDefined != 0;
    m->stop_time = stopTime;
    m->tolerance = toleranceDefined ? tolerance : 0;
    return fmi2OK;
}

fmi2Status fmi2EnterInitializationMode(fmi2Component c) {
    BEGIN("fmi2EnterInitializationMode", ST_INSTANTIATED);
    RET(core_enter_initialization(m, m->tolerance > 0, m->tolerance, m->start_time, m->stop_time_defined, m->stop_time));
}

fmi2Status fmi2ExitInitializationMode(fmi2Component c) {
    BEGIN("fmi2ExitInitializationMode", ST_INIT);
    RET(core_exit_initialization(m));
}

fmi2Status fmi2Terminate(fmi2Component c) {
    BEGIN("fmi2Terminate", ST_EVENT | ST_CONT | ST_STEP | ST_STEP_FAILED);
    m->state = ST_TERMINATED;
    return fmi2OK;
}

fmi2Status fmi2Reset(fmi2Component c) {
    BEGIN("fmi2Reset", ANY_STATE);
    ((Fmi2Data *)m->adapter_data)->last_step_status = fmi2OK;
    RET(core_reset(m));
}

/* --- get / set ----------------------------------------------------------------------------- */

enum { CLASS_REAL, CLASS_INTEGER, CLASS_BOOLEAN, CLASS_STRING, CLASS_NONE };
static const char *const CLASS_NAMES[] = {"Real", "Integer", "Boolean", "String", "none"};

static int fmi2_class(ModelVarType t) {
    switch (t) {
    case MT_FLOAT64: case MT_FLOAT32: case MT_UINT32: case MT_INT64: case MT_UINT64: return CLASS_REAL;
    case MT_INT8: case MT_UINT8: case MT_INT16: case MT_UINT16: case MT_INT32: return CLASS_INTEGER;
    case MT_BOOLEAN: return CLASS_BOOLEAN;
    case MT_STRING: return CLASS_STRING;
    default: return CLASS_NONE;
    }
}

/* Looks up vr and checks its FMI 2 class; logs and returns NULL on mismatch. */
static const ModelVarInfo *lookup(ModelInstance *m, const char *fn, fmi2ValueReference vr, int cls) {
    const ModelVarInfo *vi = core_var(m, fn, vr);
    if (vi == NULL) return NULL;
    if (fmi2_class(vi->type) != cls) {
        FMI2_LOG(m, fmi2Error, "logStatusError", "%s: variable '%s' (vr %u) is of type %s, not %s", fn, vi->name, vr,
                 CLASS_NAMES[fmi2_class(vi->type)], CLASS_NAMES[cls]);
        return NULL;
    }
    return vi;
}

/* Calculated values must be current before a get (outside Instantiated). */
#define UPDATE_FOR_GET()                                  \
    do {                                                  \
        ModelStatus ust = core_update(m);                 \
        if (ust > MODEL_WARNING) RET(ust);                \
    } while (0)

#define CHECK_ARRAYS(fn)                                                                   \
    if (nvr > 0 && (vr == NULL || value == NULL)) {                                        \
        FMI2_LOG(m, fmi2Error, "logStatusError", "%s: NULL array for %zu values", fn, nvr); \
        RET(MODEL_ERROR);                                                                  \
    }

fmi2Status fmi2GetReal(fmi2Component c, const fmi2ValueReference vr[], size_t nvr, fmi2Real value[]) {
    BEGIN("fmi2GetReal", GET_STATES);
    CHECK_ARRAYS("fmi2GetReal");
    if (m->state != ST_ERROR) UPDATE_FOR_GET();
    for (size_t i = 0; i < nvr; i++) {
        const ModelVarInfo *vi = lookup(m, "fmi2GetReal", vr[i], CLASS_REAL);
        if (vi == NULL) RET(MODEL_ERROR);
        const void *p = core_var_ptr(m, vi);
        switch (vi->type) {
        case MT_FLOAT64: value[i] = *(const double *)p; break;
        case MT_FLOAT32: value[i] = *(const float *)p; break;
        case MT_UINT32: value[i] = *(const uint32_t *)p; break;
        case MT_INT64: value[i] = (double)*(const int64_t *)p; break;
        case MT_UINT64: value[i] = (double)*(const uint64_t *)p; break;
        default: RET(MODEL_ERROR);
        }
    }
    return fmi2OK;
}

fmi2Status fmi2GetInteger(fmi2Component c, const fmi2ValueReference vr[], size_t nvr, fmi2Integer value[]) {
    BEGIN("fmi2GetInteger", GET_STATES);
    CHECK_ARRAYS("fmi2GetInteger");
    if (m->state != ST_ERROR) UPDATE_FOR_GET();
    for (size_t i = 0; i < nvr; i++) {
        const ModelVarInfo *vi = lookup(m, "fmi2GetInteger", vr[i], CLASS_INTEGER);
        if (vi == NULL) RET(MODEL_ERROR);
        const void *p = core_var_ptr(m, vi);
        switch (vi->type) {
        case MT_INT8: value[i] = *(const int8_t *)p; break;
        case MT_UINT8: value[i] = *(const uint8_t *)p; break;
        case MT_INT16: value[i] = *(const int16_t *)p; break;
        case MT_UINT16: value[i] = *(const uint16_t *)p; break;
        case MT_INT32: value[i] = *(const int32_t *)p; break;
        default: RET(MODEL_ERROR);
        }
    }
    return fmi2OK;
}

fmi2Status fmi2GetBoolean(fmi2Component c, const fmi2ValueReference vr[], size_t nvr, fmi2Boolean value[]) {
    BEGIN("fmi2GetBoolean", GET_STATES);
    CHECK_ARRAYS("fmi2GetBoolean");
    if (m->state != ST_ERROR) UPDATE_FOR_GET();
    for (size_t i = 0; i < nvr; i++) {
        const ModelVarInfo *vi = lookup(m, "fmi2GetBoolean", vr[i], CLASS_BOOLEAN);
        if (vi == NULL) RET(MODEL_ERROR);
        value[i] = *(const bool *)core_var_ptr(m, vi) ? fmi2True : fmi2False;
    }
    return fmi2OK;
}

fmi2Status fmi2GetString(fmi2Component c, const fmi2ValueReference vr[], size_t nvr, fmi2String value[]) {
    BEGIN("fmi2GetString", GET_STATES);
    CHECK_ARRAYS("fmi2GetString");
    if (m->state != ST_ERROR) UPDATE_FOR_GET();
    for (size_t i = 0; i < nvr; i++) {
        const ModelVarInfo *vi = lookup(m, "fmi2GetString", vr[i], CLASS_STRING);
        if (vi == NULL) RET(MODEL_ERROR);
        const char *s = *(char *const *)core_var_ptr(m, vi);
        value[i] = s != NULL ? s : "";
    }
    return fmi2OK;
}

static bool in_range(double v, double lo, double hi) { return v >= lo && v <= hi; }

fmi2Status fmi2SetReal(fmi2Component c, const fmi2ValueReference vr[], size_t nvr, const fmi2Real value[]) {
    BEGIN("fmi2SetReal", SET_STATES);
    CHECK_ARRAYS("fmi2SetReal");
    for (size_t i = 0; i < nvr; i++) {
        const ModelVarInfo *vi = lookup(m, "fmi2SetReal", vr[i], CLASS_REAL);
        if (vi == NULL || core_check_settable(m, "fmi2SetReal", vi) != MODEL_OK) RET(MODEL_ERROR);
        void *p = core_var_ptr(m, vi);
        const double v = value[i];
        const bool integral = v == floor(v);
        bool ok = true;
        switch (vi->type) {
        case MT_FLOAT64: *(double *)p = v; break;
        case MT_FLOAT32:
            ok = !isfinite(v) || fabs(v) <= FLT_MAX;
            if (ok) *(float *)p = (float)v;
            break;
        case MT_UINT32:
            ok = integral && in_range(v, 0, 4294967295.0);
            if (ok) *(uint32_t *)p = (uint32_t)v;
            break;
        case MT_INT64: /* [-2^63, 2^63) */
            ok = integral && v >= -9223372036854775808.0 && v < 9223372036854775808.0;
            if (ok) *(int64_t *)p = (int64_t)v;
            break;
        case MT_UINT64:
            ok = integral && v >= 0 && v < 18446744073709551616.0;
            if (ok) *(uint64_t *)p = (uint64_t)v;
            break;
        default: ok = false;
        }
        if (!ok) {
            FMI2_LOG(m, fmi2Error, "logStatusError", "fmi2SetReal: value %.17g does not fit variable '%s' (an integer or float32 variable exposed as Real)",
                     v, vi->name);
            RET(MODEL_ERROR);
        }
    }
    m->dirty = true;
    return fmi2OK;
}

fmi2Status fmi2SetInteger(fmi2Component c, const fmi2ValueReference vr[], size_t nvr, const fmi2Integer value[]) {
    BEGIN("fmi2SetInteger", SET_STATES);
    CHECK_ARRAYS("fmi2SetInteger");
    for (size_t i = 0; i < nvr; i++) {
        const ModelVarInfo *vi = lookup(m, "fmi2SetInteger", vr[i], CLASS_INTEGER);
        if (vi == NULL || core_check_settable(m, "fmi2SetInteger", vi) != MODEL_OK) RET(MODEL_ERROR);
        void *p = core_var_ptr(m, vi);
        const int v = value[i];
        bool ok = true;
        switch (vi->type) {
        case MT_INT8: ok = v >= INT8_MIN && v <= INT8_MAX; if (ok) *(int8_t *)p = (int8_t)v; break;
        case MT_UINT8: ok = v >= 0 && v <= UINT8_MAX; if (ok) *(uint8_t *)p = (uint8_t)v; break;
        case MT_INT16: ok = v >= INT16_MIN && v <= INT16_MAX; if (ok) *(int16_t *)p = (int16_t)v; break;
        case MT_UINT16: ok = v >= 0 && v <= UINT16_MAX; if (ok) *(uint16_t *)p = (uint16_t)v; break;
        case MT_INT32: *(int32_t *)p = v; break;
        default: ok = false;
        }
        if (!ok) {
            FMI2_LOG(m, fmi2Error, "logStatusError", "fmi2SetInteger: value %d is out of range for variable '%s'", v,
                     vi->name);
            RET(MODEL_ERROR);
        }
    }
    m->dirty = true;
    return fmi2OK;
}

fmi2Status fmi2SetBoolean(fmi2Component c, const fmi2ValueReference vr[], size_t nvr, const fmi2Boolean value[]) {
    BEGIN("fmi2SetBoolean", SET_STATES);
    CHECK_ARRAYS("fmi2SetBoolean");
    for (size_t i = 0; i < nvr; i++) {
        const ModelVarInfo *vi = lookup(m, "fmi2SetBoolean", vr[i], CLASS_BOOLEAN);
        if (vi == NULL || core_check_settable(m, "fmi2SetBoolean", vi) != MODEL_OK) RET(MODEL_ERROR);
        *(bool *)core_var_ptr(m, vi) = value[i] != fmi2False;
    }
    m->dirty = true;
    return fmi2OK;
}

fmi2Status fmi2SetString(fmi2Component c, const fmi2ValueReference vr[], size_t nvr, const fmi2String value[]) {
    BEGIN("fmi2SetString", SET_STATES);
    CHECK_ARRAYS("fmi2SetString");
    for (size_t i = 0; i < nvr; i++) {
        const ModelVarInfo *vi = lookup(m, "fmi2SetString", vr[i], CLASS_STRING);
        if (vi == NULL || core_check_settable(m, "fmi2SetString", vi) != MODEL_OK) RET(MODEL_ERROR);
        if (value[i] == NULL) {
            FMI2_LOG(m, fmi2Error, "logStatusError", "fmi2SetString: NULL string for variable '%s'", vi->name);
            RET(MODEL_ERROR);
        }
        if (model_set_string(m, (char **)core_var_ptr(m, vi), value[i]) != MODEL_OK) RET(MODEL_ERROR);
    }
    return fmi2OK;
}

/* --- unsupported optional features (declared false in modelDescription.xml) ---------------- */

static fmi2Status unsupported(fmi2Component c, const char *fn, const char *capability) {
    ModelInstance *m = (ModelInstance *)c;
    if (m == NULL) return fmi2Error;
    FMI2_LOG(m, fmi2Error, "logStatusError", "%s: not supported (%s=\"false\" in modelDescription.xml)", fn, capability);
    return fmi2Error;
}

fmi2Status fmi2GetFMUstate(fmi2Component c, fmi2FMUstate *state) {
    (void)state;
    return unsupported(c, "fmi2GetFMUstate", "canGetAndSetFMUstate");
}
fmi2Status fmi2SetFMUstate(fmi2Component c, fmi2FMUstate state) {
    (void)state;
    return unsupported(c, "fmi2SetFMUstate", "canGetAndSetFMUstate");
}
fmi2Status fmi2FreeFMUstate(fmi2Component c, fmi2FMUstate *state) {
    (void)state;
    return unsupported(c, "fmi2FreeFMUstate", "canGetAndSetFMUstate");
}
fmi2Status fmi2SerializedFMUstateSize(fmi2Component c, fmi2FMUstate state, size_t *size) {
    (void)state, (void)size;
    return unsupported(c, "fmi2SerializedFMUstateSize", "canSerializeFMUstate");
}
fmi2Status fmi2SerializeFMUstate(fmi2Component c, fmi2FMUstate state, fmi2Byte serializedState[], size_t size) {
    (void)state, (void)serializedState, (void)size;
    return unsupported(c, "fmi2SerializeFMUstate", "canSerializeFMUstate");
}
fmi2Status fmi2DeSerializeFMUstate(fmi2Component c, const fmi2Byte serializedState[], size_t size, fmi2FMUstate *state) {
    (void)state, (void)serializedState, (void)size;
    return unsupported(c, "fmi2DeSerializeFMUstate", "canSerializeFMUstate");
}
fmi2Status fmi2GetDirectionalDerivative(fmi2Component c, const fmi2ValueReference vUnknown_ref[], size_t nUnknown,
                                        const fmi2ValueReference vKnown_ref[], size_t nKnown, const fmi2Real dvKnown[],
                                        fmi2Real dvUnknown[]) {
    (void)vUnknown_ref, (void)nUnknown, (void)vKnown_ref, (void)nKnown, (void)dvKnown, (void)dvUnknown;
    return unsupported(c, "fmi2GetDirectionalDerivative", "providesDirectionalDerivative");
}

/* --- Model Exchange ---------------------------------------------------------------------- */

fmi2Status fmi2EnterEventMode(fmi2Component c) {
    BEGIN("fmi2EnterEventMode", ST_EVENT | ST_CONT);
    REQUIRE_KIND("fmi2EnterEventMode", MODEL_KIND_ME);
    core_enter_event_mode(m);
    return fmi2OK;
}

fmi2Status fmi2NewDiscreteStates(fmi2Component c, fmi2EventInfo *eventInfo) {
    BEGIN("fmi2NewDiscreteStates", ST_EVENT);
    REQUIRE_KIND("fmi2NewDiscreteStates", MODEL_KIND_ME);
    if (eventInfo == NULL) {
        FMI2_LOG(m, fmi2Error, "logStatusError", "fmi2NewDiscreteStates: eventInfo is NULL");
        RET(MODEL_ERROR);
    }
    ModelEventInfo ev;
    ModelStatus st = core_event_update(m, &ev);
    eventInfo->newDiscreteStatesNeeded = ev.discrete_states_need_update;
    eventInfo->terminateSimulation = ev.terminate_simulation;
    eventInfo->nominalsOfContinuousStatesChanged = ev.nominals_of_continuous_states_changed;
    eventInfo->valuesOfContinuousStatesChanged = ev.values_of_continuous_states_changed;
    eventInfo->nextEventTimeDefined = m->next_event_time_defined;
    eventInfo->nextEventTime = m->next_event_time_defined ? m->next_event_time : 0;
    RET(st);
}

fmi2Status fmi2EnterContinuousTimeMode(fmi2Component c) {
    BEGIN("fmi2EnterContinuousTimeMode", ST_EVENT);
    REQUIRE_KIND("fmi2EnterContinuousTimeMode", MODEL_KIND_ME);
    m->state = ST_CONT;
    return fmi2OK;
}

fmi2Status fmi2CompletedIntegratorStep(fmi2Component c, fmi2Boolean noSetFMUStatePriorToCurrentPoint,
                                       fmi2Boolean *enterEventMode, fmi2Boolean *terminateSimulation) {
    (void)noSetFMUStatePriorToCurrentPoint;
    BEGIN("fmi2CompletedIntegratorStep", ST_CONT);
    REQUIRE_KIND("fmi2CompletedIntegratorStep", MODEL_KIND_ME);
    bool step_event = false;
    if (model_hooks.step_completed != NULL) {
        ModelStatus st = core_update(m);
        if (st > MODEL_WARNING) RET(st);
        step_event = model_hooks.step_completed(m);
    }
    if (enterEventMode != NULL) *enterEventMode = step_event ? fmi2True : fmi2False;
    if (terminateSimulation != NULL) *terminateSimulation = fmi2False;
    return fmi2OK;
}

fmi2Status fmi2SetTime(fmi2Component c, fmi2Real time) {
    BEGIN("fmi2SetTime", ST_EVENT | ST_CONT);
    REQUIRE_KIND("fmi2SetTime", MODEL_KIND_ME);
    RET(core_set_time(m, "fmi2SetTime", time));
}

#define CHECK_NX(fn, n, expected, arr)                                                                          \
    if ((n) != (expected) || ((n) > 0 && (arr) == NULL)) {                                                      \
        FMI2_LOG(m, fmi2Error, "logStatusError", "%s: got %zu values, the model has %zu", fn, (size_t)(n),     \
                 (size_t)(expected));                                                                           \
        RET(MODEL_ERROR);                                                                                       \
    }

fmi2Status fmi2SetContinuousStates(fmi2Component c, const fmi2Real x[], size_t nx) {
    BEGIN("fmi2SetContinuousStates", ST_EVENT | ST_CONT);
    REQUIRE_KIND("fmi2SetContinuousStates", MODEL_KIND_ME);
    CHECK_NX("fmi2SetContinuousStates", nx, MODEL_NX, x);
    core_set_states(m, x);
    return fmi2OK;
}

#define ME_GET_STATES (ST_INIT | ST_EVENT | ST_CONT | ST_TERMINATED | ST_ERROR)

fmi2Status fmi2GetDerivatives(fmi2Component c, fmi2Real derivatives[], size_t nx) {
    BEGIN("fmi2GetDerivatives", ME_GET_STATES);
    REQUIRE_KIND("fmi2GetDerivatives", MODEL_KIND_ME);
    CHECK_NX("fmi2GetDerivatives", nx, MODEL_NX, derivatives);
    RET(core_get_derivatives(m, derivatives));
}

fmi2Status fmi2GetEventIndicators(fmi2Component c, fmi2Real eventIndicators[], size_t ni) {
    BEGIN("fmi2GetEventIndicators", ME_GET_STATES);
    REQUIRE_KIND("fmi2GetEventIndicators", MODEL_KIND_ME);
    CHECK_NX("fmi2GetEventIndicators", ni, MODEL_NZ, eventIndicators);
    RET(core_get_event_indicators(m, eventIndicators));
}

fmi2Status fmi2GetContinuousStates(fmi2Component c, fmi2Real x[], size_t nx) {
    BEGIN("fmi2GetContinuousStates", ME_GET_STATES);
    REQUIRE_KIND("fmi2GetContinuousStates", MODEL_KIND_ME);
    CHECK_NX("fmi2GetContinuousStates", nx, MODEL_NX, x);
    core_get_states(m, x);
    return fmi2OK;
}

fmi2Status fmi2GetNominalsOfContinuousStates(fmi2Component c, fmi2Real x_nominal[], size_t nx) {
    BEGIN("fmi2GetNominalsOfContinuousStates", ME_GET_STATES | ST_INSTANTIATED);
    REQUIRE_KIND("fmi2GetNominalsOfContinuousStates", MODEL_KIND_ME);
    CHECK_NX("fmi2GetNominalsOfContinuousStates", nx, MODEL_NX, x_nominal);
    core_get_nominals(m, x_nominal);
    return fmi2OK;
}

/* --- Co-Simulation ----------------------------------------------------------------------- */

fmi2Status fmi2SetRealInputDerivatives(fmi2Component c, const fmi2ValueReference vr[], size_t nvr,
                                       const fmi2Integer order[], const fmi2Real value[]) {
    (void)vr, (void)nvr, (void)order, (void)value;
    return unsupported(c, "fmi2SetRealInputDerivatives", "canInterpolateInputs");
}

fmi2Status fmi2GetRealOutputDerivatives(fmi2Component c, const fmi2ValueReference vr[], size_t nvr,
                                        const fmi2Integer order[], fmi2Real value[]) {
    (void)vr, (void)nvr, (void)order, (void)value;
    return unsupported(c, "fmi2GetRealOutputDerivatives", "maxOutputDerivativeOrder>0");
}

fmi2Status fmi2DoStep(fmi2Component c, fmi2Real currentCommunicationPoint, fmi2Real communicationStepSize,
                      fmi2Boolean noSetFMUStatePriorToCurrentPoint) {
    (void)noSetFMUStatePriorToCurrentPoint;
    BEGIN("fmi2DoStep", ST_STEP);
    REQUIRE_KIND("fmi2DoStep", MODEL_KIND_CS);
    bool terminate = false;
    double reached = m->time;
    ModelStatus st = core_do_step(m, currentCommunicationPoint, communicationStepSize, &terminate, &reached);
    Fmi2Data *d = m->adapter_data;
    if (st > MODEL_WARNING) {
        d->last_step_status = (fmi2Status)st;
        RET(st);
    }
    m->last_successful_time = reached;
    if (terminate) {
        /* FMI 2: the slave stopped inside the step; the master reads fmi2LastSuccessfulTime / fmi2Terminated. */
        FMI2_LOG(m, fmi2OK, "logEvents", "fmi2DoStep: the model requested termination at t = %.17g", reached);
        m->state = ST_STEP_FAILED;
        d->last_step_status = fmi2Discard;
        return fmi2Discard;
    }
    d->last_step_status = (fmi2Status)st;
    return (fmi2Status)st;
}

fmi2Status fmi2CancelStep(fmi2Component c) {
    return unsupported(c, "fmi2CancelStep", "asynchronous doStep");
}

#define STATUS_STATES (ST_STEP | ST_STEP_FAILED | ST_TERMINATED | ST_ERROR)

fmi2Status fmi2GetStatus(fmi2Component c, const fmi2StatusKind s, fmi2Status *value) {
    BEGIN("fmi2GetStatus", STATUS_STATES);
    if (s != fmi2DoStepStatus || value == NULL) {
        FMI2_LOG(m, fmi2Error, "logStatusError", "fmi2GetStatus: status kind %d not available (only fmi2DoStepStatus)%s",
                 (int)s, value == NULL ? ", or value is NULL" : "");
        return fmi2Error;
    }
    *value = ((Fmi2Data *)m->adapter_data)->last_step_status;
    return fmi2OK;
}

fmi2Status fmi2GetRealStatus(fmi2Component c, const fmi2StatusKind s, fmi2Real *value) {
    BEGIN("fmi2GetRealStatus", STATUS_STATES);
    if (s != fmi2LastSuccessfulTime || value == NULL) {
        FMI2_LOG(m, fmi2Error, "logStatusError", "fmi2GetRealStatus: status kind %d not available (only fmi2LastSuccessfulTime)%s",
                 (int)s, value == NULL ? ", or value is NULL" : "");
        return fmi2Error;
    }
    *value = m->last_successful_time;
    return fmi2OK;
}

fmi2Status fmi2GetIntegerStatus(fmi2Component c, const fmi2StatusKind s, fmi2Integer *value) {
    (void)value;
    BEGIN("fmi2GetIntegerStatus", STATUS_STATES);
    FMI2_LOG(m, fmi2Error, "logStatusError", "fmi2GetIntegerStatus: status kind %d not available", (int)s);
    return fmi2Error;
}

fmi2Status fmi2GetBooleanStatus(fmi2Component c, const fmi2StatusKind s, fmi2Boolean *value) {
    BEGIN("fmi2GetBooleanStatus", STATUS_STATES);
    if (s != fmi2Terminated || value == NULL) {
        FMI2_LOG(m, fmi2Error, "logStatusError", "fmi2GetBooleanStatus: status kind %d not available (only fmi2Terminated)%s",
                 (int)s, value == NULL ? ", or value is NULL" : "");
        return fmi2Error;
    }
    *value = m->terminated_by_model ? fmi2True : fmi2False;
    return fmi2OK;
}

fmi2Status fmi2GetStringStatus(fmi2Component c, const fmi2StatusKind s, fmi2String *value) {
    (void)value;
    BEGIN("fmi2GetStringStatus", STATUS_STATES);
    FMI2_LOG(m, fmi2Error, "logStatusError", "fmi2GetStringStatus: status kind %d not available", (int)s);
    return fmi2Error;
}
