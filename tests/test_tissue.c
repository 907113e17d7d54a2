/* The tissue engine (src/tissue): agreement with the systemic engine in the well-mixed limit,
 * byte-identical results at any thread count, PhysiCell's mechanics against its analytic
 * equilibrium, chemotaxis, rules against their formula, contact killing, coupling (drainage and
 * recruitment) against exact bookkeeping, and clear errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/fault.h"
#include "exosim/model.h"
#include "exosim/systemic.h"
#include "exosim/tissue.h"
#include "model/model.h"
#include "tissue/tissue_internal.h"

static exo_model *load(const char *file) {
  char path[1024];
  snprintf(path, sizeof path, "%s/tests/data/%s", EXO_SOURCE_DIR, file);
  exo_model *m = NULL;
  exo_error err = {0};
  if (exo_model_load_file(path, &m, &err)) fail_msg("%s", err.msg);
  return m;
}

static void set(exo_model *m, const char *a) {
  exo_error err = {0};
  if (exo_model_set(m, a, &err)) fail_msg("--set %s: %s", a, err.msg);
}

static size_t tcol(const exo_tissue *T, const char *name) {
  for (size_t i = 0; i < exo_tissue_column_count(T); i++)
    if (!strcmp(exo_tissue_column_name(T, i), name)) return i;
  fail_msg("no tissue column '%s'", name);
  return 0;
}

static size_t scol(const exo_model *m, const char *name) {
  for (size_t i = 0; i < exo_systemic_column_count(m); i++)
    if (!strcmp(exo_systemic_column_name(m, i), name)) return i;
  fail_msg("no systemic column '%s'", name);
  return 0;
}

/* The systemic part of the small models written inline below: one population and a process
 * that does nothing, since a model needs processes; the tissue section follows. */
#define SYSTEMIC_STUB                                                                                                  \
  "exosim: 1\nname: inline\nsource: test\n"                                                                            \
  "compartments: {site: {volume: 1 mL}}\n"                                                                               \
  "populations: {T: {compartment: site, initial: 100 cells, role: tumour}}\n"                                           \
  "parameters: {k: {value: 0 /day, source: test}}\n"                                                                    \
  "processes: [{name: loss, rate: k * T, from: T}]\n"

static exo_model *load_text(const char *text) {
  exo_model *m = NULL;
  exo_error err = {0};
  if (exo_model_load_string(text, strlen(text), "inline", &m, &err)) fail_msg("%s", err.msg);
  return m;
}

/* Runs the tissue to its end; rec receives every row. */
static exo_tissue *run_tissue(const exo_model *m, exo_tissue_settings s, exo_recorder *rec) {
  exo_tissue *T = NULL;
  exo_error err = {0};
  if (exo_tissue_create(m, &s, &T, &err)) fail_msg("create: %s", err.msg);
  exo_recorder_init(rec, exo_tissue_column_count(T), NULL);
  if (exo_tissue_advance(T, exo_tissue_end_time(T), rec, &err)) fail_msg("advance: %s", err.msg);
  return T;
}

static void run_systemic(const exo_model *m, exo_recorder *rec) {
  exo_solver_stats st;
  exo_error err = {0};
  exo_recorder_init(rec, exo_systemic_column_count(m), NULL);
  if (exo_systemic_run(m, NULL, rec, &st, &err)) fail_msg("systemic: %s", err.msg);
  exo_solver_stats_free(&st);
}

/* Deterministic well-mixed limit: no division or death, so the only difference between the
 * engines is the transport (fast diffusion in a small box) and the exchange's time stepping. The
 * vesicle field's total must follow the ODE within 1%. */
static void test_wellmixed_exchange_matches_systemic(void **state) {
  (void)state;
  exo_model *m = load("tissue_wellmixed.yaml");
  set(m, "b=0/min");
  set(m, "d=0/min");
  exo_recorder rt, rs;
  exo_tissue *T = run_tissue(m, (exo_tissue_settings){.seed = 1, .threads = 1, .no_coupling = 1, .snapshot_every = 0}, &rt);
  run_systemic(m, &rs);
  assert_int_equal(rt.nrow, rs.nrow);
  size_t ct = tcol(T, "field.EV"), cs = scol(m, "site.EV"), cn = tcol(T, "tissue.tumour");
  for (size_t r = 1; r < rt.nrow; r++) {
    assert_true(fabs(rt.times[r] - rs.times[r]) < 1e-9);
    double a = rt.values[r * rt.ncol + ct], b = rs.values[r * rs.ncol + cs];
    if (fabs(a - b) > 0.01 * b) fail_msg("day %g: tissue EV %g, systemic %g", rt.times[r] / 1440, a, b);
    assert_true(rt.values[r * rt.ncol + cn] == 1000);
  }
  exo_tissue_free(T);
  exo_recorder_free(&rt);
  exo_recorder_free(&rs);
  exo_model_free(m);
}

/* Stochastic well-mixed limit: division and death as counter-based draws. Over four seeds the
 * mean tumour count and vesicle total agree with the ODE. */
