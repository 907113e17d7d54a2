/* Expressions: the compiled program and the tree walk against the same formula written in C,
 * dimension checking, and error positions. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/expr.h"

/* states x, y, z (count); parameters k (1/time), K (count), n (dimensionless) */
static const char *const names[] = {"x", "y", "z", "k", "K", "n"};

static int resolve(void *ctx, const char *name, exo_symref *out) {
  (void)ctx;
  if (!strcmp(name, "time")) {
    *out = (exo_symref){EXO_SYM_TIME, 0, exo_dim_base(EXO_DIM_TIME, 1)};
    return 1;
  }
  for (int i = 0; i < 6; i++)
    if (!strcmp(name, names[i])) {
      exo_dim d = i < 3 || i == 4 ? exo_dim_base(EXO_DIM_COUNT, 1) : i == 3 ? exo_dim_base(EXO_DIM_TIME, -1) : exo_dim_none();
      *out = (exo_symref){i < 3 ? EXO_SYM_STATE : EXO_SYM_PARAM, i < 3 ? i : i - 3, d};
      return 1;
    }
  return 0;
}

static const char *suggest(void *ctx, const char *name) {
  (void)ctx;
  return !strcmp(name, "kk") ? "k" : NULL;
}

typedef struct vals {
  double t, v[6];
} vals;

static double value_of(void *ctx, const exo_symref *s) {
  vals *v = ctx;
  return s->kind == EXO_SYM_TIME ? v->t : s->kind == EXO_SYM_STATE ? v->v[s->index] : v->v[3 + s->index];
}

typedef double (*cfun)(const vals *v);
#define X v->v[0]
#define Y v->v[1]
#define Z v->v[2]
#define k v->v[3]
#define K v->v[4]
#define N v->v[5]
static double f1(const vals *v) { return k * X * Y / (K + Y); }
static double f2(const vals *v) { return k * X * (1 - X / K) - k * X * Y / K; }
static double f3(const vals *v) { return k * X * log(K / X); }
static double f4(const vals *v) { return k * pow(X / Y, N) / (2 + pow(X / Y, N)) * Z; }
static double f5(const vals *v) { return k * X * (1.0 / (1.0 + pow(K / Y, N))); }
static double f6(const vals *v) { return -k * X + k * fmin(Y, Z) + k * fmax(X, Z) * exp(-v->t * k); }
static double f7(const vals *v) { return k * sqrt(X * Y) + k * fabs(X - Y) - 2e-3 * k * X * X / K; }
static double f8(const vals *v) { return k * (X * X * X) / (K * K) + k * log10(Y / K) * Z; }
static double f9(const vals *v) { return k * (X + Y + Z) * (1 - -N / (N + 1)); }
#undef X
#undef Y
#undef Z
#undef k
#undef K
#undef N

static const struct {
  const char *text;
  cfun f;
} cases[] = {
    {"k * x * y / (K + y)", f1},
    {"k*x*(1 - x/K) - k*x*y/K", f2},
    {"k * x * log(K / x)", f3},
    {"k * (x/y)^n / (2 + pow(x/y, n)) * z", f4},
    {"k * x * hill(y, K, n)", f5},
    {"-k*x + k*min(y, z) + k*max(x, z)*exp(-time*k)", f6},
    {"k*sqrt(x*y) + k*abs(x - y) - 2e-3*k*x^2/K", f7},
    {"k * x**3 / K^2 + k*log10(y/K)*z", f8},
    {"k*(x + y + z)*(1 - -n/(n + 1))", f9},
};

static void test_program_matches_c(void **state) {
  (void)state;
  srand(12345);
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    exo_arena a;
    exo_arena_init(&a);
    exo_expr *e;
    int pos;
    exo_error err = {0};
    if (exo_expr_parse(&a, cases[c].text, resolve, suggest, NULL, &e, &pos, &err))
      fail_msg("%s: %s", cases[c].text, err.msg);
    char d[64];
    exo_dim_format(e->dim, d, sizeof d);
    assert_string_equal(d, "count/time");
    exo_program p;
    assert_int_equal(exo_program_init(&p, 3, 3, 0), EXO_OK);
    uint32_t slot;
    assert_int_equal(exo_program_emit_expr(&p, e, &slot), EXO_OK);
    assert_int_equal(exo_program_emit(&p, EXO_OP_STORE, 0, slot, 0, 0), EXO_OK);
    assert_int_equal(exo_program_emit(&p, EXO_OP_END, 0, 0, 0, 0), EXO_OK);
    double *slots = malloc(p.nslots * sizeof *slots);
    for (int trial = 0; trial < 200; trial++) {
      vals v;
      v.t = 100.0 * rand() / RAND_MAX;
      for (int i = 0; i < 6; i++) v.v[i] = 0.1 + 1e3 * rand() / RAND_MAX;
      v.v[3] = 1e-3 * rand() / RAND_MAX;
      v.v[5] = 0.5 + 3.0 * rand() / RAND_MAX; /* a Hill power */
      memcpy(slots, p.slots, p.nslots * sizeof *slots);
      slots[0] = v.t;
      for (int i = 0; i < 6; i++) slots[1 + i] = v.v[i];
      double out = NAN;
      exo_program_run(&p, slots, &out);
      double want = cases[c].f(&v), tree = exo_expr_eval_tree(e, value_of, &v);
      double tol = 1e-13 * (fabs(want) + 1e-300) + 1e-300;
      if (!(fabs(out - want) <= tol)) fail_msg("%s: program %.17g, C %.17g", cases[c].text, out, want);
      if (!(fabs(tree - want) <= tol)) fail_msg("%s: tree %.17g, C %.17g", cases[c].text, tree, want);
    }
    free(slots);
    exo_program_free(&p);
    exo_arena_free(&a);
  }
}

