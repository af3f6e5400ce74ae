/* Stair: a counter driven by time events at integer multiples of `period`. */
#include <math.h>
#include "model.h"

/* Next multiple of the period strictly after t; computed as k*period (no accumulated roundoff). */
static double next_multiple(double period, double t) {
    double k = floor(t / period + 1e-9);
    return (k + 1) * period;
}

static ModelStatus initialize(ModelInstance *m) {
    if (!(m->v.period > 0) || !isfinite(m->v.period)) {
        model_log(m, MODEL_ERROR, "parameter period = %g must be a positive number of seconds", m->v.period);
        return MODEL_ERROR;
    }
    if (m->v.terminate_at < 0) {
        model_log(m, MODEL_ERROR, "parameter terminate_at = %d must be >= 0", (int)m->v.terminate_at);
        return MODEL_ERROR;
    }
    m->next_event_time = next_multiple(m->v.period, m->time);
    m->next_event_time_defined = true;
    return MODEL_OK;
}

static ModelStatus calculate_values(ModelInstance *m) {
    (void)m; /* the counter is a discrete state; nothing continuous to compute */
    return MODEL_OK;
}

static ModelStatus event_update(ModelInstance *m, ModelEventInfo *ev) {
    if (!model_time_event_due(m)) return MODEL_OK;
    m->v.counter++;
    m->next_event_time = next_multiple(m->v.period, m->next_event_time);
    if (m->v.terminate_at > 0 && m->v.counter >= m->v.terminate_at) {
        ev->terminate_simulation = true;
        m->next_event_time_defined = false;
    }
    return MODEL_OK;
}

const ModelHooks model_hooks = {
    .initialize = initialize,
    .calculate_values = calculate_values,
    .event_update = event_update,
};