static void test_wellmixed_population_means(void **state) {
  (void)state;
  exo_model *m = load("tissue_wellmixed.yaml");
  exo_recorder rs;
  run_systemic(m, &rs);
  /* half a day: the systemic row at 720 min */
  size_t half = 0;
  while (half < rs.nrow && fabs(rs.times[half] - 720) > 1e-9) half++;
  assert_true(half < rs.nrow);
  double T_ode = rs.values[half * rs.ncol + scol(m, "site.T")];
  double V_ode = rs.values[half * rs.ncol + scol(m, "site.EV")];
  double Tm = 0, Vm = 0;
  const int nseed = 4;
  double first = -1;
  for (int s = 1; s <= nseed; s++) {
    exo_recorder rt;
    exo_tissue *T = run_tissue(m, (exo_tissue_settings){.seed = (uint64_t)s, .threads = 2, .end_time = 720, .snapshot_every = 0}, &rt);
    double n = rt.values[(rt.nrow - 1) * rt.ncol + tcol(T, "tissue.tumour")];
    Tm += n / nseed;
    Vm += rt.values[(rt.nrow - 1) * rt.ncol + tcol(T, "field.EV")] / nseed;
    /* the systemic model advanced beside the tissue is the same ODE (restarted every coupling
     * interval, 120 times here, each restart adding errors of order rtol = 1e-8) */
    double coupled = rt.values[(rt.nrow - 1) * rt.ncol + tcol(T, "systemic.site.T")];
    if (fabs(coupled - T_ode) > 1e-5 * T_ode) fail_msg("coupled systemic T %.12g, stand-alone %.12g", coupled, T_ode);
    if (first < 0) first = n;
    else if (s == 2) assert_true(n != first); /* different seeds, different runs */
    exo_tissue_free(T);
    exo_recorder_free(&rt);
  }
  /* a birth-death process has the ODE as its mean: after 12 h the standard deviation of one run
   * is ~2.6% of the mean, of the mean of 4 runs ~1.3%; 5% is nearly 4 of them */
  if (fabs(Tm - T_ode) > 0.05 * T_ode) fail_msg("mean tumour cells %g, ODE %g", Tm, T_ode);
  if (fabs(Vm - V_ode) > 0.05 * V_ode) fail_msg("mean vesicles %g, ODE %g", Vm, V_ode);
  exo_recorder_free(&rs);
  exo_model_free(m);
}

/* The same seed gives bit-identical rows and cells with 1, 2 and 3 threads, on the model that
 * uses every mechanism (mechanics, motility, chemotaxis, contact, rules, cargo, recruitment,
 * drainage, division, death, sorting). */
static void test_threads_bit_identical(void **state) {
  (void)state;
  exo_model *m = load("tissue_small.yaml");
  exo_recorder r[3];
  exo_tissue *T[3];
  for (int k = 0; k < 3; k++) T[k] = run_tissue(m, (exo_tissue_settings){.seed = 7, .threads = k + 1, .snapshot_every = 0}, &r[k]);
  exo_tissue_stats st;
  exo_tissue_get_stats(T[0], &st);
  /* the run did exercise what it claims to */
  assert_true(st.divisions > 0);
  assert_true(st.kills > 0);
  assert_true(st.recruited > 0);
  assert_true(st.drained_total > 0);
  for (int k = 1; k < 3; k++) {
    assert_int_equal(r[0].nrow, r[k].nrow);
    assert_memory_equal(r[0].values, r[k].values, r[0].nrow * r[0].ncol * sizeof(double));
    exo_cells_view a, b;
    exo_tissue_view(T[0], &a);
    exo_tissue_view(T[k], &b);
    assert_int_equal(a.n, b.n);
    assert_memory_equal(a.x, b.x, a.n * sizeof(double));
    assert_memory_equal(a.y, b.y, a.n * sizeof(double));
    assert_memory_equal(a.z, b.z, a.n * sizeof(double));
    assert_memory_equal(a.id, b.id, a.n * sizeof(long));
  }
  for (int k = 0; k < 3; k++) {
    exo_tissue_free(T[k]);
    exo_recorder_free(&r[k]);
  }
  exo_model_free(m);
}

/* A tissue with no cells at the start, for placing cells by hand. */
static exo_tissue *empty_tissue(exo_model *m) {
  exo_tissue_spec *ts = m->tissue;
  for (int t = 0; t < ts->ntypes; t++) {
    ts->types[t].placement = EXO_PLACE_NONE;
    ts->types[t].initial_count = 0;
    ts->types[t].recruit_from = -1;
  }
  exo_tissue *T = NULL;
  exo_error err = {0};
  if (exo_tissue_create(m, &(exo_tissue_settings){.seed = 3, .threads = 1, .no_coupling = 1, .snapshot_every = 0}, &T, &err))
    fail_msg("%s", err.msg);
  return T;
}

static void finish_placing(exo_tissue *T) {
  exo_error err = {0};
  exo_tissue_update_voxels(T);
  if (exo_tissue_sort(T, &err)) fail_msg("%s", err.msg);
}

