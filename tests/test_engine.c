/* The systemic engine against analytic solutions: exponential decay, logistic growth, a
 * source-clearance steady state s/k, boluses and parameter changes at events, a banded chain
 * (Poisson solution), non-negativity, and the Kuznetsov 1994 example against a hand-written RHS. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "exosim/model.h"
#include "exosim/systemic.h"
#include "model/model.h"

#define DAY 1440.0

typedef struct run {
  exo_model *m;
  exo_recorder rec;
  exo_solver_stats stats;
} run;

static void run_text(run *r, const char *yaml, const char *const *sets) {
  exo_error err = {0};
  if (exo_model_load_string(yaml, strlen(yaml), "test.yaml", &r->m, &err)) fail_msg("load: %s", err.msg);
  for (; sets && *sets; sets++)
    if (exo_model_set(r->m, *sets, &err)) fail_msg("set: %s", err.msg);
  exo_recorder_init(&r->rec, exo_systemic_column_count(r->m), NULL);
  if (exo_systemic_run(r->m, NULL, &r->rec, &r->stats, &err)) fail_msg("run: %s", err.msg);
}

static void run_free(run *r) {
  exo_recorder_free(&r->rec);
  exo_solver_stats_free(&r->stats);
  exo_model_free(r->m);
}

static double at(const run *r, double day, size_t col) {
  for (size_t i = 0; i < r->rec.nrow; i++)
    if (fabs(r->rec.times[i] - day * DAY) < 1e-6) return r->rec.values[i * r->rec.ncol + col];
  fail_msg("no output at day %g", day);
  return NAN;
}

static void assert_rel(double got, double want, double tol, const char *what) {
  if (!(fabs(got - want) <= tol * fabs(want) + 1e-300)) fail_msg("%s: got %.12g, want %.12g (rel %.3g)", what, got, want, fabs(got - want) / fabs(want));
}

static const char *const tight[] = {"solver.rtol=1e-10", "solver.atol=1e-8", NULL};

static void test_exponential_decay(void **state) {
  (void)state;
  run r;
  run_text(&r,
           "simulation: {end: 30 days, output_every: 1 day}\n"
           "compartments: {blood: 5 L}\n"
           "vesicles: {V: {compartment: blood, initial: 1e10 vesicles}}\n"
           "processes:\n  - {name: clear, kind: clearance, target: V, rate: 0.3 /day}\n",
           tight);
  assert_int_equal(r.rec.nrow, 31);
  for (size_t i = 0; i < r.rec.nrow; i++) {
    double t = r.rec.times[i] / DAY;
    assert_rel(r.rec.values[i * r.rec.ncol], 1e10 * exp(-0.3 * t), 1e-7, "decay");
  }
  run_free(&r);
}

static void test_logistic_growth(void **state) {
  (void)state;
  run r;
  run_text(&r,
           "simulation: {end: 40 days, output_every: 0.5 day}\n"
           "compartments: {site: 1 mL}\n"
           "populations: {T: {compartment: site, initial: 1e6 cells, role: tumour}}\n"
           "processes:\n  - {name: grow, kind: growth, law: logistic, target: T, rate: 0.5 /day, capacity: 1e9 cells}\n",
           tight);
  for (size_t i = 0; i < r.rec.nrow; i++) {
    double t = r.rec.times[i] / DAY;
    assert_rel(r.rec.values[i * r.rec.ncol], 1e9 / (1 + (1e9 / 1e6 - 1) * exp(-0.5 * t)), 1e-7, "logistic");
  }
  run_free(&r);
}

static void test_gompertz_growth(void **state) {
  (void)state;
  run r;
  run_text(&r,
           "simulation: {end: 30 days, output_every: 1 day}\n"
           "compartments: {site: 1 mL}\n"
           "populations: {T: {compartment: site, initial: 1e6 cells}}\n"
           "processes:\n  - {name: grow, kind: growth, law: gompertz, target: T, rate: 0.1 /day, capacity: 1e9 cells}\n",
           tight);
  /* X(t) = K exp(ln(X0/K) e^{-rt}) */
  for (size_t i = 0; i < r.rec.nrow; i++) {
    double t = r.rec.times[i] / DAY;
    assert_rel(r.rec.values[i * r.rec.ncol], 1e9 * exp(log(1e-3) * exp(-0.1 * t)), 1e-7, "gompertz");
  }
  run_free(&r);
}

