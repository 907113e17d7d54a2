/* Therapies and treatment arms (src/model/therapy.c; models/default.yaml 'therapies:' and 'arms:').
 * (a) Schedules: doses land at their times (every/times/start, "[0, 7] days", at lists), a
 *     'duration' makes a window, and malformed schedules, kinds and arms are refused with the
 *     nearest name suggested.
 * (b) Each kind moves a small model the way docs/science.md ("Therapies and the built-in arms")
 *     says, checked against the closed-form solution of its equations.
 * (c) The built-in arms of the default model exist, run, and move the tumour in the directions of
 *     the literature they stand for (Poggio 2019, Dai 2008, ...).
 * (d) Choosing an arm resets the model: an arm run again after another arm gives the same numbers,
 *     bit for bit.
 * Runs use the interpreter so that no native code is compiled. */
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
#include "run_helpers.h"



static void load_text(const char *yaml, exo_model **m) {
  exo_error err = {0};
  if (exo_model_load_string(yaml, strlen(yaml), "test.yaml", m, &err)) fail_msg("load: %s", err.msg);
}

static void set_all(exo_model *m, const char *const *sets) {
  exo_error err = {0};
  if (exo_model_set(m, "solver.rhs=interpreter", &err)) fail_msg("set: %s", err.msg);
  for (; sets && *sets; sets++)
    if (exo_model_set(m, *sets, &err)) fail_msg("set %s: %s", *sets, err.msg);
}

/* Runs an already loaded model with the arm chosen (NULL: none); end_days <= 0 keeps the model's. */
static void run_model(run *r, const char *arm, double end_days) {
  exo_error err = {0};
  if (exo_model_choose_arm(r->m, arm, &err)) fail_msg("arm %s: %s", arm ? arm : "(none)", err.msg);
  exo_run_settings s = {end_days > 0 ? end_days * DAY : 0};
  exo_recorder_init(&r->rec, exo_systemic_column_count(r->m), NULL);
  if (exo_systemic_run(r->m, &s, &r->rec, &r->stats, &err)) fail_msg("run arm %s: %s", arm ? arm : "(none)", err.msg);
}

static void run_text(run *r, const char *yaml, const char *arm, const char *const *sets) {
  memset(r, 0, sizeof *r);
  load_text(yaml, &r->m);
  set_all(r->m, sets);
  run_model(r, arm, 0);
}

static void load_default(exo_model **m) { load_builtin("default", m); }

/* The default model with an arm; output_every_days > 0 replaces the output interval. */
static void run_default(run *r, const char *arm, const char *const *sets, double end_days, double output_every_days) {
  memset(r, 0, sizeof *r);
  load_default(&r->m);
  set_all(r->m, sets);
  if (output_every_days > 0) r->m->solver.output_every = output_every_days * DAY;
  run_model(r, arm, end_days);
}

static void assert_rel(double got, double want, double tol, const char *what) {
  if (!(fabs(got - want) <= tol * fabs(want) + 1e-300))
    fail_msg("%s: got %.12g, want %.12g (rel %.3g)", what, got, want, fabs(got - want) / fabs(want));
}

/* a > b by at least the given relative margin. */
static void assert_more(double a, double b, double margin, const char *what) {
  if (!(a > b * (1 + margin))) fail_msg("%s: expected %.8g > %.8g (by %g%%)", what, a, b, 100 * margin);
}

/* The model must be refused with a message containing want. */
static void load_fails(const char *yaml, const char *want) {
  exo_model *m = NULL;
  exo_error err = {0};
  exo_status st = exo_model_load_string(yaml, strlen(yaml), "test.yaml", &m, &err);
  if (st == EXO_OK) {
    exo_model_free(m);
    fail_msg("loaded, but expected an error containing '%s'", want);
  }
  if (!strstr(err.msg, want)) fail_msg("error '%s' lacks '%s'", err.msg, want);
}

static const char *const tight[] = {"solver.rtol=1e-10", "solver.atol=1e-6", NULL};

/* A pool with nothing acting on it but the therapies: it only changes at doses. */
#define POOL_HEAD                                                                                                          \
  "simulation: {end: 30 days, output_every: 1 day}\n"                                                                      \
  "compartments: {blood: 3 L}\n"                                                                                           \
  "vesicles: {V: {compartment: blood, initial: 0 vesicles}}\n"                                                             \
  "processes:\n  - {name: none, kind: influx, target: V, rate: 0 vesicles/day}\n"

/* ---- (a) schedules ------------------------------------------------------------------------- */

/* every: 7 days, times: 4, start: 1 day: the pool jumps by the dose exactly at days 1, 8, 15, 22
 * and at no other output time; the value recorded at a dose time is the value after the dose. */