static double distance(const exo_tissue *T, size_t a, size_t b) {
  const exo_cells *c = &T->c;
  return sqrt(pow(c->x[a] - c->x[b], 2) + pow(c->y[a] - c->y[b], 2) + pow(c->z[a] - c->z[b], 2));
}

/* Two overlapping cells settle where repulsion and adhesion balance. With PhysiCell's
 * potentials, equal radii r, repulsion c_r, adhesion c_a and relative adhesion distance a:
 *     sqrt(c_r) (1 - d/2r) = sqrt(c_a) (1 - d/(2ar)),
 * for 10 and 0.4 um/min and a = 1.25: d = 1.9054 r. */
static void test_mechanics_equilibrium(void **state) {
  (void)state;
  exo_model *m = load("tissue_small.yaml");
  exo_tissue *T = empty_tissue(m);
  exo_error err = {0};
  int tumour = 0;
  double V = m->tissue->types[tumour].volume, r = exo_tissue_radius_of(V);
  assert_true(exo_tissue_add_cell(T, tumour, (double[3]){-0.25 * r, 0, 0}, V, -1, &err) >= 0);
  assert_true(exo_tissue_add_cell(T, tumour, (double[3]){0.25 * r, 0, 0}, V, -1, &err) >= 0);
  /* no division or death while we watch */
  T->params[exo_model_find_param(m, "kill_rate")] = 0;
  m->tissue->types[tumour].base[EXO_BEH_CYCLE_ENTRY] = exo_tvalue_const(0);
  m->tissue->nrules = 0;
  finish_placing(T);
  exo_tissue_refresh_base(T);
  exo_tissue_apply_rules(T);
  if (exo_tissue_advance(T, 60, NULL, &err)) fail_msg("%s", err.msg);
  assert_int_equal(T->c.n, 2);
  double sq10 = sqrt(10.0), sq04 = sqrt(0.4);
  double want = (sq10 - sq04) / (sq10 / 2 - sq04 / 2.5) * r;
  double got = distance(T, 0, 1);
  if (fabs(got - want) > 0.005 * want) fail_msg("distance %g, expected %g (r = %g)", got, want, r);
  /* symmetric: the pair's centre stays put */
  assert_true(fabs(T->c.x[0] + T->c.x[1]) < 1e-9);
  exo_tissue_free(T);
  exo_model_free(m);
}

/* A cell with bias 1 up a fixed linear gradient moves straight up it at its speed. */
static void test_chemotaxis_speed(void **state) {
  (void)state;
  exo_model *m = load("tissue_small.yaml");
  exo_tissue_spec *ts = m->tissue;
  int cd8 = 1, tex = 1;
  /* a static field: no diffusion or decay, values rising along x */
  for (int f = tex; f <= tex + 1; f++) { /* the vesicle field and its cargo ride together */
    ts->fields[f].spec.diffusion = 0;
    ts->fields[f].spec.decay = 0;
  }
  for (int f = 0; f < ts->nfields; f++) ts->types[cd8].base[exo_beh_uptake(f)] = exo_tvalue_const(0);
  ts->types[cd8].base[EXO_BEH_BIAS] = exo_tvalue_const(1);
  ts->types[cd8].base[EXO_BEH_ATTACH_RATE] = exo_tvalue_const(0);
  ts->types[0].base[exo_beh_secretion(tex)] = exo_tvalue_const(0);
  ts->nrules = 0;
  exo_tissue *T = empty_tissue(m);
  exo_error err = {0};
  for (size_t v = 0; v < exo_fields_voxels(T->F); v++) {
    double c[3];
    exo_fields_voxel_center(T->F, v, c);
    exo_fields_set(T->F, tex, v, 1 + 0.01 * c[0]);
    exo_fields_set(T->F, tex + 1, v, 0);
  }
  double V = ts->types[cd8].volume;
  assert_true(exo_tissue_add_cell(T, cd8, (double[3]){-50, 0, 0}, V, -1, &err) >= 0);
  finish_placing(T);
  exo_tissue_refresh_base(T);
  exo_tissue_apply_rules(T);
  if (exo_tissue_advance(T, 30, NULL, &err)) fail_msg("%s", err.msg);
  double speed = 2; /* um/min in tissue_small.yaml */
  double dx = T->c.x[0] + 50;
  if (fabs(dx - speed * 30) > 0.02 * speed * 30) fail_msg("moved %g um along x in 30 min, expected %g", dx, speed * 30);
  assert_true(fabs(T->c.y[0]) < 1e-9 && fabs(T->c.z[0]) < 1e-9);
  exo_tissue_free(T);
  exo_model_free(m);
}

/* Rules give PhysiCell's multivariate Hill response: cd8 attack on tumour decreases with
 * received PD-L1 as base (1 - H), H = (s/h)^n / (1 + (s/h)^n). */
