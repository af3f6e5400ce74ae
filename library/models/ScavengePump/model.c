/* ScavengePump: dry-sump oil circuit, feed pump vs speed-dependent scavenge capacity (equations in model.json). */
#include <math.h>

#include "model.h"

static ModelStatus initialize(ModelInstance *m) {
    const ModelVariables *v = &m->v;
    if (!(v->n_eng >= 0) || !(v->D_feed >= 0) || !(v->q_relief > 0) || !(v->D_scav >= 0) || !(v->ratio > 0) ||
        !(v->eta_0 >= 0 && v->eta_0 <= 1) || !(v->n_aer > 0) || !(v->tau_drain > 0) || !(v->A_sump > 0) || !(v->h_pick > 0)) {
        model_log(m, MODEL_ERROR, "invalid parameters n_eng = %g, D_feed = %g, q_relief = %g, D_scav = %g, ratio = %g, "
                  "eta_0 = %g, n_aer = %g, tau_drain = %g, A_sump = %g, h_pick = %g: need speeds and displacements >= 0, "
                  "0 <= eta_0 <= 1 and q_relief, ratio, n_aer, tau_drain, A_sump, h_pick > 0",
                  v->n_eng, v->D_feed, v->q_relief, v->D_scav, v->ratio, v->eta_0, v->n_aer, v->tau_drain, v->A_sump, v->h_pick);
        return MODEL_ERROR;
    }
    return MODEL_OK;
}

static ModelStatus calculate_values(ModelInstance *m) {
    ModelVariables *v = &m->v;
    const double rev_s = v->n_eng / 60.0;
    /* Feed pump: displacement flow, capped by its relief valve. */
    const double q_disp = v->D_feed * rev_s;
    v->q_feed = q_disp < v->q_relief ? q_disp : v->q_relief;
    /* Scavenge pump: volumetric efficiency falls with the square of speed (aeration), never below 0. */
    const double s = v->n_eng / v->n_aer;
    const double eta = v->eta_0 * (1.0 - s * s);
    v->eta_scav = eta > 0.0 ? eta : 0.0;
    v->q_cap = v->D_scav * v->ratio * rev_s * v->eta_scav;
    v->capacity_margin = v->q_feed > 0.0 ? 100.0 * (v->q_cap - v->q_feed) / v->q_feed : 100.0;
    /* Oil held up in the crankcase drains to the sump with a first-order lag. */
    v->q_drain = v->V_hold / v->tau_drain;
    /* The pump draws what the sump gives it: starved as the level falls towards the pickup. */
    const double h_pos = v->h > 0.0 ? v->h : 0.0;
    v->q_scav = v->q_cap * (1.0 - exp(-h_pos / v->h_pick));
    v->der_V_hold = v->q_feed - v->q_drain;
    v->der_h = (v->q_drain - v->q_scav) / v->A_sump;
    v->h_mm = 1000.0 * v->h;
    return MODEL_OK;
}

const ModelHooks model_hooks = {
    .initialize = initialize,
    .calculate_values = calculate_values,
};
