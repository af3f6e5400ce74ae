/* DCMotor: armature circuit + rotor (equations in model.json). */
#include <math.h>

#include "model.h"

/* rad/s -> rev/min; spelled out because M_PI is not ISO C. */
#define RAD_S_TO_RPM (30.0 / 3.14159265358979323846)

static ModelStatus initialize(ModelInstance *m) {
    const ModelVariables *v = &m->v;
    if (!(v->L > 0) || !(v->J > 0) || !(v->R >= 0) || !(v->b >= 0) || !isfinite(v->K)) {
        model_log(m, MODEL_ERROR,
                  "invalid parameters R = %g, L = %g, K = %g, J = %g, b = %g: need L > 0, J > 0, R >= 0, b >= 0",
                  v->R, v->L, v->K, v->J, v->b);
        return MODEL_ERROR;
    }
    return MODEL_OK;
}

static ModelStatus calculate_values(ModelInstance *m) {
    ModelVariables *v = &m->v;
    v->tau_m = v->K * v->i;
    v->der_i = (v->V - v->R * v->i - v->K * v->w) / v->L;
    v->der_w = (v->tau_m - v->b * v->w - v->tau_load) / v->J;
    v->rpm = v->w * RAD_S_TO_RPM;
    return MODEL_OK;
}

const ModelHooks model_hooks = {
    .initialize = initialize,
    .calculate_values = calculate_values,
};
