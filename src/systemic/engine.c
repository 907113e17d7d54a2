/* The systemic engine: CVODE (BDF + Newton) over the compiled right-hand side.
 * Output times are reached by CVODE's interpolation; events are reached exactly through the stop
 * time, applied, and followed by CVodeReInit, because a jump in a state or a parameter
 * invalidates the BDF history. */
#include <cvodes/cvodes.h> /* CVODE plus quadratures, which carry the vesicle bookkeeping */
#include <math.h>
#include <nvector/nvector_serial.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sundials/sundials_context.h>
#include <sunlinsol/sunlinsol_band.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_band.h>
#include <sunmatrix/sunmatrix_dense.h>

#include "core/fault.h"
#include "model/model.h"
#include "systemic/rhs.h"

/* Below this size a dense LU is as cheap as a banded one and simpler. */
#define BAND_MIN_STATES 16

size_t exo_systemic_column_count(const exo_model *m) { return (size_t)m->nstate + (size_t)m->noutput; }

const char *exo_systemic_column_name(const exo_model *m, size_t i) {
  if (i < (size_t)m->nstate) return m->states[i].column;
  i -= (size_t)m->nstate;
  return i < (size_t)m->noutput ? m->outputs[i].name : NULL;
}

double exo_systemic_column_unit_factor(const exo_model *m, size_t i) {
  return i < (size_t)m->nstate || i >= exo_systemic_column_count(m) ? 1.0 : m->outputs[i - (size_t)m->nstate].unit_factor;
}

typedef struct run_ctx {
  exo_rhs *rhs;
  char cvode_msg[512];
  /* the last point where the right-hand side was not finite, to name the process after a failure */
  bool have_bad;
  double bad_t;
  double *bad_y;
} run_ctx;

static int cvode_quad(sunrealtype t, N_Vector y, N_Vector qdot, void *user) {
  run_ctx *c = user;
  exo_rhs_flows(c->rhs, t, N_VGetArrayPointer(y), N_VGetArrayPointer(qdot));
  return 0;
}

void exo_solver_stats_free(exo_solver_stats *s) {
  free(s->pools);
  s->pools = NULL;
  s->npools = 0;
}

/* The vesicle balance of every pool at time t: initial + added by events + the integrated flows
 * must equal what is present. q holds the integrated signed flows (exo_rhs_flows). */
static void check_balance(const exo_model *m, const exo_rhs *rhs, const double *y, const double *q, const double *added,
                          exo_solver_stats *stats) {
  for (int p = 0; p < stats->npools; p++) {
    exo_pool_balance b = {.state = stats->pools[p].state};
    int v = b.state;
    b.initial = m->states[v].initial;
    b.added = added[v];
    b.present = y[v];
    double net = 0, gross = fabs(b.initial) + fabs(b.added);
    for (size_t f = 0; f < rhs->nflow; f++) {
      if (rhs->flows[f].state != v) continue;
      double x = q[f];
      net += x;
      gross += fabs(x);
      switch (rhs->flows[f].kind) {
      case EXO_FLOW_SECRETED: b.secreted += x; break;
      case EXO_FLOW_CLEARED: b.cleared -= x; break;
      case EXO_FLOW_TAKEN_UP: b.taken_up -= x; break;
      case EXO_FLOW_DRAINED_OUT: b.drained_out -= x; break;
      case EXO_FLOW_DRAINED_IN: b.drained_in += x; break;
      default: break;
      }
    }
    b.rel_error = gross > 0 ? fabs(b.initial + b.added + net - b.present) / gross : 0;
    if (b.rel_error > stats->balance_max_rel_error) stats->balance_max_rel_error = b.rel_error;
    stats->pools[p] = b; /* the last check is the end of the run */
  }
}

static int cvode_rhs(sunrealtype t, N_Vector y, N_Vector ydot, void *user) {
  run_ctx *c = user;
  const double *yv = N_VGetArrayPointer(y);
  if (exo_rhs_eval(c->rhs, t, yv, N_VGetArrayPointer(ydot))) return 0;
  /* a non-finite derivative is a recoverable failure: CVODE retries with a smaller step */
  c->have_bad = true;
  c->bad_t = t;
  memcpy(c->bad_y, yv, exo_rhs_size(c->rhs) * sizeof *yv);
  return 1;
}

static void cvode_err(int code, const char *module, const char *function, char *msg, void *user) {
  run_ctx *c = user;
  (void)code;
  (void)module;
  snprintf(c->cvode_msg, sizeof c->cvode_msg, "%s: %s", function, msg);
}

