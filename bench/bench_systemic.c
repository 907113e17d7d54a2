/* Systemic-engine benchmark (`make bench`).
 * For the Kuznetsov 1994 and de Pillis 2005 examples over their published horizons:
 *   - runs per second through exosim (model compiled from YAML, CVODE),
 *   - runs per second of the same equations hand-written in C through the same CVODE set-up
 *     (the floor),
 *   - right-hand-side evaluations per second of exosim's compiled expressions and of the
 *     hand-written function, and their ratio, all measured in this one run.
 * Output lines: "bench: NAME: VALUE UNIT" and "ratio: NAME: VALUE". Medians of 5 repeats. */
#include <cvodes/cvodes.h>
#include <math.h>
#include <nvector/nvector_serial.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>
#include <time.h>

#include "exosim/model.h"
#include "exosim/systemic.h"
#include "model/model.h"
#include "systemic/rhs.h"

#define REPEATS 5
#define DAY 1440.0

#include "bench_util.h"

/* --- hand-written right-hand sides, in internal units (per minute), as CVODE sees them ------- */

typedef struct kuz_p {
  double s, p, g, m, d, a, b, n;
} kuz_p;

/* noinline and called through a pointer, as CVODE calls a right-hand side */
__attribute__((noinline)) static void kuz_rhs(double t, const double *restrict y, double *restrict f, const void *user) {
  (void)t;
  const kuz_p *k = user;
  double E = y[0], T = y[1];
  f[0] = k->s + k->p * E * T / (k->g + T) - k->m * E * T - k->d * E;
  f[1] = k->a * T * (1 - k->b * T) - k->n * E * T;
}

typedef struct dep_p {
  double a, b, c, d, lambda, s, sigma, f, g, h, j, k, m, p, q, r, tiny;
} dep_p;

__attribute__((noinline)) static void dep_rhs(double t, const double *restrict y, double *restrict out, const void *user) {
  (void)t;
  const dep_p *P = user;
  double T = y[0], N = y[1], L = y[2];
  double ratio = pow(L / fmax(T, P->tiny), P->lambda);
  double D = P->d * ratio / (P->s + ratio);
  double DT = D * T;
  out[0] = P->a * T * (1 - P->b * T) - P->c * N * T - DT;
  out[1] = P->sigma - P->f * N + P->g * T * T / (P->h + T * T) * N - P->p * N * T;
  out[2] = -P->m * L + P->j * DT * DT / (P->k + DT * DT) * L - P->q * L * T + P->r * N * T;
}

typedef void (*rhs_fn)(double t, const double *restrict y, double *restrict f, const void *user);

typedef struct hand {
  rhs_fn f;
  const void *user;
} hand;

static int hand_cvode_rhs(sunrealtype t, N_Vector y, N_Vector ydot, void *u) {
  hand *h = u;
  h->f(t, N_VGetArrayPointer(y), N_VGetArrayPointer(ydot), h->user);
  return 0;
}

/* The floor: the same CVODE configuration exosim uses (BDF, dense, constraints y >= 0, same
 * tolerances and output times), driving the hand-written function. */
static double hand_run(hand *h, const double *y0, int n, double end, double every, double rtol, double atol,
                       double *final) {
  SUNContext sun;
  SUNContext_Create(NULL, &sun);
  N_Vector y = N_VNew_Serial(n, sun), cons = N_VNew_Serial(n, sun);
  memcpy(N_VGetArrayPointer(y), y0, (size_t)n * sizeof *y0);
  N_VConst(1.0, cons);
  void *cv = CVodeCreate(CV_BDF, sun);
  CVodeInit(cv, hand_cvode_rhs, 0, y);
  CVodeSStolerances(cv, rtol, atol);
  CVodeSetUserData(cv, h);
  CVodeSetMaxNumSteps(cv, 100000);
  CVodeSetConstraints(cv, cons);
  SUNMatrix A = SUNDenseMatrix(n, n, sun);
  SUNLinearSolver LS = SUNLinSol_Dense(y, A, sun);
  CVodeSetLinearSolver(cv, LS, A);
  CVodeSetStopTime(cv, end);
  double t = 0;
  for (long k = 1; t < end * (1 - 1e-12); k++) {
    double tout = fmin(k * every, end);
    CVode(cv, tout, y, &t, CV_NORMAL);
    t = tout;
  }
  long nfe;
  CVodeGetNumRhsEvals(cv, &nfe);
  memcpy(final, N_VGetArrayPointer(y), (size_t)n * sizeof *final);
  CVodeFree(&cv);
  SUNLinSolFree(LS);
  SUNMatDestroy(A);
  N_VDestroy(y);
  N_VDestroy(cons);
  SUNContext_Free(&sun);
  return (double)nfe;
}

