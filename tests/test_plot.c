/* Plots of treatment arms (exo_plot_arms): the Kuznetsov 1994 example run with two tumour growth
 * rates, the default exosome-immune model (many species: a grid of panels; its cargo_exposure
 * figure of outputs), the figures of outputs (`figure:`) of a small model, awkward recorders (one
 * time point, zeros, NaN, missing columns, twelve arms), stale plots removed, and an output
 * directory that cannot be created. Set EXO_PLOT_KEEP=1 to keep the files and print where. */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "exosim/model.h"
#include "exosim/report.h"
#include "exosim/systemic.h"
#include "model/model.h"

#define DAY 1440.0

typedef struct run {
  exo_model *m;
  exo_recorder rec;
  const char **names;
  double *factors;
  exo_solver_stats stats;
} run;

/* Runs a model (YAML text) as `exosim run` records it: column names and unit factors set. */
static void run_text(run *r, const char *text, const char *name, const char *const *sets, double end_days) {
  exo_error err = {0};
  assert_non_null(text);
  if (exo_model_load_string(text, strlen(text), name, &r->m, &err)) fail_msg("load: %s", err.msg);
  for (; sets && *sets; sets++)
    if (exo_model_set(r->m, *sets, &err)) fail_msg("set %s: %s", *sets, err.msg);
  size_t ncol = exo_systemic_column_count(r->m);
  r->names = malloc(ncol * sizeof *r->names);
  r->factors = malloc(ncol * sizeof *r->factors);
  assert_non_null(r->names);
  assert_non_null(r->factors);
  for (size_t i = 0; i < ncol; i++) {
    r->names[i] = exo_systemic_column_name(r->m, i);
    r->factors[i] = exo_systemic_column_unit_factor(r->m, i);
  }
  exo_recorder_init(&r->rec, ncol, r->names);
  r->rec.unit_factor = r->factors;
  exo_run_settings s = {.end_time = end_days * DAY};
  memset(&r->stats, 0, sizeof r->stats);
  if (exo_systemic_run(r->m, &s, &r->rec, &r->stats, &err)) fail_msg("run: %s", err.msg);
}

/* Runs a built-in model as `exosim run` records it. */
static void run_builtin(run *r, const char *name, const char *const *sets, double end_days) {
  run_text(r, exo_builtin_model_text(name, NULL), name, sets, end_days);
}

static void run_free(run *r) {
  exo_recorder_free(&r->rec);
  exo_solver_stats_free(&r->stats);
  exo_model_free(r->m);
  free(r->names);
  free(r->factors);
}

static void make_tmpdir(char *dir, size_t n) {
  snprintf(dir, n, "/tmp/exosim_plot_XXXXXX");
  assert_non_null(mkdtemp(dir));
}

static void remove_tmpdir(const char *dir) {
  if (getenv("EXO_PLOT_KEEP")) {
    fprintf(stderr, "plots kept in %s/plots\n", dir);
    return;
  }
  char path[512];
  snprintf(path, sizeof path, "%s/plots", dir);
  DIR *dp = opendir(path);
  for (struct dirent *e; dp && (e = readdir(dp));) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char file[1024];
    snprintf(file, sizeof file, "%s/%s", path, e->d_name);
    unlink(file);
  }
  if (dp) closedir(dp);
  rmdir(path);
  assert_int_equal(rmdir(dir), 0);
}

static char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  assert_non_null(buf);
  assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
  buf[n] = '\0';
  fclose(f);
  *len = (size_t)n;
  return buf;
}

static bool exists(const char *dir, const char *name, const char *ext) {
  char path[512];
  snprintf(path, sizeof path, "%s/plots/%s.%s", dir, name, ext);
  struct stat sb;
  return stat(path, &sb) == 0;
}