static void test_every_doses_land(void **state) {
  (void)state;
  const char *y = POOL_HEAD "therapies:\n"
                            "  boost: {kind: vesicle_dose, pool: blood.V, dose: 1e9 vesicles, every: 7 days, times: 4, start: 1 day}\n"
                            "arms:\n  treated: [boost]\n  control: []\n";
  run r;
  run_text(&r, y, "treated", tight);
  assert_int_equal(r.rec.nrow, 31);
  for (int d = 0; d <= 30; d++) {
    int doses = (d >= 1) + (d >= 8) + (d >= 15) + (d >= 22);
    assert_rel(at(&r, d, "blood.V"), 1e9 * doses + 0.0, 1e-12, "pool after the doses so far");
  }
  assert_int_equal(r.stats.events_applied, 4);
  assert_int_equal(exo_model_arm_count(r.m), 2);
  double days[8];
  assert_int_equal(exo_model_arm_dose_days(r.m, 0, days, 8), 4);
  static const double want[] = {1, 8, 15, 22};
  for (int i = 0; i < 4; i++) assert_rel(days[i], want[i], 1e-12, "dose day");
  run_free(&r);
  /* the same model without the arm: no dose is given */
  run_text(&r, y, "control", tight);
  for (int d = 0; d <= 30; d++) assert_true(at(&r, d, "blood.V") == 0);
  assert_int_equal(r.stats.events_applied, 0);
  run_free(&r);
  run_text(&r, y, NULL, tight);
  assert_true(final(&r, "blood.V") == 0);
  run_free(&r);
}

/* at: "[0, 7] days" (numbers with one unit), at: [list of times], and a single at: time */
static void test_at_forms(void **state) {
  (void)state;
  const char *y = POOL_HEAD "therapies:\n"
                            "  a: {kind: vesicle_dose, pool: blood.V, dose: 1 vesicles, at: \"[0, 7] days\"}\n"
                            "  b: {kind: vesicle_dose, pool: blood.V, dose: 10 vesicles, at: [36 h, 2 weeks]}\n"
                            "  c: {kind: vesicle_dose, pool: blood.V, dose: 100 vesicles, at: 20 days}\n"
                            "arms:\n  all: {therapies: [a, b, c], description: every dose}\n";
  run r;
  run_text(&r, y, "all", tight);
  assert_rel(at(&r, 0, "blood.V"), 1, 1e-12, "day 0");
  assert_rel(at(&r, 1, "blood.V"), 1, 1e-12, "day 1");
  assert_rel(at(&r, 2, "blood.V"), 11, 1e-12, "day 1.5 dose");
  assert_rel(at(&r, 7, "blood.V"), 12, 1e-12, "day 7 dose");
  assert_rel(at(&r, 14, "blood.V"), 22, 1e-12, "2 weeks");
  assert_rel(at(&r, 20, "blood.V"), 122, 1e-12, "day 20");
  assert_string_equal(exo_model_arm_description(r.m, 0), "every dose");
  double days[8];
  assert_int_equal(exo_model_arm_dose_days(r.m, 0, days, 8), 5);
  static const double want[] = {0, 1.5, 7, 14, 20};
  for (int i = 0; i < 5; i++) assert_rel(days[i] + 1, want[i] + 1, 1e-12, "sorted dose days");
  run_free(&r);
}

/* vesicle_removal with 'duration': removal only inside the windows [2, 5] and [12, 15] days. */
static void test_duration_windows(void **state) {
  (void)state;
  const char *y = "simulation: {end: 20 days, output_every: 1 day}\n"
                  "compartments: {blood: 3 L}\n"
                  "vesicles: {V: {compartment: blood, initial: 1e9 vesicles}}\n"
                  "processes:\n  - {name: none, kind: influx, target: V, rate: 0 vesicles/day}\n"
                  "therapies:\n"
                  "  filter: {kind: vesicle_removal, pools: [blood.V], rate: 0.5 /day, every: 10 days, times: 2, start: 2 days, "
                  "duration: 3 days}\n"
                  "arms:\n  filter: [filter]\n";
  run r;
  run_text(&r, y, "filter", tight);
  double w = exp(-0.5 * 3);
  assert_rel(at(&r, 2, "blood.V"), 1e9, 1e-9, "no removal before the first window");
  assert_rel(at(&r, 3, "blood.V"), 1e9 * exp(-0.5), 1e-6, "inside the first window");
  assert_rel(at(&r, 5, "blood.V"), 1e9 * w, 1e-6, "end of the first window");
  assert_rel(at(&r, 12, "blood.V"), 1e9 * w, 1e-6, "no removal between windows");
  assert_rel(at(&r, 15, "blood.V"), 1e9 * w * w, 1e-6, "second window");
  assert_rel(at(&r, 20, "blood.V"), 1e9 * w * w, 1e-6, "no removal after the last window");
  /* inside a window the pool decays at the removal rate, outside it does not decay at all */
  double in = log(at(&r, 3, "blood.V") / at(&r, 4, "blood.V")), out = log(at(&r, 6, "blood.V") / at(&r, 11, "blood.V"));
  assert_rel(in, 0.5, 1e-5, "decay per day inside a window");
  assert_true(fabs(out) < 1e-8);
  run_free(&r);
}

