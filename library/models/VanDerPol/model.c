/* Van der Pol oscillator. */
#include "model.h"

static ModelStatus initialize(ModelInstance *m) {
    if (!(m->v.mu >= 0)) {
        model_log(m, MODEL_ERROR, "parameter mu = %g must be >= 0", m->v.mu);
        return MODEL_ERROR;
    }
    return MODEL_OK;
}

static ModelStatus calculate_values(ModelInstance *m) {
    m->v.der_x0 = m->v.x1;
    m->v.der_x1 = m->v.mu * (1 - m->v.x0 * m->v.x0) * m->v.x1 - m->v.x0;
    return MODEL_OK;
}

const ModelHooks model_hooks = {
    .initialize = initialize,
    .calculate_values = calculate_values,
};
