/* The built-in exosome-immune model (models/default.yaml) and its mouse parameter set
 * (models/mouse.yaml): each mechanism switched off moves the outcome in the direction the
 * literature reports (rows of ../shared/science/exosome-biology.md), the vesicle bookkeeping
 * closes, every state stays non-negative, every process can be switched off, the immunodeficient
 * host grows a larger tumour, and the model loads unchanged from its own text (`exosim show`).
 * Every assertion compares numbers from two runs (or a run against a bound), so it fails when the
 * biology in the model file breaks. Runs use the interpreter so that no native code is compiled. */
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

#define MAX_SETS 16



/* Runs a built-in model with the NULL-terminated overrides applied in order. */
static void run_builtin(run *r, const char *name, const char *const *sets) {
  exo_error err = {0};
  memset(r, 0, sizeof *r);
  load_builtin(name, &r->m);
  if (exo_model_set(r->m, "solver.rhs=interpreter", &err)) fail_msg("set: %s", err.msg);
  for (; sets && *sets; sets++)
    if (exo_model_set(r->m, *sets, &err)) fail_msg("set %s: %s", *sets, err.msg);
  exo_recorder_init(&r->rec, exo_systemic_column_count(r->m), NULL);
  if (exo_systemic_run(r->m, NULL, &r->rec, &r->stats, &err)) fail_msg("run %s: %s", name, err.msg);
}





/* a > b by at least the given relative margin, with a message naming both numbers. */
static void assert_more(double a, double b, double margin, const char *what) {
  if (!(a > b * (1 + margin))) fail_msg("%s: expected %.6g > %.6g (by %g%%)", what, a, b, 100 * margin);
}

/* Effector CD8 primed per day (all routes), internal units. */
static double primed(const run *r, double day) {
  return at(r, day, "flux_priming_dc") + at(r, day, "flux_priming_tex") + at(r, day, "flux_priming_dex_direct") +
         at(r, day, "flux_priming_dex_mature") + at(r, day, "flux_priming_dex_crossdress");
}

/* The NULL-terminated list "mech.P=off" for each process named. */
static const char *const *offs(const char *const *procs, char buf[][96]) {
  static const char *list[MAX_SETS + 1];
  int n = 0;
  for (; *procs && n < MAX_SETS; procs++, n++) {
    snprintf(buf[n], 96, "mech.%s=off", *procs);
    list[n] = buf[n];
  }
  list[n] = NULL;
  return list;
}

/* The untreated default run, shared by the tests below (run once). */
static run base;
static int base_ready;

static const run *get_base(void) {
  if (!base_ready) {
    run_builtin(&base, "default", NULL);
    base_ready = 1;
  }
  return &base;
}

static int teardown_group(void **state) {
  (void)state;
  if (base_ready) run_free(&base);
  return 0;
}

/* The untreated immunocompetent tumour escapes: it starts at ~1e9 cells, grows over the year but
 * stays below its carrying capacity; bookkeeping closes; every state is non-negative and finite. */
static void test_default_untreated(void **state) {
  (void)state;
  const run *r = get_base();
  assert_int_equal(r->rec.nrow, 366);
  double t0 = at(r, 0, "tumour_burden"), t1 = final(r, "tumour_burden");
  assert_true(t0 > 0.9e9 && t0 < 1.1e9);
  assert_more(t1, 3 * t0, 0, "the untreated tumour escapes (final burden > 3x the start)");
  assert_true(t1 < 0.5 * 1e12);
  /* the immune system slows it: net growth is slower than the intrinsic 0.02 /day */
  assert_true(log(at(r, 100, "tumour.T") / at(r, 0, "tumour.T")) / 100 < 0.6 * 0.02);
  assert_true(r->stats.npools == 9);
  if (!(r->stats.balance_max_rel_error < 1e-6)) fail_msg("vesicle balance error %g", r->stats.balance_max_rel_error);
  assert_true(r->stats.most_negative == 0);
  assert_true(r->stats.constraints_released_day < 0);
  size_t nstate = exo_systemic_column_count(r->m);
  for (size_t i = 0; i < r->rec.nrow; i++)
    for (size_t c = 0; c < nstate; c++) {
      double v = r->rec.values[i * r->rec.ncol + c];
      if (!isfinite(v) || v < 0) fail_msg("%s = %g at row %zu", exo_systemic_column_name(r->m, c), v, i);
    }
  /* exosomal PD-L1 in plasma in the range of Chen 2018 (0.1-5.4 ng/mL) at the larger burdens */
  double pdl1 = final(r, "plasma_exo_pdl1") / 1e-3 * 1e12; /* internal ng/um^3 -> pg/mL */
  if (!(pdl1 > 10 && pdl1 < 5400)) fail_msg("plasma exosomal PD-L1 %g pg/mL", pdl1);
}

