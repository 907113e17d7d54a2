/* The built-in default model in tissue form (models/default.yaml, section 'tissue'; docs/science.md
 * "The default model in tissue form"). First the section itself: every rule number and uptake rate
 * is a systemic parameter converted, and the region's initial infiltrate is the systemic tumour
 * compartment's in proportion; then short runs of a shrunken region (the same cell types, fields,
 * rules and couplings in a smaller box, so that the test stays fast under AddressSanitizer):
 * immune cells are recruited from the systemic blood pools at the rate the model writes, the TEX
 * leaving the region raise the node's TEX pool above the systemic model's own, a Rab27a knockout
 * leaves the tissue without TEX, and anti-PD-L1 restores the killing that exosomal PD-L1 takes
 * away. The mouse model inherits the section and builds its tissue too. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "exosim/model.h"
#include "exosim/systemic.h"
#include "exosim/tissue.h"
#include "model/model.h"
#include "model/tissue_spec.h"
#include "tissue/tissue_internal.h"
#include "run_helpers.h"

#define HOURS 60.0

static exo_model *load_default(void) {
  exo_model *m = NULL;
  load_builtin("default", &m);
  exo_error err = {0};
  if (exo_model_set(m, "solver.rhs=interpreter", &err)) fail_msg("set: %s", err.msg);
  return m;
}

static void set(exo_model *m, const char *a) {
  exo_error err = {0};
  if (exo_model_set(m, a, &err)) fail_msg("--set %s: %s", a, err.msg);
}

static double param(const exo_model *m, const char *name) {
  int i = exo_model_find_param(m, name);
  if (i < 0) fail_msg("no parameter '%s'", name);
  return m->params[i].value;
}

static int type_of(const exo_tissue_spec *ts, const char *name) {
  for (int t = 0; t < ts->ntypes; t++)
    if (!strcmp(ts->types[t].name, name)) return t;
  fail_msg("no cell type '%s'", name);
  return -1;
}

static int field_of(const exo_tissue_spec *ts, const char *name) {
  for (int f = 0; f < ts->nfields; f++)
    if (!strcmp(ts->fields[f].spec.name, name)) return f;
  fail_msg("no field '%s'", name);
  return -1;
}

static int cargo_of(const exo_tissue_spec *ts, const char *name) {
  for (int k = 0; k < ts->ncargo; k++)
    if (!strcmp(ts->cargo[k].name, name)) return k;
  fail_msg("no cargo '%s'", name);
  return -1;
}

static void near(double got, double want, double rel, const char *what) {
  if (!(fabs(got - want) <= rel * fabs(want))) fail_msg("%s: %.9g, expected %.9g (relative tolerance %g)", what, got, want, rel);
}

/* The rule of `type` whose signal is (kind, index) and whose behaviour is `slot`. */
static const exo_rule *rule(const exo_tissue_spec *ts, const char *type, exo_sig sig, int index, int slot) {
  int t = type_of(ts, type);
  for (int r = 0; r < ts->nrules; r++) {
    const exo_rule *R = &ts->rules[r];
    if (R->cell_type == t && R->signal == sig && R->signal_index == index && R->behaviour == slot) return R;
  }
  fail_msg("no rule of '%s' for signal %d/%d and behaviour slot %d", type, (int)sig, index, slot);
  return NULL;
}

/* The rule's saturation and half-max against the parameters they stand for. */
static void check_rule(const exo_tissue_spec *ts, const char *type, exo_sig sig, int index, int slot, bool increases,
                       double saturation, double half_max, const char *what) {
  const exo_rule *R = rule(ts, type, sig, index, slot);
  if (R->increases != increases) fail_msg("%s: the rule %s, it should %s", what, R->increases ? "increases" : "decreases",
                                          increases ? "increase" : "decrease");
  char buf[200];
  snprintf(buf, sizeof buf, "%s: saturation", what);
  if (saturation == 0) assert_true(R->saturation == 0);
  else near(R->saturation, saturation, 1e-4, buf);
  snprintf(buf, sizeof buf, "%s: half-max", what);
  near(R->half_max, half_max, 1e-4, buf);
  assert_true(R->hill == 1);
}

