/*
 * Shared core of the FMI 2 and FMI 3 adapters: instance lifetime, state machine, variable
 * table, lazy evaluation, event handling and the Co-Simulation solver. Version-specific
 * code (C signatures, type mapping, logger calling convention) lives in fmi2.c / fmi3.c.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "model_tables.h" /* generated: MODEL_VARIABLES, offsets, start values */

const ModelVarInfo *const core_variables = MODEL_VARIABLES;
const size_t core_variable_count = sizeof(MODEL_VARIABLES) / sizeof(MODEL_VARIABLES[0]);

#define FIELD(m, off, T) (*(T *)((char *)&(m)->v + (off)))

/* --- logging ---------------------------------------------------------------------------- */

static const struct {
    const char *name;
    unsigned bits;
} LOG_CATEGORIES[] = {
    {"logEvents", CORE_LOG_EVENTS},
    {"logStatusWarning", CORE_LOG_WARNING},
    {"logStatusError", CORE_LOG_ERROR},
    {"logAll", CORE_LOG_ALL},
};
#define N_LOG_CATEGORIES (sizeof LOG_CATEGORIES / sizeof LOG_CATEGORIES[0])

static unsigned category_bits(const char *category) {
    for (size_t i = 0; category != NULL && i < N_LOG_CATEGORIES; i++)
        if (strcmp(category, LOG_CATEGORIES[i].name) == 0) return LOG_CATEGORIES[i].bits;
    return 0;
}

bool core_log_enabled(const ModelInstance *m, ModelStatus status, const char *category) {
    if (status != MODEL_OK) return true; /* warnings and errors always reach the importer */
    if (!m->logging_on) return false;
    /* "logAll" messages need logAll itself; any other message needs its own category (or logAll). */
    const unsigned bits = category_bits(category);
    if (bits == CORE_LOG_ALL) return (m->log_categories & CORE_LOG_ALL_BIT) != 0;
    return (m->log_categories & (bits | CORE_LOG_ALL_BIT)) != 0;
}

ModelStatus core_set_debug_logging(ModelInstance *m, const char *fn, bool logging_on, size_t n,
                                   const char *const categories[]) {
    unsigned mask = n == 0 ? CORE_LOG_ALL : 0; /* FMI: nCategories = 0 enables every category */
    for (size_t i = 0; i < n; i++) {
        const char *name = categories != NULL ? categories[i] : NULL;
        const unsigned bits = category_bits(name);
        if (bits == 0) {
            core_log(m, MODEL_ERROR, "logStatusError", "%s: unknown log category '%s' (known: logEvents, "
                     "logStatusWarning, logStatusError, logAll)", fn, name != NULL ? name : "(null)");
            return MODEL_ERROR;
        }
        mask |= bits;
    }
    m->logging_on = logging_on;
    m->log_categories = mask;
    return MODEL_OK;
}

static void vlog_message(ModelInstance *m, ModelStatus status, const char *category, const char *fmt, va_list ap) {
    if (m == NULL || m->log_message == NULL) return;
    if (category == NULL) {
        category = status >= MODEL_ERROR ? "logStatusError" : status == MODEL_WARNING ? "logStatusWarning" : "logEvents";
    }
    if (!core_log_enabled(m, status, category)) return;
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    m->log_message(m, status, category, buf);
}

void core_log(ModelInstance *m, ModelStatus status, const char *category, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vlog_message(m, status, category, fmt, ap);
    va_end(ap);
}

void model_log(ModelInstance *m, ModelStatus status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vlog_message(m, status, NULL, fmt, ap);
    va_end(ap);
}

/* --- owned strings and binaries ---------------------------------------------------------- */

ModelStatus model_set_string(ModelInstance *m, char **field, const char *value) {
    if (value == NULL) value = "";
    size_t n = strlen(value);
    char *copy = malloc(n + 1);
    if (copy == NULL) {
        model_log(m, MODEL_ERROR, "out of memory copying a string of %zu bytes", n);
        return MODEL_ERROR;
    }
    memcpy(copy, value, n + 1);
    free(*field);
    *field = copy;
    m->dirty = true;
    return MODEL_OK;
}