static void test_schedule_errors(void **state) {
  (void)state;
#define T1(x) POOL_HEAD "therapies:\n  th: {kind: vesicle_dose, pool: blood.V, dose: 1 vesicles, " x "}\n"
  load_fails(T1("at: [0 days, 1 day], duration: 2 days") "", "dose windows overlap");
  load_fails(POOL_HEAD "therapies:\n  f: {kind: vesicle_removal, pools: [blood.V], rate: 1 /h, at: \"[0, 3, 4] days\", "
                       "duration: 2 days}\n",
             "dose windows overlap (the one at day 3 is still on at day 4)");
  load_fails(T1("every: 2 days, times: 3, duration: 3 days"), "each dose lasts longer than the interval");
  load_fails(T1("every: 7 days"), "'every' needs 'times'");
  load_fails(T1("at: [0 days], every: 7 days, times: 2"), "needs one schedule");
  load_fails(T1("at: 0 days, from: 0 days"), "needs one schedule");
  load_fails(POOL_HEAD "therapies:\n  th: {kind: vesicle_dose, pool: blood.V, dose: 1 vesicles}\n", "needs one schedule");
  load_fails(T1("times: 3, at: [1 day]"), "'times' and 'start' go with 'every'");
  load_fails(T1("at: \"[0, 7] kg\""), "after the list comes a time unit");
  load_fails(T1("at: [0 days, 7 mL]"), "a dose time: expected time");
  load_fails(T1("from: 0 days, until: 5 days"), "is given as doses: use 'at' or 'every'");
  load_fails(POOL_HEAD "therapies:\n  f: {kind: vesicle_removal, pools: [blood.V], rate: 1 /h, from: 5 days, until: 2 days}\n",
             "'until' must come after 'from'");
#undef T1
}

static void test_kind_and_arm_errors(void **state) {
  (void)state;
  load_fails(POOL_HEAD "therapies:\n  th: {kind: vesicle_dos, pool: blood.V, dose: 1 vesicles, at: 0 days}\n",
             "unknown therapy kind 'vesicle_dos' (did you mean 'vesicle_dose'?)");
  load_fails(POOL_HEAD "therapies:\n  th: {kind: antibdy, blocks: [none], dose: 1 nmol, half_life: 1 day, kd: 1 nmol, at: 0 days}\n",
             "did you mean 'antibody'?");
  load_fails(POOL_HEAD "therapies:\n  boost: {kind: vesicle_dose, pool: blood.V, dose: 1 vesicles, at: 0 days}\n"
                       "arms:\n  a: [boots]\n",
             "arm 'a': no therapy 'boots' (did you mean 'boost'?)");
  load_fails(POOL_HEAD "therapies:\n  boost: {kind: vesicle_dose, pool: blood.V, dose: 1 vesicles, at: 0 days}\n"
                       "arms:\n  a: [boost, boost]\n",
             "lists 'boost' twice");
  load_fails(POOL_HEAD "therapies:\n  ab: {kind: antibody, blocks: [nonee], dose: 1 nmol, half_life: 1 day, kd: 1 nmol, at: 0 days}\n",
             "no process 'nonee' to block (did you mean 'none'?)");
  load_fails(POOL_HEAD "therapies:\n  th: {kind: vesicle_dose, pool: blood.V, dose: 1 vesicles, at: 0 days, rate: 1 /h}\n",
             "unknown key 'rate' in therapy 'th' (kind vesicle_dose)");
  /* choosing an arm the model does not have suggests the nearest */
  exo_model *m = NULL;
  load_text(POOL_HEAD "therapies:\n  boost: {kind: vesicle_dose, pool: blood.V, dose: 1 vesicles, at: 0 days}\n"
                      "arms:\n  boosted: [boost]\n",
            &m);
  exo_error err = {0};
  assert_int_not_equal(exo_model_choose_arm(m, "bosted", &err), EXO_OK);
  if (!strstr(err.msg, "no arm 'bosted' (did you mean 'boosted'?)")) fail_msg("%s", err.msg);
  exo_model_free(m);
}

/* ---- (b) each kind in its documented direction ---------------------------------------------- */

/* vesicle_dose with 'cargo': a dose counted in cargo molecules is divided by the copies per vesicle;
 * cell_transfer adds cells. */