/* The section as written: tied to the systemic model's parameters and initial state. */
static void test_section_matches_the_systemic_model(void **state) {
  (void)state;
  exo_model *m = load_default();
  const exo_tissue_spec *ts = m->tissue;
  assert_non_null(ts);
  assert_true(fabs(ts->end_time - 2 * DAY) < 1e-9);
  const int nf = ts->nfields;
  const int tex = field_of(ts, "TEX"), tumour = type_of(ts, "tumour");
  /* TEX drain into the node's pool; the cargo rides with them */
  assert_true(ts->fields[tex].vesicle_class >= 0);
  assert_int_equal(ts->fields[tex].drain_to, exo_model_find_state(m, "tdln.TEX"));
  const char *cargo_fields[] = {"TEX_PDL1", "TEX_FasL", "TEX_NKG2DL", "TEX_TGFb1", "TEX_Hsp70"};
  for (int i = 0; i < 5; i++) assert_int_equal(ts->fields[field_of(ts, cargo_fields[i])].cargo_of, tex);

  /* the region: its tumour cells, their volume, the systemic populations each type stands for */
  const exo_cell_type *tu = &ts->types[tumour];
  assert_int_equal(tu->population, exo_model_find_state(m, "tumour.T"));
  assert_true(tu->tumour);
  near((double)tu->initial_count, param(m, "tis_tumour_cells"), 1e-12, "tumour cells vs tis_tumour_cells");
  near(tu->volume, param(m, "tis_cell_volume_tumour"), 1e-12, "tumour cell volume vs tis_cell_volume_tumour");
  /* the initial infiltrate in the systemic tumour compartment's proportions (rounded) */
  const char *pairs[][2] = {{"cd8", "tumour.CD8"}, {"cd8x", "tumour.CD8x"}, {"nk", "tumour.NK"},    {"nkh", "tumour.NKh"},
                            {"mono", "tumour.Mono"}, {"idc", "tumour.iDC"},  {"mdsc", "tumour.MDSC"}, {"mdsca", "tumour.MDSCa"},
                            {"cd4", "tumour.CD4"},   {"treg", "tumour.Treg"}};
  const double T0 = m->states[exo_model_find_state(m, "tumour.T")].initial;
  for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
    const exo_cell_type *ty = &ts->types[type_of(ts, pairs[i][0])];
    int s = exo_model_find_state(m, pairs[i][1]);
    assert_int_equal(ty->population, s);
    double want = m->states[s].initial / T0 * (double)tu->initial_count;
    if (fabs((double)ty->initial_count - want) > 0.5 + 1e-9) fail_msg("%s: %ld cells at the start, expected %.3g", pairs[i][0], ty->initial_count, want);
  }

  /* uptake: U * f * V is the systemic volume cleared per cell (f: the interstitial fraction) */
  const double f = param(m, "tum_v_int") / param(m, "tis_cell_volume_tumour");
  near(f, 0.4, 1e-12, "interstitial fraction");
  const char *lym[] = {"cd8", "cd8x", "nk", "nkh", "cd4", "treg"}, *mye[] = {"mono", "idc", "mdsc", "mdsca"};
  near(ts->types[tumour].base[exo_beh_uptake(tex)].value * f * tu->volume, param(m, "up_q_tum"), 1e-9, "tumour TEX uptake");
  for (int i = 0; i < 6; i++) {
    const exo_cell_type *ty = &ts->types[type_of(ts, lym[i])];
    near(ty->base[exo_beh_uptake(tex)].value * f * ty->volume, param(m, "up_q_lym"), 1e-5, lym[i]);
  }
  for (int i = 0; i < 4; i++) {
    const exo_cell_type *ty = &ts->types[type_of(ts, mye[i])];
    near(ty->base[exo_beh_uptake(tex)].value * f * ty->volume, param(m, "up_q_mye"), 1e-5, mye[i]);
  }
  /* killing and death by name */
  assert_int_equal(ts->types[type_of(ts, "cd8")].base[exo_beh_attack(nf, tumour)].param, exo_model_find_param(m, "cd8_kill_max"));
  assert_int_equal(ts->types[type_of(ts, "nk")].base[exo_beh_attack(nf, tumour)].param, exo_model_find_param(m, "nk_kill_max"));
  assert_int_equal(tu->base[EXO_BEH_CYCLE_ENTRY].param, exo_model_find_param(m, "tum_growth_rate"));

  /* every rule against the parameters it converts: max * hill(d, K, 1) on a delivery rate
   * becomes a rule on the amount received with half-max K / tis_cargo_decay */
  const double kd = param(m, "tis_cargo_decay");
