/* Loading valid models, --set overrides, built-in models. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "exosim/model.h"
#include "model/model.h"

static const char *base =
    "name: t\n"
    "compartments:\n  site: {volume: 2 mL}\n  blood: 5 L\n"
    "populations:\n"
    "  T: {compartment: site, initial: 1e6 cells, role: tumour}\n"
    "  CD8: {compartments: [site, blood], initial: {site: 10 cells, blood: 1e3 cells}}\n"
    "molecules:\n  IL2: {compartment: site, initial: 1 nM}\n"
    "parameters:\n"
    "  k_kill: {value: 1e-7 /(cell*day), source: assumed for the test, status: assumed}\n"
    "  n: 2\n"
    "outputs:\n  total_cd8: site.CD8 + blood.CD8\n  ratio: total_cd8 / T\n"
    "processes:\n"
    "  - {name: kill, rate: k_kill * site.CD8 * T, from: T}\n"
    "  - {name: traffic, kind: transfer, from: blood.CD8, to: site.CD8, rate: 0.1 /day}\n"
    "  - {name: grow, kind: growth, target: T, law: logistic, rate: 0.2 /day, capacity: 1e9 cells}\n";

static exo_model *load(const char *text) {
  exo_model *m = NULL;
  exo_error err = {0};
  if (exo_model_load_string(text, strlen(text), "m.yaml", &m, &err)) fail_msg("%s", err.msg);
  return m;
}

static void test_structure(void **state) {
  (void)state;
  exo_model *m = load(base);
  assert_int_equal(m->ncomp, 2);
  assert_int_equal(m->nstate, 4);
  assert_string_equal(m->states[0].column, "site.T");
  assert_true(m->states[0].tumour);
  assert_string_equal(m->states[1].column, "site.CD8");
  assert_string_equal(m->states[2].column, "blood.CD8");
  assert_int_equal(exo_model_find_state(m, "CD8"), -2); /* ambiguous */
  assert_int_equal(exo_model_find_state(m, "blood.CD8"), 2);
  /* 1 nM in 2 mL = 1e-9 mol/L * 2e-3 L * N_A molecules */
  assert_true(fabs(m->states[3].initial - 1e-9 * 2e-3 * 6.02214076e23) < 1e-3 * m->states[3].initial);
  assert_true(fabs(m->comps[0].volume - 2e12) < 1);
  int g = exo_model_find_param(m, "grow.capacity");
  assert_true(g >= 0);
  assert_string_equal(m->params[g].owner, "grow");
  assert_int_equal(m->noutput, 3); /* and tumour_burden */
  assert_int_equal(m->nproc, 3);
  assert_int_equal(m->procs[1].nstoich, 2);
  exo_model_free(m);
}