static void test_vesicle_dose_and_cell_transfer(void **state) {
  (void)state;
  const char *y = "simulation: {end: 5 days, output_every: 1 day}\n"
                  "compartments: {node: 0.5 mL}\n"
                  "populations: {X: {compartment: node, initial: 1e6 cells}}\n"
                  "vesicles: {Dex: {compartment: node, initial: 0 vesicles}}\n"
                  "parameters: {mhc2: 300 molecules/vesicle}\n"
                  "processes:\n  - {name: none, kind: influx, target: Dex, rate: 0 vesicles/day}\n"
                  "  - {name: death, kind: clearance, target: X, rate: 0.1 /day}\n"
                  "therapies:\n"
                  "  vax: {kind: vesicle_dose, pool: node.Dex, dose: 0.13e14 MHC-II, cargo: mhc2, at: 1 day}\n"
                  "  act: {kind: cell_transfer, population: X, dose: 1e8 cells, at: 2 days}\n"
                  "arms:\n  both: [vax, act]\n";
  run r, c;
  run_text(&r, y, "both", tight);
  run_text(&c, y, NULL, tight);
  assert_rel(at(&r, 1, "node.Dex"), 0.13e14 / 300, 1e-12, "MHC-II dose / MHC-II per vesicle");
  assert_rel(at(&r, 2, "node.X"), 1e6 * exp(-0.2) + 1e8, 1e-7, "transferred cells");
  assert_rel(at(&r, 5, "node.X"), (1e6 * exp(-0.2) + 1e8) * exp(-0.3), 1e-7, "transferred cells die like the rest");
  assert_more(at(&r, 5, "node.X"), 50 * at(&c, 5, "node.X"), 0, "cell transfer raises the population");
  run_free(&c);
  run_free(&r);
}

/* adjuvant: the parameter has its new value only inside the window, then the model's value. */
static void test_adjuvant_window(void **state) {
  (void)state;
  const char *y = "simulation: {end: 6 days, output_every: 1 day}\n"
                  "compartments: {site: 1 mL}\n"
                  "populations: {X: {compartment: site, initial: 0 cells}}\n"
                  "parameters: {k: 1 cells/day}\n"
                  "processes:\n  - {name: make, kind: influx, target: X, rate: k}\n"
                  "therapies:\n  gm: {kind: adjuvant, set: {k: 10 cells/day}, at: [1 day, 4 days], duration: 1 day}\n"
                  "arms:\n  gm: [gm]\n";
  run r;
  run_text(&r, y, "gm", tight);
  static const double want[] = {0, 1, 11, 12, 13, 23, 24};
  for (int d = 0; d <= 6; d++) assert_rel(at(&r, d, "site.X") + 1, want[d] + 1, 1e-9, "adjuvant window");
  run_free(&r);
  run_text(&r, y, NULL, tight);
  assert_rel(final(&r, "site.X"), 6, 1e-9, "no adjuvant");
  run_free(&r);
}

#define SECRETION_HEAD                                                                                                     \
  "simulation: {end: 10 days, output_every: 1 day}\n"                                                                      \
  "compartments: {site: 1 mL}\n"                                                                                           \
  "populations: {P: {compartment: site, initial: 1e6 cells}}\n"                                                            \
  "vesicles: {V: {compartment: site, initial: 0 vesicles}}\n"                                                              \
  "processes:\n  - {name: shed, kind: secretion, by: P, into: site.V, rate: 100 /day}\n"

/* secretion_block, genetic: complete from day 5 on; without it the pool keeps growing */
static void test_secretion_block_genetic(void **state) {
  (void)state;
  const char *y = SECRETION_HEAD "therapies:\n  ko: {kind: secretion_block, processes: [shed], from: 5 days}\n"
                                 "  half: {kind: secretion_block, processes: [shed], inhibition: 50%, from: 5 days}\n"
                                 "arms:\n  ko: [ko]\n  half: [half]\n";
  run r, h, c;
  run_text(&r, y, "ko", tight);
  run_text(&h, y, "half", tight);
  run_text(&c, y, NULL, tight);
  assert_rel(at(&r, 5, "site.V"), 5e8, 1e-9, "secretion until the knockout");
  assert_rel(at(&r, 10, "site.V"), 5e8, 1e-9, "no secretion after it");
  assert_rel(at(&h, 10, "site.V"), 5e8 + 2.5e8, 1e-9, "half the secretion with inhibition 50%");
  assert_rel(at(&c, 10, "site.V"), 1e9, 1e-9, "untreated");
  run_free(&c);
  run_free(&h);
  run_free(&r);
}

/* secretion_block, drug: D(t) = D0 2^(-(t - 1)/half_life) from its dose at day 1; secretion is
 * multiplied by 1 - inhibition * D/(D + ic50). With ic50 = D0 and a half-life of 1 day:
 * V(2) - V(1) = k P (1 - 0.8 ln(4/3)/ln 2). */
