/*
 * Co-Simulation solver shared by the FMI 2 and FMI 3 adapters: fixed RK4 substeps of at most
 * FMU_CS_MAX_STEP, time events hit exactly (a substep ends on next_event_time), state events
 * located by bisection on the substep length to FMU_EVENT_TIME_TOL, then the model's event
 * iteration. Inputs are held constant over the step. Nothing here allocates.
 */
#include <math.h>
#include <string.h>

#include "core.h"

#define MAX_EVENT_ITERATIONS 100
#define MAX_BISECTIONS 200
/* More events than this inside one communication step means chattering / Zeno behaviour:
   fail with a clear message instead of spinning. */
#define MAX_EVENTS_PER_STEP 100000

static ModelStatus eval(ModelInstance *m, double t, const double x[], double dx[]) {
    m->time = t;
    core_set_states(m, x);
    return core_get_derivatives(m, dx);
}

/* One classic RK4 step of length h from (t, x0) into xout (xout must not alias m->k*, m->xt). */
static ModelStatus rk4(ModelInstance *m, double t, double h, const double x0[], double xout[]) {
    ModelStatus st, worst = MODEL_OK;
    if ((st = eval(m, t, x0, m->k1)) > worst) worst = st;
    for (size_t i = 0; i < MODEL_NX; i++) m->xt[i] = x0[i] + 0.5 * h * m->k1[i];
    if ((st = eval(m, t + 0.5 * h, m->xt, m->k2)) > worst) worst = st;
    for (size_t i = 0; i < MODEL_NX; i++) m->xt[i] = x0[i] + 0.5 * h * m->k2[i];
    if ((st = eval(m, t + 0.5 * h, m->xt, m->k3)) > worst) worst = st;
    for (size_t i = 0; i < MODEL_NX; i++) m->xt[i] = x0[i] + h * m->k3[i];
    if ((st = eval(m, t + h, m->xt, m->k4)) > worst) worst = st;
    for (size_t i = 0; i < MODEL_NX; i++) xout[i] = x0[i] + h / 6.0 * (m->k1[i] + 2.0 * m->k2[i] + 2.0 * m->k3[i] + m->k4[i]);
    return worst;
}

/* Moves the instance to (t, x) and evaluates the event indicators into z. */
static ModelStatus place(ModelInstance *m, double t, const double x[], double z[]) {
    m->time = t;
    core_set_states(m, x);
    return core_get_event_indicators(m, z);
}

/* A zero crossing in the FMI sense: the sign changes from strictly positive or strictly negative. */
static bool crossed(const double z_old[], const double z_new[]) {
    for (size_t i = 0; i < MODEL_NZ; i++) {
        if ((z_old[i] > 0 && z_new[i] <= 0) || (z_old[i] < 0 && z_new[i] >= 0)) return true;
    }
    return false;
}

ModelStatus core_event_iteration(ModelInstance *m, bool *terminate) {
    ModelEventInfo ev;
    ModelStatus worst = MODEL_OK;
    for (int i = 0; i < MAX_EVENT_ITERATIONS; i++) {
        ModelStatus st = core_event_update(m, &ev);
        if (st > worst) worst = st;
        if (st > MODEL_WARNING) return worst;
        if (ev.terminate_simulation) {
            *terminate = true;
            return worst;
        }
        if (!ev.discrete_states_need_update) {
            if (m->logging_on) core_log(m, MODEL_OK, "logEvents", "event handled at t = %.17g", m->time);
            return worst;
        }
    }
    core_log(m, MODEL_ERROR, "logStatusError", "event iteration at t = %.17g did not converge after %d iterations",
             m->time, MAX_EVENT_ITERATIONS);
    return MODEL_ERROR;
}