/* The model loads from its own text unchanged: the built-in text is models/default.yaml byte for
 * byte (what `exosim show default` prints), and a model loaded from a file holding that text is
 * the same model (same hash) and gives the same run. */
static void test_default_round_trip(void **state) {
  (void)state;
  const char *text = exo_builtin_model_text("default", NULL);
  assert_non_null(text);
  FILE *f = fopen(EXO_SOURCE_DIR "/models/default.yaml", "rb");
  assert_non_null(f);
  size_t len = strlen(text);
  char *buf = malloc(len + 2);
  assert_non_null(buf);
  size_t got = fread(buf, 1, len + 1, f);
  fclose(f);
  assert_int_equal(got, len);
  assert_memory_equal(buf, text, len);
  free(buf);

  char path[] = "/tmp/exosim_default_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *out = fdopen(fd, "wb");
  assert_non_null(out);
  assert_int_equal(fwrite(text, 1, len, out), len);
  fclose(out);
  exo_model *m = NULL;
  exo_error err = {0};
  if (exo_model_load_file(path, &m, &err)) fail_msg("load the shown text: %s", err.msg);
  remove(path);
  const run *r = get_base();
  assert_string_equal(exo_model_hash(m), exo_model_hash(r->m));
  assert_int_equal(exo_systemic_column_count(m), exo_systemic_column_count(r->m));
  if (exo_model_set(m, "solver.rhs=interpreter", &err)) fail_msg("set: %s", err.msg);
  exo_recorder rec;
  exo_solver_stats st = {0};
  exo_recorder_init(&rec, exo_systemic_column_count(m), NULL);
  if (exo_systemic_run(m, NULL, &rec, &st, &err)) fail_msg("run: %s", err.msg);
  assert_int_equal(rec.nrow, r->rec.nrow);
  assert_memory_equal(rec.values, r->rec.values, rec.nrow * rec.ncol * sizeof *rec.values);
  exo_recorder_free(&rec);
  exo_solver_stats_free(&st);
  exo_model_free(m);
}

/* Rows 1, 2, 3c: without TEX FasL/TRAIL more effector CD8 survive in the tumour, and the tumour
 * is smaller. */
static void test_rows_1_2_3c_fasl_trail(void **state) {
  (void)state;
  static const char *const p[] = {"tex_fasl_apoptosis_cd8", "tex_trail_apoptosis_cd8", "tex_fasl_apoptosis_cd8_blood", NULL};
  char buf[MAX_SETS][96];
  run off;
  run_builtin(&off, "default", offs(p, buf));
  const run *on = get_base();
  assert_more(at(&off, 30, "tumour.CD8"), at(on, 30, "tumour.CD8"), 0.05, "CD8 in the tumour at day 30 without FasL/TRAIL");
  assert_more(at(&off, 100, "tumour.CD8") / at(&off, 100, "tumour.T"), at(on, 100, "tumour.CD8") / at(on, 100, "tumour.T"), 0.05,
              "CD8 per tumour cell at day 100 without FasL/TRAIL");
  assert_more(final(on, "tumour_burden"), final(&off, "tumour_burden"), 0.1, "tumour burden with vs without FasL/TRAIL");
  run_free(&off);
}

/* Row 3: without TEX NKG2D ligands / TGF-beta more NK stay active and NK killing is higher. */
static void test_row_3_nkg2d(void **state) {
  (void)state;
  static const char *const p[] = {"tex_nkg2d_downregulation_tumour", "tex_nkg2d_downregulation_blood", NULL};
  char buf[MAX_SETS][96];
  run off;
  run_builtin(&off, "default", offs(p, buf));
  const run *on = get_base();
  assert_more(at(&off, 30, "tumour.NK"), at(on, 30, "tumour.NK"), 0.2, "active NK in the tumour at day 30 without row 3");
  assert_more(at(&off, 30, "nk_kill_per_day"), at(on, 30, "nk_kill_per_day"), 0.2, "NK killing at day 30 without row 3");
  assert_more(at(on, 30, "tumour.NKh"), at(&off, 30, "tumour.NKh"), 0.2, "hypofunctional NK with row 3");
  assert_more(final(on, "tumour_burden"), final(&off, "tumour_burden"), 0.1, "tumour burden with vs without row 3");
  run_free(&off);
}