static void test_source_clearance_steady_state(void **state) {
  (void)state;
  run r;
  run_text(&r,
           "simulation: {end: 300 days, output_every: 10 days}\n"
           "compartments: {blood: 5 L}\n"
           "populations: {N: {compartment: blood, initial: 0 cells}}\n"
           "parameters: {s: 1000 cells/day, k: 0.1 /day}\n"
           "processes:\n"
           "  - {name: influx, kind: influx, target: N, rate: s}\n"
           "  - {name: death, kind: clearance, target: N, rate: k}\n",
           tight);
  for (size_t i = 0; i < r.rec.nrow; i++) {
    double t = r.rec.times[i] / DAY;
    if (t > 0) assert_rel(r.rec.values[i * r.rec.ncol], 1e4 * (1 - exp(-0.1 * t)), 1e-7, "source-clearance");
  }
  assert_rel(at(&r, 300, 0), 1000 / 0.1, 1e-9, "steady state s/k");
  run_free(&r);
}

static void test_bolus_and_parameter_events(void **state) {
  (void)state;
  run r;
  run_text(&r,
           "simulation: {end: 20 days, output_every: 1 day}\n"
           "compartments: {blood: 5 L}\n"
           "vesicles: {V: {compartment: blood, initial: 0 vesicles}}\n"
           "parameters: {k: 0.5 /day, s: 1e8 vesicles/day}\n"
           "processes:\n"
           "  - {name: clear, kind: clearance, target: V, rate: k}\n"
           "  - {name: secrete, kind: influx, target: V, rate: s}\n"
           "events:\n"
           "  - {name: dose, at: [5 days, 10.5 days], add: {V: 1e9 vesicles}}\n"
           "  - {name: stop, at: 12 days, set: {s: 0 vesicles/day}}\n",
           tight);
  /* V(t) = s/k (1 - e^{-kt}) + bolus decays, until s stops at day 12 */
  double s = 1e8, k = 0.5;
  for (size_t i = 0; i < r.rec.nrow; i++) {
    double t = r.rec.times[i] / DAY, want;
    if (t <= 12) want = s / k * (1 - exp(-k * t));
    else want = s / k * (1 - exp(-k * 12)) * exp(-k * (t - 12));
    if (t >= 5) want += 1e9 * exp(-k * (t - 5));
    if (t >= 10.5) want += 1e9 * exp(-k * (t - 10.5));
    assert_rel(r.rec.values[i * r.rec.ncol], want, 1e-7, "events");
  }
  assert_int_equal(r.stats.events_applied, 3);
  assert_int_equal(r.stats.reinits, 3);
  /* the value at day 5 is after the dose */
  assert_rel(at(&r, 5, 0), s / k * (1 - exp(-k * 5)) + 1e9, 1e-7, "post-event value at the event time");
  run_free(&r);
}

static void test_output_times_listed(void **state) {
  (void)state;
  run r;
  run_text(&r,
           "simulation: {end: 10 days, output_times: [0.5 day, 36 h, 7 days]}\n"
           "compartments: {blood: 5 L}\n"
           "vesicles: {V: {compartment: blood, initial: 1e6 vesicles}}\n"
           "processes:\n  - {name: clear, kind: clearance, target: V, rate: 0.3 /day}\n",
           tight);
  static const double days[] = {0, 0.5, 1.5, 7, 10};
  assert_int_equal(r.rec.nrow, 5);
  for (int i = 0; i < 5; i++) {
    assert_true(fabs(r.rec.times[i] - days[i] * DAY) < 1e-6);
    assert_rel(r.rec.values[i * r.rec.ncol], 1e6 * exp(-0.3 * days[i]), 1e-7, "listed output");
  }
  run_free(&r);
}