ModelStatus model_set_binary(ModelInstance *m, ModelBinary *field, const uint8_t *data, size_t size) {
    uint8_t *copy = malloc(size > 0 ? size : 1);
    if (copy == NULL) {
        model_log(m, MODEL_ERROR, "out of memory copying a binary of %zu bytes", size);
        return MODEL_ERROR;
    }
    if (size > 0) memcpy(copy, data, size);
    free(field->data);
    field->data = copy;
    field->size = size;
    m->dirty = true;
    return MODEL_OK;
}

static void free_owned(ModelInstance *m) {
    for (size_t i = 0; i < core_variable_count; i++) {
        const ModelVarInfo *vi = &MODEL_VARIABLES[i];
        if (vi->type == MT_STRING) {
            char **s = &FIELD(m, vi->offset, char *);
            free(*s);
            *s = NULL;
        } else if (vi->type == MT_BINARY) {
            ModelBinary *b = &FIELD(m, vi->offset, ModelBinary);
            free(b->data);
            b->data = NULL;
            b->size = 0;
        }
    }
}

/* --- lifetime ---------------------------------------------------------------------------- */

static char *dup_or_null(const char *s) {
    if (s == NULL) return NULL;
    size_t n = strlen(s);
    char *c = malloc(n + 1);
    if (c != NULL) memcpy(c, s, n + 1);
    return c;
}

ModelInstance *core_instantiate(const char *instance_name, ModelKind kind, int fmi_version, const char *resource_location,
                                bool logging_on, CoreLogFn log_fn, void *adapter_data) {
    ModelInstance *m = calloc(1, sizeof *m);
    if (m == NULL) return NULL;
    m->instance_name = dup_or_null(instance_name != NULL ? instance_name : "");
    m->resource_location = dup_or_null(resource_location);
    m->kind = kind;
    m->fmi_version = fmi_version;
    m->logging_on = logging_on;
    m->log_categories = CORE_LOG_ALL;
    m->log_message = log_fn;
    m->adapter_data = adapter_data;
    if (m->instance_name == NULL || core_reset(m) != MODEL_OK) {
        core_free(m);
        return NULL;
    }
    return m;
}

void core_free(ModelInstance *m) {
    if (m == NULL) return;
    free_owned(m);
    free((void *)m->instance_name);
    free((void *)m->resource_location);
    free(m);
}

ModelStatus core_reset(ModelInstance *m) {
    free_owned(m);
    memset(&m->v, 0, sizeof m->v);
    m->time = 0;
    m->start_time = 0;
    m->stop_time = 0;
    m->stop_time_defined = false;
    m->tolerance = 0;
    m->next_event_time_defined = false;
    m->next_event_time = 0;
    m->terminated_by_model = false;
    m->last_successful_time = 0;
    m->event_time = 0;
    m->events = 0;
    m->state = ST_INSTANTIATED;
    if (model_apply_start_values(m) != MODEL_OK) return MODEL_ERROR;
    if (model_hooks.set_defaults != NULL) model_hooks.set_defaults(m);
    m->dirty = true;
    return MODEL_OK;
}

/* --- state machine ----------------------------------------------------------------------- */

const char *core_state_name(unsigned state) {
    switch (state) {
    case ST_INSTANTIATED: return "Instantiated";
    case ST_INIT: return "InitializationMode";
    case ST_EVENT: return "EventMode";
    case ST_CONT: return "ContinuousTimeMode";
    case ST_STEP: return "StepMode";
    case ST_STEP_FAILED: return "StepFailed";
    case ST_TERMINATED: return "Terminated";
    case ST_ERROR: return "Error";
    case ST_FATAL: return "Fatal";
    case ST_CONFIGURATION: return "ConfigurationMode";
    default: return "unknown";
    }
}

bool core_check_state(ModelInstance *m, const char *fn, unsigned allowed) {
    if (m->state & allowed) return true;
    char list[256] = "";
    size_t used = 0;
    for (unsigned bit = 1; bit <= ST_CONFIGURATION; bit <<= 1) {
        if (!(allowed & bit)) continue;
        int n = snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "", core_state_name(bit));
        if (n < 0 || (size_t)n >= sizeof list - used) break;
        used += (size_t)n;
    }
    core_log(m, MODEL_ERROR, "logStatusError", "%s: not allowed in state %s (allowed in: %s)", fn,
             core_state_name(m->state), list);
    if (m->state != ST_FATAL) m->state = ST_ERROR;
    return false;
}