static void test_set(void **state) {
  (void)state;
  exo_model *m = load(base);
  exo_error err = {0};
  int k = exo_model_find_param(m, "k_kill");
  assert_int_equal(exo_model_set(m, "k_kill=0.5e-7/(cell*day)", &err), EXO_OK);
  assert_true(fabs(m->params[k].value - 0.5e-7 / 1440) < 1e-20);
  assert_int_equal(exo_model_set(m, "k_kill=1e-9 /(cell*h)", &err), EXO_OK);
  assert_true(fabs(m->params[k].value - 1e-9 / 60) < 1e-22);
  assert_int_equal(exo_model_set(m, "grow.rate=0.3/day", &err), EXO_OK);
  assert_int_equal(exo_model_set(m, "n=3", &err), EXO_OK);
  assert_int_equal(exo_model_set(m, "mech.kill=off", &err), EXO_OK);
  assert_false(m->procs[0].enabled);
  assert_int_equal(exo_model_set(m, "initial.site.T=5e5 cells", &err), EXO_OK);
  assert_true(m->states[0].initial == 5e5);
  assert_int_equal(exo_model_set(m, "initial.site.IL2=2 nM", &err), EXO_OK); /* x the 2 mL site */
  assert_true(fabs(m->states[3].initial - 2e-9 * 2e-3 * 6.02214076e23) < 1e-3 * m->states[3].initial);
  assert_int_equal(exo_model_set(m, "mech.kill=yes", &err), EXO_OK);
  assert_true(m->procs[0].enabled);
  assert_int_equal(exo_model_set(m, "mech.kill=off", &err), EXO_OK);
  assert_int_equal(exo_model_set(m, "solver.rtol=1e-9", &err), EXO_OK);
  assert_true(m->solver.rtol == 1e-9);

  static const struct {
    const char *set;
    exo_status st;
    const char *msg;
  } bad[] = {
      {"k_kil=1e-7/(cell*day)", EXO_ERR_USAGE, "unknown parameter 'k_kil' (did you mean 'k_kill'?)"},
      {"k_kill=1e-7", EXO_ERR_UNIT, "needs a unit"},
      {"k_kill=1e-7/day", EXO_ERR_UNIT, "expected 1/(count*time), got 1/time"},
      {"k_kill=-1e-7/(cell*day)", EXO_ERR_USAGE, "must not be negative"},
      {"k_kill=abc", EXO_ERR_SYNTAX, "not a number"},
      {"k_kill=1 /fortnight", EXO_ERR_SYNTAX, "unknown unit 'fortnight'"},
      {"k_kill", EXO_ERR_USAGE, "expected NAME=VALUE"},
      {"mech.kil=off", EXO_ERR_USAGE, "did you mean 'kill'"},
      {"mech.kill=maybe", EXO_ERR_USAGE, "on or off"},
      {"initial.CD8=5 cells", EXO_ERR_USAGE, "no state 'CD8'"},
      {"initial.site.T=5 /day", EXO_ERR_UNIT, "expected count or count/length^3, got 1/time"},
      {"solver.rtol=2", EXO_ERR_USAGE, "out of range"},
      {"solver.method=adams", EXO_ERR_USAGE, "solver.rtol, solver.atol and solver.rhs"},
      {"solver.rhs=jit", EXO_ERR_USAGE, "auto, native or interpreter"},
      {"n=2 cells", EXO_ERR_UNIT, "expected dimensionless, got count"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    exo_error e = {0};
    exo_status st = exo_model_set(m, bad[i].set, &e);
    if (st != bad[i].st || !strstr(e.msg, bad[i].msg))
      fail_msg("--set %s: %s '%s', want %s '%s'", bad[i].set, exo_status_name(st), e.msg, exo_status_name(bad[i].st), bad[i].msg);
  }
  exo_model_free(m);
}

static void test_examples_load(void **state) {
  (void)state;
  static const char *const files[] = {"kuznetsov1994", "kirschner_panetta1998", "depillis2005"};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char path[512];
    snprintf(path, sizeof path, "%s/models/examples/%s.yaml", EXO_SOURCE_DIR, files[i]);
    exo_model *m;
    exo_error err = {0};
    if (exo_model_load_file(path, &m, &err)) fail_msg("%s", err.msg);
    const char *canon;
    const char *text = exo_builtin_model_text(files[i], &canon);
    assert_non_null(text); /* compiled in */
    exo_model_free(m);
  }
  assert_null(exo_builtin_model_text("no_such_model", NULL));
}

static void test_missing_file(void **state) {
  (void)state;
  exo_model *m;
  exo_error err = {0};
  assert_int_equal(exo_model_load_file("/nonexistent/x.yaml", &m, &err), EXO_ERR_IO);
  assert_non_null(strstr(err.msg, "/nonexistent/x.yaml: cannot open model file"));
  assert_null(m);
}

static void test_hash_follows_text(void **state) {
  (void)state;
  exo_model *a = load(base), *b = load(base);
  assert_string_equal(exo_model_hash(a), exo_model_hash(b));
  assert_int_equal(strlen(exo_model_hash(a)), 64);
  exo_model_free(b);
  char text[4096];
  snprintf(text, sizeof text, "%s#\n", base);
  b = load(text);
  assert_string_not_equal(exo_model_hash(a), exo_model_hash(b));
  exo_model_free(a);
  exo_model_free(b);
}

static const char *hosts_model =
    "compartments: {site: 1 mL}\n"
    "populations:\n"
    "  T: {compartment: site, initial: 1e6 cells, role: tumour}\n"
    "  E: {compartment: site, initial: 1e5 cells}\n"
    "parameters: {r: 0.2 /day, k: 1e-7 /(cell*day)}\n"
    "processes:\n"
    "  - {name: grow, kind: growth, target: T, rate: r}\n"
    "  - {name: kill, kind: mass_action_kill, killer: E, target: T, rate: k}\n"
    "hosts:\n"
    "  immunocompetent: {description: as written}\n"
    "  immunodeficient:\n"
    "    description: no T cells\n"
    "    set: {mech.kill: off, initial.E: 0 cells, r: 0.25 /day}\n";

