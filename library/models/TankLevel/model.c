/* TankLevel: Torricelli tank with a PI-controlled inflow valve (equations in model.json). */
#include <math.h>

#include "model.h"

static ModelStatus initialize(ModelInstance *m) {
    const ModelVariables *v = &m->v;
    if (!(v->A > 0) || !(v->k_out >= 0) || !(v->q_max >= 0) || !isfinite(v->Kp) || !isfinite(v->Ki)) {
        model_log(m, MODEL_ERROR, "invalid parameters A = %g, k_out = %g, q_max = %g, Kp = %g, Ki = %g: need A > 0, "
                  "k_out >= 0, q_max >= 0 and finite gains", v->A, v->k_out, v->q_max, v->Kp, v->Ki);
        return MODEL_ERROR;
    }
    return MODEL_OK;
}

static ModelStatus calculate_values(ModelInstance *m) {
    ModelVariables *v = &m->v;
    v->e = v->h_ref - v->h;
    const double u = v->Kp * v->e + v->Ki * v->e_int;
    v->valve = u < 0.0 ? 0.0 : u > 1.0 ? 1.0 : u;
    v->q_in = v->q_max * v->valve;
    /* max() keeps sqrt defined if a solver's trial point dips below an empty tank. */
    v->q_out = v->k_out * sqrt(v->h > 0.0 ? v->h : 0.0);
    v->der_h = (v->q_in - v->q_out) / v->A;
    v->der_e_int = v->e;
    return MODEL_OK;
}

const ModelHooks model_hooks = {
    .initialize = initialize,
    .calculate_values = calculate_values,
};