/* The figure is there as a PNG of the given size (0: a grid's size) over 5 KB and as an SVG with drawn paths. */
static void assert_figure(const char *dir, const char *name, unsigned width, unsigned height) {
  char path[512];
  size_t len;
  snprintf(path, sizeof path, "%s/plots/%s.png", dir, name);
  char *png = slurp(path, &len);
  if (!png) fail_msg("%s: not written", path);
  if (len <= 5000) fail_msg("%s: only %zu bytes", path, len);
  assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
  assert_memory_equal(png + 12, "IHDR", 4);
  const unsigned char *u = (const unsigned char *)png;
  unsigned w = (unsigned)u[16] << 24 | (unsigned)u[17] << 16 | (unsigned)u[18] << 8 | u[19];
  unsigned h = (unsigned)u[20] << 24 | (unsigned)u[21] << 16 | (unsigned)u[22] << 8 | u[23];
  if (width) { /* a given size */
    assert_int_equal(w, width);
    assert_int_equal(h, height);
  } else { /* a panel grid: sized to its panels */
    assert_in_range(w, 1000, 1400);
    assert_in_range(h, 550, 1000);
  }
  assert_memory_equal(png + len - 8, "IEND", 4);
  free(png);

  snprintf(path, sizeof path, "%s/plots/%s.svg", dir, name);
  char *svg = slurp(path, &len);
  if (!svg) fail_msg("%s: not written", path);
  assert_non_null(strstr(svg, "<svg"));
  assert_non_null(strstr(svg, "</svg>"));
  int npath = 0;
  for (const char *p = svg; (p = strstr(p, "<path")); p++) npath++;
  if (npath < 20) fail_msg("%s: only %d <path> elements", path, npath);
  free(svg);
  /* nothing left behind */
  snprintf(path, sizeof path, "%s/plots/%s.png.tmp", dir, name);
  assert_int_not_equal(access(path, F_OK), 0);
  snprintf(path, sizeof path, "%s/plots/%s.svg.tmp", dir, name);
  assert_int_not_equal(access(path, F_OK), 0);
}

/* Kuznetsov 1994 at two tumour growth rates: tumour burden and the effector cells; the model has
 * no vesicle pools, so no vesicle figure (and a stale one from before is removed). */
static void test_kuznetsov_two_arms(void **state) {
  (void)state;
  static const char *const fast[] = {"a=0.2/day", NULL};
  static const char *const slow[] = {"a=0.1/day", NULL};
  run r1, r2;
  run_builtin(&r1, "kuznetsov1994", fast, 0);
  run_builtin(&r2, "kuznetsov1994", slow, 0);
  static const double doses[] = {10, 20, 30, 40};
  exo_arm_result arms[] = {
      {.name = "a=0.2/day", .description = "fast growth", .rec = &r1.rec, .dose_days = NULL, .ndose = 0},
      {.name = "a=0.1/day", .description = "slow growth, four doses", .rec = &r2.rec, .dose_days = doses, .ndose = 4},
  };
  char dir[64], stale[256];
  make_tmpdir(dir, sizeof dir);
  snprintf(stale, sizeof stale, "%s/plots", dir);
  assert_int_equal(mkdir(stale, 0777), 0);
  snprintf(stale, sizeof stale, "%s/plots/vesicles.png", dir);
  FILE *f = fopen(stale, "w");
  assert_non_null(f);
  fputs("an earlier comparison's plot", f);
  fclose(f);

  exo_error err = {0};
  if (exo_plot_arms(dir, r1.m, arms, 2, &err)) fail_msg("plot: %s", err.msg);
  assert_figure(dir, "tumour_burden", 1000, 650);
  assert_figure(dir, "immune", 1000, 650);
  assert_false(exists(dir, "vesicles", "png"));
  assert_false(exists(dir, "vesicles", "svg"));
  /* again into the same directory: replaced, not appended to */
  if (exo_plot_arms(dir, r1.m, arms, 2, &err)) fail_msg("plot again: %s", err.msg);
  assert_figure(dir, "tumour_burden", 1000, 650);
  remove_tmpdir(dir);
  run_free(&r1);
  run_free(&r2);
}