static void test_rule_response(void **state) {
  (void)state;
  exo_model *m = load("tissue_small.yaml");
  exo_tissue *T = empty_tissue(m);
  exo_error err = {0};
  int cd8 = 1;
  double V = m->tissue->types[cd8].volume;
  double received[] = {0, 100, 500, 2000};
  for (int k = 0; k < 4; k++) assert_true(exo_tissue_add_cell(T, cd8, (double[3]){-60 + 40.0 * k, 0, 0}, V, -1, &err) >= 0);
  for (int k = 0; k < 4; k++) T->c.cargo[0][k] = received[k];
  exo_tissue_refresh_base(T);
  exo_tissue_apply_rules(T);
  int slot = exo_beh_attack(m->tissue->nfields, 0);
  double base = 0.1; /* kill_rate */
  for (int k = 0; k < 4; k++) {
    double x = received[k] / 500, H = x / (1 + x);
    double want = base * (1 - H);
    if (fabs(T->c.beh[slot][k] - want) > 1e-12) fail_msg("received %g: attack %g, expected %g", received[k], T->c.beh[slot][k], want);
  }
  /* a --set of the parameter reaches the tissue */
  T->params[exo_model_find_param(m, "kill_rate")] = 0.3;
  exo_tissue_refresh_base(T);
  exo_tissue_apply_rules(T);
  assert_true(fabs(T->c.beh[slot][0] - 0.3) < 1e-15);
  exo_tissue_free(T);
  exo_model_free(m);
}

/* No kill rate, no kills; the default kills. */
static void test_contact_killing(void **state) {
  (void)state;
  long kills[2];
  for (int k = 0; k < 2; k++) {
    exo_model *m = load("tissue_small.yaml");
    if (k == 0) set(m, "kill_rate=0/min");
    exo_recorder r;
    exo_tissue *T = run_tissue(m, (exo_tissue_settings){.seed = 5, .threads = 2, .end_time = 120, .snapshot_every = 0}, &r);
    exo_tissue_stats st;
    exo_tissue_get_stats(T, &st);
    kills[k] = st.kills;
    exo_tissue_free(T);
    exo_recorder_free(&r);
    exo_model_free(m);
  }
  assert_int_equal(kills[0], 0);
  assert_true(kills[1] > 0);
}

/* What drains out of the domain arrives in the systemic pool, exactly (the pool has no other
 * processes); recruitment enters cells at the Poisson rate rate x pool x time. */
static void test_coupling_bookkeeping(void **state) {
  (void)state;
  exo_model *m = load("tissue_small.yaml");
  exo_recorder r;
  exo_tissue *T = run_tissue(m, (exo_tissue_settings){.seed = 11, .threads = 2, .snapshot_every = 0}, &r);
  exo_tissue_stats st;
  exo_tissue_get_stats(T, &st);
  double pool = r.values[(r.nrow - 1) * r.ncol + tcol(T, "systemic.blood.TEX")];
  if (fabs(pool - st.drained_total) > 1e-9 * st.drained_total) fail_msg("pool %g, drained %g", pool, st.drained_total);
  /* drainage is what left the box: the flux estimate agrees with the field's own balance to a
   * few percent (what cells took up or decayed is small here) */
  assert_true(st.drained_total > 1e6);
  double mean = 2e-7 * 1e5 * 360; /* cd8_recruit x blood CD8 x 6 h */
  if (fabs((double)st.recruited - mean) > 5 * sqrt(mean)) fail_msg("recruited %ld, expected about %g", st.recruited, mean);
  exo_tissue_free(T);
  exo_recorder_free(&r);
  exo_model_free(m);
}

/* A therapy that blocks a systemic process blocks the tissue behaviours written blocked_like it:
 * with the Rab27a knockout arm the tumour cells release no exosomes at all. */
static void test_therapy_blocks_tissue_secretion(void **state) {
  (void)state;
  exo_model *m = load("tissue_small.yaml");
  exo_error err = {0};
  if (exo_model_choose_arm(m, "knockout", &err)) fail_msg("%s", err.msg);
  exo_recorder r;
  exo_tissue *T = run_tissue(m, (exo_tissue_settings){.seed = 2, .threads = 2, .end_time = 60, .snapshot_every = 0}, &r);
  exo_tissue_stats st;
  exo_tissue_get_stats(T, &st);
  assert_true(st.drained_total == 0);
  assert_true(r.values[(r.nrow - 1) * r.ncol + tcol(T, "field.TEX")] == 0);
  exo_tissue_free(T);
  exo_recorder_free(&r);
  exo_model_free(m);
  /* without the arm the same run releases them */
  m = load("tissue_small.yaml");
  T = run_tissue(m, (exo_tissue_settings){.seed = 2, .threads = 2, .end_time = 60, .snapshot_every = 0}, &r);
  assert_true(r.values[(r.nrow - 1) * r.ncol + tcol(T, "field.TEX")] > 0);
  exo_tissue_free(T);
  exo_recorder_free(&r);
  exo_model_free(m);
}

/* A checkpoint taken mid-run and read into a fresh tissue continues bit for bit; every
 * truncation of it is refused with a message, never a crash. */
