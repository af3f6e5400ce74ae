/* Bouncing ball: free fall with a state event at h = 0, restitution e, rest below v_min. */
#include <float.h>
#include <math.h>
#include "model.h"

/* An importer may stop just before the crossing (h a hair above 0): treat that as the impact. */
#define H_TOLERANCE 1e-9

static ModelStatus initialize(ModelInstance *m) {
    if (!(m->v.g > 0) || !(m->v.e >= 0 && m->v.e <= 1) || !(m->v.v_min >= 0)) {
        model_log(m, MODEL_ERROR, "invalid parameters g = %g (need > 0), e = %g (need 0..1), v_min = %g (need >= 0)",
                  m->v.g, m->v.e, m->v.v_min);
        return MODEL_ERROR;
    }
    return MODEL_OK;
}

static ModelStatus calculate_values(ModelInstance *m) {
    if (m->v.resting) {
        m->v.der_h = 0;
        m->v.der_v = 0;
        m->v.z_ground = 1; /* constant positive: no more crossings */
    } else {
        m->v.der_h = m->v.v;
        m->v.der_v = -m->v.g;
        m->v.z_ground = m->v.h;
    }
    return MODEL_OK;
}

static ModelStatus event_update(ModelInstance *m, ModelEventInfo *ev) {
    /* v <= 0, not v < 0: a ball starting on the ground at rest (the initial event iteration at
       h = 0, v = 0) comes to rest instead of falling through the ground. A ball found below the
       ground (h < 0) is an impact whatever the sign of v: near a Zeno point an integrator's
       restart can leave h a hair below 0 with v a hair above, and ignoring that would let the
       ball fall through the ground for good. */
    if (m->v.resting || !(m->v.h <= H_TOLERANCE && (m->v.v <= 0 || m->v.h < 0))) return MODEL_OK;
    const double rebound = m->v.e * fabs(m->v.v);
    m->v.bounces++;
    if (rebound < m->v.v_min) {
        m->v.resting = true;
        m->v.h = 0;
        m->v.v = 0;
    } else {
        /* Just above the ground, so the indicator starts strictly positive for the next flight. */
        m->v.h = DBL_MIN;
        m->v.v = rebound;
    }
    ev->values_of_continuous_states_changed = true;
    model_log(m, MODEL_OK, "impact %d at t = %.12g, rebound speed %g m/s%s", (int)m->v.bounces, m->time, rebound,
              m->v.resting ? " (below v_min: resting)" : "");
    return MODEL_OK;
}

const ModelHooks model_hooks = {
    .initialize = initialize,
    .calculate_values = calculate_values,
    .event_update = event_update,
};
