/*
 * Adapter-internal API (library/adapters/core.c): everything the FMI 2 and FMI 3 adapters
 * share — instance lifetime, the state machine check, variable lookup, the lazy
 * calculate_values, event iteration and the Co-Simulation solver with event location.
 * Models do not include this file.
 */
#ifndef FMUGW_CORE_H
#define FMUGW_CORE_H

#include "model.h"

/* Largest internal RK4 substep of Co-Simulation, seconds; override with -DFMU_CS_MAX_STEP=... */
#ifndef FMU_CS_MAX_STEP
#define FMU_CS_MAX_STEP 1e-3
#endif

/* Absolute time tolerance of state-event location inside doStep (bisection). */
#define FMU_EVENT_TIME_TOL 1e-12

typedef void (*CoreLogFn)(ModelInstance *m, ModelStatus status, const char *category, const char *message);

extern const ModelVarInfo *const core_variables;
extern const size_t core_variable_count;

ModelInstance *core_instantiate(const char *instance_name, ModelKind kind, int fmi_version, const char *resource_location,
                                bool logging_on, CoreLogFn log_fn, void *adapter_data);
void core_free(ModelInstance *m);
/* Back to the state after instantiate: start values, defaults, time 0, state Instantiated. */
ModelStatus core_reset(ModelInstance *m);

/* The log categories of modelDescription.xml, as bits of ModelInstance.log_categories. */
enum { CORE_LOG_EVENTS = 1u << 0, CORE_LOG_WARNING = 1u << 1, CORE_LOG_ERROR = 1u << 2, CORE_LOG_ALL_BIT = 1u << 3 };
#define CORE_LOG_ALL (CORE_LOG_EVENTS | CORE_LOG_WARNING | CORE_LOG_ERROR | CORE_LOG_ALL_BIT)

/* Whether a message reaches the importer: warnings and errors always; OK-status messages only with
   logging on and their category enabled. */
bool core_log_enabled(const ModelInstance *m, ModelStatus status, const char *category);
/* fmiXSetDebugLogging: no categories = all of them; an unknown category is an Error (logged). */
ModelStatus core_set_debug_logging(ModelInstance *m, const char *fn, bool logging_on, size_t n,
                                   const char *const categories[]);
/* Formats and forwards a message (category "logStatusError" etc. chosen from status unless given). */
void core_log(ModelInstance *m, ModelStatus status, const char *category, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
const char *core_state_name(unsigned state);
/* True when m->state is in `allowed`; otherwise logs "<fn>: not allowed in state X" and returns false. */
bool core_check_state(ModelInstance *m, const char *fn, unsigned allowed);
/* Turns a returned status into the next state: Error -> ST_ERROR, Fatal -> ST_FATAL. */
ModelStatus core_track(ModelInstance *m, ModelStatus status);

/* Lookup by value reference; logs and returns NULL when unknown. */
const ModelVarInfo *core_var(ModelInstance *m, const char *fn, unsigned vr);
void *core_var_ptr(ModelInstance *m, const ModelVarInfo *vi);
/* MODEL_OK when the variable may be set in the current state (causality / variability / initial). */
ModelStatus core_check_settable(ModelInstance *m, const char *fn, const ModelVarInfo *vi);
/* Runs calculate_values when something changed since the last run. */
ModelStatus core_update(ModelInstance *m);

ModelStatus core_enter_initialization(ModelInstance *m, bool tolerance_defined, double tolerance, double start_time,
                                      bool stop_time_defined, double stop_time);
ModelStatus core_exit_initialization(ModelInstance *m);

/* One call of the model's event_update (the importer's event iteration, Model Exchange). */
ModelStatus core_event_update(ModelInstance *m, ModelEventInfo *ev);

/* fmiXSetTime (Model Exchange): finite, and not before the last event. */
ModelStatus core_set_time(ModelInstance *m, const char *fn, double time);
/* fmiXEnterEventMode: the instance enters Event Mode at its current time. */
void core_enter_event_mode(ModelInstance *m);

void core_get_states(ModelInstance *m, double x[]);
/* Name of continuous state i (for messages). */
const char *core_state_var_name(size_t i);
void core_set_states(ModelInstance *m, const double x[]);
ModelStatus core_get_derivatives(ModelInstance *m, double dx[]);
ModelStatus core_get_event_indicators(ModelInstance *m, double z[]);
void core_get_nominals(ModelInstance *m, double nominals[]);

/* Co-Simulation: the model's event iteration at the current time, run to completion (CS has no
   event mode); *terminate when the model asks to stop. Implemented in cs_solver.c. */
ModelStatus core_event_iteration(ModelInstance *m, bool *terminate);

/* Co-Simulation step from t to t + h with internal RK4 substeps, state events located to
   FMU_EVENT_TIME_TOL and time events hit exactly. On a terminate request of the model it
   stops at that time: *terminate = true, *reached = the time reached. */
ModelStatus core_do_step(ModelInstance *m, double t, double h, bool *terminate, double *reached);

#endif