/* Row 4: without TGF-beta transfer to CD4 T cells fewer Tregs. */
static void test_row_4_treg(void **state) {
  (void)state;
  static const char *const p[] = {"tex_tgfb_treg_conversion", "tex_tgfb_treg_expansion", NULL};
  char buf[MAX_SETS][96];
  run off;
  run_builtin(&off, "default", offs(p, buf));
  const run *on = get_base();
  assert_more(at(on, 30, "tumour.Treg"), at(&off, 30, "tumour.Treg"), 0.1, "Treg at day 30 with vs without row 4");
  assert_more(at(on, 30, "tumour.Treg") / at(on, 30, "tumour.T"), at(&off, 30, "tumour.Treg") / at(&off, 30, "tumour.T"), 0.1,
              "Treg per tumour cell at day 30 with vs without row 4");
  assert_more(final(on, "tumour_burden"), final(&off, "tumour_burden"), 0.05, "tumour burden with vs without row 4");
  run_free(&off);
}

/* Row 5: without exosomal Hsp72 fewer activated MDSC. */
static void test_row_5_hsp72_mdsc(void **state) {
  (void)state;
  static const char *const p[] = {"tex_hsp72_mdsc_activation", NULL};
  char buf[MAX_SETS][96];
  run off;
  run_builtin(&off, "default", offs(p, buf));
  const run *on = get_base();
  assert_more(at(on, 30, "tumour.MDSCa"), at(&off, 30, "tumour.MDSCa"), 0.5, "activated MDSC at day 30 with vs without row 5");
  assert_more(at(&off, 30, "tumour.MDSC"), at(on, 30, "tumour.MDSC"), 0.05, "resting MDSC accumulate without row 5");
  assert_more(final(on, "tumour_burden"), final(&off, "tumour_burden"), 0.1, "tumour burden with vs without row 5");
  run_free(&off);
}

/* Rows 8, 8b: without exosomal PD-L1 more effective (functional) CD8, fewer dysfunctional ones and
 * less tumour; without row 8b alone more primed effectors survive in the draining node. */
static void test_rows_8_8b_pdl1(void **state) {
  (void)state;
  static const char *const p[] = {"tex_pdl1_exhaustion_cd8", "tex_pdl1_priming_block_tdln", NULL};
  char buf[MAX_SETS][96];
  run off;
  run_builtin(&off, "default", offs(p, buf));
  const run *on = get_base();
  assert_more(at(&off, 30, "tumour.CD8"), at(on, 30, "tumour.CD8"), 0.1, "functional CD8 at day 30 without PD-L1");
  double fon = at(on, 30, "tumour.CD8x") / (at(on, 30, "tumour.CD8") + at(on, 30, "tumour.CD8x"));
  double foff = at(&off, 30, "tumour.CD8x") / (at(&off, 30, "tumour.CD8") + at(&off, 30, "tumour.CD8x"));
  assert_more(fon, foff, 0.05, "dysfunctional share of CD8 with vs without PD-L1");
  assert_more(at(&off, 100, "cd8_kill_per_day") / at(&off, 100, "tumour.T"), at(on, 100, "cd8_kill_per_day") / at(on, 100, "tumour.T"),
              0.1, "CD8 killing per tumour cell at day 100 without PD-L1");
  assert_more(final(on, "tumour_burden"), final(&off, "tumour_burden"), 0.5, "tumour burden with vs without exosomal PD-L1");
  /* row 8b alone */
  static const char *const q[] = {"tex_pdl1_priming_block_tdln", NULL};
  run off8b;
  run_builtin(&off8b, "default", offs(q, buf));
  assert_more(at(&off8b, 30, "tdln.CD8"), at(on, 30, "tdln.CD8"), 0.01, "effector CD8 in the node at day 30 without row 8b");
  /* effectors in the node per effector primed per day: the share that row 8b aborts */
  assert_more(at(&off8b, 300, "tdln.CD8") / primed(&off8b, 300), at(on, 300, "tdln.CD8") / primed(on, 300), 0.01,
              "effector CD8 in the node per primed cell at day 300 without row 8b");
  assert_more(final(on, "tumour_burden"), final(&off8b, "tumour_burden"), 0.05, "tumour burden with vs without row 8b");
  run_free(&off8b);
  run_free(&off);
}

