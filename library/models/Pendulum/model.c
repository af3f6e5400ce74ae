/* Pendulum: nonlinear point-mass pendulum with pivot damping and torque (equations in model.json). */
#include <math.h>

#include "model.h"

static ModelStatus initialize(ModelInstance *m) {
    if (!(m->v.L > 0) || !(m->v.m > 0) || !(m->v.d >= 0) || !isfinite(m->v.g)) {
        model_log(m, MODEL_ERROR, "invalid parameters L = %g, m = %g, d = %g, g = %g: need L > 0, m > 0, d >= 0",
                  m->v.L, m->v.m, m->v.d, m->v.g);
        return MODEL_ERROR;
    }
    return MODEL_OK;
}

static ModelStatus calculate_values(ModelInstance *m) {
    ModelVariables *v = &m->v;
    const double s = sin(v->theta), c = cos(v->theta);
    const double inertia = v->m * v->L * v->L;
    v->der_theta = v->omega;
    v->der_omega = (-v->m * v->g * v->L * s - v->d * v->omega + v->tau) / inertia;
    v->x = v->L * s;
    v->y = -v->L * c;
    v->E = 0.5 * inertia * v->omega * v->omega + v->m * v->g * v->L * (1.0 - c);
    return MODEL_OK;
}

const ModelHooks model_hooks = {
    .initialize = initialize,
    .calculate_values = calculate_values,
};