static void test_scale_event_and_mech_off(void **state) {
  (void)state;
  run r;
  const char *sets[] = {"solver.rtol=1e-10", "solver.atol=1e-8", "mech.grow=off", NULL};
  run_text(&r,
           "simulation: {end: 10 days, output_every: 1 day}\n"
           "compartments: {site: 1 mL}\n"
           "populations: {T: {compartment: site, initial: 1e6 cells}}\n"
           "processes:\n"
           "  - {name: grow, kind: growth, target: T, rate: 0.2 /day}\n"
           "  - {name: die, kind: clearance, target: T, rate: 0.1 /day}\n"
           "events:\n  - {at: 4 days, scale: {T: 0.5}}\n",
           sets);
  assert_rel(at(&r, 3, 0), 1e6 * exp(-0.3), 1e-7, "growth switched off");
  assert_rel(at(&r, 8, 0), 0.5e6 * exp(-0.8), 1e-7, "halved at day 4");
  run_free(&r);
}

/* A chain of 40 compartments with transfer k: A_i(t) = X0 (kt)^i / i! e^{-kt}. Large and
 * narrow, so the banded solver is chosen. */
static void test_banded_chain(void **state) {
  (void)state;
  enum { NC = 40 };
  char *y = malloc(65536);
  size_t n = 0;
  n += (size_t)sprintf(y + n, "simulation: {end: 20 days, output_every: 1 day}\ncompartments:\n");
  for (int i = 0; i < NC; i++) n += (size_t)sprintf(y + n, "  c%d: 1 mL\n", i);
  n += (size_t)sprintf(y + n, "populations:\n  X:\n    compartments: [");
  for (int i = 0; i < NC; i++) n += (size_t)sprintf(y + n, "%sc%d", i ? ", " : "", i);
  n += (size_t)sprintf(y + n, "]\n    initial: {c0: 1e6 cells}\nprocesses:\n");
  for (int i = 0; i + 1 < NC; i++)
    n += (size_t)sprintf(y + n, "  - {name: move%d, kind: transfer, from: c%d.X, to: c%d.X, rate: 1 /day}\n", i, i, i + 1);
  run r;
  run_text(&r, y, tight);
  assert_string_equal(r.stats.linear_solver, "band");
  assert_int_equal(r.stats.band_lower, 1);
  assert_int_equal(r.stats.band_upper, 0);
  for (int day = 1; day <= 20; day += 3)
    for (int i = 0; i < NC - 1; i++) {
      double want = 1e6 * exp(i * log((double)day) - lgamma(i + 1.0) - day);
      if (want > 1e-2) assert_rel(at(&r, day, (size_t)i), want, 1e-6, "chain");
    }
  double total = 0;
  for (int i = 0; i < NC; i++) total += at(&r, 20, (size_t)i);
  assert_rel(total, 1e6, 1e-9, "transfer conserves cells");
  run_free(&r);
  free(y);
}

static void test_stays_non_negative(void **state) {
  (void)state;
  /* a fast, loosely-toleranced kill: unconstrained BDF undershoots below zero here */
  run r;
  const char *loose[] = {"solver.rtol=1e-2", "solver.atol=1e-3", NULL};
  run_text(&r,
           "simulation: {end: 10 days, output_every: 0.1 day}\n"
           "compartments: {site: 1 mL}\n"
           "populations:\n"
           "  E: {compartment: site, initial: 1e7 cells}\n"
           "  T: {compartment: site, initial: 1e9 cells}\n"
           "processes:\n"
           "  - {name: kill, kind: mass_action_kill, killer: E, target: T, rate: 1e-5 /(cell*day)}\n"
           "  - {name: regrow, kind: growth, target: T, rate: 0.1 /day}\n",
           loose);
  for (size_t i = 0; i < r.rec.nrow * r.rec.ncol; i++)
    if (r.rec.values[i] < 0) fail_msg("negative value %g in row %zu", r.rec.values[i], i / r.rec.ncol);
  assert_true(at(&r, 10, 1) < 1.0);
  run_free(&r);
}

/* Kuznetsov 1994 from the shipped YAML against the same equations hand-written, both through a
 * tight reference integration (RK4 with a small step): checks the model file and the engine. */
static void kuz(const double *y, double *f) {
  const double s = 1.3e4, p = 0.1245, g = 2.019e7, m = 3.422e-10, d = 0.0412, a = 0.18, b = 2.0e-9, n = 1.101e-7;
  f[0] = s + p * y[0] * y[1] / (g + y[1]) - m * y[0] * y[1] - d * y[0];
  f[1] = a * y[1] * (1 - b * y[1]) - n * y[0] * y[1];
}