/* Rows 15-17: without Dex (no Dex secretion) there is no Dex-driven priming, fewer effectors are
 * primed and the tumour is larger; switching off only the three Dex priming routes does the same. */
static void test_rows_15_17_dex(void **state) {
  (void)state;
  static const char *const routes[] = {"flux_priming_dex_direct", "flux_priming_dex_mature", "flux_priming_dex_crossdress"};
  static const char *const p[] = {"dex_secretion_mdc", NULL};
  char buf[MAX_SETS][96];
  run off;
  run_builtin(&off, "default", offs(p, buf));
  const run *on = get_base();
  for (int k = 0; k < 3; k++) {
    double von = at(on, 30, routes[k]), voff = at(&off, 30, routes[k]);
    if (!(von > 0 && voff <= 1e-9 * von)) fail_msg("%s at day 30: %g with Dex, %g without", routes[k], von, voff);
  }
  /* mature Dex are the 50-100x more potent ones (row 16) */
  assert_more(at(on, 30, "flux_priming_dex_mature"), at(on, 30, "flux_priming_dex_direct"), 10, "mature vs direct Dex priming");
  assert_more(at(on, 30, "tdln.CD8"), at(&off, 30, "tdln.CD8"), 0.02, "effector CD8 in the node with vs without Dex");
  assert_more(final(&off, "tumour_burden"), final(on, "tumour_burden"), 0.1, "tumour burden without vs with Dex");
  static const char *const q[] = {"priming_dex_direct", "priming_dex_mature", "priming_dex_crossdress", NULL};
  run noprime;
  run_builtin(&noprime, "default", offs(q, buf));
  assert_more(at(on, 30, "tdln.CD8"), at(&noprime, 30, "tdln.CD8"), 0.02, "effector CD8 with vs without Dex priming");
  run_free(&noprime);
  run_free(&off);
}

/* Rows 25-27: without niche conditioning (BM education, integrin-directed conditioning, MIF) the
 * niches stay small and the metastatic burden is lower. */
static void test_rows_25_27_niche(void **state) {
  (void)state;
  static const char *const p[] = {"tex_met_bm_education", "tex_niche_conditioning_lung", "tex_niche_conditioning_liver",
                                  "tex_mif_niche_liver", NULL};
  char buf[MAX_SETS][96];
  run off;
  run_builtin(&off, "default", offs(p, buf));
  const run *on = get_base();
  assert_more(final(on, "niche_lung"), final(&off, "niche_lung"), 0.5, "lung niche with vs without conditioning");
  assert_more(final(on, "niche_liver"), final(&off, "niche_liver"), 0.5, "liver niche with vs without conditioning");
  assert_more(final(on, "lung.Met"), final(&off, "lung.Met"), 0.1, "lung metastases with vs without conditioning");
  assert_more(final(on, "liver.Met"), final(&off, "liver.Met"), 0.1, "liver metastases with vs without conditioning");
  /* the primary is not what changed */
  double ton = final(on, "tumour.T"), toff = final(&off, "tumour.T");
  assert_true(fabs(ton - toff) < 0.05 * ton);
  /* row 27 alone acts on the liver only */
  static const char *const q[] = {"tex_mif_niche_liver", NULL};
  run nomif;
  run_builtin(&nomif, "default", offs(q, buf));
  assert_more(final(on, "liver.Met"), final(&nomif, "liver.Met"), 0.01, "liver metastases with vs without MIF");
  assert_true(fabs(final(&nomif, "niche_lung") - final(on, "niche_lung")) < 0.02 * final(on, "niche_lung"));
  run_free(&nomif);
  run_free(&off);
}

/* TEX secretion switched off: the tumour grows less (Poggio 2019: Rab27a/nSMase2 knockouts do not
 * grow in immunocompetent hosts), and exosomal PD-L1 in plasma falls to nothing. */
static void test_tex_secretion_off(void **state) {
  (void)state;
  static const char *const p[] = {"tex_secretion_tumour", "tex_secretion_met_lung", "tex_secretion_met_liver", NULL};
  char buf[MAX_SETS][96];
  run off;
  run_builtin(&off, "default", offs(p, buf));
  const run *on = get_base();
  assert_more(final(on, "tumour.T"), 10 * final(&off, "tumour.T"), 0, "primary tumour with vs without TEX");
  assert_more(at(on, 100, "plasma_exo_pdl1"), 1e3 * at(&off, 100, "plasma_exo_pdl1"), 0, "plasma exosomal PD-L1");
  assert_true(off.stats.balance_max_rel_error < 1e-6);
  run_free(&off);
}