static void test_checkpoint_round_trip(void **state) {
  (void)state;
  exo_model *m = load("tissue_small.yaml");
  exo_tissue_settings s = {.seed = 21, .threads = 2, .end_time = 180, .snapshot_every = 0};
  exo_tissue *A = NULL, *B = NULL;
  exo_error err = {0};
  exo_recorder ra, rb;
  assert_int_equal(exo_tissue_create(m, &s, &A, &err), EXO_OK);
  exo_recorder_init(&ra, exo_tissue_column_count(A), NULL);
  if (exo_tissue_advance(A, 60, &ra, &err)) fail_msg("%s", err.msg);
  FILE *f = tmpfile();
  assert_non_null(f);
  assert_int_equal(exo_tissue_checkpoint_write(A, f, &err), EXO_OK);
  long size = ftell(f);
  if (exo_tissue_advance(A, 180, &ra, &err)) fail_msg("%s", err.msg);
  /* a fresh tissue (another thread count) continues from the checkpoint */
  s.threads = 1;
  assert_int_equal(exo_tissue_create(m, &s, &B, &err), EXO_OK);
  rewind(f);
  if (exo_tissue_checkpoint_read(B, f, &err)) fail_msg("%s", err.msg);
  assert_true(exo_tissue_time(B) == 60);
  exo_recorder_init(&rb, exo_tissue_column_count(B), NULL);
  if (exo_tissue_advance(B, 180, &rb, &err)) fail_msg("%s", err.msg);
  /* B's rows are A's rows after the checkpoint */
  assert_true(rb.nrow >= 2);
  size_t off = ra.nrow - rb.nrow;
  assert_memory_equal(ra.values + off * ra.ncol, rb.values, rb.nrow * rb.ncol * sizeof(double));
  exo_cells_view va, vb;
  exo_tissue_view(A, &va);
  exo_tissue_view(B, &vb);
  assert_int_equal(va.n, vb.n);
  assert_memory_equal(va.x, vb.x, va.n * sizeof(double));
  exo_tissue_free(B);
  /* truncated anywhere: an error */
  char *bytes = malloc((size_t)size);
  rewind(f);
  assert_int_equal(fread(bytes, 1, (size_t)size, f), (size_t)size);
  long step = size / 97 + 1;
  for (long cut = 0; cut < size; cut += step) {
    FILE *g = tmpfile();
    fwrite(bytes, 1, (size_t)cut, g);
    rewind(g);
    exo_tissue *C = NULL;
    assert_int_equal(exo_tissue_create(m, &s, &C, &err), EXO_OK);
    exo_status st = exo_tissue_checkpoint_read(C, g, &err);
    if (st == EXO_OK) fail_msg("a checkpoint cut at %ld of %ld bytes was accepted", cut, size);
    assert_non_null(strstr(err.msg, "checkpoint"));
    exo_tissue_free(C);
    fclose(g);
  }
  /* another seed: refused */
  s.seed = 22;
  assert_int_equal(exo_tissue_create(m, &s, &B, &err), EXO_OK);
  rewind(f);
  assert_int_equal(exo_tissue_checkpoint_read(B, f, &err), EXO_ERR_MODEL);
  assert_non_null(strstr(err.msg, "seed 21"));
  exo_tissue_free(B);
  free(bytes);
  fclose(f);
  exo_tissue_free(A);
  exo_recorder_free(&ra);
  exo_recorder_free(&rb);
  exo_model_free(m);
}

/* Every allocation of a tissue's creation and first phenotype steps, failed in turn: each gives
 * EXO_ERR_NOMEM (never a crash or a leak; ASan checks the leaks) until the run goes through. */
static void test_allocation_failures(void **state) {
  (void)state;
  exo_model *m = load("tissue_small.yaml");
  exo_tissue_settings s = {.seed = 1, .threads = 1, .snapshot_every = 0};
  int k, ok = 0;
  for (k = 1; k < 2000 && !ok; k++) {
    exo_tissue *T = NULL;
    exo_error err = {0};
    exo_recorder r = {0};
    exo_fault_fail_alloc_after(k);
    exo_status st = exo_tissue_create(m, &s, &T, &err);
    if (!st) {
      exo_recorder_init(&r, exo_tissue_column_count(T), NULL);
      st = exo_tissue_advance(T, 12, &r, &err);
    }
    exo_fault_fail_alloc_after(0);
    if (st == EXO_OK) ok = 1;
    else if (st != EXO_ERR_NOMEM) fail_msg("allocation %d: %s (%s)", k, exo_status_name(st), err.msg);
    exo_tissue_free(T);
    exo_recorder_free(&r);
  }
  assert_true(ok);
  assert_true(k > 20); /* the loop did fail real allocations */
  exo_model_free(m);
}