static void test_kuznetsov_example(void **state) {
  (void)state;
  exo_error err = {0};
  exo_model *m;
  if (exo_model_load_file(EXO_SOURCE_DIR "/models/examples/kuznetsov1994.yaml", &m, &err)) fail_msg("%s", err.msg);
  assert_int_equal(exo_model_set(m, "solver.rtol=1e-10", &err), EXO_OK);
  assert_int_equal(exo_model_set(m, "solver.atol=1e-8", &err), EXO_OK);
  exo_recorder rec;
  exo_solver_stats st;
  exo_recorder_init(&rec, exo_systemic_column_count(m), NULL);
  if (exo_systemic_run(m, NULL, &rec, &st, &err)) fail_msg("%s", err.msg);
  double y[2] = {3.2e5, 5e6}, h = 1e-3; /* days */
  size_t row = 0;
  for (long i = 0; i <= 100000; i++) {
    double t = i * h;
    if (fabs(t - rec.times[row] / DAY) < h / 2) {
      assert_rel(rec.values[row * rec.ncol + 0], y[0], 1e-7, "Kuznetsov E");
      assert_rel(rec.values[row * rec.ncol + 1], y[1], 1e-7, "Kuznetsov T");
      if (++row == rec.nrow) break;
    }
    double k1[2], k2[2], k3[2], k4[2], tmp[2];
    kuz(y, k1);
    for (int j = 0; j < 2; j++) tmp[j] = y[j] + 0.5 * h * k1[j];
    kuz(tmp, k2);
    for (int j = 0; j < 2; j++) tmp[j] = y[j] + 0.5 * h * k2[j];
    kuz(tmp, k3);
    for (int j = 0; j < 2; j++) tmp[j] = y[j] + h * k3[j];
    kuz(tmp, k4);
    for (int j = 0; j < 2; j++) y[j] += h / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
  }
  assert_int_equal(row, rec.nrow);
  exo_recorder_free(&rec);
  exo_solver_stats_free(&st);
  exo_model_free(m);
}

static void test_nan_reports_time_and_process(void **state) {
  (void)state;
  exo_error err = {0};
  exo_model *m;
  const char *y = "simulation: {end: 10 days}\n"
                  "compartments: {site: 1 mL}\n"
                  "populations: {X: {compartment: site, initial: 1 cells}}\n"
                  "parameters: {k: 1 cells/day, tc: 3 days}\n"
                  "processes:\n"
                  "  - {name: fine, kind: influx, target: X, rate: k}\n"
                  "  - {name: blows_up, rate: 'k * (1 - log(1 - time / tc))', to: X}\n";
  /* log of a negative number after day 3 */
  assert_int_equal(exo_model_load_string(y, strlen(y), "nan.yaml", &m, &err), EXO_OK);
  exo_recorder rec;
  exo_solver_stats st;
  exo_recorder_init(&rec, exo_systemic_column_count(m), NULL);
  exo_status s = exo_systemic_run(m, NULL, &rec, &st, &err);
  assert_int_not_equal(s, EXO_OK);
  if (!strstr(err.msg, "blows_up") || !strstr(err.msg, "day 3")) fail_msg("message: %s", err.msg);
  exo_recorder_free(&rec);
  exo_solver_stats_free(&st);
  exo_model_free(m);
}

/* Populations that collapse towards zero made CVODE's y >= 0 constraints fail ("unable to
 * satisfy inequality constraints"); the engine now releases them and goes on. Kirschner-Panetta
 * with c = 0.01/day: the tumour is eliminated and E(1000 d) = 2.8157e-4 cells (an independent RK4
 * in log T gives this value). */