ModelStatus core_do_step(ModelInstance *m, double t, double h, bool *terminate, double *reached) {
    *terminate = false;
    *reached = m->time;
    if (!isfinite(t) || !isfinite(h) || h < 0) {
        core_log(m, MODEL_ERROR, "logStatusError", "doStep: invalid communication step size %g at t = %g (need h >= 0)",
                 h, t);
        return MODEL_ERROR;
    }
    if (fabs(t - m->time) > 1e-9 * fmax(1.0, fabs(m->time))) {
        core_log(m, MODEL_ERROR, "logStatusError",
                 "doStep: currentCommunicationPoint %.17g does not match the FMU's time %.17g", t, m->time);
        return MODEL_ERROR;
    }
    if (m->terminated_by_model) {
        /* The model asked to stop at the initial event iteration: no step is taken. */
        *terminate = true;
        return MODEL_OK;
    }
    const double t_end = t + h;
    const double eps = 1e-12 * fmax(1.0, fabs(t_end));
    double x_new[MODEL_NX_ALLOC];
    ModelStatus st, worst = MODEL_OK;

    if ((st = core_get_event_indicators(m, m->z_old)) > worst) worst = st;
    if (worst > MODEL_WARNING) return worst;
    long events = 0;

    while (t_end - m->time > eps || (m->next_event_time_defined && m->next_event_time <= m->time)) {
        const double t0 = m->time;
        double step = t_end - t0;
        /* Without states or indicators there is nothing to integrate: jump to the next event. */
        if (MODEL_NX > 0 || MODEL_NZ > 0) step = fmin(step, FMU_CS_MAX_STEP);
        bool time_event = false;
        if (m->next_event_time_defined && m->next_event_time - t0 <= step + eps) {
            step = m->next_event_time - t0;
            time_event = true;
        }
        bool event = time_event;
        if (step > 0) {
            core_get_states(m, m->x0);
            if ((st = rk4(m, t0, step, m->x0, x_new)) > worst) worst = st;
            if (worst > MODEL_WARNING) return worst;
            /* A NaN / Inf state would silently poison every later value: fail the step instead, as
               the Model Exchange solvers do on non-finite derivatives. */
            for (size_t i = 0; i < MODEL_NX; i++) {
                if (!isfinite(x_new[i])) {
                    core_log(m, MODEL_ERROR, "logStatusError",
                             "doStep: state '%s' became %g between t = %.17g and %.17g (check parameters, inputs and "
                             "start values)", core_state_var_name(i), x_new[i], t0, t0 + step);
                    return MODEL_ERROR;
                }
            }
            const double t1 = time_event ? m->next_event_time : t0 + step;
            if ((st = place(m, t1, x_new, m->z_new)) > worst) worst = st;
            if (worst > MODEL_WARNING) return worst;
            if (MODEL_NZ > 0 && crossed(m->z_old, m->z_new)) {
                /* State event before (or at) the end of this substep: bisect on the substep length,
                   keeping `hi` on the crossed side so the model sees the condition as true. */
                double lo = 0, hi = step;
                for (int i = 0; i < MAX_BISECTIONS && hi - lo > FMU_EVENT_TIME_TOL; i++) {
                    const double mid = 0.5 * (lo + hi);
                    if (mid <= lo || mid >= hi) break;
                    if ((st = rk4(m, t0, mid, m->x0, x_new)) > worst) worst = st;
                    if ((st = place(m, t0 + mid, x_new, m->z_new)) > worst) worst = st;
                    if (worst > MODEL_WARNING) return worst;
                    if (crossed(m->z_old, m->z_new)) hi = mid;
                    else lo = mid;
                }
                /* The last bisection point may lie on the uncrossed side (always so when the
                   crossing is within the tolerance of the substep's end): move to hi. */
                if (hi < step) time_event = false;
                if ((st = rk4(m, t0, hi, m->x0, x_new)) > worst) worst = st;
                if ((st = place(m, time_event ? m->next_event_time : t0 + hi, x_new, m->z_new)) > worst) worst = st;
                if (worst > MODEL_WARNING) return worst;
                event = true;
            }
            /* A step event: the model asks for an event after this accepted substep. */
            if (!event && model_hooks.step_completed != NULL) {
                if ((st = core_update(m)) > worst) worst = st;
                if (worst > MODEL_WARNING) return worst;
                event = model_hooks.step_completed(m);
            }
        }
        if (event) {
            if (++events > MAX_EVENTS_PER_STEP) {
                core_log(m, MODEL_ERROR, "logStatusError",
                         "doStep: more than %d events between t = %.17g and %.17g (chattering or Zeno behaviour at t = %.17g)",
                         MAX_EVENTS_PER_STEP, t, t_end, m->time);
                return MODEL_ERROR;
            }
            bool term = false;
            if ((st = core_event_iteration(m, &term)) > worst) worst = st;
            if (worst > MODEL_WARNING) return worst;
            if (term) {
                *terminate = true;
                *reached = m->time;
                return worst;
            }
            if ((st = core_get_event_indicators(m, m->z_old)) > worst) worst = st;
            if (worst > MODEL_WARNING) return worst;
        } else {
            memcpy(m->z_old, m->z_new, sizeof m->z_old);
        }
    }
    /* Within eps of the end: land exactly on it so importers' time bookkeeping agrees. */
    m->time = t_end;
    m->dirty = true;
    *reached = t_end;
    return worst;
}