static void test_secretion_block_drug(void **state) {
  (void)state;
  const char *y = SECRETION_HEAD "therapies:\n  gw: {kind: secretion_block, processes: [shed], inhibition: 0.8, dose: 5 umol, "
                                 "half_life: 1 day, ic50: 5 umol, compartment: site, at: 1 day}\n"
                                 "arms:\n  gw: [gw]\n";
  run r, c;
  run_text(&r, y, "gw", tight);
  run_text(&c, y, NULL, tight);
  double d0 = 5e-6 * 6.02214076e23;
  assert_rel(at(&r, 1, "site.gw_drug"), d0, 1e-12, "dose");
  assert_rel(at(&r, 2, "site.gw_drug"), d0 / 2, 1e-6, "halved after one half-life");
  assert_rel(at(&r, 3, "site.gw_drug"), d0 / 4, 1e-6, "quartered after two");
  assert_rel(at(&r, 1, "site.V"), 1e8, 1e-9, "no block before the dose");
  assert_rel(at(&r, 2, "site.V") - at(&r, 1, "site.V"), 1e8 * (1 - 0.8 * log(4.0 / 3) / log(2.0)), 1e-6, "partial block");
  /* partial: less than untreated, more than a complete block would leave */
  assert_more(at(&c, 10, "site.V"), at(&r, 10, "site.V"), 0.05, "the drug lowers secretion");
  assert_more(at(&r, 10, "site.V") - at(&r, 1, "site.V"), 0.5 * (at(&c, 10, "site.V") - at(&c, 1, "site.V")), 0,
              "the drug block is partial");
  assert_true(c.rec.values[col(&c, "site.gw_drug")] == 0 && final(&c, "site.gw_drug") == 0);
  run_free(&c);
  run_free(&r);
}

/* antibody: the blocked rate is multiplied by 1 - A/(A + kd) = kd/(A + kd), A = A0 e^(-lambda t).
 * X' = k kd/(A + kd) gives X(T) = (k/lambda) ln((a + e^(lambda T))/(a + 1)), a = A0/kd. A decoy pool
 * V with s sites per vesicle binds antibody at b s V A: A = A0 e^(-(lambda + b s V) t). */
#define AB_MODEL(decoy)                                                                                                    \
  "simulation: {end: 4 days, output_every: 1 day}\n"                                                                       \
  "compartments: {blood: 3 L}\n"                                                                                           \
  "populations: {X: {compartment: blood, initial: 0 cells}}\n"                                                             \
  "vesicles: {V: {compartment: blood, initial: 1e9 vesicles}}\n"                                                           \
  "processes:\n  - {name: make, kind: influx, target: X, rate: 1e6 cells/day}\n"                                           \
  "  - {name: keep, kind: influx, target: V, rate: 0 vesicles/day}\n"                                                      \
  "therapies:\n  ab: {kind: antibody, blocks: [make], dose: 3 nmol, half_life: 1 day, kd: 1 nmol, compartment: blood, "   \
  "at: 0 days" decoy "}\n"                                                                                                 \
  "arms:\n  ab: [ab]\n"

static void test_antibody_block_and_decoy(void **state) {
  (void)state;
  const double nmol = 6.02214076e14, lambda = log(2.0), a = 3;
  run r, d, d0, c;
  run_text(&r, AB_MODEL(""), "ab", tight);
  for (int t = 0; t <= 4; t++) {
    assert_rel(at(&r, t, "blood.ab_antibody") + 1, 3 * nmol * exp(-lambda * t) + 1, 1e-6, "antibody half-life");
    double want = t ? 1e6 / lambda * log((a + exp(lambda * t)) / (a + 1)) : 0;
    assert_rel(at(&r, t, "blood.X") + 1, want + 1, 1e-6, "rate x kd/(A + kd)");
  }
  /* the decoy: 10 sites per vesicle, 1e9 vesicles, b = 1e-10 /(molecule*day): 1 /day more loss */
  const char *y = AB_MODEL(", decoy_pool: blood.V, decoy_sites: 10, decoy_binding: 1e-10 /(molecule*day)");
  run_text(&d, y, "ab", tight);
  for (int t = 0; t <= 4; t++)
    assert_rel(at(&d, t, "blood.ab_antibody") + 1, 3 * nmol * exp(-(lambda + 1) * t) + 1, 1e-6, "antibody used up by the decoy");
  assert_more(at(&r, 2, "blood.ab_antibody"), 2 * at(&d, 2, "blood.ab_antibody"), 0, "less free antibody with the decoy");
  assert_more(at(&d, 4, "blood.X"), at(&r, 4, "blood.X"), 0.05, "weaker block with the decoy");
  /* the decoy does not consume vesicles */
  assert_rel(at(&d, 4, "blood.V"), 1e9, 1e-9, "decoy pool unchanged");
  /* decoy_binding set to 0 gives back the antibody without decoy */
  static const char *const nob[] = {"solver.rtol=1e-10", "solver.atol=1e-6", "ab.decoy_binding=0 /(molecule*day)", NULL};
  run_text(&d0, y, "ab", nob);
  assert_rel(at(&d0, 4, "blood.X"), at(&r, 4, "blood.X"), 1e-6, "decoy_binding 0");
  /* without the arm the process runs unblocked */
  run_text(&c, y, NULL, tight);
  assert_rel(at(&c, 4, "blood.X"), 4e6, 1e-9, "no antibody");
  run_free(&c);
  run_free(&d0);
  run_free(&d);
  run_free(&r);
}

