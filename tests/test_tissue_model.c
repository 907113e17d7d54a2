/* The 'tissue' section of a model file: every key read into exo_tissue_spec in internal units,
 * defaults filled, parameters kept as references, rules from the file and from a rules_file,
 * inheritance through 'extends', and failed allocations ending in EXO_ERR_NOMEM. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/fault.h"
#include "exosim/model.h"
#include "model/model.h"
#include "model/tissue_spec.h"

#define DATA_DIR EXO_SOURCE_DIR "/tests/data"

static const char *systemic =
    "name: tissue test\n"
    "compartments: {tumour: 1 mL, blood: 5 L, tdln: 0.1 mL}\n"
    "populations:\n"
    "  T: {compartment: tumour, initial: 1e6 cells, role: tumour}\n"
    "  CD8: {compartments: [tumour, blood], initial: {tumour: 10 cells, blood: 1e3 cells}}\n"
    "vesicles:\n"
    "  MV: {compartment: blood, initial: 0 vesicles}\n"
    "  TEX: {compartments: [tumour, tdln], initial: 0 vesicles}\n"
    "parameters:\n"
    "  r_div: 0.001 /min\n"
    "  k_att: 0.5 /min\n"
    "processes:\n"
    "  - {name: grow, kind: growth, target: T, rate: 0.1 /day}\n";

/* RULES_FILE is spliced in: relative for the model loaded as if from tests/data, absolute for
 * the copy written elsewhere */
#define TISSUE(RULES_FILE)                                                                                      \
  "tissue:\n"                                                                                                  \
  "  domain: {lo: [-500 um, -500 um, -200 um], hi: [500 um, 500 um, 200 um]}\n"                                \
  "  time_steps: {diffusion: 0.6 s, mechanics: 0.1 min, phenotype: 6 min}\n"                                   \
  "  snapshots: 1 h\n"                                                                                         \
  "  max_cells: 100000\n"                                                                                      \
  "  fields:\n"                                                                                                \
  "    TEX_PDL1: {cargo_of: TEX}\n"                                                                            \
  "    oxygen: {diffusion: 1e5 um^2/min, decay: 0.1 /min, initial: 38 /um^3, boundary: 38 /um^3}\n"            \
  "    factor: {diffusion: 1000 um^2/min, decay: 0.016 /min, boundary: {xlo: 1 nM, zhi: no-flux}}\n"           \
  "    TEX: {vesicle: TEX, diffusion: 1.5e3 um^2/min, decay: 1e-3 /min, drain_to: tdln.TEX, drain_scale: 1e4,\n" \
  "          boundary: {xlo: 0 /um^3, xhi: 0 /um^3}}\n"                                                          \
  "  variables:\n"                                                                                             \
  "    oncoprotein: {mean: 1, sd: 0.25}\n"                                                                     \
  "  cargo:\n"                                                                                                 \
  "    pdl1_received: {field: TEX_PDL1, per_unit: 2, decay: 0.01 /min}\n"                                      \
  "  cell_types:\n"                                                                                            \
  "    tumour:\n"                                                                                              \
  "      population: tumour.T\n"                                                                               \
  "      volume: 2494 um^3\n"                                                                                  \
  "      cycle_entry: r_div\n"                                                                                 \
  "      secretion: {TEX: 0.1 /min, factor: 1 /h}\n"                                                           \
  "      secretion_target: {factor: 1 /um^3}\n"                                                                \
  "      uptake: {oxygen: 10 /min}\n"                                                                          \
  "      immunogenicity: {variable: oncoprotein, threshold: 0.5, saturation: 2}\n"                             \
  "      initial: {count: 1000, placement: sphere, radius: 150 um}\n"                                          \
  "    cd8:\n"                                                                                                 \
  "      volume: 500 um^3\n"                                                                                   \
  "      apoptosis_duration: 1 h\n"                                                                            \
  "      speed: 4 um/min\n"                                                                                    \
  "      persistence: 5 min\n"                                                                                 \
  "      bias: 0.5\n"                                                                                          \
  "      chemotaxis: {factor: 1}\n"                                                                            \
  "      uptake: {TEX: 0.05 /min}\n"                                                                           \
  "      attack: {tumour: 0.0667 /min}\n"                                                                      \
  "      attach_rate: k_att\n"                                                                                 \
  "      attach_distance: 18 um\n"                                                                             \
  "      initial: {count: 50, placement: shell, radius: 200 um, inner_radius: 150 um, center: [0 um, 0 um, 0 um]}\n" \
  "      recruit: {from: blood.CD8, rate: 1e-9 /min}\n"                                                        \
  "  rules:\n"                                                                                                 \
  "    - \"tumour, oxygen, decreases, necrosis, 0, 3.75, 8, 0\"\n"                                             \
  "    - [cd8, pdl1_received, decreases, attack tumour, 0, 50, 2, 0]\n"                                        \
  "  rules_file: " RULES_FILE "\n"