/* CVodeGetReturnFlagName of SUNDIALS 6.4 has no name for some flags (CV_CONSTR_FAIL reads
 * "NONE"), so name the ones a run can end with here, with what they mean. */
static const char *flag_text(int flag, char *buf, size_t n) {
  switch (flag) {
  case CV_TOO_MUCH_WORK: return "CV_TOO_MUCH_WORK: too many steps for one output interval (raise simulation.max_steps)";
  case CV_TOO_MUCH_ACC: return "CV_TOO_MUCH_ACC: the tolerances cannot be met (loosen rtol/atol)";
  case CV_ERR_FAILURE: return "CV_ERR_FAILURE: repeated error-test failures";
  case CV_CONV_FAILURE: return "CV_CONV_FAILURE: repeated Newton convergence failures";
  case CV_LSETUP_FAIL: return "CV_LSETUP_FAIL: the Jacobian could not be factored";
  case CV_LSOLVE_FAIL: return "CV_LSOLVE_FAIL: the linear solve failed";
  case CV_RHSFUNC_FAIL: return "CV_RHSFUNC_FAIL: the right-hand side is not finite";
  case CV_FIRST_RHSFUNC_ERR: return "CV_FIRST_RHSFUNC_ERR: the right-hand side is not finite at the start";
  case CV_REPTD_RHSFUNC_ERR: return "CV_REPTD_RHSFUNC_ERR: the right-hand side is repeatedly not finite";
  case CV_CONSTR_FAIL: return "CV_CONSTR_FAIL: the non-negativity constraint could not be kept";
  case CV_NLS_FAIL: return "CV_NLS_FAIL: the nonlinear solver failed";
  default: {
    char *name = CVodeGetReturnFlagName(flag); /* allocated by SUNDIALS */
    snprintf(buf, n, "%s", name ? name : "unknown CVODE flag");
    free(name);
    return buf;
  }
  }
}

static void collect_stats(void *cv, exo_solver_stats *s) {
  long v;
  if (CVodeGetNumSteps(cv, &v) == CV_SUCCESS) s->steps += v;
  if (CVodeGetNumRhsEvals(cv, &v) == CV_SUCCESS) s->rhs_evals += v;
  if (CVodeGetNumLinRhsEvals(cv, &v) == CV_SUCCESS) s->rhs_evals_jacobian += v;
  if (CVodeGetNumJacEvals(cv, &v) == CV_SUCCESS) s->jac_evals += v;
  if (CVodeGetNumLinSolvSetups(cv, &v) == CV_SUCCESS) s->lin_setups += v;
  if (CVodeGetNumNonlinSolvIters(cv, &v) == CV_SUCCESS) s->newton_iters += v;
  if (CVodeGetNumNonlinSolvConvFails(cv, &v) == CV_SUCCESS) s->newton_conv_fails += v;
  if (CVodeGetNumErrTestFails(cv, &v) == CV_SUCCESS) s->err_test_fails += v;
}

static exo_status record(exo_rhs *rhs, const exo_model *m, exo_recorder *rec, double t, const double *y,
                         double *row, double *peak, exo_solver_stats *stats, exo_error *err) {
  size_t n = (size_t)m->nstate;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(y[i]))
      return exo_error_set(err, EXO_ERR_NUMERIC, "state '%s' became %g at day %g", m->states[i].column, y[i],
                           t / EXO_MINUTES_PER_DAY);
    /* CVODE's constraints keep every step >= 0, and once they are released (see above) the
     * right-hand side reads negatives as zero; what is left below zero is integration error
     * around an extinct population. It is written as 0, and the most negative value so
     * written is reported in the run record so that nothing is hidden. */
    if (y[i] < 0) {
      if (y[i] < stats->most_negative) {
        stats->most_negative = y[i];
        stats->most_negative_state = (int)i;
        stats->most_negative_peak = peak[i];
      }
      row[i] = 0;
    } else {
      row[i] = y[i];
      if (y[i] > peak[i]) peak[i] = y[i];
    }
  }
  exo_rhs_outputs(rhs, t, y, row + n);
  for (int i = 0; i < m->noutput; i++)
    if (!isfinite(row[n + (size_t)i]))
      return exo_error_set(err, EXO_ERR_NUMERIC, "output '%s' is not finite (%g) at day %g", m->outputs[i].name,
                           row[n + (size_t)i], t / EXO_MINUTES_PER_DAY);
  if (exo_recorder_add_row(rec, t, row)) return exo_error_set(err, EXO_ERR_NOMEM, "out of memory recording results");
  return EXO_OK;
}