/* The immunodeficient host (no T cells) grows a larger tumour; its T-cell pools stay empty. */
static void test_immunodeficient_host(void **state) {
  (void)state;
  static const char *const s[] = {"host=immunodeficient", NULL};
  run id;
  run_builtin(&id, "default", s);
  const run *on = get_base();
  assert_more(final(&id, "tumour_burden"), final(on, "tumour_burden"), 1, "tumour burden immunodeficient vs immunocompetent");
  assert_more(at(&id, 100, "tumour.T"), at(on, 100, "tumour.T"), 0.2, "primary tumour at day 100");
  const char *tcells[] = {"tdln.N8", "tdln.CD8", "blood.CD8", "tumour.CD8", "tumour.CD8x", "tumour.CD4", "tumour.Treg"};
  for (size_t k = 0; k < sizeof tcells / sizeof *tcells; k++)
    if (!(fabs(final(&id, tcells[k])) < 1e-3)) fail_msg("%s = %g in the immunodeficient host", tcells[k], final(&id, tcells[k]));
  assert_true(final(&id, "tumour.NK") > 1e6); /* NK cells remain */
  assert_true(id.stats.balance_max_rel_error < 1e-6 && id.stats.most_negative > -1e-6);
  run_free(&id);
}

/* Every process of the model can be switched off on its own and the run still completes. */
static void test_every_process_switch(void **state) {
  (void)state;
  exo_model *m = NULL;
  load_builtin("default", &m);
  int n = m->nproc;
  assert_true(n > 100);
  for (int i = 0; i < n; i++) {
    char set[160];
    snprintf(set, sizeof set, "mech.%s=off", m->procs[i].name);
    const char *s[] = {set, NULL};
    run r;
    run_builtin(&r, "default", s);
    assert_int_equal(r.rec.nrow, 366);
    if (!(r.stats.balance_max_rel_error < 1e-5)) fail_msg("%s: vesicle balance %g", set, r.stats.balance_max_rel_error);
    run_free(&r);
  }
  exo_model_free(m);
}

/* The mouse parameter set: a 1e6-cell graft that grows, faster without T cells, rejected without
 * TEX; same structure as the default; bookkeeping closes. */
static void test_mouse(void **state) {
  (void)state;
  exo_model *d = NULL;
  load_builtin("default", &d);
  run r;
  run_builtin(&r, "mouse", NULL);
  assert_int_equal(exo_systemic_column_count(r.m), exo_systemic_column_count(d));
  assert_int_equal(r.rec.nrow, 61);
  assert_true(fabs(at(&r, 0, "tumour.T") - 1e6) < 1);
  assert_more(at(&r, 20, "tumour.T"), 10 * at(&r, 0, "tumour.T"), 0, "the graft grows");
  assert_true(r.stats.balance_max_rel_error < 1e-6);
  assert_true(r.stats.most_negative == 0);
  static const char *const s[] = {"host=immunodeficient", NULL};
  run id;
  run_builtin(&id, "mouse", s);
  assert_more(at(&id, 30, "tumour.T"), at(&r, 30, "tumour.T"), 1, "graft at day 30, nude vs immunocompetent");
  static const char *const t[] = {"mech.tex_secretion_tumour=off", "mech.tex_secretion_met_lung=off",
                                  "mech.tex_secretion_met_liver=off", NULL};
  run notex;
  run_builtin(&notex, "mouse", t);
  assert_more(at(&r, 40, "tumour.T"), 100 * at(&notex, 40, "tumour.T"), 0, "graft at day 40 with vs without TEX");
  run_free(&notex);
  run_free(&id);
  run_free(&r);
  exo_model_free(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_default_untreated),     cmocka_unit_test(test_default_round_trip),
      cmocka_unit_test(test_rows_1_2_3c_fasl_trail), cmocka_unit_test(test_row_3_nkg2d),
      cmocka_unit_test(test_row_4_treg),            cmocka_unit_test(test_row_5_hsp72_mdsc),
      cmocka_unit_test(test_rows_8_8b_pdl1),        cmocka_unit_test(test_rows_15_17_dex),
      cmocka_unit_test(test_rows_25_27_niche),      cmocka_unit_test(test_tex_secretion_off),
      cmocka_unit_test(test_immunodeficient_host),  cmocka_unit_test(test_every_process_switch),
      cmocka_unit_test(test_mouse),
  };
  return cmocka_run_group_tests(tests, NULL, teardown_group);
}