/* A behaviour that becomes infinite stops the run with a message naming it. */
static void test_non_finite_behaviour(void **state) {
  (void)state;
  exo_model *m = load("tissue_small.yaml");
  m->params[exo_model_find_param(m, "kill_rate")].value = INFINITY;
  exo_tissue *T = NULL;
  exo_error err = {0};
  assert_int_equal(exo_tissue_create(m, &(exo_tissue_settings){.seed = 1, .threads = 1, .snapshot_every = 0}, &T, &err), EXO_OK);
  assert_int_equal(exo_tissue_advance(T, 60, NULL, &err), EXO_ERR_NUMERIC);
  assert_non_null(strstr(err.msg, "behaviour 'attack tumour' of a 'cd8' cell"));
  assert_non_null(strstr(err.msg, "at day 0.00416667"));
  exo_tissue_free(T);
  exo_model_free(m);
}

/* The estimate: the fields' bytes exactly, growth at the base rate, capped at max_cells. */
static void test_resource_estimate(void **state) {
  (void)state;
  exo_model *m = load("tissue_wellmixed.yaml");
  exo_tissue_estimate e;
  exo_error err = {0};
  assert_int_equal(exo_tissue_estimate_run(m, NULL, &e, &err), EXO_OK);
  assert_true(e.field_bytes == exo_fields_bytes_needed(&m->tissue->grid, 1));
  double want = 1000 * exp((1e-3 - 2e-4) * 1440); /* b - d over one day */
  assert_true(fabs(e.peak_cells - want) < 1e-6 * want);
  assert_true(e.bytes > e.field_bytes + want * e.bytes_per_cell);
  assert_false(e.capped);
  m->tissue->max_cells = 2000;
  assert_int_equal(exo_tissue_estimate_run(m, NULL, &e, &err), EXO_OK);
  assert_true(e.capped && e.peak_cells == 2000);
  exo_model_free(m);
}

/* A systemic rate that stops being a number mid-run ends the tissue run naming the process and
 * the day; the rows recorded before stay. */
static void test_systemic_failure_is_named(void **state) {
  (void)state;
  exo_model *m = load("tissue_nan.yaml");
  exo_tissue *T = NULL;
  exo_error err = {0};
  exo_recorder r;
  assert_int_equal(exo_tissue_create(m, &(exo_tissue_settings){.seed = 1, .threads = 1, .snapshot_every = 0}, &T, &err), EXO_OK);
  exo_recorder_init(&r, exo_tissue_column_count(T), NULL);
  assert_int_equal(exo_tissue_advance(T, exo_tissue_end_time(T), &r, &err), EXO_ERR_NUMERIC);
  assert_non_null(strstr(err.msg, "the rate of process 'odd_loss' is not finite at day 0.15"));
  assert_true(r.nrow >= 1);
  exo_tissue_free(T);
  exo_recorder_free(&r);
  exo_model_free(m);
}

/* The estimate reads values as the run will, factors included (a recruitment rate written with
 * a factor was once read without it, and the default model's estimate hit max_cells). */
static void test_default_estimate(void **state) {
  (void)state;
  const char *text = exo_builtin_model_text("default", NULL);
  exo_model *m = NULL;
  exo_error err = {0};
  assert_int_equal(exo_model_load_string(text, strlen(text), "default", &m, &err), EXO_OK);
  exo_tissue_estimate e;
  assert_int_equal(exo_tissue_estimate_run(m, NULL, &e, &err), EXO_OK);
  if (e.capped || e.peak_cells > 5000) fail_msg("default tissue estimate: %g cells%s", e.peak_cells, e.capped ? " (capped)" : "");
  assert_true(e.peak_cells > 2000);
  exo_model_free(m);
}

/* PhysiCell's phase-duration cycle: with fixed phases of 1 h and 2 h and no death every cell
 * divides exactly every 3 h, so the population doubles at 3 h and again at 6 h, and not before. */
static void test_cycle_phases(void **state) {
  (void)state;
  static const char text[] =
      SYSTEMIC_STUB
      "simulation: {end: 6 h, output_every: 1 h}\n"
      "tissue:\n"
      "  domain: {lo: [-200 um, -200 um, -200 um], hi: [200 um, 200 um, 200 um], dx: 40 um}\n"
      "  time_steps: {diffusion: 0.1 min, mechanics: 1 min, phenotype: 6 min}\n"
      "  fields: {oxygen: {diffusion: 1e5 um^2/min, decay: 0.1 /min}}\n"
      "  cell_types:\n"
      "    tumour:\n"
      "      volume: 500 um^3\n"
      "      repulsion: 0 um/min\n"
      "      adhesion: 0 um/min\n"
      "      cycle_phases: [{duration: 1 h}, {duration: 2 h}]\n"
      "      initial: {count: 100, placement: box}\n";
  exo_model *m = load_text(text);
  exo_error err = {0};
  assert_int_equal(m->tissue->types[0].nphases, 2);
  exo_recorder r;
  exo_tissue *T = run_tissue(m, (exo_tissue_settings){.seed = 1, .threads = 1, .snapshot_every = 0}, &r);
  size_t c = tcol(T, "tissue.tumour");
  double want[] = {100, 100, 100, 200, 200, 200, 400}; /* hours 0..6 */
  assert_int_equal(r.nrow, 7);
  for (size_t k = 0; k < r.nrow; k++)
    if (r.values[k * r.ncol + c] != want[k]) fail_msg("hour %zu: %g cells, expected %g", k, r.values[k * r.ncol + c], want[k]);
  exo_tissue_estimate e;
  assert_int_equal(exo_tissue_estimate_run(m, NULL, &e, &err), EXO_OK);
  assert_true(fabs(e.peak_cells - 400) < 1e-6);
  exo_tissue_free(T);
  exo_recorder_free(&r);
  exo_model_free(m);
}

