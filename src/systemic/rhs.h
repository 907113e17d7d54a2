#ifndef EXO_SYSTEMIC_RHS_H
#define EXO_SYSTEMIC_RHS_H

#include "exosim/systemic.h"
#include "model/expr.h"
#include "systemic/native.h"

struct exo_rhs {
  const struct exo_model *m;
  size_t n;
  exo_program prog;    /* dy/dt */
  exo_program outprog; /* named outputs */
  int band_lower, band_upper;
  exo_native native;     /* native code for prog, when built */
  /* vesicle bookkeeping: one flow per (process, vesicle state) it changes; flowprog writes
   * coef * rate of each into out[flow] */
  exo_program flowprog;
  struct exo_flow *flows;
  size_t nflow;
  char how[24];          /* "native" or "interpreter" */
  char why[240];         /* why the interpreter is used when native code was wanted */
};

typedef enum exo_flow_kind { EXO_FLOW_SECRETED, EXO_FLOW_CLEARED, EXO_FLOW_TAKEN_UP, EXO_FLOW_DRAINED_OUT,
                             EXO_FLOW_DRAINED_IN, EXO_NFLOWKIND } exo_flow_kind;
typedef struct exo_flow {
  int state, process;
  exo_flow_kind kind;
} exo_flow;
/* qdot[f] = the signed flow f into its vesicle state at (t, y) */
void exo_rhs_flows(exo_rhs *r, double t, const double *y, double *qdot);

void exo_rhs_set_param(exo_rhs *r, int index, double value);
/* Parameters back to the model's values. */
void exo_rhs_reset(exo_rhs *r);
double exo_rhs_get_param(const exo_rhs *r, int index);
/* out[i] = value of output i */
void exo_rhs_outputs(exo_rhs *r, double t, const double *y, double *out);
/* The name of the first process whose rate is not finite at (t, y), or NULL. */
const char *exo_rhs_failing_process(const exo_rhs *r, double t, const double *y);

#endif