static double param(const exo_model *m, const char *name) {
  int i = exo_model_find_param(m, name);
  if (i < 0) {
    fprintf(stderr, "bench: model has no parameter '%s'\n", name);
    exit(1);
  }
  return m->params[i].value;
}

static void bench_model(const char *label, const char *builtin, hand *h) {
  const char *text = exo_builtin_model_text(builtin, NULL);
  exo_model *m;
  exo_error err;
  if (!text || exo_model_load_string(text, strlen(text), builtin, &m, &err)) {
    fprintf(stderr, "bench: cannot load %s: %s\n", builtin, text ? err.msg : "not built in");
    exit(1);
  }
  int n = m->nstate;
  double y0[16];
  for (int i = 0; i < n; i++) y0[i] = m->states[i].initial;
  const exo_solver_settings *cfg = &m->solver;

  /* whole runs, with the right-hand side compiled once as ensembles will do, and (for the record)
   * compiling it for every run as a single `exosim run` does */
  double exo_rate[REPEATS], exo_rate_cold[REPEATS], hand_rate[REPEATS], final_exo[16], final_hand[16];
  exo_rhs *once;
  if (exo_rhs_compile(m, &once, &err)) {
    fprintf(stderr, "bench: %s\n", err.msg);
    exit(1);
  }
  for (int r = 0; r < REPEATS; r++) {
    int runs = 0;
    double t0 = now(), t1;
    do {
      exo_recorder rec;
      exo_solver_stats st;
      exo_recorder_init(&rec, exo_systemic_column_count(m), NULL);
      if (exo_systemic_run(m, NULL, &rec, &st, &err)) {
        fprintf(stderr, "bench: %s failed: %s\n", builtin, err.msg);
        exit(1);
      }
      exo_recorder_free(&rec);
      exo_solver_stats_free(&st);
      runs++;
    } while ((t1 = now()) - t0 < 0.3);
    exo_rate_cold[r] = runs / (t1 - t0);
    runs = 0;
    t0 = now();
    do {
      exo_recorder rec;
      exo_solver_stats st;
      exo_recorder_init(&rec, exo_systemic_column_count(m), NULL);
      if (exo_systemic_run_rhs(m, once, NULL, &rec, &st, &err)) {
        fprintf(stderr, "bench: %s failed: %s\n", builtin, err.msg);
        exit(1);
      }
      memcpy(final_exo, rec.values + (rec.nrow - 1) * rec.ncol, (size_t)n * sizeof *final_exo);
      exo_recorder_free(&rec);
      exo_solver_stats_free(&st);
      runs++;
    } while ((t1 = now()) - t0 < 0.3);
    exo_rate[r] = runs / (t1 - t0);
    runs = 0;
    t0 = now();
    do {
      hand_run(h, y0, n, cfg->end_time, cfg->output_every, cfg->rtol, cfg->atol, final_hand);
      runs++;
    } while ((t1 = now()) - t0 < 0.3);
    hand_rate[r] = runs / (t1 - t0);
  }
  double maxrel = 0;
  for (int i = 0; i < n; i++) maxrel = fmax(maxrel, fabs(final_exo[i] - final_hand[i]) / fmax(fabs(final_hand[i]), 1e-300));
  exo_rhs_free(once);
  double er = median(exo_rate, REPEATS), hr = median(hand_rate, REPEATS), ec = median(exo_rate_cold, REPEATS);
  printf("bench: %s_runs_exosim: %.1f runs/s (%g days, rtol %g, right-hand side compiled once)\n", label, er,
         cfg->end_time / DAY, cfg->rtol);
  printf("bench: %s_runs_exosim_compiling_each_run: %.1f runs/s\n", label, ec);
  printf("bench: %s_runs_handwritten_cvode: %.1f runs/s\n", label, hr);
  printf("ratio: %s_runs_exosim_over_handwritten: %.3f\n", label, er / hr);
  printf("bench: %s_final_state_max_rel_difference: %.2e (exosim vs hand-written)\n", label, maxrel);

  /* right-hand-side evaluations: the interpreter, the native code and the hand-written floor */
  exo_rhs *rhs_i, *rhs_n;
  exo_model_set(m, "solver.rhs=interpreter", &err);
  if (exo_rhs_compile(m, &rhs_i, &err)) {
    fprintf(stderr, "bench: %s\n", err.msg);
    exit(1);
  }
  exo_model_set(m, "solver.rhs=auto", &err);
  if (exo_rhs_compile(m, &rhs_n, &err)) {
    fprintf(stderr, "bench: %s\n", err.msg);
    exit(1);
  }
  double y[16], f[16], sink = 0, int_ev[REPEATS], nat_ev[REPEATS], hand_ev[REPEATS];
  const long N = 2000000;
  for (int r = 0; r < REPEATS; r++) {
    exo_rhs *which[2] = {rhs_i, rhs_n};
    double *rate[2] = {&int_ev[r], &nat_ev[r]};
    for (int w = 0; w < 2; w++) {
      double t0 = now();
      for (long i = 0; i < N; i++) {
        for (int j = 0; j < n; j++) y[j] = y0[j] * (1 + 1e-9 * (double)(i & 1023)) + 1.0;
        exo_rhs_eval(which[w], 1.0, y, f);
        sink += f[0];
      }
      *rate[w] = N / (now() - t0);
    }
    rhs_fn volatile fp = h->f; /* an opaque pointer, as CVODE holds it */
    double t1 = now();
    for (long i = 0; i < N; i++) {
      for (int j = 0; j < n; j++) y[j] = y0[j] * (1 + 1e-9 * (double)(i & 1023)) + 1.0;
      fp(1.0, y, f, h->user);
      sink += f[0];
    }
    hand_ev[r] = N / (now() - t1);
  }
  double ie = median(int_ev, REPEATS), ne = median(nat_ev, REPEATS), he = median(hand_ev, REPEATS);
  bool native = !strcmp(rhs_n->how, "native");
  printf("bench: %s_rhs_interpreter: %.3g evals/s\n", label, ie);
  printf("bench: %s_rhs_native: %.3g evals/s%s%s\n", label, ne, native ? "" : " (NOT native: ", native ? "" : rhs_n->why);
  printf("bench: %s_rhs_handwritten: %.3g evals/s\n", label, he);
  printf("ratio: %s_rhs_handwritten_over_interpreter: %.2f\n", label, he / ie);
  printf("ratio: %s_rhs_handwritten_over_native: %.2f (target <= 2)\n", label, he / ne);
  if (sink == 12345.678) printf("%g\n", sink); /* keep the loops */
  exo_rhs_free(rhs_i);
  exo_rhs_free(rhs_n);
  exo_model_free(m);
}