/* Applies every event at time te (from index *ei on); returns whether any state changed. */
/* Events closer than eps are simultaneous: 0.01 day and 0.24 h differ in the last bit, and
 * integrating across that gap would ask CVODE for a step of no length. */
static void apply_events(const exo_model *m, exo_rhs *rhs, double *y, double *added, double te, double eps, int *ei,
                         exo_solver_stats *stats) {
  while (*ei < m->nevent && m->events[*ei].time <= te + eps) {
    const exo_event *e = &m->events[*ei];
    if (e->therapy && !m->therapy_on[e->therapy - 1]) { /* a dose of a therapy this arm does not give */
      (*ei)++;
      continue;
    }
    double before = e->action == EXO_EVENT_SET_PARAM ? 0 : y[e->target];
    double value = e->value_param >= 0 ? m->params[e->value_param].value /
                                             (e->divisor_param >= 0 ? m->params[e->divisor_param].value : 1.0)
                                       : e->value;
    switch (e->action) {
    case EXO_EVENT_ADD: y[e->target] += value; break;
    case EXO_EVENT_SCALE: y[e->target] *= value; break;
    case EXO_EVENT_SET_PARAM: exo_rhs_set_param(rhs, e->target, value); break;
    }
    if (e->action != EXO_EVENT_SET_PARAM) added[e->target] += y[e->target] - before;
    stats->events_applied++;
    (*ei)++;
  }
}

exo_status exo_systemic_run(const exo_model *m, const exo_run_settings *s, exo_recorder *rec, exo_solver_stats *stats,
                            exo_error *err) {
  exo_rhs *rhs = NULL;
  memset(stats, 0, sizeof *stats);
  exo_status st = exo_rhs_compile(m, &rhs, err);
  if (st) return st;
  st = exo_systemic_run_rhs(m, rhs, s, rec, stats, err);
  exo_rhs_free(rhs);
  return st;
}

