/* exosim: the systemic engine. The model's processes become one right-hand side
 * dy/dt = sum_k stoich_k * rate_k(y, p, t), compiled to a flat program and integrated with
 * SUNDIALS CVODE (BDF, Newton, dense or banded direct linear solver). */
#ifndef EXOSIM_SYSTEMIC_H
#define EXOSIM_SYSTEMIC_H

#include <stdbool.h>
#include <stddef.h>

#include "exosim/model.h"
#include "exosim/record.h"
#include "exosim/status.h"

/* Where one vesicle pool's vesicles went, from the start to the end of a run (counts). */
typedef struct exo_pool_balance {
  int state;
  double initial, added, present;
  double secreted, cleared, taken_up, drained_out, drained_in;
  double rel_error; /* |initial + added + in - out - present| / gross throughput, at the end */
} exo_pool_balance;

typedef struct exo_solver_stats {
  long steps, rhs_evals, rhs_evals_jacobian, jac_evals, lin_setups, newton_iters, newton_conv_fails,
      err_test_fails, reinits, events_applied;
  char linear_solver[16]; /* "dense" or "band" */
  char rhs[24];           /* "native" or "interpreter" */
  char rhs_note[240];     /* why the interpreter was used when native code was wanted, or "" */
  int band_lower, band_upper;
  double rtol, atol;
  double constraints_released_day; /* day the y >= 0 constraints were released, or -1 */
  double most_negative;            /* most negative state value written as 0 (0 if none) */
  int most_negative_state;         /* its state index */
  double most_negative_peak;       /* the largest value that state had at an output time */
  /* vesicle bookkeeping (allocated by the run; exo_solver_stats_free releases it) */
  exo_pool_balance *pools;
  int npools;
  double balance_max_rel_error;    /* the largest pool error over every output time */
} exo_solver_stats;

void exo_solver_stats_free(exo_solver_stats *s);

/* The compiled right-hand side (also used on its own by benchmarks). */
typedef struct exo_rhs exo_rhs;
exo_status exo_rhs_compile(const exo_model *m, exo_rhs **out, exo_error *err);
void exo_rhs_free(exo_rhs *r);
size_t exo_rhs_size(const exo_rhs *r);
/* ydot = f(t, y); t in minutes. Returns false if a value is not finite. */
bool exo_rhs_eval(exo_rhs *r, double t, const double *y, double *ydot);

/* Recorded columns: every state ("compartment.species"), then every output. */
size_t exo_systemic_column_count(const exo_model *m);
const char *exo_systemic_column_name(const exo_model *m, size_t i);
/* The factor a column's internal values are divided by when written (1 but for outputs that
 * declare a unit). */
double exo_systemic_column_unit_factor(const exo_model *m, size_t i);

typedef struct exo_run_settings {
  double end_time; /* minutes; <= 0 takes the model's own */
} exo_run_settings;

/* Integrates the model from 0 to the end time, recording every column at the model's output
 * times (and after events that fall on them). */
exo_status exo_systemic_run(const exo_model *m, const exo_run_settings *s, exo_recorder *rec,
                            exo_solver_stats *stats, exo_error *err);

/* The same with a right-hand side compiled once (exo_rhs_compile) for many runs of one model,
 * as ensembles do; its parameters are reset from the model at the start of each run. */
exo_status exo_systemic_run_rhs(const exo_model *m, exo_rhs *rhs, const exo_run_settings *s, exo_recorder *rec,
                                exo_solver_stats *stats, exo_error *err);

#endif
