/* QuarterCar: two-mass suspension over a road input (equations in model.json). */
#include "model.h"

static ModelStatus initialize(ModelInstance *m) {
    const ModelVariables *v = &m->v;
    if (!(v->m_s > 0) || !(v->m_u > 0) || !(v->k_s >= 0) || !(v->c_s >= 0) || !(v->k_t >= 0)) {
        model_log(m, MODEL_ERROR, "invalid parameters m_s = %g, m_u = %g, k_s = %g, c_s = %g, k_t = %g: need masses > 0 "
                  "and stiffnesses / damping >= 0", v->m_s, v->m_u, v->k_s, v->c_s, v->k_t);
        return MODEL_ERROR;
    }
    return MODEL_OK;
}

static ModelStatus calculate_values(ModelInstance *m) {
    ModelVariables *v = &m->v;
    v->travel = v->z_s - v->z_u;
    const double f_susp = v->k_s * v->travel + v->c_s * (v->v_s - v->v_u); /* compresses body towards wheel */
    v->F_tire = v->k_t * (v->z_r - v->z_u);
    v->der_z_s = v->v_s;
    v->der_z_u = v->v_u;
    v->der_v_s = -f_susp / v->m_s;
    v->der_v_u = (f_susp + v->F_tire) / v->m_u;
    v->a_s = v->der_v_s;
    return MODEL_OK;
}

const ModelHooks model_hooks = {
    .initialize = initialize,
    .calculate_values = calculate_values,
};