ModelStatus core_track(ModelInstance *m, ModelStatus status) {
    if (status == MODEL_ERROR && m->state != ST_FATAL) m->state = ST_ERROR;
    if (status == MODEL_FATAL) m->state = ST_FATAL;
    return status;
}

/* --- variables --------------------------------------------------------------------------- */

const ModelVarInfo *core_var(ModelInstance *m, const char *fn, unsigned vr) {
    if (vr >= core_variable_count) {
        core_log(m, MODEL_ERROR, "logStatusError", "%s: unknown value reference %u (this model has 0..%u)", fn, vr,
                 (unsigned)core_variable_count - 1);
        return NULL;
    }
    return &MODEL_VARIABLES[vr];
}

void *core_var_ptr(ModelInstance *m, const ModelVarInfo *vi) {
    if (vi->offset == MODEL_OFFSET_TIME) return &m->time;
    return (char *)&m->v + vi->offset;
}

static const char *causality_name(unsigned c) {
    static const char *names[] = {"parameter", "calculatedParameter", "input", "output", "local", "independent"};
    return c < 6 ? names[c] : "?";
}

ModelStatus core_check_settable(ModelInstance *m, const char *fn, const ModelVarInfo *vi) {
    unsigned allowed = 0;
    if (vi->variability == MV_CONSTANT || vi->causality == MC_INDEPENDENT || vi->causality == MC_CALCULATED_PARAMETER) {
        allowed = 0;
    } else if (vi->causality == MC_INPUT) {
        /* Continuous-Time Mode admits only continuous inputs (FMI 2 §3.2.3, FMI 3 §3.2.4, as the
           reference FMUs check): a discrete input changes at events, in Event Mode. */
        allowed = ST_INSTANTIATED | ST_INIT | ST_EVENT | ST_STEP;
        if (vi->variability == MV_CONTINUOUS) allowed |= ST_CONT;
    } else if (vi->causality == MC_PARAMETER) {
        allowed = ST_INSTANTIATED | ST_INIT;
        if (vi->variability == MV_TUNABLE) allowed |= ST_EVENT | ST_STEP;
    } else if (vi->initial == MI_EXACT || vi->initial == MI_APPROX) {
        /* e.g. a state's start value: before initialization only */
        allowed = vi->initial == MI_EXACT ? (ST_INSTANTIATED | ST_INIT) : ST_INSTANTIATED;
    }
    if (m->state & allowed) return MODEL_OK;
    if (allowed == 0) {
        core_log(m, MODEL_ERROR, "logStatusError", "%s: variable '%s' (causality %s) cannot be set", fn, vi->name,
                 causality_name(vi->causality));
    } else {
        core_log(m, MODEL_ERROR, "logStatusError", "%s: variable '%s' (causality %s) cannot be set in state %s", fn,
                 vi->name, causality_name(vi->causality), core_state_name(m->state));
    }
    return MODEL_ERROR;
}

ModelStatus core_update(ModelInstance *m) {
    if (!m->dirty) return MODEL_OK;
    ModelStatus st = model_hooks.calculate_values(m);
    if (st <= MODEL_WARNING) m->dirty = false;
    return st;
}

/* --- initialization and events ----------------------------------------------------------- */

ModelStatus core_enter_initialization(ModelInstance *m, bool tolerance_defined, double tolerance, double start_time,
                                      bool stop_time_defined, double stop_time) {
    if (!isfinite(start_time) || (stop_time_defined && !(stop_time >= start_time))) {
        core_log(m, MODEL_ERROR, "logStatusError", "invalid experiment: start time %g, stop time %g (need stop >= start)",
                 start_time, stop_time);
        return MODEL_ERROR;
    }
    m->start_time = start_time;
    m->time = start_time;
    m->last_successful_time = start_time;
    m->event_time = start_time;
    m->stop_time_defined = stop_time_defined;
    m->stop_time = stop_time_defined ? stop_time : 0;
    m->tolerance = tolerance_defined ? tolerance : 0;
    m->dirty = true;
    m->state = ST_INIT;
    return MODEL_OK;
}

static ModelStatus check_next_event(ModelInstance *m) {
    if (m->next_event_time_defined && !(m->next_event_time > m->time)) {
        core_log(m, MODEL_ERROR, "logStatusError",
                 "the model scheduled its next time event at %.17g, which is not after the current time %.17g "
                 "(model bug: advance next_event_time in event_update)",
                 m->next_event_time, m->time);
        return MODEL_ERROR;
    }
    return MODEL_OK;
}