static void test_hosts(void **state) {
  (void)state;
  exo_model *m = load(hosts_model);
  exo_error err = {0};
  assert_int_equal(m->nhost, 2);
  assert_null(m->host);
  assert_true(m->procs[1].enabled); /* checked at load, applied only when chosen */
  assert_int_equal(exo_model_set(m, "host=immunodeficient", &err), EXO_OK);
  assert_string_equal(m->host, "immunodeficient");
  assert_false(m->procs[1].enabled);
  assert_true(m->states[1].initial == 0);
  assert_true(fabs(m->params[0].value - 0.25 / 1440) < 1e-15);
  assert_int_equal(exo_model_set(m, "host=nude", &err), EXO_ERR_USAGE);
  assert_non_null(strstr(err.msg, "no host 'nude' (hosts: immunocompetent, immunodeficient)"));
  exo_model_free(m);
}

/* tumour_burden: every role: tumour state, in every compartment */
static void test_tumour_burden_output(void **state) {
  (void)state;
  exo_model *m = load(base);
  int found = -1;
  for (int i = 0; i < m->noutput; i++)
    if (!strcmp(m->outputs[i].name, "tumour_burden")) found = i;
  assert_true(found >= 0);
  assert_string_equal(m->outputs[found].text, "site.T");
  exo_model_free(m);
  m = load("compartments: {a: 1 mL, b: 1 mL}\n"
           "populations: {T: {compartments: [a, b], initial: {a: 5 cells, b: 7 cells}, role: tumour}}\n"
           "processes: [{name: g, kind: growth, target: a.T, rate: 0.1 /day}]\n");
  assert_string_equal(m->outputs[m->noutput - 1].text, "a.T + b.T");
  exo_model_free(m);
}

static void test_extends(void **state) {
  (void)state;
  const char *child = "exosim: 1\nextends: kuznetsov1994\nname: variant\ncompartments: {spleen: 0.1 mL}\n"
                      "parameters: {a: 0.3 /day, b: {value: 1e-9 /cell, source: test, status: assumed}}\n"
                      "initial: {T: 1e6 cells}\nsimulation: {end: 20 days}\n";
  exo_model *m = load(child), *k = load(exo_builtin_model_text("kuznetsov1994", NULL));
  assert_string_equal(m->name, "variant");
  assert_int_equal(m->nstate, k->nstate);
  assert_int_equal(m->nproc, k->nproc);
  assert_true(fabs(m->params[exo_model_find_param(m, "a")].value - 0.3 / 1440) < 1e-15);
  assert_true(m->params[exo_model_find_param(m, "b")].value == 1e-9);
  assert_true(m->states[exo_model_find_state(m, "T")].initial == 1e6);
  assert_true(m->solver.end_time == 20 * 1440.0);
  assert_true(fabs(m->comps[0].volume - 1e11) < 1);
  assert_string_not_equal(exo_model_hash(m), exo_model_hash(k));
  exo_model_free(k);
  exo_model_free(m);
  static const struct {
    const char *text, *msg;
  } bad[] = {
      {"extends: kuznetsov1994\nparameters: {aa: 1 /day}\n", "'aa' is not a parameter of the model this one extends (did you mean 'a'?)"},
      {"extends: kuznetsov1994\nparameters: {a: 1 cells}\n", "expected 1/time, got count"},
      {"extends: kuznetsov1994\nprocesses: []\n", "unknown key 'processes' in a model that extends another"},
      {"extends: nosuch.yaml\n", "in the model it extends: nosuch.yaml: cannot open model file"},
      {"extends: kuznetsov1994\ninitial: {Q: 1 cells}\n", "unknown population, vesicle pool or molecule 'Q'"},
      {"extends: kuznetsov1994\ncompartments: {blood: 1 mL}\n", "'blood' is not a compartment of the model this one extends"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    exo_error err = {0};
    exo_model *x;
    if (exo_model_load_string(bad[i].text, strlen(bad[i].text), "x.yaml", &x, &err) == EXO_OK) fail_msg("loaded: %s", bad[i].text);
    if (!strstr(err.msg, bad[i].msg)) fail_msg("'%s' lacks '%s'", err.msg, bad[i].msg);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_structure), cmocka_unit_test(test_set), cmocka_unit_test(test_examples_load),
      cmocka_unit_test(test_missing_file), cmocka_unit_test(test_hash_follows_text),
      cmocka_unit_test(test_hosts),        cmocka_unit_test(test_tumour_burden_output),
      cmocka_unit_test(test_extends),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