int main(void) {
  /* the hand-written functions take their parameters from the loaded models, so both sides use
   * identical numbers */
  exo_model *m;
  exo_error err;
  const char *kt = exo_builtin_model_text("kuznetsov1994", NULL);
  if (exo_model_load_string(kt, strlen(kt), "k", &m, &err)) return 1;
  kuz_p kp = {param(m, "s"), param(m, "p"), param(m, "g"), param(m, "m"),
              param(m, "d"), param(m, "a"), param(m, "b"), param(m, "n")};
  exo_model_free(m);
  hand hk = {kuz_rhs, &kp};
  bench_model("kuznetsov1994", "kuznetsov1994", &hk);

  const char *dt = exo_builtin_model_text("depillis2005", NULL);
  if (dt) {
    if (exo_model_load_string(dt, strlen(dt), "d", &m, &err)) return 1;
    dep_p dp = {param(m, "a"), param(m, "b"), param(m, "c"), param(m, "d"), param(m, "lambda"), param(m, "s"),
                param(m, "sigma"), param(m, "f"), param(m, "g"), param(m, "h"), param(m, "j"), param(m, "k"),
                param(m, "m"), param(m, "p"), param(m, "q"), param(m, "r"), param(m, "T_floor")};
    exo_model_free(m);
    hand hd = {dep_rhs, &dp};
    bench_model("depillis2005", "depillis2005", &hd);
  }
  return 0;
}