#define P(name) param(m, name)
  const int pdl1 = cargo_of(ts, "pdl1"), fasl = cargo_of(ts, "fasl"), nkg2dl = cargo_of(ts, "nkg2dl"), tgfb = cargo_of(ts, "tgfb1"),
            hsp = cargo_of(ts, "hsp70");
  const int to_cd8x = exo_beh_transform(nf, type_of(ts, "cd8x")), to_nkh = exo_beh_transform(nf, type_of(ts, "nkh"));
  check_rule(ts, "cd8", EXO_SIG_CARGO, pdl1, to_cd8x, true, P("pdl1_exh_max"), P("pdl1_K") / kd, "row 8");
  check_rule(ts, "cd8", EXO_SIG_FIELD, tex, to_cd8x, true, P("ado_max"), f * P("ado_K") * P("ado_k_clear") / P("tex_CD39_73"), "row 11");
  check_rule(ts, "cd8", EXO_SIG_CONTACT_TYPE, type_of(ts, "treg"), to_cd8x, true, P("treg_supp_max"), 1, "Treg suppression");
  check_rule(ts, "cd8", EXO_SIG_CONTACT_TYPE, type_of(ts, "mdsca"), to_cd8x, true, P("mdsc_supp_max"), 1, "MDSC suppression");
  check_rule(ts, "cd8", EXO_SIG_CARGO, pdl1, exo_beh_attack(nf, tumour), false, 0, P("pdl1_K") / kd, "row 8 (killing)");
  check_rule(ts, "cd8", EXO_SIG_CARGO, fasl, EXO_BEH_APOPTOSIS, true, P("cd8_death_tumour_rate") + P("fasl_apop_max"), P("fasl_K") / kd,
             "rows 1, 3c");
  check_rule(ts, "nk", EXO_SIG_CARGO, nkg2dl, to_nkh, true, P("nkg2d_max"), P("nkg2d_K_ligand") / kd, "row 3 (ligands)");
  check_rule(ts, "nk", EXO_SIG_CARGO, tgfb, to_nkh, true, P("nkg2d_max"), P("nkg2d_K_tgfb") / kd, "row 3 (TGF-beta1)");
  check_rule(ts, "nk", EXO_SIG_CARGO, hsp, exo_beh_attack(nf, tumour), true, P("nk_kill_max") + P("hsp_nk_max"), P("hsp_nk_K") / kd,
             "row 13");
  check_rule(ts, "cd4", EXO_SIG_CARGO, tgfb, exo_beh_transform(nf, type_of(ts, "treg")), true, P("treg_conv_max"), P("treg_K_tgfb") / kd,
             "row 4 (conversion)");
  check_rule(ts, "treg", EXO_SIG_CARGO, tgfb, EXO_BEH_CYCLE_ENTRY, true, P("treg_exp_max"), P("treg_K_tgfb") / kd, "row 4 (expansion)");
  check_rule(ts, "mdsc", EXO_SIG_CARGO, hsp, exo_beh_transform(nf, type_of(ts, "mdsca")), true, P("mdsc_act_soluble") + P("hsp_mdsc_max"),
             P("hsp_mdsc_K") / kd, "row 5");
  check_rule(ts, "mono", EXO_SIG_CARGO, tgfb, exo_beh_transform(nf, type_of(ts, "mdsc")), true, P("mdsc_soluble") + P("dcblock_max"),
             P("dcblock_K") / kd, "row 7");
#undef P
  exo_model_free(m);
}

/* The region made smaller for the runs below: a ball of 500 tumour cells (and a quarter of the
 * infiltrate) in a box 200 um across, tis_tumour_cells following, so that the scalings of
 * drainage and recruitment stay what the model says. */
static void shrink(exo_model *m) {
  exo_tissue_spec *ts = m->tissue;
  for (int a = 0; a < 3; a++) {
    ts->grid.lo[a] = -100;
    ts->grid.hi[a] = 100;
  }
  for (int t = 0; t < ts->ntypes; t++) {
    exo_cell_type *ty = &ts->types[t];
    if (ty->tumour) {
      ty->initial_count = 500;
      ty->r_outer = 60;
    } else {
      ty->initial_count = (ty->initial_count + 2) / 4;
      ty->r_outer = 54;
    }
  }
  set(m, "tis_tumour_cells=500 cells");
}

static size_t tcol(const exo_tissue *T, const char *name) {
  for (size_t i = 0; i < exo_tissue_column_count(T); i++)
    if (!strcmp(exo_tissue_column_name(T, i), name)) return i;
  fail_msg("no tissue column '%s'", name);
  return 0;
}

typedef struct outcome {
  double recruited, expected_recruits, kills, drained;
  double tdln_tex, field_tex, field_pdl1; /* at the end */
  double attack, pdl1;                    /* mean over live cd8: attack on tumour cells / cd8_kill_max, PD-L1 held */
  int ncd8;
} outcome;

