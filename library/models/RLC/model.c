/* RLC: series resistor-inductor-capacitor loop driven by V_in (equations in model.json). */
#include <math.h>

#include "model.h"

static ModelStatus initialize(ModelInstance *m) {
    if (!(m->v.L > 0) || !(m->v.C > 0) || !(m->v.R >= 0)) {
        model_log(m, MODEL_ERROR, "invalid parameters R = %g, L = %g, C = %g: need R >= 0, L > 0 and C > 0",
                  m->v.R, m->v.L, m->v.C);
        return MODEL_ERROR;
    }
    return MODEL_OK;
}

static ModelStatus calculate_values(ModelInstance *m) {
    ModelVariables *v = &m->v;
    v->v_R = v->R * v->i;
    v->v_L = v->V_in - v->v_R - v->v_C;
    v->der_i = v->v_L / v->L;
    v->der_v_C = v->i / v->C;
    v->alpha = v->R / (2.0 * v->L);
    v->omega_0 = 1.0 / sqrt(v->L * v->C);
    return MODEL_OK;
}

const ModelHooks model_hooks = {
    .initialize = initialize,
    .calculate_values = calculate_values,
};
