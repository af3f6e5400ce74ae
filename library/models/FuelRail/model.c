/* FuelRail: rail pressure from pump inflow and sqrt-law injector outflow (equations in model.json). */
#include <math.h>

#include "model.h"

static ModelStatus initialize(ModelInstance *m) {
    const ModelVariables *v = &m->v;
    if (!(v->beta > 0) || !(v->V_rail > 0) || !(v->rho > 0) || !(v->n_inj >= 0) || !(v->Cd >= 0) || !(v->A_inj >= 0)) {
        model_log(m, MODEL_ERROR, "invalid parameters beta = %g, V_rail = %g, rho = %g, n_inj = %g, Cd = %g, A_inj = %g: "
                  "need beta, V_rail, rho > 0 and n_inj, Cd, A_inj >= 0", v->beta, v->V_rail, v->rho, v->n_inj, v->Cd, v->A_inj);
        return MODEL_ERROR;
    }
    return MODEL_OK;
}

static ModelStatus calculate_values(ModelInstance *m) {
    ModelVariables *v = &m->v;
    /* Orifice flow needs a positive pressure difference; a drained rail (p <= 0) delivers nothing. */
    const double p_pos = v->p > 0.0 ? v->p : 0.0;
    v->q_inj = v->n_inj * v->Cd * v->A_inj * sqrt(2.0 * p_pos / v->rho) * v->duty;
    v->der_p = v->beta / v->V_rail * (v->q_pump - v->q_inj);
    v->p_bar = v->p * 1e-5;
    return MODEL_OK;
}

const ModelHooks model_hooks = {
    .initialize = initialize,
    .calculate_values = calculate_values,
};
