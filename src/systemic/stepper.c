/* The systemic model advanced piecewise beside another engine. CVODE (BDF, Newton, dense LU)
 * with the compiled right-hand side; every change made from outside (an added amount, an
 * event) is followed by CVodeReInit, because a jump invalidates the BDF history. The
 * right-hand side reads negative states as zero, so no constraints are needed here; round-off
 * negatives are reset to zero before each restart. */
#include "systemic/stepper.h"

#include <cvodes/cvodes.h>
#include <math.h>
#include <nvector/nvector_serial.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sundials/sundials_context.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>

#include "core/fault.h"
#include "systemic/rhs.h"

struct exo_stepper {
  const exo_model *m;
  exo_rhs *rhs;
  SUNContext sun;
  N_Vector y;
  SUNMatrix A;
  SUNLinearSolver LS;
  void *cv;
  double t;
  int next_event;
  bool dirty; /* a state or parameter changed since the last CVodeReInit */
  double *params;
  char msg[300];
  /* the last point where the right-hand side was not finite, to name the process */
  bool have_bad;
  double bad_t;
  double *bad_y;
};

static int stepper_rhs(sunrealtype t, N_Vector y, N_Vector ydot, void *user) {
  exo_stepper *s = user;
  const double *yv = N_VGetArrayPointer(y);
  if (exo_rhs_eval(s->rhs, t, yv, N_VGetArrayPointer(ydot))) return 0;
  s->have_bad = true;
  s->bad_t = t;
  memcpy(s->bad_y, yv, (size_t)s->m->nstate * sizeof *yv);
  return 1; /* recoverable: CVODE tries a smaller step */
}

static void stepper_err(int code, const char *module, const char *function, char *msg, void *user) {
  exo_stepper *s = user;
  (void)code;
  (void)module;
  snprintf(s->msg, sizeof s->msg, "%s: %s", function, msg);
}

static void refresh_params(exo_stepper *s) {
  for (int i = 0; i < s->m->nparam; i++) s->params[i] = exo_rhs_get_param(s->rhs, i);
}

/* Applies the chosen arm's events at times <= t (+ a relative round-off). */
static void apply_events(exo_stepper *s, double t) {
  const exo_model *m = s->m;
  double *y = N_VGetArrayPointer(s->y);
  double eps = 1e-9 * (fabs(t) > 1 ? fabs(t) : 1);
  while (s->next_event < m->nevent && m->events[s->next_event].time <= t + eps) {
    const exo_event *e = &m->events[s->next_event++];
    if (e->therapy && !m->therapy_on[e->therapy - 1]) continue;
    double value = e->value_param >= 0 ? m->params[e->value_param].value /
                                             (e->divisor_param >= 0 ? m->params[e->divisor_param].value : 1.0)
                                       : e->value;
    switch (e->action) {
    case EXO_EVENT_ADD: y[e->target] += value; break;
    case EXO_EVENT_SCALE: y[e->target] *= value; break;
    case EXO_EVENT_SET_PARAM: exo_rhs_set_param(s->rhs, e->target, value); break;
    }
    s->dirty = true;
  }
  refresh_params(s);
}

exo_status exo_stepper_create(const exo_model *m, exo_stepper **out, exo_error *err) {
  *out = NULL;
  exo_stepper *s = exo_calloc(1, sizeof *s);
  if (!s) return exo_error_set(err, EXO_ERR_NOMEM, "out of memory");
  s->m = m;
  exo_status st = exo_rhs_compile(m, &s->rhs, err);
  if (st) {
    free(s);
    return st;
  }
  exo_rhs_reset(s->rhs);
  sunindextype n = m->nstate > 0 ? m->nstate : 1;
  s->params = exo_calloc((size_t)m->nparam + 1, sizeof *s->params);
  s->bad_y = exo_calloc((size_t)m->nstate + 1, sizeof *s->bad_y);
  if (!s->params || !s->bad_y || SUNContext_Create(NULL, &s->sun) || !(s->y = N_VNew_Serial(n, s->sun))) {
    exo_stepper_free(s);
    return exo_error_set(err, EXO_ERR_NOMEM, "out of memory creating the systemic solver");
  }
  double *y = N_VGetArrayPointer(s->y);
  for (sunindextype i = 0; i < n; i++) y[i] = i < m->nstate ? m->states[i].initial : 0;
  apply_events(s, 0);
  s->cv = CVodeCreate(CV_BDF, s->sun);
  s->A = SUNDenseMatrix(n, n, s->sun);
  s->LS = s->A ? SUNLinSol_Dense(s->y, s->A, s->sun) : NULL;
  if (!s->cv || !s->LS || CVodeInit(s->cv, stepper_rhs, 0.0, s->y) ||
      CVodeSStolerances(s->cv, m->solver.rtol, m->solver.atol) || CVodeSetUserData(s->cv, s) ||
      CVodeSetErrHandlerFn(s->cv, stepper_err, s) || CVodeSetMaxNumSteps(s->cv, m->solver.max_steps) ||
      CVodeSetLinearSolver(s->cv, s->LS, s->A)) {
    exo_stepper_free(s);
    return exo_error_set(err, EXO_ERR_SOLVER, "could not configure CVODE for the systemic model");
  }
  s->dirty = false;
  *out = s;
  return EXO_OK;
}