ModelStatus core_exit_initialization(ModelInstance *m) {
    m->dirty = true;
    ModelStatus st = MODEL_OK;
    if (model_hooks.initialize != NULL) st = model_hooks.initialize(m);
    if (st > MODEL_WARNING) return st;
    m->dirty = true;
    ModelStatus st2 = core_update(m);
    if (st2 > st) st = st2;
    if (st > MODEL_WARNING) return st;
    st2 = check_next_event(m);
    if (st2 > st) st = st2;
    if (st > MODEL_WARNING) return st;
    if (m->kind == MODEL_KIND_CS && model_hooks.event_update != NULL) {
        /* The initial event iteration a Model Exchange importer runs after initialization: CS has
           no event mode, so the FMU runs it here, and conditions already true at the start time
           (e.g. a ball starting on the ground moving down) are handled as in ME. */
        bool terminate = false;
        st2 = core_event_iteration(m, &terminate);
        if (st2 > st) st = st2;
        if (st > MODEL_WARNING) return st;
    }
    m->state = m->kind == MODEL_KIND_CS ? ST_STEP : ST_EVENT;
    return st;
}

ModelStatus core_event_update(ModelInstance *m, ModelEventInfo *ev) {
    memset(ev, 0, sizeof *ev);
    if (model_hooks.event_update == NULL) return MODEL_OK;
    ModelStatus st = core_update(m);
    if (st > MODEL_WARNING) return st;
    st = model_hooks.event_update(m, ev);
    m->dirty = true;
    m->events++;
    if (st > MODEL_WARNING) return st;
    if (ev->terminate_simulation) m->terminated_by_model = true;
    ModelStatus st2 = check_next_event(m);
    return st2 > st ? st2 : st;
}

bool model_time_event_due(const ModelInstance *m) {
    return m->next_event_time_defined && m->time >= m->next_event_time - 1e-12 * fmax(1.0, fabs(m->next_event_time));
}

ModelStatus core_set_time(ModelInstance *m, const char *fn, double time) {
    if (!isfinite(time)) {
        core_log(m, MODEL_ERROR, "logStatusError", "%s: time %g is not finite", fn, time);
        return MODEL_ERROR;
    }
    if (time < m->event_time) {
        /* FMI 3 (fmi3SetTime), same semantics in FMI 2: an event cannot be undone. */
        core_log(m, MODEL_ERROR, "logStatusError",
                 "%s: time %.17g is before the last event at %.17g (time may go back within a step, not past an event)",
                 fn, time, m->event_time);
        return MODEL_ERROR;
    }
    m->time = time;
    m->dirty = true;
    return MODEL_OK;
}

void core_enter_event_mode(ModelInstance *m) {
    m->event_time = m->time;
    m->state = ST_EVENT;
}

/* --- states ------------------------------------------------------------------------------ */

void core_get_states(ModelInstance *m, double x[]) {
    for (size_t i = 0; i < MODEL_NX; i++) x[i] = FIELD(m, MODEL_STATE_OFFSETS[i], double);
}

const char *core_state_var_name(size_t i) {
    for (size_t j = 0; i < MODEL_NX && j < core_variable_count; j++)
        if (MODEL_VARIABLES[j].offset == MODEL_STATE_OFFSETS[i]) return MODEL_VARIABLES[j].name;
    return "?";
}

void core_set_states(ModelInstance *m, const double x[]) {
    for (size_t i = 0; i < MODEL_NX; i++) FIELD(m, MODEL_STATE_OFFSETS[i], double) = x[i];
    m->dirty = true;
}

ModelStatus core_get_derivatives(ModelInstance *m, double dx[]) {
    ModelStatus st = core_update(m);
    for (size_t i = 0; i < MODEL_NX; i++) dx[i] = FIELD(m, MODEL_DERIVATIVE_OFFSETS[i], double);
    return st;
}

ModelStatus core_get_event_indicators(ModelInstance *m, double z[]) {
    ModelStatus st = core_update(m);
    for (size_t i = 0; i < MODEL_NZ; i++) z[i] = FIELD(m, MODEL_INDICATOR_OFFSETS[i], double);
    return st;
}

void core_get_nominals(ModelInstance *m, double nominals[]) {
    (void)m;
    for (size_t i = 0; i < MODEL_NX; i++) nominals[i] = MODEL_STATE_NOMINALS[i];
}