static void test_collapse_to_zero_completes(void **state) {
  (void)state;
  exo_error err = {0};
  exo_model *m;
  if (exo_model_load_file(EXO_SOURCE_DIR "/models/examples/kirschner_panetta1998.yaml", &m, &err)) fail_msg("%s", err.msg);
  const char *sets[] = {"c=0.01/day", "solver.rtol=1e-10", "solver.atol=1e-10"};
  for (int i = 0; i < 3; i++) assert_int_equal(exo_model_set(m, sets[i], &err), EXO_OK);
  exo_recorder rec;
  exo_solver_stats st;
  exo_recorder_init(&rec, exo_systemic_column_count(m), NULL);
  if (exo_systemic_run(m, NULL, &rec, &st, &err)) fail_msg("%s", err.msg);
  const double *last = rec.values + (rec.nrow - 1) * rec.ncol;
  assert_rel(last[0], 2.8157e-4, 1e-3, "E at day 1000");
  assert_true(last[1] == 0.0);
  assert_true(st.constraints_released_day > 0);
  assert_true(st.most_negative > -1e-6); /* what was written as zero was round-off */
  exo_recorder_free(&rec);
  exo_solver_stats_free(&st);
  exo_model_free(m);

  if (exo_model_load_file(EXO_SOURCE_DIR "/models/examples/depillis2005.yaml", &m, &err)) fail_msg("%s", err.msg);
  assert_int_equal(exo_model_set(m, "initial.site.T=100 cells", &err), EXO_OK);
  assert_int_equal(exo_model_set(m, "initial.site.N=1000 cells", &err), EXO_OK);
  exo_recorder_init(&rec, exo_systemic_column_count(m), NULL);
  if (exo_systemic_run(m, NULL, &rec, &st, &err)) fail_msg("%s", err.msg);
  assert_true(rec.values[(rec.nrow - 1) * rec.ncol] < 1.0); /* cleared by day 25 */
  exo_recorder_free(&rec);
  exo_solver_stats_free(&st);
  exo_model_free(m);
}

/* A constant outflow keeps draining an empty state: CVODE's constraints fail and, after that
 * failure, CVODE can hand back NaN. The run must go on from the last accepted point, write the
 * state as 0 and report how negative it went. */
static void test_constant_outflow(void **state) {
  (void)state;
  run r;
  run_text(&r,
           "simulation: {end: 3 days}\n"
           "compartments: {c: 1 mL}\n"
           "populations: {X: {compartment: c, initial: 10 cells}}\n"
           "parameters: {k: 10 cells/day}\n"
           "processes: [{name: drain, rate: k, from: X}]\n",
           NULL);
  assert_int_equal(r.rec.nrow, 4);
  assert_true(fabs(at(&r, 1, 0)) < 1e-6);
  assert_true(at(&r, 2, 0) == 0 && at(&r, 3, 0) == 0);
  assert_true(r.stats.constraints_released_day >= 0);
  assert_rel(r.stats.most_negative, -20, 1e-6, "how far the drain went below zero");
  run_free(&r);
}

/* The native right-hand side computes what the interpreter computes, in the same order: every
 * example gives bit-for-bit the same time series both ways. */
static void test_native_matches_interpreter(void **state) {
  (void)state;
  static const char *const files[] = {"kuznetsov1994", "kirschner_panetta1998", "depillis2005"};
  for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
    char path[512];
    snprintf(path, sizeof path, "%s/models/examples/%s.yaml", EXO_SOURCE_DIR, files[f]);
    exo_recorder rec[2];
    exo_solver_stats st[2];
    for (int k = 0; k < 2; k++) {
      exo_error err = {0};
      exo_model *m;
      if (exo_model_load_file(path, &m, &err)) fail_msg("%s", err.msg);
      assert_int_equal(exo_model_set(m, k ? "solver.rhs=native" : "solver.rhs=interpreter", &err), EXO_OK);
      exo_recorder_init(&rec[k], exo_systemic_column_count(m), NULL);
      if (exo_systemic_run(m, NULL, &rec[k], &st[k], &err)) fail_msg("%s (%s)", err.msg, k ? "native" : "interpreter");
      exo_model_free(m);
    }
    assert_string_equal(st[0].rhs, "interpreter");
    assert_string_equal(st[1].rhs, "native");
    assert_int_equal(rec[0].nrow, rec[1].nrow);
    assert_int_equal(st[0].steps, st[1].steps);
    assert_memory_equal(rec[0].values, rec[1].values, rec[0].nrow * rec[0].ncol * sizeof(double));
    exo_recorder_free(&rec[0]);
    exo_solver_stats_free(&st[0]);
    exo_recorder_free(&rec[1]);
    exo_solver_stats_free(&st[1]);
  }
}