void exo_stepper_free(exo_stepper *s) {
  if (!s) return;
  if (s->cv) CVodeFree(&s->cv);
  if (s->LS) SUNLinSolFree(s->LS);
  if (s->A) SUNMatDestroy(s->A);
  if (s->y) N_VDestroy(s->y);
  if (s->sun) SUNContext_Free(&s->sun);
  exo_rhs_free(s->rhs);
  free(s->params);
  free(s->bad_y);
  free(s);
}

static exo_status restart(exo_stepper *s, exo_error *err) {
  double *y = N_VGetArrayPointer(s->y);
  for (int i = 0; i < s->m->nstate; i++)
    if (y[i] < 0) y[i] = 0;
  if (CVodeReInit(s->cv, s->t, s->y))
    return exo_error_set(err, EXO_ERR_SOLVER, "systemic model: CVodeReInit failed at day %g", s->t / EXO_MINUTES_PER_DAY);
  s->dirty = false;
  return EXO_OK;
}

exo_status exo_stepper_advance(exo_stepper *s, double t, exo_error *err) {
  const exo_model *m = s->m;
  /* Every advance starts from a fresh integrator: then the state between advances (time,
   * states, parameters, next event) is all there is, so a run resumed from a checkpoint
   * continues exactly as the uninterrupted run does. The cost is one BDF restart per
   * coupling interval. */
  s->dirty = true;
  while (s->t < t) {
    if (s->dirty) {
      exo_status st = restart(s, err);
      if (st) return st;
    }
    while (s->next_event < m->nevent && m->events[s->next_event].therapy &&
           !m->therapy_on[m->events[s->next_event].therapy - 1])
      s->next_event++;
    double target = t;
    if (s->next_event < m->nevent && m->events[s->next_event].time < t) target = m->events[s->next_event].time;
    if (target <= s->t) target = s->t; /* an event due now: apply it below */
    if (target > s->t) {
      CVodeSetStopTime(s->cv, target);
      double tret;
      int flag = CVode(s->cv, target, s->y, &tret, CV_NORMAL);
      if (flag < 0) {
        const char *proc = s->have_bad ? exo_rhs_failing_process(s->rhs, s->bad_t, s->bad_y) : NULL;
        char where[300] = "";
        if (proc)
          snprintf(where, sizeof where, "; the rate of process '%s' is not finite at day %.6g", proc, s->bad_t / EXO_MINUTES_PER_DAY);
        /* a rate that was not finite is the cause whatever CVODE's flag (it may give up on
         * convergence first) */
        return exo_error_set(err, s->have_bad || flag == CV_RHSFUNC_FAIL || flag == CV_REPTD_RHSFUNC_ERR ? EXO_ERR_NUMERIC : EXO_ERR_SOLVER,
                             "systemic model beside the tissue failed at day %.6g (CVODE flag %d)%s%s%s", tret / EXO_MINUTES_PER_DAY,
                             flag, where, s->msg[0] ? ": " : "", s->msg);
      }
      s->have_bad = false;
      s->t = target;
    }
    apply_events(s, s->t);
  }
  const double *y = N_VGetArrayPointer(s->y);
  for (int i = 0; i < m->nstate; i++)
    if (!isfinite(y[i]))
      return exo_error_set(err, EXO_ERR_NUMERIC, "state '%s' became %g at day %g", m->states[i].column, y[i],
                           s->t / EXO_MINUTES_PER_DAY);
  return EXO_OK;
}

double exo_stepper_time(const exo_stepper *s) { return s->t; }
const double *exo_stepper_states(const exo_stepper *s) { return N_VGetArrayPointer(s->y); }
const double *exo_stepper_params(const exo_stepper *s) { return s->params; }

void exo_stepper_add(exo_stepper *s, int state, double amount) {
  if (amount == 0 || state < 0 || state >= s->m->nstate) return;
  N_VGetArrayPointer(s->y)[state] += amount;
  s->dirty = true;
}

int exo_stepper_next_event(const exo_stepper *s) { return s->next_event; }

exo_status exo_stepper_restore(exo_stepper *s, double t, const double *y, int next_event, const double *params, exo_error *err) {
  const exo_model *m = s->m;
  if (next_event < 0 || next_event > m->nevent) return exo_error_set(err, EXO_ERR_MODEL, "checkpoint: event index %d out of range", next_event);
  s->t = t;
  memcpy(N_VGetArrayPointer(s->y), y, (size_t)m->nstate * sizeof *y);
  s->next_event = next_event;
  for (int i = 0; i < m->nparam; i++) exo_rhs_set_param(s->rhs, i, params[i]);
  refresh_params(s);
  s->dirty = true;
  return EXO_OK;
}

void exo_stepper_row(exo_stepper *s, double *row) {
  const double *y = N_VGetArrayPointer(s->y);
  size_t n = (size_t)s->m->nstate;
  for (size_t i = 0; i < n; i++) row[i] = y[i] > 0 ? y[i] : 0;
  exo_rhs_outputs(s->rhs, s->t, y, row + n);
}
