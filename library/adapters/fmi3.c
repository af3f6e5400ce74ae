/*
 * Generic FMI 3.0 adapter (Model Exchange + Co-Simulation without event mode) over the model
 * interface. Every standard function is exported; Scheduled Execution, clocks, configuration
 * mode, FMU state and derivatives are stubs that log why and return fmi3Error.
 * Variables map 1:1 onto FMI 3 types; arrays are not supported (nValues must equal nvr).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "fmi3Functions.h" /* the gateway's own FMI 3.0 headers (library/include/fmi) */

/* The value-reference parameters every FMI 3 getter and setter starts with. */
#define FMI3_VR const fmi3ValueReference valueReferences[], size_t nValueReferences

typedef struct {
    fmi3LogMessageCallback log;
    fmi3InstanceEnvironment env;
} Fmi3Data;

static void forward_log(ModelInstance *m, ModelStatus status, const char *category, const char *message) {
    Fmi3Data *d = m->adapter_data;
    if (d->log != NULL) d->log(d->env, (fmi3Status)status, category, message);
}

#define LOG_ERROR(m, ...) core_log((m), MODEL_ERROR, "logStatusError", __VA_ARGS__)

#define ANY_STATE (ST_INSTANTIATED | ST_INIT | ST_EVENT | ST_CONT | ST_STEP | ST_TERMINATED | ST_ERROR | ST_CONFIGURATION)
#define GET_STATES (ST_INIT | ST_EVENT | ST_CONT | ST_STEP | ST_TERMINATED | ST_ERROR)
#define SET_STATES (ST_INSTANTIATED | ST_INIT | ST_EVENT | ST_CONT | ST_STEP)

#define BEGIN(fn, allowed)                                   \
    ModelInstance *m = (ModelInstance *)instance;            \
    if (m == NULL) return fmi3Error;                         \
    if (!core_check_state(m, fn, (allowed))) return fmi3Error

#define REQUIRE_KIND(fn, k)                                                                                        \
    if (m->kind != (k)) {                                                                                          \
        LOG_ERROR(m, "%s: only for %s instances", fn, (k) == MODEL_KIND_ME ? "Model Exchange" : "Co-Simulation"); \
        return (fmi3Status)core_track(m, MODEL_ERROR);                                                             \
    }

#define RET(st) return (fmi3Status)core_track(m, (st))

const char *fmi3GetVersion(void) { return "3.0"; }

static fmi3Instance instantiate(const char *fn, fmi3String instanceName, fmi3String token, fmi3String resourcePath,
                                fmi3Boolean loggingOn, fmi3InstanceEnvironment env, fmi3LogMessageCallback logMessage,
                                ModelKind kind) {
    if (token == NULL || strcmp(token, MODEL_GUID) != 0) {
        if (logMessage != NULL) {
            char msg[512];
            snprintf(msg, sizeof msg,
                     "%s: instantiationToken '%s' does not match this binary's token '%s' (modelDescription.xml and "
                     "binary are from different builds)",
                     fn, token != NULL ? token : "(null)", MODEL_GUID);
            logMessage(env, fmi3Error, "logStatusError", msg);
        }
        return NULL;
    }
    Fmi3Data *data = calloc(1, sizeof *data);
    if (data == NULL) return NULL;
    data->log = logMessage;
    data->env = env;
    ModelInstance *m = core_instantiate(instanceName != NULL ? instanceName : "", kind, 3, resourcePath, loggingOn,
                                        forward_log, data);
    if (m == NULL) {
        if (logMessage != NULL) logMessage(env, fmi3Error, "logStatusError", "instantiate: out of memory or invalid start values");
        free(data);
        return NULL;
    }
    core_log(m, MODEL_OK, "logAll", "%s: instance '%s' of %s created", fn, m->instance_name, MODEL_IDENTIFIER);
    return m;
}

fmi3Instance fmi3InstantiateModelExchange(fmi3String instanceName, fmi3String instantiationToken, fmi3String resourcePath,
                                          fmi3Boolean visible, fmi3Boolean loggingOn, fmi3InstanceEnvironment instanceEnvironment,
                                          fmi3LogMessageCallback logMessage) {
    (void)visible;
    return instantiate("fmi3InstantiateModelExchange", instanceName, instantiationToken, resourcePath, loggingOn,
                       instanceEnvironment, logMessage, MODEL_KIND_ME);
}