/* chemotherapy: X' = -max_kill D/(D + ec50) X; with ec50 = D0 and half-life h:
 * ln X(T)/X0 = -max_kill (h/ln 2) ln(2/(1 + 2^(-T/h))). */
static void test_chemotherapy(void **state) {
  (void)state;
  const char *y = "simulation: {end: 6 days, output_every: 1 day}\n"
                  "compartments: {tumour: 1 mL}\n"
                  "populations: {T: {compartment: tumour, initial: 1e9 cells, role: tumour}, N: {compartment: tumour, initial: "
                  "1e6 cells}}\n"
                  "processes:\n  - {name: none, kind: influx, target: T, rate: 0 cells/day}\n"
                  "therapies:\n  cy: {kind: chemotherapy, targets: [T], dose: 2 umol, half_life: 12 h, ec50: 2 umol, max_kill: 1 /day, "
                  "at: 0 days}\n"
                  "arms:\n  cy: [cy]\n";
  run r, c;
  run_text(&r, y, "cy", tight);
  run_text(&c, y, NULL, tight);
  for (int t = 0; t <= 6; t++) {
    double h = 0.5, want = 1e9 * exp(-1.0 * h / log(2.0) * log(2 / (1 + pow(2, -t / h))));
    assert_rel(at(&r, t, "tumour.T"), want, 1e-6, "first-order kill with a decaying drug");
  }
  assert_rel(final(&r, "tumour.N"), 1e6, 1e-12, "non-targets are spared");
  assert_rel(final(&c, "tumour.T"), 1e9, 1e-12, "no kill without the arm");
  assert_more(final(&c, "tumour_burden"), 1.5 * final(&r, "tumour_burden"), 0, "chemotherapy lowers the burden");
  run_free(&c);
  run_free(&r);
}

/* ---- (c) the built-in arms of the default model ---------------------------------------------- */

static const char *const arms[] = {"control",         "dex_vaccine", "ifng_dex",        "aex",       "aex_gmcsf",
                                   "rab27a_knockout", "gw4869",      "vesicle_removal", "anti_pdl1", "anti_pdl1_rab27a_knockout"};
enum { NARM = sizeof arms / sizeof arms[0] };
static run res[NARM];
static int have[NARM];

static const run *arm_run(const char *name) {
  for (int i = 0; i < NARM; i++)
    if (!strcmp(arms[i], name)) {
      if (!have[i]) {
        run_default(&res[i], name, NULL, 0, 0);
        have[i] = 1;
      }
      return &res[i];
    }
  fail_msg("no arm %s in the list", name);
  return NULL;
}

static int teardown_group(void **state) {
  (void)state;
  for (int i = 0; i < NARM; i++)
    if (have[i]) run_free(&res[i]);
  return 0;
}

/* Every built-in arm exists (with a description) and runs for the whole year with no value
 * below zero and the vesicle bookkeeping closed. */
static void test_builtin_arms_run(void **state) {
  (void)state;
  exo_model *m = NULL;
  load_default(&m);
  assert_true(exo_model_arm_count(m) >= NARM);
  for (int i = 0; i < NARM; i++) {
    int k = -1;
    for (int j = 0; j < exo_model_arm_count(m); j++)
      if (!strcmp(exo_model_arm_name(m, j), arms[i])) k = j;
    if (k < 0) fail_msg("the default model has no arm '%s'", arms[i]);
    assert_non_null(exo_model_arm_description(m, k));
  }
  exo_model_free(m);
  for (int i = 0; i < NARM; i++) {
    const run *r = arm_run(arms[i]);
    assert_int_equal(r->rec.nrow, 366);
    if (!(r->stats.balance_max_rel_error < 1e-6)) fail_msg("%s: vesicle balance error %g", arms[i], r->stats.balance_max_rel_error);
    for (size_t k = 0; k < r->rec.nrow * r->rec.ncol; k++)
      if (!isfinite(r->rec.values[k]) || r->rec.values[k] < 0) fail_msg("%s: value %g", arms[i], r->rec.values[k]);
  }
  /* control is the untreated course (~2.3e10 cells at day 365) */
  double c = final(arm_run("control"), "tumour_burden");
  if (!(c > 1.5e10 && c < 3.5e10)) fail_msg("control final burden %g", c);
}

/* Poggio 2019: tumours that cannot secrete exosomes do not grow in immunocompetent hosts; anti-PD-L1
 * helps; the two together are at least as good as either. */