/* A cell that turns into a type with fewer cycle phases starts that type's cycle afresh: its
 * phase must index the new type's phases (it read past them, and such cells never divided). */
static void test_transform_resets_phase(void **state) {
  (void)state;
  static const char text[] =
      SYSTEMIC_STUB
      "simulation: {end: 3 h, output_every: 1 h}\n"
      "tissue:\n"
      "  domain: {lo: [-200 um, -200 um, -200 um], hi: [200 um, 200 um, 200 um], dx: 40 um}\n"
      "  time_steps: {diffusion: 0.1 min, mechanics: 1 min, phenotype: 6 min}\n"
      "  fields: {oxygen: {diffusion: 1e5 um^2/min, decay: 0.1 /min}}\n"
      "  cell_types:\n"
      "    a:\n"
      "      volume: 500 um^3\n"
      "      repulsion: 0 um/min\n"
      "      adhesion: 0 um/min\n"
      "      cycle_phases: [{duration: 6 min}, {duration: 1000 h}]\n"
      "      transform: {b: 0.05 /min}\n"
      "      initial: {count: 100, placement: box}\n"
      "    b:\n"
      "      volume: 500 um^3\n"
      "      repulsion: 0 um/min\n"
      "      adhesion: 0 um/min\n"
      "      cycle_phases: [{duration: 1000 h}]\n";
  exo_model *m = load_text(text);
  exo_recorder r;
  exo_tissue *T = run_tissue(m, (exo_tissue_settings){.seed = 3, .threads = 1, .snapshot_every = 0}, &r);
  size_t nb = 0;
  for (size_t i = 0; i < T->c.n; i++) {
    int t = T->c.type[i];
    nb += t == 1;
    if (T->c.phase[i] < 0 || T->c.phase[i] >= m->tissue->types[t].nphases)
      fail_msg("cell %ld of type %d is in phase %d of %d", T->c.id[i], t, T->c.phase[i], m->tissue->types[t].nphases);
  }
  assert_true(nb > 0);
  exo_tissue_free(T);
  exo_recorder_free(&r);
  exo_model_free(m);
}

/* A checkpoint read into a tissue run with another thread count reports that run's threads, and a
 * cell whose cycle phase is not one of its type's is refused like any other damaged row. */
static void test_checkpoint_threads_and_phase(void **state) {
  (void)state;
  static const char text[] =
      SYSTEMIC_STUB
      "simulation: {end: 1 h, output_every: 1 h}\n"
      "tissue:\n"
      "  domain: {lo: [-200 um, -200 um, -200 um], hi: [200 um, 200 um, 200 um], dx: 40 um}\n"
      "  time_steps: {diffusion: 0.1 min, mechanics: 1 min, phenotype: 6 min}\n"
      "  fields: {oxygen: {diffusion: 1e5 um^2/min, decay: 0.1 /min}}\n"
      "  cell_types:\n"
      "    tumour:\n"
      "      volume: 500 um^3\n"
      "      cycle_phases: [{duration: 1 h}, {duration: 2 h}]\n"
      "      initial: {count: 10, placement: box}\n";
  exo_model *m = load_text(text);
  exo_error err = {0};
  exo_tissue *A = NULL, *B = NULL;
  exo_tissue_settings s = {.seed = 5, .threads = 2, .snapshot_every = 0};
  assert_int_equal(exo_tissue_create(m, &s, &A, &err), EXO_OK);
  if (exo_tissue_advance(A, 12, NULL, &err)) fail_msg("%s", err.msg);
  FILE *f = tmpfile();
  assert_int_equal(exo_tissue_checkpoint_write(A, f, &err), EXO_OK);
  s.threads = 1;
  assert_int_equal(exo_tissue_create(m, &s, &B, &err), EXO_OK);
  rewind(f);
  if (exo_tissue_checkpoint_read(B, f, &err)) fail_msg("%s", err.msg);
  exo_tissue_stats st;
  exo_tissue_get_stats(B, &st);
  assert_int_equal(st.threads, 1);
  exo_tissue_free(B);
  fclose(f);
  /* a damaged phase */
  A->c.phase[3] = 1000000;
  f = tmpfile();
  assert_int_equal(exo_tissue_checkpoint_write(A, f, &err), EXO_OK);
  assert_int_equal(exo_tissue_create(m, &s, &B, &err), EXO_OK);
  rewind(f);
  assert_int_equal(exo_tissue_checkpoint_read(B, f, &err), EXO_ERR_MODEL);
  assert_non_null(strstr(err.msg, "not valid"));
  exo_tissue_free(B);
  fclose(f);
  exo_tissue_free(A);
  exo_model_free(m);
}