/* Runs the shrunken default region for `hours`, in arm `arm` (NULL: none), with 100 times the
 * blood's effector CD8 so that a few hours recruit enough cells to count. */
static outcome run_region(const char *arm, double hours) {
  exo_model *m = load_default();
  shrink(m);
  set(m, "initial.blood.CD8=3.4e9 cells");
  exo_error err = {0};
  if (arm && exo_model_choose_arm(m, arm, &err)) fail_msg("arm %s: %s", arm, err.msg);
  exo_tissue *T = NULL;
  exo_tissue_settings s = {.seed = 3, .threads = 1, .end_time = hours * HOURS, .output_every = HOURS, .snapshot_every = 0};
  if (exo_tissue_create(m, &s, &T, &err)) fail_msg("create: %s", err.msg);
  const exo_tissue_spec *ts = m->tissue;
  outcome o = {0};
  /* the recruitment rates the model writes (their factors read the tumour's size, which hardly
   * changes in hours) */
  double rate[64] = {0};
  assert_true(ts->ntypes <= 64);
  for (int t = 0; t < ts->ntypes; t++)
    if (ts->types[t].recruit_from >= 0) rate[t] = exo_tissue_value(T, ts->types[t].recruit);
  exo_recorder rec;
  exo_recorder_init(&rec, exo_tissue_column_count(T), NULL);
  if (exo_tissue_advance(T, s.end_time, &rec, &err)) fail_msg("advance: %s", err.msg);
  /* expected recruits: rate x the systemic pool, integrated over the recorded rows */
  for (int t = 0; t < ts->ntypes; t++) {
    if (ts->types[t].recruit_from < 0) continue;
    char name[128];
    snprintf(name, sizeof name, "systemic.%s", m->states[ts->types[t].recruit_from].column);
    size_t c = tcol(T, name);
    for (size_t r = 1; r < rec.nrow; r++)
      o.expected_recruits += rate[t] * 0.5 * (rec.values[(r - 1) * rec.ncol + c] + rec.values[r * rec.ncol + c]) * (rec.times[r] - rec.times[r - 1]);
  }
  exo_tissue_stats st;
  exo_tissue_get_stats(T, &st);
  o.recruited = (double)st.recruited;
  o.kills = (double)st.kills;
  o.drained = st.drained_total;
  const double *last = rec.values + (rec.nrow - 1) * rec.ncol;
  o.tdln_tex = last[tcol(T, "systemic.tdln.TEX")];
  o.field_tex = last[tcol(T, "field.TEX")];
  o.field_pdl1 = last[tcol(T, "field.TEX_PDL1")];
  /* no TEX in any row of a knockout */
  if (arm && !strcmp(arm, "rab27a_knockout"))
    for (size_t r = 0; r < rec.nrow; r++) assert_true(rec.values[r * rec.ncol + tcol(T, "field.TEX")] == 0);
  /* the behaviours the rules gave the CD8 at the last phenotype step */
  const int cd8 = type_of(ts, "cd8"), slot = exo_beh_attack(ts->nfields, type_of(ts, "tumour")), pdl1 = cargo_of(ts, "pdl1");
  double kmax = param(m, "cd8_kill_max");
  for (size_t i = 0; i < T->c.n; i++) {
    if (T->c.dead[i] || T->c.type[i] != cd8) continue;
    o.attack += T->c.beh[slot][i] / kmax;
    o.pdl1 += T->c.cargo[pdl1][i];
    o.ncd8++;
  }
  if (o.ncd8) {
    o.attack /= o.ncd8;
    o.pdl1 /= o.ncd8;
  }
  exo_recorder_free(&rec);
  exo_tissue_free(T);
  exo_model_free(m);
  return o;
}

/* The node's TEX in the systemic model alone, at `hours`. */
static double systemic_tdln_tex(const char *arm, double hours) {
  exo_model *m = load_default();
  shrink(m);
  set(m, "initial.blood.CD8=3.4e9 cells");
  exo_error err = {0};
  if (arm && exo_model_choose_arm(m, arm, &err)) fail_msg("arm %s: %s", arm, err.msg);
  m->solver.end_time = hours * HOURS;
  m->solver.output_every = HOURS;
  run r = {.m = m};
  exo_recorder_init(&r.rec, exo_systemic_column_count(m), NULL);
  if (exo_systemic_run(m, NULL, &r.rec, &r.stats, &err)) fail_msg("systemic: %s", err.msg);
  double v = final(&r, "tdln.TEX");
  run_free(&r);
  return v;
}