exo_status exo_systemic_run_rhs(const exo_model *m, exo_rhs *rhs, const exo_run_settings *s, exo_recorder *rec,
                                exo_solver_stats *stats, exo_error *err) {
  memset(stats, 0, sizeof *stats);
  const exo_solver_settings *cfg = &m->solver;
  double end = s && s->end_time > 0 ? s->end_time : cfg->end_time;
  stats->rtol = cfg->rtol;
  stats->atol = cfg->atol;
  sunindextype n = m->nstate;
  exo_status st = EXO_OK;
  exo_rhs_reset(rhs); /* parameters as in the model: an earlier run's events may have changed them */

  size_t ncol = exo_systemic_column_count(m);
  double *row = exo_malloc((ncol ? ncol : 1) * sizeof *row);
  SUNContext sun = NULL;
  N_Vector y = NULL, cons = NULL;
  SUNMatrix A = NULL;
  SUNLinearSolver LS = NULL;
  void *cv = NULL;
  run_ctx ctx = {rhs, "", false, 0, exo_malloc((size_t)(n ? n : 1) * sizeof(double))};
  double *y_good = exo_malloc((size_t)(n ? n : 1) * sizeof(double)), t_good = 0; /* last accepted point */
  double *added = exo_calloc((size_t)(n ? n : 1), sizeof(double)); /* by events, per state */
  double *peak = exo_calloc((size_t)(n ? n : 1), sizeof(double));  /* largest recorded value, per state */
  size_t nflow = rhs->nflow;
  double *q_good = exo_calloc(nflow + 1, sizeof(double));
  N_Vector qv = NULL;
  for (sunindextype i = 0; i < n; i++) stats->npools += m->states[i].kind == EXO_KIND_VESICLES;
  stats->pools = exo_calloc((size_t)stats->npools + 1, sizeof *stats->pools);
  if (!row || !ctx.bad_y || !y_good || !added || !peak || !q_good || !stats->pools) {
    st = exo_error_set(err, EXO_ERR_NOMEM, "out of memory");
    goto done;
  }
  if (SUNContext_Create(NULL, &sun) || !(y = N_VNew_Serial(n, sun)) || !(cons = N_VNew_Serial(n, sun))) {
    st = exo_error_set(err, EXO_ERR_NOMEM, "could not create the solver context");
    goto done;
  }
  double *yd = N_VGetArrayPointer(y);
  for (sunindextype i = 0; i < n; i++) yd[i] = m->states[i].initial;
  N_VConst(1.0, cons); /* every state >= 0 */

  bool band = cfg->linsolver == EXO_LINSOL_BAND ||
              (cfg->linsolver == EXO_LINSOL_AUTO && n >= BAND_MIN_STATES &&
               rhs->band_lower + rhs->band_upper + 1 <= n / 2);
  snprintf(stats->linear_solver, sizeof stats->linear_solver, "%s", band ? "band" : "dense");
  snprintf(stats->rhs, sizeof stats->rhs, "%s", rhs->how);
  snprintf(stats->rhs_note, sizeof stats->rhs_note, "%s", rhs->native.fn ? "" : rhs->why);
  stats->band_lower = rhs->band_lower;
  stats->band_upper = rhs->band_upper;

  int ei = 0;
  double t = 0;
  bool constrained = true;
  stats->constraints_released_day = -1;
  for (sunindextype i = 0, p = 0; i < n; i++)
    if (m->states[i].kind == EXO_KIND_VESICLES) stats->pools[p++].state = (int)i;
  if (nflow && !(qv = N_VNew_Serial((sunindextype)nflow, sun))) {
    st = exo_error_set(err, EXO_ERR_NOMEM, "out of memory");
    goto done;
  }
  if (qv) N_VConst(0.0, qv);
  double *qd = qv ? N_VGetArrayPointer(qv) : q_good;
  const double eps = 1e-9 * (end > 0 ? end : 1);
  apply_events(m, rhs, yd, added, 0, eps, &ei, stats);
  if ((st = record(rhs, m, rec, t, yd, row, peak, stats, err))) goto done;
  check_balance(m, rhs, yd, qd, added, stats);
  memcpy(y_good, yd, (size_t)n * sizeof *yd);

  cv = CVodeCreate(CV_BDF, sun);
  if (!cv || CVodeInit(cv, cvode_rhs, 0.0, y) || CVodeSStolerances(cv, cfg->rtol, cfg->atol) ||
      CVodeSetUserData(cv, &ctx) || CVodeSetErrHandlerFn(cv, cvode_err, &ctx) ||
      CVodeSetMaxNumSteps(cv, cfg->max_steps) || CVodeSetConstraints(cv, cons)) {
    st = exo_error_set(err, EXO_ERR_SOLVER, "could not configure CVODE%s%s", ctx.cvode_msg[0] ? ": " : "", ctx.cvode_msg);
    goto done;
  }
  if (qv && (CVodeQuadInit(cv, cvode_quad, qv) || CVodeSetQuadErrCon(cv, SUNTRUE) ||
             CVodeQuadSStolerances(cv, cfg->rtol, cfg->atol))) {
    st = exo_error_set(err, EXO_ERR_SOLVER, "could not set up the vesicle bookkeeping quadratures");
    goto done;
  }
  A = band ? SUNBandMatrix(n, rhs->band_upper, rhs->band_lower, sun) : SUNDenseMatrix(n, n, sun);
  LS = A ? (band ? SUNLinSol_Band(y, A, sun) : SUNLinSol_Dense(y, A, sun)) : NULL;
  if (!LS || CVodeSetLinearSolver(cv, LS, A)) {
    st = exo_error_set(err, EXO_ERR_SOLVER, "could not set up the %s linear solver", stats->linear_solver);
    goto done;
  }

  long k = 1;
  int next_listed = 0; /* with explicit output_times: the first one not yet reached */
  while (next_listed < cfg->noutput_times && cfg->output_times[next_listed] <= eps) next_listed++;
  while (t < end - eps) {
    /* the next output: k * output_every, or the next listed time; the end is always recorded */
    double tout = cfg->output_times ? (next_listed < cfg->noutput_times ? cfg->output_times[next_listed] : end)
                                    : k * cfg->output_every;
    if (tout > end - eps) tout = end;
    /* doses of therapies this arm does not give are not stops at all */
    while (ei < m->nevent && m->events[ei].therapy && !m->therapy_on[m->events[ei].therapy - 1]) ei++;
    double tev = (ei < m->nevent && m->events[ei].time <= end + eps) ? m->events[ei].time : INFINITY;
    bool at_event = tev <= tout + eps;
    double target = at_event ? tev : tout;
    double tstop = tev < end ? tev : end;
    if (CVodeSetStopTime(cv, tstop)) {
      st = exo_error_set(err, EXO_ERR_SOLVER, "CVODE refused stop time %g", tstop);
      goto done;
    }
    double tret;
    int flag = CVode(cv, target, y, &tret, CV_NORMAL);
    if (flag < 0 && constrained &&
        (flag == CV_CONSTR_FAIL || flag == CV_CONV_FAILURE || flag == CV_ERR_FAILURE)) {
      /* CVODE's inequality constraints can fail when a population collapses towards zero
       * faster than its tolerance can follow. The right-hand side already reads every state as
       * max(y, 0), so the run can go on without them: restart from the last good point with
       * round-off negatives set to zero. */
      collect_stats(cv, stats);
      /* CVODE can hand back NaN after such a failure: go back to the last point we accepted */
      memcpy(yd, y_good, (size_t)n * sizeof *yd);
      if (qv) memcpy(qd, q_good, nflow * sizeof *qd);
      if (CVodeReInit(cv, t_good, y) || CVodeSetConstraints(cv, NULL) || (qv && CVodeQuadReInit(cv, qv))) {
        st = exo_error_set(err, EXO_ERR_SOLVER, "CVodeReInit failed at day %g", t_good / EXO_MINUTES_PER_DAY);
        goto done;
      }
      constrained = false;
      ctx.have_bad = false;
      stats->reinits++;
      stats->constraints_released_day = t_good / EXO_MINUTES_PER_DAY;
      ctx.cvode_msg[0] = '\0';
      continue;
    }
    if (flag < 0) {
      const char *proc = ctx.have_bad ? exo_rhs_failing_process(rhs, ctx.bad_t, ctx.bad_y) : NULL;
      char where[300] = "", flagbuf[64];
      if (proc)
        snprintf(where, sizeof where, "; the rate of process '%s' is not finite at day %.6g", proc,
                 ctx.bad_t / EXO_MINUTES_PER_DAY);
      else if (ctx.have_bad)
        snprintf(where, sizeof where, "; the right-hand side is not finite at day %.6g", ctx.bad_t / EXO_MINUTES_PER_DAY);
      st = exo_error_set(err, flag == CV_RHSFUNC_FAIL || flag == CV_REPTD_RHSFUNC_ERR ? EXO_ERR_NUMERIC : EXO_ERR_SOLVER,
                         "solver failed at day %.6g (%s)%s%s%s", tret / EXO_MINUTES_PER_DAY, flag_text(flag, flagbuf, sizeof flagbuf),
                         where, ctx.cvode_msg[0] ? ": " : "", ctx.cvode_msg);
      goto done;
    }
    t = target;
    ctx.have_bad = false; /* a non-finite evaluation that CVODE recovered from is not news */
    double tq;
    if (qv && CVodeGetQuad(cv, &tq, qv)) {
      st = exo_error_set(err, EXO_ERR_SOLVER, "could not read the vesicle bookkeeping at day %g", t / EXO_MINUTES_PER_DAY);
      goto done;
    }
    memcpy(y_good, yd, (size_t)n * sizeof *yd);
    if (qv) memcpy(q_good, qd, nflow * sizeof *qd);
    t_good = t;
    if (at_event) {
      collect_stats(cv, stats);
      apply_events(m, rhs, yd, added, tev, eps, &ei, stats);
      if (constrained)
        /* CVODE's constraints hold at its steps, but the state it returns at a stop time can sit
         * a round-off below zero, and CVodeReInit refuses such a start under the constraints.
         * The nudge is booked as added, so the vesicle balance stays exact. */
        for (sunindextype i = 0; i < n; i++)
          if (yd[i] < 0) {
            added[i] -= yd[i];
            yd[i] = 0;
          }
      memcpy(y_good, yd, (size_t)n * sizeof *yd);
      if (CVodeReInit(cv, t, y) || (qv && CVodeQuadReInit(cv, qv))) {
        st = exo_error_set(err, EXO_ERR_SOLVER, "CVodeReInit failed at day %g", t / EXO_MINUTES_PER_DAY);
        goto done;
      }
      stats->reinits++;
      if (fabs(tev - tout) > eps) continue; /* the event fell between output times */
    }
    if ((st = record(rhs, m, rec, t, yd, row, peak, stats, err))) goto done;
    check_balance(m, rhs, yd, qd, added, stats);
    k++;
    next_listed++;
  }
  collect_stats(cv, stats);
  st = EXO_OK;
done:
  if (cv) CVodeFree(&cv);
  if (LS) SUNLinSolFree(LS);
  if (A) SUNMatDestroy(A);
  if (y) N_VDestroy(y);
  if (cons) N_VDestroy(cons);
  if (sun) SUNContext_Free(&sun);
  free(row);
  free(ctx.bad_y);
  free(y_good);
  free(added);
  free(peak);
  free(q_good);
  if (qv) N_VDestroy(qv);
  if (st) exo_solver_stats_free(stats);
  return st;
}