static char *model_text(const char *tissue) {
  size_t n = strlen(systemic) + strlen(tissue) + 1;
  char *t = malloc(n);
  assert_non_null(t);
  snprintf(t, n, "%s%s", systemic, tissue);
  return t;
}

static exo_model *load_as(const char *text, const char *name) {
  exo_model *m = NULL;
  exo_error err = {0};
  if (exo_model_load_string(text, strlen(text), name, &m, &err)) fail_msg("%s", err.msg);
  return m;
}

/* line and column (1-based) of the first occurrence of needle in text */
static void where(const char *text, const char *needle, int *line, int *col) {
  const char *p = strstr(text, needle);
  assert_non_null(p);
  *line = 1;
  *col = 1;
  for (const char *q = text; q < p; q++) {
    if (*q == '\n') (*line)++, *col = 1;
    else (*col)++;
  }
}

static bool near(double a, double b) { return fabs(a - b) <= 1e-12 * fmax(fabs(a), fabs(b)); }

static void test_full_section(void **state) {
  (void)state;
  char *text = model_text(TISSUE("cell_rules.csv"));
  exo_model *m = load_as(text, DATA_DIR "/tissue_test.yaml");
  const exo_tissue_spec *ts = m->tissue;
  assert_non_null(ts);

  /* domain and time */
  assert_int_equal(ts->grid.dims, 3);
  assert_true(ts->grid.lo[2] == -200 && ts->grid.hi[0] == 500);
  assert_true(ts->grid.dx == 20); /* default */
  assert_true(near(ts->dt_diffusion, 0.01)); /* 0.6 s */
  assert_true(near(ts->dt_mechanics, 0.1) && near(ts->dt_phenotype, 6));
  assert_true(near(ts->sort_every, 6)); /* default: the phenotype step */
  assert_true(near(ts->snapshot_every, 60));
  assert_int_equal(ts->max_cells, 100000);

  /* fields, in file order */
  assert_int_equal(ts->nfields, 4);
  const exo_tissue_field *pdl1 = &ts->fields[0], *o2 = &ts->fields[1], *factor = &ts->fields[2], *tex = &ts->fields[3];
  assert_string_equal(pdl1->spec.name, "TEX_PDL1");
  assert_true(near(o2->spec.diffusion, 1e5) && near(o2->spec.decay, 0.1) && near(o2->spec.initial, 38));
  for (int f = 0; f < EXO_FACE_COUNT; f++) assert_true(o2->spec.bc[f].kind == EXO_BC_DIRICHLET && near(o2->spec.bc[f].value, 38));
  assert_int_equal(o2->vesicle_class, -1);
  assert_int_equal(o2->cargo_of, -1);
  assert_int_equal(o2->drain_to, -1);
  assert_true(factor->spec.bc[EXO_FACE_XLO].kind == EXO_BC_DIRICHLET);
  assert_true(near(factor->spec.bc[EXO_FACE_XLO].value, 1e-9 * 6.02214076e23 / 1e15)); /* 1 nM in molecules/um^3 */
  assert_true(factor->spec.bc[EXO_FACE_XHI].kind == EXO_BC_NOFLUX && factor->spec.bc[EXO_FACE_ZHI].kind == EXO_BC_NOFLUX);
  assert_true(factor->spec.initial == 0);
  /* vesicle_class: TEX is the second vesicle species of the model (after MV) */
  assert_int_equal(tex->vesicle_class, 1);
  assert_int_equal(tex->drain_to, exo_model_find_state(m, "tdln.TEX"));
  assert_true(tex->drain_scale.param < 0 && tex->drain_scale.value == 1e4);
  assert_int_equal(tex->spec.ncargo, 1);
  assert_int_equal(tex->spec.cargo[0], 0);
  /* the cargo field copies diffusion, decay and boundary kinds from its vesicle field */
  assert_int_equal(pdl1->cargo_of, 3);
  assert_int_equal(pdl1->vesicle_class, -1);
  assert_true(near(pdl1->spec.diffusion, 1.5e3) && near(pdl1->spec.decay, 1e-3));
  for (int f = 0; f < EXO_FACE_COUNT; f++) assert_int_equal(pdl1->spec.bc[f].kind, tex->spec.bc[f].kind);
  assert_true(pdl1->spec.bc[EXO_FACE_XLO].kind == EXO_BC_DIRICHLET && pdl1->spec.bc[EXO_FACE_YLO].kind == EXO_BC_NOFLUX);
  assert_true(o2->drain_scale.param < 0 && o2->drain_scale.value == 1);

  /* variables and cargo */
  assert_int_equal(ts->nvariables, 1);
  assert_true(ts->variables[0].mean == 1 && ts->variables[0].sd == 0.25);
  assert_int_equal(ts->ncargo, 1);
  assert_string_equal(ts->cargo[0].name, "pdl1_received");
  assert_int_equal(ts->cargo[0].field, 0);
  assert_true(ts->cargo[0].per_unit.value == 2 && ts->cargo[0].per_unit.param < 0);
  assert_true(ts->cargo[0].decay.param < 0 && near(ts->cargo[0].decay.value, 0.01));

  /* cell types */
  assert_int_equal(ts->ntypes, 2);
  const exo_cell_type *tu = &ts->types[0], *cd8 = &ts->types[1];
  int nf = ts->nfields;
  assert_string_equal(tu->name, "tumour");
  assert_int_equal(tu->population, exo_model_find_state(m, "tumour.T"));
  assert_true(tu->tumour); /* from the population's role */
  assert_false(cd8->tumour);
  assert_int_equal(cd8->population, -1);
  assert_true(near(tu->volume, 2494));
  /* PhysiCell's defaults */
  assert_true(near(tu->volume_rate, 0.0045) && near(tu->adhesion_distance, 1.25));
  assert_true(near(tu->apoptosis_duration, 516) && near(tu->necrosis_duration, 1440));
  assert_true(near(cd8->apoptosis_duration, 60));
  assert_true(tu->base[EXO_BEH_PERSISTENCE].param < 0 && near(tu->base[EXO_BEH_PERSISTENCE].value, 1));
  assert_true(near(tu->base[EXO_BEH_ADHESION].value, 0.4) && near(tu->base[EXO_BEH_REPULSION].value, 10));
  assert_true(tu->base[EXO_BEH_SPEED].param < 0 && tu->base[EXO_BEH_SPEED].value == 0);
  /* a parameter-valued behaviour keeps the parameter */
  int r_div = exo_model_find_param(m, "r_div");
  assert_int_equal(tu->base[EXO_BEH_CYCLE_ENTRY].param, r_div);
  assert_true(tu->base[EXO_BEH_CYCLE_ENTRY].scale == 1);
  assert_int_equal(cd8->base[EXO_BEH_ATTACH_RATE].param, exo_model_find_param(m, "k_att"));
  /* per-field and per-type slots */
  assert_true(near(tu->base[exo_beh_secretion(3)].value, 0.1));
  assert_true(near(tu->base[exo_beh_secretion(2)].value, 1.0 / 60));
  assert_true(near(tu->base[exo_beh_target(2)].value, 1));
  assert_true(near(tu->base[exo_beh_uptake(1)].value, 10));
  assert_true(tu->base[exo_beh_uptake(3)].value == 0);
  assert_true(near(cd8->base[EXO_BEH_SPEED].value, 4) && near(cd8->base[EXO_BEH_PERSISTENCE].value, 5));
  assert_true(near(cd8->base[EXO_BEH_BIAS].value, 0.5));
  assert_true(near(cd8->base[exo_beh_chemotaxis(2)].value, 1));
  assert_true(near(cd8->base[exo_beh_attack(nf, 0)].value, 0.0667));
  assert_true(cd8->base[exo_beh_attack(nf, 1)].value == 0 && cd8->base[exo_beh_transform(nf, 0)].value == 0);
  assert_true(near(cd8->attach_distance, 18) && tu->attach_distance == 0);
  for (int s = 0; s < exo_beh_count(nf, ts->ntypes); s++) assert_true(cd8->base[s].param >= -1 && isfinite(cd8->base[s].value));
  assert_int_equal(tu->immunogenicity_variable, 0);
  assert_true(tu->immunogenicity_threshold == 0.5 && tu->immunogenicity_saturation == 2);
  assert_int_equal(cd8->immunogenicity_variable, -1);
  /* placement */
  assert_int_equal(tu->placement, EXO_PLACE_SPHERE);
  assert_int_equal(tu->initial_count, 1000);
  assert_true(near(tu->r_outer, 150) && tu->r_inner == 0);
  assert_int_equal(cd8->placement, EXO_PLACE_SHELL);
  assert_true(near(cd8->r_inner, 150) && near(cd8->r_outer, 200));
  assert_int_equal(cd8->recruit_from, exo_model_find_state(m, "blood.CD8"));
  assert_true(near(cd8->recruit.value, 1e-9));
  assert_int_equal(tu->recruit_from, -1);

  /* rules: two from the file, then three from tests/data/cell_rules.csv */
  assert_int_equal(ts->nrules, 5);
  const exo_rule *r = ts->rules;
  assert_int_equal(r[0].cell_type, 0);
  assert_int_equal(r[0].signal, EXO_SIG_FIELD);
  assert_int_equal(r[0].signal_index, 1);
  assert_false(r[0].increases);
  assert_int_equal(r[0].behaviour, EXO_BEH_NECROSIS);
  assert_true(r[0].half_max == 3.75 && r[0].hill == 8);
  int line, col;
  where(text, "\"tumour, oxygen", &line, &col);
  assert_int_equal(r[0].pos.line, line);
  assert_int_equal(r[0].pos.col, col + 1); /* inside the quotes */
  assert_int_equal(r[1].cell_type, 1);
  assert_int_equal(r[1].signal, EXO_SIG_CARGO);
  assert_int_equal(r[1].behaviour, exo_beh_attack(nf, 0));
  where(text, "[cd8, pdl1", &line, &col);
  assert_int_equal(r[1].pos.line, line);
  assert_int_equal(r[1].pos.col, col + 1);
  assert_int_equal(r[2].behaviour, EXO_BEH_CYCLE_ENTRY);
  assert_int_equal(r[2].signal, EXO_SIG_PRESSURE);
  assert_int_equal(r[2].pos.line, 2);
  assert_non_null(strstr(r[2].file, "tests/data/cell_rules.csv"));
  assert_int_equal(r[3].signal, EXO_SIG_CONTACT_TYPE);
  assert_int_equal(r[3].signal_index, 0);
  assert_int_equal(r[4].signal, EXO_SIG_VARIABLE);
  assert_int_equal(r[4].pos.line, 5);
  assert_non_null(strstr(ts->rules_file, "cell_rules.csv"));

  /* --set reaches the tissue through the parameter */
  exo_error err = {0};
  assert_int_equal(exo_model_set(m, "r_div=0.003/min", &err), EXO_OK);
  double *params = malloc((size_t)m->nparam * sizeof *params);
  assert_non_null(params);
  for (int i = 0; i < m->nparam; i++) params[i] = m->params[i].value;
  assert_true(near(exo_tvalue_get(tu->base[EXO_BEH_CYCLE_ENTRY], params), 0.003));
  free(params);
  exo_model_free(m);
  free(text);
}