/* Vesicle bookkeeping: secreted + drained in + added = present + cleared + taken up + drained out
 * for every pool, at every output time, to round-off; and the flows land in the right columns. */
static void test_vesicle_balance(void **state) {
  (void)state;
  run r;
  run_text(&r,
           "simulation: {end: 30 days, output_every: 1 day, rtol: 1e-8}\n"
           "compartments: {tumour: 2 mL, blood: 5 L}\n"
           "populations: {T: {compartment: tumour, initial: 1e8 cells, role: tumour}}\n"
           "vesicles: {TEX: {compartments: [tumour, blood], initial: {tumour: 1e9 vesicles, blood: 0 vesicles}}}\n"
           "parameters: {k_sec: 1e3 /day, k_up: 1e-12 /(vesicle*day)}\n"
           "processes:\n"
           "  - {name: growth, kind: growth, law: logistic, target: T, rate: 0.1 /day, capacity: 1e10 cells}\n"
           "  - {name: shedding, kind: secretion, by: T, into: tumour.TEX, rate: k_sec}\n"
           "  - {name: drainage, kind: transfer, from: tumour.TEX, to: blood.TEX, rate: 2 /day}\n"
           "  - {name: clearance, kind: clearance, target: blood.TEX, rate: 0.5 /h}\n"
           "  - {name: uptake, rate: k_up * tumour.TEX * T, from: tumour.TEX}\n"
           "events:\n  - {at: [10 days, 20 days], add: {blood.TEX: 1e11 vesicles}}\n",
           NULL);
  assert_int_equal(r.stats.npools, 2);
  assert_true(r.stats.balance_max_rel_error < 1e-6);
  const exo_pool_balance *t = &r.stats.pools[0], *b = &r.stats.pools[1];
  assert_true(t->initial == 1e9 && t->added == 0 && b->added == 2e11);
  assert_true(t->secreted > 1e12 && t->taken_up > 0 && t->drained_out > 0 && t->cleared == 0);
  assert_true(b->secreted == 0 && b->cleared > 0 && b->drained_in > 0);
  assert_rel(b->drained_in, t->drained_out, 1e-9, "drained out of the tumour = drained into blood");
  assert_rel(t->initial + t->secreted - t->taken_up - t->drained_out, t->present, 1e-6, "tumour pool balance");
  assert_rel(b->added + b->drained_in - b->cleared, b->present, 1e-6, "blood pool balance");
  run_free(&r);
}

/* Events at the same instant written in different units (0.01 day = 14.4 min, 0.24 h =
 * 14.399999999999999 min) are simultaneous, not a zero-length step that CVODE refuses. */
static void test_near_equal_event_times(void **state) {
  (void)state;
  run r;
  run_text(&r,
           "simulation: {end: 1 day, output_every: 0.5 day}\n"
           "compartments: {blood: 5 L}\n"
           "vesicles: {V: {compartment: blood, initial: 0 vesicles}}\n"
           "processes: [{name: clear, kind: clearance, target: V, rate: 0.5 /day}]\n"
           "events:\n  - {at: 0.01 day, add: {V: 1e6 vesicles}}\n  - {at: 0.24 h, add: {V: 1e6 vesicles}}\n",
           tight);
  assert_int_equal(r.stats.events_applied, 2);
  assert_rel(at(&r, 1, 0), 2e6 * exp(-0.5 * 0.99), 1e-7, "both doses");
  run_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exponential_decay),   cmocka_unit_test(test_logistic_growth),
      cmocka_unit_test(test_gompertz_growth),     cmocka_unit_test(test_source_clearance_steady_state),
      cmocka_unit_test(test_bolus_and_parameter_events), cmocka_unit_test(test_scale_event_and_mech_off),
      cmocka_unit_test(test_banded_chain),        cmocka_unit_test(test_stays_non_negative),
      cmocka_unit_test(test_kuznetsov_example),   cmocka_unit_test(test_nan_reports_time_and_process),
      cmocka_unit_test(test_collapse_to_zero_completes), cmocka_unit_test(test_constant_outflow),
      cmocka_unit_test(test_native_matches_interpreter), cmocka_unit_test(test_vesicle_balance),
      cmocka_unit_test(test_near_equal_event_times), cmocka_unit_test(test_output_times_listed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