static void test_rab27a_and_anti_pdl1(void **state) {
  (void)state;
  double c = final(arm_run("control"), "tumour_burden"), k = final(arm_run("rab27a_knockout"), "tumour_burden"),
         a = final(arm_run("anti_pdl1"), "tumour_burden"), ka = final(arm_run("anti_pdl1_rab27a_knockout"), "tumour_burden");
  assert_more(c, 1000 * k, 0, "control vs Rab27a knockout, final burden");
  if (!(at(arm_run("rab27a_knockout"), 100, "tumour.T") < 1e6)) fail_msg("the knockout primary is not rejected by day 100");
  assert_more(c, 5 * a, 0, "control vs anti-PD-L1, final burden");
  double best = k < a ? k : a;
  if (!(ka <= best * 1.01)) fail_msg("combination %g worse than the better single arm %g", ka, best);
  /* the knockout leaves no TEX; the antibody is in the blood at the start of each cycle */
  assert_true(at(arm_run("rab27a_knockout"), 30, "blood.TEX") < 1e-6 * at(arm_run("control"), 30, "blood.TEX"));
  assert_more(at(arm_run("anti_pdl1"), 21, "blood.anti_pdl1_antibody"), 1e18, 0, "antibody after the day-21 dose");
}

/* Exosomal PD-L1 is a decoy: with decoy_binding 0 more antibody stays free and the tumour is smaller. */
static void test_anti_pdl1_decoy(void **state) {
  (void)state;
  static const char *const nodecoy[] = {"anti_pdl1.decoy_binding=0 /(molecule*day)", NULL};
  run n;
  run_default(&n, "anti_pdl1", nodecoy, 0, 0);
  const run *a = arm_run("anti_pdl1");
  assert_more(at(&n, 20, "blood.anti_pdl1_antibody"), at(a, 20, "blood.anti_pdl1_antibody"), 0.3,
              "free antibody at day 20 without vs with the exosomal decoy");
  assert_more(final(a, "tumour_burden"), final(&n, "tumour_burden"), 0.001, "final burden with vs without the decoy");
  run_free(&n);
}

/* Dex vaccine (Escudier 2005, Morse 2005): more effector CD8 reach the tumour by day 30; the
 * IFN-gamma-Dex maintenance schedule (mature Dex, more doses) more so. */
static void test_dex_vaccines(void **state) {
  (void)state;
  const run *c = arm_run("control"), *d = arm_run("dex_vaccine"), *g = arm_run("ifng_dex");
  assert_more(at(d, 30, "tumour.CD8"), at(c, 30, "tumour.CD8"), 0.002, "tumour CD8 at day 30, Dex vaccine vs control");
  assert_more(at(g, 30, "tumour.CD8"), at(d, 30, "tumour.CD8"), 0.002, "tumour CD8 at day 30, IFN-gamma-Dex vs Dex");
  assert_more(final(c, "tumour_burden"), final(d, "tumour_burden"), 0, "final burden, control vs Dex vaccine");
  assert_more(final(d, "tumour_burden"), final(g, "tumour_burden"), 0, "final burden, Dex vs IFN-gamma-Dex");
  /* the vaccine Dex are in the node right after each dose: 0.13e14 MHC-II / 300 per vesicle */
  assert_more(at(d, 7, "tdln.Dex"), 0.13e14 / 300, 0, "Dex in the node at a dose");
}

/* Dai 2008: only Aex + GM-CSF induced CTL: priming (effector CD8 made in the node over the first
 * month) and effector CD8 in blood at day 30 are higher with GM-CSF. */
static double primed_month(const run *r) {
  static const char *const f[] = {"flux_priming_dc", "flux_priming_tex", "flux_priming_dex_direct", "flux_priming_dex_mature",
                                  "flux_priming_dex_crossdress"};
  double s = 0;
  for (int d = 0; d < 30; d++)
    for (int i = 0; i < 5; i++) s += at(r, d, f[i]);
  return s;
}

static void test_aex_gmcsf(void **state) {
  (void)state;
  const run *a = arm_run("aex"), *g = arm_run("aex_gmcsf");
  assert_more(primed_month(g), primed_month(a), 0.03, "priming over the first month, Aex + GM-CSF vs Aex");
  assert_more(at(g, 30, "blood.CD8"), at(a, 30, "blood.CD8"), 0.03, "blood effector CD8 at day 30, Aex + GM-CSF vs Aex");
  assert_more(at(g, 3, "tdln.mDC"), at(a, 3, "tdln.mDC"), 0.2, "mature DCs in the node while GM-CSF is present");
  /* the Aex dose is in the node's TEX pool */
  assert_more(at(a, 7, "tdln.TEX"), 6e11, 0, "Aex in the node at a dose");
}

/* GW4869: a partial block, fewer TEX and a smaller (not rejected) tumour. */
static void test_gw4869(void **state) {
  (void)state;
  const run *c = arm_run("control"), *g = arm_run("gw4869"), *k = arm_run("rab27a_knockout");
  assert_more(at(c, 30, "tumour.TEX"), at(g, 30, "tumour.TEX"), 0.03, "tumour TEX at day 30, control vs GW4869");
  assert_more(at(c, 30, "blood.TEX"), at(g, 30, "blood.TEX"), 0.03, "plasma TEX at day 30, control vs GW4869");
  assert_more(final(c, "tumour_burden"), final(g, "tumour_burden"), 0.2, "final burden, control vs GW4869");
  assert_more(final(g, "tumour_burden"), 100 * final(k, "tumour_burden"), 0, "partial: GW4869 does less than the knockout");
}