/* A recruitment mean beyond what a long holds fills the tissue up to max_cells (a clear error)
 * instead of recruiting nobody. */
static void test_huge_recruitment_reaches_max_cells(void **state) {
  (void)state;
  exo_model *m = load("tissue_small.yaml");
  m->params[exo_model_find_param(m, "cd8_recruit")].value = 1e30;
  exo_tissue *T = NULL;
  exo_error err = {0};
  assert_int_equal(exo_tissue_create(m, &(exo_tissue_settings){.seed = 1, .threads = 1, .snapshot_every = 0}, &T, &err), EXO_OK);
  exo_status st = exo_tissue_advance(T, 60, NULL, &err);
  assert_int_equal(st, EXO_ERR_MODEL);
  assert_non_null(strstr(err.msg, "max_cells"));
  exo_tissue_free(T);
  exo_model_free(m);
}

static void test_max_cells_is_a_clear_error(void **state) {
  (void)state;
  exo_model *m = load("tissue_wellmixed.yaml");
  m->tissue->max_cells = 1100;
  exo_tissue *T = NULL;
  exo_error err = {0};
  assert_int_equal(exo_tissue_create(m, &(exo_tissue_settings){.seed = 1, .threads = 1, .snapshot_every = 0}, &T, &err), EXO_OK);
  exo_status st = exo_tissue_advance(T, exo_tissue_end_time(T), NULL, &err);
  assert_int_equal(st, EXO_ERR_MODEL);
  assert_non_null(strstr(err.msg, "max_cells = 1100"));
  exo_tissue_free(T);
  exo_model_free(m);
}

static void test_model_without_tissue(void **state) {
  (void)state;
  const char *text = exo_builtin_model_text("examples/kuznetsov1994", NULL);
  exo_model *m = NULL;
  exo_error err = {0};
  assert_int_equal(exo_model_load_string(text, strlen(text), "k", &m, &err), EXO_OK);
  exo_tissue *T = NULL;
  assert_int_equal(exo_tissue_create(m, NULL, &T, &err), EXO_ERR_MODEL);
  assert_non_null(strstr(err.msg, "no tissue section"));
  assert_null(T);
  exo_model_free(m);
}

typedef struct snaps {
  int n;
  double times[16];
  size_t cells[16];
} snaps;

static exo_status count_snapshot(void *ctx, double t, const exo_cells_view *c, const exo_fields *F, exo_error *err) {
  (void)err;
  snaps *s = ctx;
  assert_non_null(F);
  assert_non_null(c->type_names);
  if (s->n < 16) {
    s->times[s->n] = t;
    s->cells[s->n] = c->n;
  }
  s->n++;
  return EXO_OK;
}

static void test_snapshots_at_their_times(void **state) {
  (void)state;
  exo_model *m = load("tissue_small.yaml");
  snaps s = {0};
  exo_recorder r;
  exo_tissue *T = run_tissue(
      m, (exo_tissue_settings){.seed = 1, .threads = 1, .snapshot_every = -1, .snapshot = count_snapshot, .snapshot_ctx = &s}, &r);
  assert_int_equal(s.n, 4); /* 0, 2, 4, 6 hours */
  for (int k = 0; k < 4; k++) assert_true(fabs(s.times[k] - 120.0 * k) < 1e-6);
  assert_int_equal(s.cells[0], 340);
  exo_tissue_free(T);
  exo_recorder_free(&r);
  exo_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_wellmixed_exchange_matches_systemic),
      cmocka_unit_test(test_wellmixed_population_means),
      cmocka_unit_test(test_threads_bit_identical),
      cmocka_unit_test(test_mechanics_equilibrium),
      cmocka_unit_test(test_chemotaxis_speed),
      cmocka_unit_test(test_rule_response),
      cmocka_unit_test(test_contact_killing),
      cmocka_unit_test(test_coupling_bookkeeping),
      cmocka_unit_test(test_therapy_blocks_tissue_secretion),
      cmocka_unit_test(test_checkpoint_round_trip),
      cmocka_unit_test(test_allocation_failures),
      cmocka_unit_test(test_non_finite_behaviour),
      cmocka_unit_test(test_resource_estimate),
      cmocka_unit_test(test_systemic_failure_is_named),
      cmocka_unit_test(test_default_estimate),
      cmocka_unit_test(test_cycle_phases),
      cmocka_unit_test(test_transform_resets_phase),
      cmocka_unit_test(test_checkpoint_threads_and_phase),
      cmocka_unit_test(test_huge_recruitment_reaches_max_cells),
      cmocka_unit_test(test_max_cells_is_a_clear_error),
      cmocka_unit_test(test_model_without_tissue),
      cmocka_unit_test(test_snapshots_at_their_times),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