static outcome control, anti, knockout;
static int ran;

static int setup(void **state) {
  (void)state;
  if (!ran) {
    control = run_region(NULL, 6);
    anti = run_region("anti_pdl1", 6);
    knockout = run_region("rab27a_knockout", 3);
    ran = 1;
  }
  return 0;
}

/* Immune cells enter from the systemic pools at rate x pool (Poisson); CD8 dominate here. */
static void test_recruitment_from_systemic_pools(void **state) {
  (void)state;
  const outcome *o = &control;
  print_message("recruited %g, expected %.3g\n", o->recruited, o->expected_recruits);
  assert_true(o->expected_recruits > 10);
  assert_true(o->recruited > 0);
  if (fabs(o->recruited - o->expected_recruits) > 5 * sqrt(o->expected_recruits) + 0.05 * o->expected_recruits)
    fail_msg("recruited %g, expected about %.3g", o->recruited, o->expected_recruits);
}

/* TEX leaving the region drain into the node: its pool ends above the systemic model's own; with
 * the secretion knocked out nothing drains and the two agree. */
static void test_tex_drain_into_the_node(void **state) {
  (void)state;
  double alone = systemic_tdln_tex(NULL, 6);
  print_message("tdln.TEX coupled %.4g, systemic alone %.4g; drained %.4g\n", control.tdln_tex, alone, control.drained);
  assert_true(control.drained > 0);
  assert_true(control.tdln_tex > 1.1 * alone);
  double alone_ko = systemic_tdln_tex("rab27a_knockout", 3);
  assert_true(knockout.drained == 0);
  near(knockout.tdln_tex, alone_ko, 1e-3, "knockout: tdln.TEX coupled vs alone");
}

/* The Rab27a knockout arm: no exosomes (nor cargo) in the tissue; the untreated region has them. */
static void test_knockout_has_no_tex(void **state) {
  (void)state;
  assert_true(knockout.field_tex == 0);
  assert_true(knockout.field_pdl1 == 0);
  assert_true(control.field_tex > 0);
  assert_true(control.field_pdl1 > 0);
  near(control.field_pdl1 / control.field_tex, 300, 1e-6, "PD-L1 per vesicle in the field (tex_PDL1)");
}

/* Anti-PD-L1: the CD8 hold only the free fraction of the PD-L1 they take up, so their killing
 * stays at its maximum; untreated, exosomal PD-L1 lowers it. */
static void test_anti_pdl1_restores_killing(void **state) {
  (void)state;
  print_message("cd8 attack/max: control %.4f (PD-L1 held %.4g, %d cells), anti-PD-L1 %.4f (%.4g, %d cells); kills %g vs %g\n",
                control.attack, control.pdl1, control.ncd8, anti.attack, anti.pdl1, anti.ncd8, control.kills, anti.kills);
  assert_true(control.ncd8 > 10 && anti.ncd8 > 10);
  assert_true(control.pdl1 > 0);
  assert_true(anti.pdl1 < 0.05 * control.pdl1);
  /* untreated, PD-L1 costs the CD8 a clear part of their killing; the antibody gives back more
   * than 95% of it */
  double lost = 1 - control.attack, lost_anti = 1 - anti.attack;
  assert_true(lost > 0.02);
  assert_true(lost_anti >= 0);
  assert_true(lost_anti < 0.05 * lost);
}

/* mouse.yaml extends the default and inherits its tissue section. */
static void test_mouse_inherits_the_tissue(void **state) {
  (void)state;
  exo_model *m = NULL;
  load_builtin("mouse", &m);
  assert_non_null(m->tissue);
  exo_tissue *T = NULL;
  exo_error err = {0};
  assert_int_equal(exo_tissue_create(m, &(exo_tissue_settings){.seed = 1, .threads = 1, .snapshot_every = 0, .no_coupling = 1}, &T, &err),
                   EXO_OK);
  exo_tissue_stats st;
  exo_tissue_get_stats(T, &st);
  assert_true(st.cells_initial > 2000);
  exo_tissue_free(T);
  exo_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_section_matches_the_systemic_model),
      cmocka_unit_test_setup(test_recruitment_from_systemic_pools, setup),
      cmocka_unit_test_setup(test_tex_drain_into_the_node, setup),
      cmocka_unit_test_setup(test_knockout_has_no_tex, setup),
      cmocka_unit_test_setup(test_anti_pdl1_restores_killing, setup),
      cmocka_unit_test(test_mouse_inherits_the_tissue),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
