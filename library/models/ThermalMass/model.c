/* ThermalMass: lumped capacitance with convective loss (equations in model.json). */
#include "model.h"

static ModelStatus initialize(ModelInstance *m) {
    if (!(m->v.C > 0) || !(m->v.hA > 0)) {
        model_log(m, MODEL_ERROR, "invalid parameters C = %g, hA = %g: both must be > 0", m->v.C, m->v.hA);
        return MODEL_ERROR;
    }
    return MODEL_OK;
}

static ModelStatus calculate_values(ModelInstance *m) {
    ModelVariables *v = &m->v;
    v->Q_loss = v->hA * (v->T - v->T_amb);
    v->der_T = (v->Q - v->Q_loss) / v->C;
    v->tau = v->C / v->hA;
    return MODEL_OK;
}

const ModelHooks model_hooks = {
    .initialize = initialize,
    .calculate_values = calculate_values,
};