/* The default model: 15 non-tumour cell species (the 12 most abundant in a grid), 3 vesicle pools. */
static void test_default_model(void **state) {
  (void)state;
  static const char *const off[] = {"mech.tex_pdl1_exhaustion_cd8=off", NULL};
  run r1, r2;
  run_builtin(&r1, "default", NULL, 120);
  run_builtin(&r2, "default", off, 120);
  static const double doses[] = {14, 28, 42, 56};
  exo_arm_result arms[] = {
      {.name = "control", .rec = &r1.rec},
      {.name = "no_tex_pdl1", .description = "exosomal PD-L1 off", .rec = &r2.rec, .dose_days = doses, .ndose = 4},
  };
  char dir[64];
  make_tmpdir(dir, sizeof dir);
  exo_error err = {0};
  if (exo_plot_arms(dir, r1.m, arms, 2, &err)) fail_msg("plot: %s", err.msg);
  assert_figure(dir, "tumour_burden", 1000, 650);
  assert_figure(dir, "immune", 0, 0);
  assert_figure(dir, "vesicles", 0, 0);
  assert_figure(dir, "cargo_exposure", 0, 0); /* the outputs marked figure: cargo_exposure */
  remove_tmpdir(dir);
  run_free(&r1);
  run_free(&r2);
}

/* Kuznetsov 1994 with outputs in figures: "cargo" (two panels: one positive throughout, on a log
 * axis, one that is zero, on a linear axis), "other" (one panel) and "many" (13 outputs: 12
 * panels and a note), and one output in none. */
static const char figure_model[] =
    "exosim: 1\n"
    "name: figures\n"
    "simulation: {end: 60 days, output_every: 1 day}\n"
    "compartments: {spleen: 1 mL}\n"
    "populations:\n"
    "  E: {compartment: spleen, initial: 3.2e5 cells}\n"
    "  T: {compartment: spleen, initial: 5e6 cells, role: tumour}\n"
    "parameters: {s: 1.3e4 cells/day, p: 0.1245 /day, g: 2.019e7 cells, m: 3.422e-10 /(cell*day),\n"
    "             d: 0.0412 /day, a: 0.18 /day, b: 2.0e-9 /cell, n: 1.101e-7 /(cell*day)}\n"
    "outputs:\n"
    "  kill: {value: n * E * T, unit: cells/day, figure: cargo}\n"
    "  unplotted: E + T\n"
    "  effectors: {value: E, unit: cells, figure: other}\n"
    "  nothing: {value: 0 * E, figure: cargo}\n"
    "  m1: {value: E, unit: cells, figure: many}\n"
    "  m2: {value: 2 * E, figure: many}\n"
    "  m3: {value: 3 * E, figure: many}\n"
    "  m4: {value: 4 * E, figure: many}\n"
    "  m5: {value: 5 * E, figure: many}\n"
    "  m6: {value: 6 * E, figure: many}\n"
    "  m7: {value: 7 * E, figure: many}\n"
    "  m8: {value: 8 * E, figure: many}\n"
    "  m9: {value: 9 * E, figure: many}\n"
    "  m10: {value: 10 * E, figure: many}\n"
    "  m11: {value: 11 * E, figure: many}\n"
    "  m12: {value: 12 * E, figure: many}\n"
    "  m13: {value: 13 * E, figure: many}\n"
    "processes:\n"
    "  - {name: influx, kind: influx, target: E, rate: s}\n"
    "  - {name: recruitment, rate: p * E * T / (g + T), to: E}\n"
    "  - {name: inactivation, rate: m * E * T, from: E}\n"
    "  - {name: death, kind: clearance, target: E, rate: d}\n"
    "  - {name: growth, rate: a * T * (1 - b * T), to: T}\n"
    "  - {name: killing, kind: mass_action_kill, killer: E, target: T, rate: n}\n";