static void expect_parse_error(const char *text, exo_status want, int want_pos, const char *substring) {
  exo_arena a;
  exo_arena_init(&a);
  exo_expr *e;
  int pos = -1;
  exo_error err = {0};
  exo_status st = exo_expr_parse(&a, text, resolve, suggest, NULL, &e, &pos, &err);
  if (st != want) fail_msg("'%s': %s, want %s (%s)", text, exo_status_name(st), exo_status_name(want), err.msg);
  if (!strstr(err.msg, substring)) fail_msg("'%s': message '%s' lacks '%s'", text, err.msg, substring);
  if (pos != want_pos) fail_msg("'%s': error at %d, want %d (%s)", text, pos, want_pos, err.msg);
  exo_arena_free(&a);
}

static void test_errors(void **state) {
  (void)state;
  expect_parse_error("k * kk", EXO_ERR_MODEL, 4, "undefined name 'kk' (did you mean 'k'?)");
  expect_parse_error("k * q", EXO_ERR_MODEL, 4, "undefined name 'q'");
  expect_parse_error("k * (x + y", EXO_ERR_SYNTAX, 10, "expected ')'");
  expect_parse_error("k * x +", EXO_ERR_SYNTAX, 7, "ends where a value was expected");
  expect_parse_error("k * x )", EXO_ERR_SYNTAX, 6, "unexpected ')'");
  expect_parse_error("foo(x)", EXO_ERR_MODEL, 0, "unknown function 'foo'");
  expect_parse_error("hill(x, K)", EXO_ERR_SYNTAX, 0, "takes 3 argument(s)");
  expect_parse_error("x + k", EXO_ERR_UNIT, 2, "left side is count but right side is 1/time");
  expect_parse_error("exp(x)", EXO_ERR_UNIT, 4, "exp needs a dimensionless argument, got count");
  expect_parse_error("x^n", EXO_ERR_UNIT, 2, "literal integer power");
  expect_parse_error("hill(x, k, 2)", EXO_ERR_UNIT, 0, "x and K");
  expect_parse_error("2day * x", EXO_ERR_SYNTAX, 1, "unit or name directly after a number");
  expect_parse_error("x $ y", EXO_ERR_SYNTAX, 2, "unexpected '$'");
}

static void test_dimensions(void **state) {
  (void)state;
  static const struct {
    const char *text, *dim;
  } cases2[] = {{"x * y", "count^2"}, {"x / K", "dimensionless"}, {"k * time", "dimensionless"}, {"x^2 / K", "count"},
                {"sqrt(x*y)", "count"}, {"max(0, x)", "count"}, {"0 + k", "1/time"}, {"x^-1", "1/count"}};
  for (size_t i = 0; i < sizeof cases2 / sizeof cases2[0]; i++) {
    exo_arena a;
    exo_arena_init(&a);
    exo_expr *e;
    int pos;
    exo_error err = {0};
    if (exo_expr_parse(&a, cases2[i].text, resolve, suggest, NULL, &e, &pos, &err)) fail_msg("%s: %s", cases2[i].text, err.msg);
    char d[64];
    exo_dim_format(e->dim, d, sizeof d);
    if (strcmp(d, cases2[i].dim)) fail_msg("%s: %s, want %s", cases2[i].text, d, cases2[i].dim);
    exo_arena_free(&a);
  }
}

static void test_deep_nesting_is_an_error_not_a_crash(void **state) {
  (void)state;
  char text[4096];
  size_t n = 0;
  for (int i = 0; i < 1000; i++) text[n++] = '(';
  text[n++] = 'x';
  for (int i = 0; i < 1000; i++) text[n++] = ')';
  text[n] = 0;
  exo_arena a;
  exo_arena_init(&a);
  exo_expr *e;
  int pos;
  exo_error err = {0};
  assert_int_equal(exo_expr_parse(&a, text, resolve, suggest, NULL, &e, &pos, &err), EXO_ERR_SYNTAX);
  assert_non_null(strstr(err.msg, "nested too deeply"));
  exo_arena_free(&a);
}

/* hill(x, K, n) at x <= 0 takes its limit x -> 0+: 0 for n > 0, 1/2 for n = 0, 1 for n < 0 */
static void test_hill_limits(void **state) {
  (void)state;
  assert_true(exo_hill(0, 2, 3) == 0.0);
  assert_true(exo_hill(-1, 2, 3) == 0.0);
  assert_true(exo_hill(0, 2, 0) == 0.5);
  assert_true(exo_hill(0, 2, -2) == 1.0);
  assert_true(fabs(exo_hill(2, 2, 3) - 0.5) < 1e-15);
  assert_true(fabs(exo_hill(1e-9, 2, -2) - 1.0) < 1e-12); /* continuous at 0+ */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_program_matches_c),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_dimensions),
      cmocka_unit_test(test_deep_nesting_is_an_error_not_a_crash),
      cmocka_unit_test(test_hill_limits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