fmi3Instance fmi3InstantiateCoSimulation(fmi3String instanceName, fmi3String instantiationToken, fmi3String resourcePath,
                                         fmi3Boolean visible, fmi3Boolean loggingOn, fmi3Boolean eventModeUsed,
                                         fmi3Boolean earlyReturnAllowed, const fmi3ValueReference requiredIntermediateVariables[],
                                         size_t nRequiredIntermediateVariables, fmi3InstanceEnvironment instanceEnvironment,
                                         fmi3LogMessageCallback logMessage, fmi3IntermediateUpdateCallback intermediateUpdate) {
    /* hasEventMode="false": events are handled inside doStep, so eventModeUsed is ignored;
       no intermediate updates are provided. */
    (void)visible, (void)eventModeUsed, (void)earlyReturnAllowed, (void)requiredIntermediateVariables;
    (void)nRequiredIntermediateVariables, (void)intermediateUpdate;
    return instantiate("fmi3InstantiateCoSimulation", instanceName, instantiationToken, resourcePath, loggingOn,
                       instanceEnvironment, logMessage, MODEL_KIND_CS);
}

fmi3Instance fmi3InstantiateScheduledExecution(fmi3String instanceName, fmi3String instantiationToken, fmi3String resourcePath,
                                               fmi3Boolean visible, fmi3Boolean loggingOn, fmi3InstanceEnvironment instanceEnvironment,
                                               fmi3LogMessageCallback logMessage, fmi3ClockUpdateCallback clockUpdate,
                                               fmi3LockPreemptionCallback lockPreemption, fmi3UnlockPreemptionCallback unlockPreemption) {
    (void)instanceName, (void)instantiationToken, (void)resourcePath, (void)visible, (void)loggingOn;
    (void)clockUpdate, (void)lockPreemption, (void)unlockPreemption;
    if (logMessage != NULL)
        logMessage(instanceEnvironment, fmi3Error, "logStatusError",
                   "fmi3InstantiateScheduledExecution: Scheduled Execution is not supported by " MODEL_IDENTIFIER);
    return NULL;
}

void fmi3FreeInstance(fmi3Instance instance) {
    ModelInstance *m = (ModelInstance *)instance;
    if (m == NULL) return;
    void *data = m->adapter_data;
    core_free(m);
    free(data);
}

fmi3Status fmi3SetDebugLogging(fmi3Instance instance, fmi3Boolean loggingOn, size_t nCategories, const fmi3String categories[]) {
    BEGIN("fmi3SetDebugLogging", ANY_STATE);
    return (fmi3Status)core_set_debug_logging(m, "fmi3SetDebugLogging", loggingOn, nCategories, categories);
}

fmi3Status fmi3EnterInitializationMode(fmi3Instance instance, fmi3Boolean toleranceDefined, fmi3Float64 tolerance,
                                       fmi3Float64 startTime, fmi3Boolean stopTimeDefined, fmi3Float64 stopTime) {
    BEGIN("fmi3EnterInitializationMode", ST_INSTANTIATED);
    RET(core_enter_initialization(m, toleranceDefined, tolerance, startTime, stopTimeDefined, stopTime));
}

fmi3Status fmi3ExitInitializationMode(fmi3Instance instance) {
    BEGIN("fmi3ExitInitializationMode", ST_INIT);
    RET(core_exit_initialization(m));
}

fmi3Status fmi3EnterEventMode(fmi3Instance instance) {
    BEGIN("fmi3EnterEventMode", ST_EVENT | ST_CONT);
    REQUIRE_KIND("fmi3EnterEventMode", MODEL_KIND_ME);
    core_enter_event_mode(m);
    return fmi3OK;
}

fmi3Status fmi3Terminate(fmi3Instance instance) {
    BEGIN("fmi3Terminate", ST_EVENT | ST_CONT | ST_STEP);
    m->state = ST_TERMINATED;
    return fmi3OK;
}

fmi3Status fmi3Reset(fmi3Instance instance) {
    BEGIN("fmi3Reset", ANY_STATE);
    RET(core_reset(m));
}

/* --- get / set ----------------------------------------------------------------------------- */

static const char *const TYPE_NAMES[] = {"Float32", "Float64", "Int8", "UInt8", "Int16", "UInt16", "Int32",
                                         "UInt32", "Int64", "UInt64", "Boolean", "String", "Binary"};