/* Extracorporeal removal lowers plasma TEX during a 4-hour session; half an hour after it they are
 * back (plasma half-life ~10 min). */
static void test_vesicle_removal(void **state) {
  (void)state;
  run c, v;
  run_default(&c, "control", NULL, 8, 1.0 / 24);
  run_default(&v, "vesicle_removal", NULL, 8, 1.0 / 24);
  for (int day = 0; day <= 7; day += 7) {
    assert_more(at(&c, day + 2.0 / 24, "blood.TEX"), at(&v, day + 2.0 / 24, "blood.TEX"), 0.1, "plasma TEX 2 h into a session");
    assert_rel(at(&v, day + 5.0 / 24, "blood.TEX"), at(&c, day + 5.0 / 24, "blood.TEX"), 0.01, "1 h after the session");
  }
  assert_rel(at(&v, 3, "blood.TEX"), at(&c, 3, "blood.TEX"), 1e-3, "between sessions");
  run_free(&v);
  run_free(&c);
  assert_true(final(arm_run("vesicle_removal"), "tumour_burden") <= final(arm_run("control"), "tumour_burden"));
}

/* ---- (d) choosing an arm resets the model ---------------------------------------------------- */

static void same_run(const exo_recorder *a, const exo_recorder *b, const char *what) {
  if (a->nrow != b->nrow || a->ncol != b->ncol) fail_msg("%s: %zu x %zu vs %zu x %zu", what, a->nrow, a->ncol, b->nrow, b->ncol);
  if (memcmp(a->times, b->times, a->nrow * sizeof *a->times) || memcmp(a->values, b->values, a->nrow * a->ncol * sizeof *a->values))
    fail_msg("%s: the runs differ", what);
}

static void rerun(exo_model *m, const char *arm, exo_recorder *rec) {
  exo_error err = {0};
  exo_solver_stats st = {0};
  if (exo_model_choose_arm(m, arm, &err)) fail_msg("arm %s: %s", arm, err.msg);
  exo_recorder_init(rec, exo_systemic_column_count(m), NULL);
  if (exo_systemic_run(m, NULL, rec, &st, &err)) fail_msg("run %s: %s", arm ? arm : "(none)", err.msg);
  exo_solver_stats_free(&st);
}

static void test_arm_choice_resets(void **state) {
  (void)state;
  exo_model *m = NULL;
  load_default(&m);
  set_all(m, NULL);
  exo_recorder first, other, again, adj, ctl, none;
  rerun(m, "anti_pdl1_rab27a_knockout", &first);
  rerun(m, "aex_gmcsf", &adj); /* events that change parameters (GM-CSF) */
  rerun(m, "gw4869", &other);
  rerun(m, "anti_pdl1_rab27a_knockout", &again);
  same_run(&first, &again, "anti_pdl1_rab27a_knockout chosen again");
  same_run(&first, &arm_run("anti_pdl1_rab27a_knockout")->rec, "anti_pdl1_rab27a_knockout, fresh model");
  same_run(&adj, &arm_run("aex_gmcsf")->rec, "aex_gmcsf after another arm");
  same_run(&other, &arm_run("gw4869")->rec, "gw4869 after other arms");
  rerun(m, "control", &ctl);
  same_run(&ctl, &arm_run("control")->rec, "control after treated arms");
  rerun(m, NULL, &none);
  same_run(&none, &ctl, "no arm = control");
  exo_recorder_free(&none);
  exo_recorder_free(&ctl);
  exo_recorder_free(&again);
  exo_recorder_free(&other);
  exo_recorder_free(&adj);
  exo_recorder_free(&first);
  exo_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_doses_land),
      cmocka_unit_test(test_at_forms),
      cmocka_unit_test(test_duration_windows),
      cmocka_unit_test(test_schedule_errors),
      cmocka_unit_test(test_kind_and_arm_errors),
      cmocka_unit_test(test_vesicle_dose_and_cell_transfer),
      cmocka_unit_test(test_adjuvant_window),
      cmocka_unit_test(test_secretion_block_genetic),
      cmocka_unit_test(test_secretion_block_drug),
      cmocka_unit_test(test_antibody_block_and_decoy),
      cmocka_unit_test(test_chemotherapy),
      cmocka_unit_test(test_builtin_arms_run),
      cmocka_unit_test(test_rab27a_and_anti_pdl1),
      cmocka_unit_test(test_anti_pdl1_decoy),
      cmocka_unit_test(test_dex_vaccines),
      cmocka_unit_test(test_aex_gmcsf),
      cmocka_unit_test(test_gw4869),
      cmocka_unit_test(test_vesicle_removal),
      cmocka_unit_test(test_arm_choice_resets),
  };
  return cmocka_run_group_tests(tests, NULL, teardown_group);
}