static void write_file(const char *dir, const char *name, const char *text) {
  char path[512];
  snprintf(path, sizeof path, "%s/plots/%s", dir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* Every distinct figure name of the outputs gets its own figure; stale files of those names are
 * replaced, other files in plots/ left alone; a figure named like a built-in one is refused. */
static void test_output_figures(void **state) {
  (void)state;
  static const char *const slow[] = {"a=0.1/day", NULL};
  run r1, r2;
  run_text(&r1, figure_model, "figures", NULL, 0);
  run_text(&r2, figure_model, "figures", slow, 0);
  static const double doses[] = {7, 14, 21, 28};
  exo_arm_result arms[] = {
      {.name = "fast", .rec = &r1.rec, .dose_days = doses, .ndose = 2},
      {.name = "slow", .rec = &r2.rec, .dose_days = doses, .ndose = 4},
  };
  char dir[64], plots[128];
  make_tmpdir(dir, sizeof dir);
  snprintf(plots, sizeof plots, "%s/plots", dir);
  assert_int_equal(mkdir(plots, 0777), 0);
  write_file(dir, "cargo.png", "an earlier comparison's plot");
  write_file(dir, "mine.png", "not a figure of this model");

  exo_error err = {0};
  if (exo_plot_arms(dir, r1.m, arms, 2, &err)) fail_msg("plot: %s", err.msg);
  assert_figure(dir, "cargo", 0, 0);         /* two panels: a grid */
  assert_figure(dir, "other", 1000, 650);    /* one panel */
  assert_figure(dir, "many", 0, 0);          /* 12 panels and a note naming the 13th */
  assert_figure(dir, "tumour_burden", 1000, 650);
  assert_false(exists(dir, "unplotted", "png"));
  size_t len;
  char path[512];
  snprintf(path, sizeof path, "%s/plots/mine.png", dir);
  char *mine = slurp(path, &len);
  assert_non_null(mine);
  assert_string_equal(mine, "not a figure of this model");
  free(mine);
  remove_tmpdir(dir);

  /* a figure named like a built-in one would overwrite it */
  exo_output *o = NULL;
  for (int i = 0; i < r1.m->noutput; i++)
    if (!strcmp(r1.m->outputs[i].name, "effectors")) o = &r1.m->outputs[i];
  assert_non_null(o);
  o->figure = "immune";
  make_tmpdir(dir, sizeof dir);
  err = (exo_error){0};
  assert_int_equal(exo_plot_arms(dir, r1.m, arms, 2, &err), EXO_ERR_MODEL);
  assert_non_null(strstr(err.msg, "effectors"));
  assert_non_null(strstr(err.msg, "immune"));
  assert_false(exists(dir, "immune", "png"));
  remove_tmpdir(dir);
  run_free(&r1);
  run_free(&r2);
}

/* Recorders made by hand: one time point, all zeros, NaN and Inf, negative values, an arm without
 * a recorder, an arm whose columns are named otherwise, an arm without names (read in engine
 * order), unit factors, and twelve arms in all. */
static void test_awkward_recorders(void **state) {
  (void)state;
  const char *text = exo_builtin_model_text("kuznetsov1994", NULL);
  exo_model *m = NULL;
  exo_error err = {0};
  if (exo_model_load_string(text, strlen(text), "kuznetsov1994", &m, &err)) fail_msg("load: %s", err.msg);
  static const char *names[] = {"spleen.E", "spleen.T", "tumour_burden"};
  static const char *other[] = {"x", "y", "z"};
  static const double factors[] = {1, 1, 1e3};
  enum { NARM = 12 };
  exo_recorder rec[NARM];
  exo_arm_result arms[NARM];
  static const double doses[] = {-5, 0, 3, NAN, 7.5, 1e9};
  char label[NARM][48];
  for (int a = 0; a < NARM; a++) {
    exo_recorder_init(&rec[a], 3, a == 6 ? other : a == 7 ? NULL : names);
    if (a == 8) rec[a].unit_factor = factors;
    int nrow = a == 1 ? 1 : 20;
    for (int i = 0; i < nrow; i++) {
      double t = (a == 1 ? 5 : i) * DAY;
      double v[3] = {1e5 * (1 + a) * exp(0.1 * i), 1e6 * exp(-0.3 * a * i), 1e6 * exp(-0.3 * a * i)};
      if (a == 2) v[0] = v[1] = v[2] = 0;
      if (a == 3 && i % 5 == 2) v[0] = NAN, v[2] = INFINITY;
      if (a == 4) v[2] = i % 2 ? -1 : 1e4;
      assert_int_equal(exo_recorder_add_row(&rec[a], t, v), EXO_OK);
    }
    snprintf(label[a], sizeof label[a], a == 11 ? "an arm with a long name #%d that is cut" : "arm %d", a);
    arms[a] = (exo_arm_result){.name = label[a], .rec = a == 5 ? NULL : &rec[a], .dose_days = doses, .ndose = a % 3 ? 6 : 0};
  }
  char dir[64];
  make_tmpdir(dir, sizeof dir);
  if (exo_plot_arms(dir, m, arms, NARM, &err)) fail_msg("plot: %s", err.msg);
  assert_figure(dir, "tumour_burden", 1000, 650);
  assert_figure(dir, "immune", 1000, 650);
  char dir2[64];
  make_tmpdir(dir2, sizeof dir2);
  /* one arm, one time point, all zero */
  exo_recorder one;
  exo_recorder_init(&one, 3, names);
  double zero[3] = {0, 0, 0};
  assert_int_equal(exo_recorder_add_row(&one, 0, zero), EXO_OK);
  exo_arm_result single = {.name = "only", .rec = &one};
  if (exo_plot_arms(dir2, m, &single, 1, &err)) fail_msg("plot one point: %s", err.msg);
  assert_true(exists(dir2, "tumour_burden", "png"));
  assert_true(exists(dir2, "immune", "svg"));
  char dir3[64];
  make_tmpdir(dir3, sizeof dir3);
  /* no tumour_burden anywhere: that figure is skipped, not an error */
  exo_arm_result missing = {.name = "renamed", .rec = &rec[6]};
  if (exo_plot_arms(dir3, m, &missing, 1, &err)) fail_msg("plot missing columns: %s", err.msg);
  assert_false(exists(dir3, "tumour_burden", "png"));
  assert_false(exists(dir3, "immune", "png"));
  /* no arms at all */
  assert_int_equal(exo_plot_arms(dir3, m, NULL, 0, &err), EXO_OK);
  remove_tmpdir(dir3);
  remove_tmpdir(dir2);
  remove_tmpdir(dir);
  exo_recorder_free(&one);
  for (int a = 0; a < NARM; a++) exo_recorder_free(&rec[a]);
  exo_model_free(m);
}

/* A directory that cannot be created (its parent is a file) is an I/O error naming it. */
static void test_unwritable_directory(void **state) {
  (void)state;
  const char *text = exo_builtin_model_text("kuznetsov1994", NULL);
  exo_model *m = NULL;
  exo_error err = {0};
  if (exo_model_load_string(text, strlen(text), "kuznetsov1994", &m, &err)) fail_msg("load: %s", err.msg);
  static const char *names[] = {"spleen.E", "spleen.T", "tumour_burden"};
  exo_recorder rec;
  exo_recorder_init(&rec, 3, names);
  double v[3] = {1, 2, 2};
  exo_recorder_add_row(&rec, 0, v);
  exo_recorder_add_row(&rec, DAY, v);
  exo_arm_result arm = {.name = "a", .rec = &rec};

  char file[] = "/tmp/exosim_plot_file_XXXXXX";
  int fd = mkstemp(file);
  assert_true(fd >= 0);
  close(fd);
  char dir[128];
  snprintf(dir, sizeof dir, "%s/out", file);
  assert_int_equal(exo_plot_arms(dir, m, &arm, 1, &err), EXO_ERR_IO);
  assert_non_null(strstr(err.msg, "cannot create the plot directory"));
  assert_non_null(strstr(err.msg, file));
  /* DIR/plots exists but is a file */
  char pdir[64], plots[128];
  make_tmpdir(pdir, sizeof pdir);
  snprintf(plots, sizeof plots, "%s/plots", pdir);
  FILE *f = fopen(plots, "w");
  assert_non_null(f);
  fclose(f);
  err = (exo_error){0};
  assert_int_equal(exo_plot_arms(pdir, m, &arm, 1, &err), EXO_ERR_IO);
  assert_non_null(strstr(err.msg, "plots"));
  unlink(plots);
  assert_int_equal(rmdir(pdir), 0);
  /* an empty name */
  assert_int_equal(exo_plot_arms("", m, &arm, 1, &err), EXO_ERR_IO);
  unlink(file);
  exo_recorder_free(&rec);
  exo_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_kuznetsov_two_arms),
      cmocka_unit_test(test_default_model),
      cmocka_unit_test(test_output_figures),
      cmocka_unit_test(test_awkward_recorders),
      cmocka_unit_test(test_unwritable_directory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