static const ModelVarInfo *lookup(ModelInstance *m, const char *fn, fmi3ValueReference vr, ModelVarType type) {
    const ModelVarInfo *vi = core_var(m, fn, vr);
    if (vi == NULL) return NULL;
    if (vi->type != type) {
        LOG_ERROR(m, "%s: variable '%s' (vr %u) is of type %s, not %s", fn, vi->name, (unsigned)vr,
                  TYPE_NAMES[vi->type], TYPE_NAMES[type]);
        return NULL;
    }
    return vi;
}

/* Arrays are not supported: one value per value reference. */
static bool check_counts(ModelInstance *m, const char *fn, const void *vrs, size_t nvr, const void *values, size_t nValues) {
    if (nValues != nvr) {
        LOG_ERROR(m, "%s: nValues (%zu) must equal nValueReferences (%zu): this model has no array variables", fn,
                  nValues, nvr);
        return false;
    }
    if (nvr > 0 && (vrs == NULL || values == NULL)) {
        LOG_ERROR(m, "%s: NULL array for %zu values", fn, nvr);
        return false;
    }
    return true;
}

#define DEFINE_GET(NAME, CTYPE, MT)                                                                       \
    fmi3Status fmi3Get##NAME(fmi3Instance instance, FMI3_VR, CTYPE values[], size_t nValues) {           \
        BEGIN("fmi3Get" #NAME, GET_STATES);                                                               \
        if (!check_counts(m, "fmi3Get" #NAME, valueReferences, nValueReferences, values, nValues))        \
            RET(MODEL_ERROR);                                                                             \
        if (m->state != ST_ERROR) {                                                                       \
            ModelStatus ust = core_update(m);                                                             \
            if (ust > MODEL_WARNING) RET(ust);                                                            \
        }                                                                                                 \
        for (size_t i = 0; i < nValueReferences; i++) {                                                   \
            const ModelVarInfo *vi = lookup(m, "fmi3Get" #NAME, valueReferences[i], MT);                  \
            if (vi == NULL) RET(MODEL_ERROR);                                                             \
            values[i] = *(const CTYPE *)core_var_ptr(m, vi);                                              \
        }                                                                                                 \
        return fmi3OK;                                                                                    \
    }

#define DEFINE_SET(NAME, CTYPE, MT)                                                                       \
    fmi3Status fmi3Set##NAME(fmi3Instance instance, FMI3_VR, const CTYPE values[], size_t nValues) {     \
        BEGIN("fmi3Set" #NAME, SET_STATES);                                                               \
        if (!check_counts(m, "fmi3Set" #NAME, valueReferences, nValueReferences, values, nValues))        \
            RET(MODEL_ERROR);                                                                             \
        for (size_t i = 0; i < nValueReferences; i++) {                                                   \
            const ModelVarInfo *vi = lookup(m, "fmi3Set" #NAME, valueReferences[i], MT);                  \
            if (vi == NULL || core_check_settable(m, "fmi3Set" #NAME, vi) != MODEL_OK) RET(MODEL_ERROR);  \
            *(CTYPE *)core_var_ptr(m, vi) = values[i];                                                    \
        }                                                                                                 \
        m->dirty = true;                                                                                  \
        return fmi3OK;                                                                                    \
    }

#define DEFINE_GET_SET(NAME, CTYPE, MT) DEFINE_GET(NAME, CTYPE, MT) DEFINE_SET(NAME, CTYPE, MT)

DEFINE_GET_SET(Float32, fmi3Float32, MT_FLOAT32)
DEFINE_GET_SET(Float64, fmi3Float64, MT_FLOAT64)
DEFINE_GET_SET(Int8, fmi3Int8, MT_INT8)
DEFINE_GET_SET(UInt8, fmi3UInt8, MT_UINT8)
DEFINE_GET_SET(Int16, fmi3Int16, MT_INT16)
DEFINE_GET_SET(UInt16, fmi3UInt16, MT_UINT16)
DEFINE_GET_SET(Int32, fmi3Int32, MT_INT32)
DEFINE_GET_SET(UInt32, fmi3UInt32, MT_UINT32)
DEFINE_GET_SET(Int64, fmi3Int64, MT_INT64)
DEFINE_GET_SET(UInt64, fmi3UInt64, MT_UINT64)
DEFINE_GET_SET(Boolean, fmi3Boolean, MT_BOOLEAN)

fmi3Status fmi3GetString(fmi3Instance instance, FMI3_VR, fmi3String values[], size_t nValues) {
    BEGIN("fmi3GetString", GET_STATES);
    if (!check_counts(m, "fmi3GetString", valueReferences, nValueReferences, values, nValues)) RET(MODEL_ERROR);
    for (size_t i = 0; i < nValueReferences; i++) {
        const ModelVarInfo *vi = lookup(m, "fmi3GetString", valueReferences[i], MT_STRING);
        if (vi == NULL) RET(MODEL_ERROR);
        if (m->state != ST_ERROR) {
            ModelStatus ust = core_update(m);
            if (ust > MODEL_WARNING) RET(ust);
        }
        const char *s = *(char *const *)core_var_ptr(m, vi);
        values[i] = s != NULL ? s : "";
    }
    return fmi3OK;
}

fmi3Status fmi3SetString(fmi3Instance instance, FMI3_VR, const fmi3String values[], size_t nValues) {
    BEGIN("fmi3SetString", SET_STATES);
    if (!check_counts(m, "fmi3SetString", valueReferences, nValueReferences, values, nValues)) RET(MODEL_ERROR);
    for (size_t i = 0; i < nValueReferences; i++) {
        const ModelVarInfo *vi = lookup(m, "fmi3SetString", valueReferences[i], MT_STRING);
        if (vi == NULL || core_check_settable(m, "fmi3SetString", vi) != MODEL_OK) RET(MODEL_ERROR);
        if (values[i] == NULL) {
            LOG_ERROR(m, "fmi3SetString: NULL string for variable '%s'", vi->name);
            RET(MODEL_ERROR);
        }
        if (model_set_string(m, (char **)core_var_ptr(m, vi), values[i]) != MODEL_OK) RET(MODEL_ERROR);
    }
    return fmi3OK;
}

fmi3Status fmi3GetBinary(fmi3Instance instance, FMI3_VR, size_t valueSizes[], fmi3Binary values[], size_t nValues) {
    BEGIN("fmi3GetBinary", GET_STATES);
    if (!check_counts(m, "fmi3GetBinary", valueReferences, nValueReferences, values, nValues)) RET(MODEL_ERROR);
    if (nValues > 0 && valueSizes == NULL) {
        LOG_ERROR(m, "fmi3GetBinary: valueSizes is NULL");
        RET(MODEL_ERROR);
    }
    if (m->state != ST_ERROR) {
        ModelStatus ust = core_update(m);
        if (ust > MODEL_WARNING) RET(ust);
    }
    for (size_t i = 0; i < nValueReferences; i++) {
        const ModelVarInfo *vi = lookup(m, "fmi3GetBinary", valueReferences[i], MT_BINARY);
        if (vi == NULL) RET(MODEL_ERROR);
        const ModelBinary *b = core_var_ptr(m, vi);
        values[i] = b->data;
        valueSizes[i] = b->size;
    }
    return fmi3OK;
}

fmi3Status fmi3SetBinary(fmi3Instance instance, FMI3_VR, const size_t valueSizes[], const fmi3Binary values[], size_t nValues) {
    BEGIN("fmi3SetBinary", SET_STATES);
    if (!check_counts(m, "fmi3SetBinary", valueReferences, nValueReferences, values, nValues)) RET(MODEL_ERROR);
    if (nValues > 0 && valueSizes == NULL) {
        LOG_ERROR(m, "fmi3SetBinary: valueSizes is NULL");
        RET(MODEL_ERROR);
    }
    for (size_t i = 0; i < nValueReferences; i++) {
        const ModelVarInfo *vi = lookup(m, "fmi3SetBinary", valueReferences[i], MT_BINARY);
        if (vi == NULL || core_check_settable(m, "fmi3SetBinary", vi) != MODEL_OK) RET(MODEL_ERROR);
        if (values[i] == NULL && valueSizes[i] > 0) {
            LOG_ERROR(m, "fmi3SetBinary: NULL data of %zu bytes for variable '%s'", valueSizes[i], vi->name);
            RET(MODEL_ERROR);
        }
        if (model_set_binary(m, (ModelBinary *)core_var_ptr(m, vi), values[i], valueSizes[i]) != MODEL_OK) RET(MODEL_ERROR);
    }
    return fmi3OK;
}

/* --- unsupported optional features -------------------------------------------------------- */

static fmi3Status unsupported(fmi3Instance instance, const char *fn, const char *why) {
    ModelInstance *m = (ModelInstance *)instance;
    if (m == NULL) return fmi3Error;
    LOG_ERROR(m, "%s: not supported (%s)", fn, why);
    return fmi3Error;
}

#define NO_CLOCKS "this model has no clocks"
fmi3Status fmi3GetClock(fmi3Instance instance, FMI3_VR, fmi3Clock values[]) {
    (void)valueReferences, (void)nValueReferences, (void)values;
    return unsupported(instance, "fmi3GetClock", NO_CLOCKS);
}
fmi3Status fmi3SetClock(fmi3Instance instance, FMI3_VR, const fmi3Clock values[]) {
    (void)valueReferences, (void)nValueReferences, (void)values;
    return unsupported(instance, "fmi3SetClock", NO_CLOCKS);
}
fmi3Status fmi3GetNumberOfVariableDependencies(fmi3Instance instance, fmi3ValueReference valueReference, size_t *nDependencies) {
    (void)valueReference, (void)nDependencies;
    return unsupported(instance, "fmi3GetNumberOfVariableDependencies", "dependencies are not provided");
}
fmi3Status fmi3GetVariableDependencies(fmi3Instance instance, fmi3ValueReference dependent, size_t elementIndicesOfDependent[],
                                       fmi3ValueReference independents[], size_t elementIndicesOfIndependents[],
                                       fmi3DependencyKind dependencyKinds[], size_t nDependencies) {
    (void)dependent, (void)elementIndicesOfDependent, (void)independents, (void)elementIndicesOfIndependents;
    (void)dependencyKinds, (void)nDependencies;
    return unsupported(instance, "fmi3GetVariableDependencies", "dependencies are not provided");
}
#define NO_STATE "canGetAndSetFMUState=\"false\""
fmi3Status fmi3GetFMUState(fmi3Instance instance, fmi3FMUState *FMUState) {
    (void)FMUState;
    return unsupported(instance, "fmi3GetFMUState", NO_STATE);
}
fmi3Status fmi3SetFMUState(fmi3Instance instance, fmi3FMUState FMUState) {
    (void)FMUState;
    return unsupported(instance, "fmi3SetFMUState", NO_STATE);
}
fmi3Status fmi3FreeFMUState(fmi3Instance instance, fmi3FMUState *FMUState) {
    (void)FMUState;
    return unsupported(instance, "fmi3FreeFMUState", NO_STATE);
}
fmi3Status fmi3SerializedFMUStateSize(fmi3Instance instance, fmi3FMUState FMUState, size_t *size) {
    (void)FMUState, (void)size;
    return unsupported(instance, "fmi3SerializedFMUStateSize", NO_STATE);
}
fmi3Status fmi3SerializeFMUState(fmi3Instance instance, fmi3FMUState FMUState, fmi3Byte serializedState[], size_t size) {
    (void)FMUState, (void)serializedState, (void)size;
    return unsupported(instance, "fmi3SerializeFMUState", NO_STATE);
}
fmi3Status fmi3DeserializeFMUState(fmi3Instance instance, const fmi3Byte serializedState[], size_t size, fmi3FMUState *FMUState) {
    (void)FMUState, (void)serializedState, (void)size;
    return unsupported(instance, "fmi3DeserializeFMUState", NO_STATE);
}
fmi3Status fmi3GetDirectionalDerivative(fmi3Instance instance, const fmi3ValueReference unknowns[], size_t nUnknowns,
                                        const fmi3ValueReference knowns[], size_t nKnowns, const fmi3Float64 seed[],
                                        size_t nSeed, fmi3Float64 sensitivity[], size_t nSensitivity) {
    (void)unknowns, (void)nUnknowns, (void)knowns, (void)nKnowns, (void)seed, (void)nSeed, (void)sensitivity, (void)nSensitivity;
    return unsupported(instance, "fmi3GetDirectionalDerivative", "providesDirectionalDerivatives=\"false\"");
}
fmi3Status fmi3GetAdjointDerivative(fmi3Instance instance, const fmi3ValueReference unknowns[], size_t nUnknowns,
                                    const fmi3ValueReference knowns[], size_t nKnowns, const fmi3Float64 seed[],
                                    size_t nSeed, fmi3Float64 sensitivity[], size_t nSensitivity) {
    (void)unknowns, (void)nUnknowns, (void)knowns, (void)nKnowns, (void)seed, (void)nSeed, (void)sensitivity, (void)nSensitivity;
    return unsupported(instance, "fmi3GetAdjointDerivative", "providesAdjointDerivatives=\"false\"");
}
fmi3Status fmi3EnterConfigurationMode(fmi3Instance instance) {
    return unsupported(instance, "fmi3EnterConfigurationMode", "this model has no structural parameters");
}
fmi3Status fmi3ExitConfigurationMode(fmi3Instance instance) {
    return unsupported(instance, "fmi3ExitConfigurationMode", "this model has no structural parameters");
}
fmi3Status fmi3GetIntervalDecimal(fmi3Instance instance, FMI3_VR, fmi3Float64 intervals[], fmi3IntervalQualifier qualifiers[]) {
    (void)valueReferences, (void)nValueReferences, (void)intervals, (void)qualifiers;
    return unsupported(instance, "fmi3GetIntervalDecimal", NO_CLOCKS);
}
fmi3Status fmi3GetIntervalFraction(fmi3Instance instance, FMI3_VR, fmi3UInt64 counters[], fmi3UInt64 resolutions[],
                                   fmi3IntervalQualifier qualifiers[]) {
    (void)valueReferences, (void)nValueReferences, (void)counters, (void)resolutions, (void)qualifiers;
    return unsupported(instance, "fmi3GetIntervalFraction", NO_CLOCKS);
}
fmi3Status fmi3GetShiftDecimal(fmi3Instance instance, FMI3_VR, fmi3Float64 shifts[]) {
    (void)valueReferences, (void)nValueReferences, (void)shifts;
    return unsupported(instance, "fmi3GetShiftDecimal", NO_CLOCKS);
}
fmi3Status fmi3GetShiftFraction(fmi3Instance instance, FMI3_VR, fmi3UInt64 counters[], fmi3UInt64 resolutions[]) {
    (void)valueReferences, (void)nValueReferences, (void)counters, (void)resolutions;
    return unsupported(instance, "fmi3GetShiftFraction", NO_CLOCKS);
}
fmi3Status fmi3SetIntervalDecimal(fmi3Instance instance, FMI3_VR, const fmi3Float64 intervals[]) {
    (void)valueReferences, (void)nValueReferences, (void)intervals;
    return unsupported(instance, "fmi3SetIntervalDecimal", NO_CLOCKS);
}
fmi3Status fmi3SetIntervalFraction(fmi3Instance instance, FMI3_VR, const fmi3UInt64 counters[], const fmi3UInt64 resolutions[]) {
    (void)valueReferences, (void)nValueReferences, (void)counters, (void)resolutions;
    return unsupported(instance, "fmi3SetIntervalFraction", NO_CLOCKS);
}
fmi3Status fmi3SetShiftDecimal(fmi3Instance instance, FMI3_VR, const fmi3Float64 shifts[]) {
    (void)valueReferences, (void)nValueReferences, (void)shifts;
    return unsupported(instance, "fmi3SetShiftDecimal", NO_CLOCKS);
}
fmi3Status fmi3SetShiftFraction(fmi3Instance instance, FMI3_VR, const fmi3UInt64 counters[], const fmi3UInt64 resolutions[]) {
    (void)valueReferences, (void)nValueReferences, (void)counters, (void)resolutions;
    return unsupported(instance, "fmi3SetShiftFraction", NO_CLOCKS);
}
fmi3Status fmi3EvaluateDiscreteStates(fmi3Instance instance) {
    return unsupported(instance, "fmi3EvaluateDiscreteStates", NO_CLOCKS);
}
fmi3Status fmi3ActivateModelPartition(fmi3Instance instance, fmi3ValueReference clockReference, fmi3Float64 activationTime) {
    (void)clockReference, (void)activationTime;
    return unsupported(instance, "fmi3ActivateModelPartition", "Scheduled Execution is not supported");
}
fmi3Status fmi3EnterStepMode(fmi3Instance instance) {
    return unsupported(instance, "fmi3EnterStepMode", "hasEventMode=\"false\": Co-Simulation instances stay in Step Mode");
}
fmi3Status fmi3GetOutputDerivatives(fmi3Instance instance, FMI3_VR, const fmi3Int32 orders[], fmi3Float64 values[], size_t nValues) {
    (void)valueReferences, (void)nValueReferences, (void)orders, (void)values, (void)nValues;
    return unsupported(instance, "fmi3GetOutputDerivatives", "maxOutputDerivativeOrder=\"0\"");
}

/* --- Model Exchange ---------------------------------------------------------------------- */

fmi3Status fmi3UpdateDiscreteStates(fmi3Instance instance, fmi3Boolean *discreteStatesNeedUpdate, fmi3Boolean *terminateSimulation,
                                    fmi3Boolean *nominalsOfContinuousStatesChanged, fmi3Boolean *valuesOfContinuousStatesChanged,
                                    fmi3Boolean *nextEventTimeDefined, fmi3Float64 *nextEventTime) {
    BEGIN("fmi3UpdateDiscreteStates", ST_EVENT);
    REQUIRE_KIND("fmi3UpdateDiscreteStates", MODEL_KIND_ME);
    ModelEventInfo ev;
    ModelStatus st = core_event_update(m, &ev);
    /* Every out-argument is optional for robustness against importers passing NULL. */
    if (discreteStatesNeedUpdate) *discreteStatesNeedUpdate = ev.discrete_states_need_update;
    if (terminateSimulation) *terminateSimulation = ev.terminate_simulation;
    if (nominalsOfContinuousStatesChanged) *nominalsOfContinuousStatesChanged = ev.nominals_of_continuous_states_changed;
    if (valuesOfContinuousStatesChanged) *valuesOfContinuousStatesChanged = ev.values_of_continuous_states_changed;
    if (nextEventTimeDefined) *nextEventTimeDefined = m->next_event_time_defined;
    if (nextEventTime) *nextEventTime = m->next_event_time_defined ? m->next_event_time : 0;
    RET(st);
}

fmi3Status fmi3EnterContinuousTimeMode(fmi3Instance instance) {
    BEGIN("fmi3EnterContinuousTimeMode", ST_EVENT);
    REQUIRE_KIND("fmi3EnterContinuousTimeMode", MODEL_KIND_ME);
    m->state = ST_CONT;
    return fmi3OK;
}

fmi3Status fmi3CompletedIntegratorStep(fmi3Instance instance, fmi3Boolean noSetFMUStatePriorToCurrentPoint,
                                       fmi3Boolean *enterEventMode, fmi3Boolean *terminateSimulation) {
    (void)noSetFMUStatePriorToCurrentPoint;
    BEGIN("fmi3CompletedIntegratorStep", ST_CONT);
    REQUIRE_KIND("fmi3CompletedIntegratorStep", MODEL_KIND_ME);
    bool step_event = false;
    if (model_hooks.step_completed != NULL) {
        ModelStatus st = core_update(m);
        if (st > MODEL_WARNING) RET(st);
        step_event = model_hooks.step_completed(m);
    }
    if (enterEventMode) *enterEventMode = step_event;
    if (terminateSimulation) *terminateSimulation = false;
    return fmi3OK;
}

fmi3Status fmi3SetTime(fmi3Instance instance, fmi3Float64 time) {
    BEGIN("fmi3SetTime", ST_EVENT | ST_CONT);
    REQUIRE_KIND("fmi3SetTime", MODEL_KIND_ME);
    RET(core_set_time(m, "fmi3SetTime", time));
}

static bool check_n(ModelInstance *m, const char *fn, size_t n, size_t expected, const void *arr) {
    if (n != expected || (n > 0 && arr == NULL)) {
        LOG_ERROR(m, "%s: got %zu values, the model has %zu", fn, n, expected);
        return false;
    }
    return true;
}

#define ME_GET_STATES (ST_INIT | ST_EVENT | ST_CONT | ST_TERMINATED | ST_ERROR)

fmi3Status fmi3SetContinuousStates(fmi3Instance instance, const fmi3Float64 continuousStates[], size_t nContinuousStates) {
    BEGIN("fmi3SetContinuousStates", ST_EVENT | ST_CONT);
    REQUIRE_KIND("fmi3SetContinuousStates", MODEL_KIND_ME);
    if (!check_n(m, "fmi3SetContinuousStates", nContinuousStates, MODEL_NX, continuousStates)) RET(MODEL_ERROR);
    core_set_states(m, continuousStates);
    return fmi3OK;
}

fmi3Status fmi3GetContinuousStateDerivatives(fmi3Instance instance, fmi3Float64 derivatives[], size_t nContinuousStates) {
    BEGIN("fmi3GetContinuousStateDerivatives", ME_GET_STATES);
    REQUIRE_KIND("fmi3GetContinuousStateDerivatives", MODEL_KIND_ME);
    if (!check_n(m, "fmi3GetContinuousStateDerivatives", nContinuousStates, MODEL_NX, derivatives)) RET(MODEL_ERROR);
    RET(core_get_derivatives(m, derivatives));
}

fmi3Status fmi3GetEventIndicators(fmi3Instance instance, fmi3Float64 eventIndicators[], size_t nEventIndicators) {
    BEGIN("fmi3GetEventIndicators", ME_GET_STATES);
    REQUIRE_KIND("fmi3GetEventIndicators", MODEL_KIND_ME);
    if (!check_n(m, "fmi3GetEventIndicators", nEventIndicators, MODEL_NZ, eventIndicators)) RET(MODEL_ERROR);
    RET(core_get_event_indicators(m, eventIndicators));
}

fmi3Status fmi3GetContinuousStates(fmi3Instance instance, fmi3Float64 continuousStates[], size_t nContinuousStates) {
    BEGIN("fmi3GetContinuousStates", ME_GET_STATES);
    REQUIRE_KIND("fmi3GetContinuousStates", MODEL_KIND_ME);
    if (!check_n(m, "fmi3GetContinuousStates", nContinuousStates, MODEL_NX, continuousStates)) RET(MODEL_ERROR);
    core_get_states(m, continuousStates);
    return fmi3OK;
}

fmi3Status fmi3GetNominalsOfContinuousStates(fmi3Instance instance, fmi3Float64 nominals[], size_t nContinuousStates) {
    BEGIN("fmi3GetNominalsOfContinuousStates", ME_GET_STATES | ST_INSTANTIATED);
    REQUIRE_KIND("fmi3GetNominalsOfContinuousStates", MODEL_KIND_ME);
    if (!check_n(m, "fmi3GetNominalsOfContinuousStates", nContinuousStates, MODEL_NX, nominals)) RET(MODEL_ERROR);
    core_get_nominals(m, nominals);
    return fmi3OK;
}

fmi3Status fmi3GetNumberOfEventIndicators(fmi3Instance instance, size_t *nEventIndicators) {
    BEGIN("fmi3GetNumberOfEventIndicators", ANY_STATE);
    if (nEventIndicators == NULL) {
        LOG_ERROR(m, "fmi3GetNumberOfEventIndicators: nEventIndicators is NULL");
        RET(MODEL_ERROR);
    }
    *nEventIndicators = MODEL_NZ;
    return fmi3OK;
}

fmi3Status fmi3GetNumberOfContinuousStates(fmi3Instance instance, size_t *nContinuousStates) {
    BEGIN("fmi3GetNumberOfContinuousStates", ANY_STATE);
    if (nContinuousStates == NULL) {
        LOG_ERROR(m, "fmi3GetNumberOfContinuousStates: nContinuousStates is NULL");
        RET(MODEL_ERROR);
    }
    *nContinuousStates = MODEL_NX;
    return fmi3OK;
}

/* --- Co-Simulation ----------------------------------------------------------------------- */

fmi3Status fmi3DoStep(fmi3Instance instance, fmi3Float64 currentCommunicationPoint, fmi3Float64 communicationStepSize,
                      fmi3Boolean noSetFMUStatePriorToCurrentPoint, fmi3Boolean *eventHandlingNeeded,
                      fmi3Boolean *terminateSimulation, fmi3Boolean *earlyReturn, fmi3Float64 *lastSuccessfulTime) {
    (void)noSetFMUStatePriorToCurrentPoint;
    BEGIN("fmi3DoStep", ST_STEP);
    REQUIRE_KIND("fmi3DoStep", MODEL_KIND_CS);
    if (eventHandlingNeeded) *eventHandlingNeeded = false;
    if (terminateSimulation) *terminateSimulation = false;
    if (earlyReturn) *earlyReturn = false;
    if (lastSuccessfulTime) *lastSuccessfulTime = m->time;
    if (m->terminated_by_model) {
        LOG_ERROR(m, "fmi3DoStep: the model requested termination at t = %.17g; call fmi3Terminate", m->last_successful_time);
        RET(MODEL_ERROR);
    }
    bool terminate = false;
    double reached = m->time;
    ModelStatus st = core_do_step(m, currentCommunicationPoint, communicationStepSize, &terminate, &reached);
    if (st > MODEL_WARNING) RET(st);
    m->last_successful_time = reached;
    if (lastSuccessfulTime) *lastSuccessfulTime = reached;
    if (terminate) {
        core_log(m, MODEL_OK, "logEvents", "fmi3DoStep: the model requested termination at t = %.17g", reached);
        if (terminateSimulation) *terminateSimulation = true;
        if (earlyReturn) *earlyReturn = reached < currentCommunicationPoint + communicationStepSize;
    }
    return (fmi3Status)st;
}
