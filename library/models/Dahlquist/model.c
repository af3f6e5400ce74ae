/* Dahlquist test equation: der(x) = -k x. */
#include "model.h"

static ModelStatus calculate_values(ModelInstance *m) {
    m->v.der_x = -m->v.k * m->v.x;
    return MODEL_OK;
}

const ModelHooks model_hooks = {
    .calculate_values = calculate_values,
};
