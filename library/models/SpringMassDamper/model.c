/* SpringMassDamper: m*x'' + c*x' + k*x = F (equations and reference in model.json). */
#include <math.h>

#include "model.h"

static ModelStatus initialize(ModelInstance *m) {
    if (!(m->v.m > 0) || !(m->v.k > 0) || !(m->v.c >= 0)) {
        model_log(m, MODEL_ERROR, "invalid parameters m = %g, k = %g, c = %g: need m > 0, k > 0 and c >= 0",
                  m->v.m, m->v.k, m->v.c);
        return MODEL_ERROR;
    }
    return MODEL_OK;
}

static ModelStatus calculate_values(ModelInstance *m) {
    ModelVariables *v = &m->v;
    v->der_x = v->v;
    v->der_v = (v->F - v->c * v->v - v->k * v->x) / v->m;
    v->omega_n = sqrt(v->k / v->m);
    v->zeta = v->c / (2.0 * sqrt(v->m * v->k));
    return MODEL_OK;
}

const ModelHooks model_hooks = {
    .initialize = initialize,
    .calculate_values = calculate_values,
};