/* Defaults of a minimal section, and a model without one. */
static void test_defaults(void **state) {
  (void)state;
  exo_model *m = load_as(systemic, "m.yaml");
  assert_null(m->tissue);
  exo_model_free(m);
  char *text = model_text("tissue:\n  domain: {lo: [0 um, 0 um], hi: [100 um, 40 um], dx: 10 um}\n"
                          "  fields: {f: {diffusion: 1 um^2/min}}\n"
                          "  cell_types: {a: {volume: 1000 um^3}}\n");
  m = load_as(text, "m.yaml");
  const exo_tissue_spec *ts = m->tissue;
  assert_non_null(ts);
  assert_int_equal(ts->grid.dims, 2);
  assert_true(ts->dt_diffusion == 0.01 && ts->dt_mechanics == 0.1 && ts->dt_phenotype == 6);
  assert_true(ts->snapshot_every == 0 && ts->sort_every == 6);
  assert_int_equal(ts->max_cells, 5000000);
  assert_true(ts->fields[0].spec.decay == 0 && ts->fields[0].spec.ncargo == 0);
  for (int f = 0; f < EXO_FACE_COUNT; f++) assert_int_equal(ts->fields[0].spec.bc[f].kind, EXO_BC_NOFLUX);
  assert_int_equal(ts->types[0].placement, EXO_PLACE_NONE);
  assert_int_equal(ts->types[0].initial_count, 0);
  assert_int_equal(ts->nrules, 0);
  assert_null(ts->rules_file);
  exo_model_free(m);
  free(text);
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* A child without a tissue section inherits the base model's (whose parameters it may change);
 * a child with one replaces it whole. */
static void test_extends(void **state) {
  (void)state;
  char dir[] = "/tmp/exo_tissue_XXXXXX";
  assert_non_null(mkdtemp(dir));
  char base_path[256], child_path[256];
  snprintf(base_path, sizeof base_path, "%s/base.yaml", dir);
  snprintf(child_path, sizeof child_path, "%s/child.yaml", dir);
  char *text = model_text(TISSUE(DATA_DIR "/cell_rules.csv"));
  write_file(base_path, text);
  free(text);

  const char *child = "extends: base.yaml\nname: child\nparameters: {r_div: 0.002 /min}\n";
  exo_model *m = load_as(child, child_path);
  assert_non_null(m->tissue);
  assert_int_equal(m->tissue->ntypes, 2);
  assert_int_equal(m->tissue->nrules, 5);
  const exo_tvalue ce = m->tissue->types[0].base[EXO_BEH_CYCLE_ENTRY];
  assert_true(ce.param >= 0 && near(m->params[ce.param].value, 0.002));
  exo_model_free(m);

  const char *replace = "extends: base.yaml\n"
                        "tissue:\n"
                        "  domain: {lo: [0 um], hi: [200 um]}\n"
                        "  fields: {f: {diffusion: 10 um^2/min, decay: 0.1 /min}}\n"
                        "  cell_types: {b: {volume: 100 um^3, cycle_entry: r_div}}\n";
  m = load_as(replace, child_path);
  assert_non_null(m->tissue);
  assert_int_equal(m->tissue->grid.dims, 1);
  assert_int_equal(m->tissue->nfields, 1);
  assert_int_equal(m->tissue->ntypes, 1);
  assert_string_equal(m->tissue->types[0].name, "b");
  assert_int_equal(m->tissue->types[0].base[EXO_BEH_CYCLE_ENTRY].param, exo_model_find_param(m, "r_div"));
  assert_int_equal(m->tissue->nrules, 0);
  exo_model_free(m);

  /* a bad row in a rules file is reported at its line in that file */
  char csv_path[256];
  snprintf(csv_path, sizeof csv_path, "%s/bad.csv", dir);
  write_file(csv_path, "// header\ntumour,oxygen,decreases,necrosis,0,3.75,8,0\ntumour,oxygen,decreases,flying,0,1,1,0\n");
  text = model_text("tissue:\n  domain: {lo: [0 um], hi: [200 um]}\n  fields: {oxygen: {diffusion: 10 um^2/min}}\n"
                    "  cell_types: {tumour: {volume: 100 um^3}}\n  rules_file: bad.csv\n");
  exo_model *bad = NULL;
  exo_error err = {0};
  assert_int_not_equal(exo_model_load_string(text, strlen(text), child_path, &bad, &err), EXO_OK);
  assert_null(bad);
  char want[300];
  snprintf(want, sizeof want, "%s:3:", csv_path);
  if (strncmp(err.msg, want, strlen(want)) || !strstr(err.msg, "flying")) fail_msg("got: %s", err.msg);
  free(text);

  remove(csv_path);
  remove(base_path);
  rmdir(dir);
}

/* Every allocation of a tissue load may fail: each failure must end in EXO_ERR_NOMEM with a
 * message, never in a crash or a leak (the sanitizer build checks the latter). */
static void test_allocation_failures(void **state) {
  (void)state;
  char *text = model_text(TISSUE("cell_rules.csv"));
  bool completed = false;
  long n;
  for (n = 1; n < 20000 && !completed; n++) {
    exo_fault_fail_alloc_after(n);
    exo_model *m = NULL;
    exo_error err = {0};
    exo_status st = exo_model_load_string(text, strlen(text), DATA_DIR "/tissue_test.yaml", &m, &err);
    exo_fault_fail_alloc_after(0);
    if (st == EXO_OK) {
      completed = m->tissue != NULL;
      exo_model_free(m);
    } else if (st != EXO_ERR_NOMEM || !err.msg[0]) {
      fail_msg("failure at allocation %ld gave %s: %s", n, exo_status_name(st), err.msg);
    }
  }
  assert_true(completed);
  assert_true(n > 2); /* the arena allocates in blocks: a load makes few allocations */
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_full_section), cmocka_unit_test(test_defaults),
                                     cmocka_unit_test(test_extends), cmocka_unit_test(test_allocation_failures)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
