/* Unit parsing and conversion to internal units (um, min, count, ng). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "core/sha256.h"
#include "exosim/units.h"

static void expect_quantity(const char *text, double value, int l, int t, int n, int m) {
  exo_quantity q;
  exo_error err = {0};
  exo_status st = exo_quantity_parse(text, &q, &err);
  if (st) fail_msg("%s: %s", text, err.msg);
  if (fabs(q.value - value) > 1e-12 * fabs(value)) fail_msg("%s: got %.17g, want %.17g", text, q.value, value);
  exo_dim want = {{(int8_t)l, (int8_t)t, (int8_t)n, (int8_t)m}};
  char got[64], w[64];
  exo_dim_format(q.dim, got, sizeof got);
  exo_dim_format(want, w, sizeof w);
  if (!exo_dim_eq(q.dim, want)) fail_msg("%s: dimension %s, want %s", text, got, w);
}

static void test_conversions(void **state) {
  (void)state;
  expect_quantity("0.18 /day", 0.18 / 1440, 0, -1, 0, 0);
  expect_quantity("2 min", 2, 0, 1, 0, 0);
  expect_quantity("2 h", 120, 0, 1, 0, 0);
  expect_quantity("30 s", 0.5, 0, 1, 0, 0);
  expect_quantity("1 week", 10080, 0, 1, 0, 0);
  expect_quantity("1e5 um^2/min", 1e5, 2, -1, 0, 0);
  expect_quantity("1 cm^2/s", 1e8 * 60, 2, -1, 0, 0);
  expect_quantity("3e4 cells", 3e4, 0, 0, 1, 0);
  expect_quantity("5 ng/mL", 5e-12, -3, 0, 0, 1);
  expect_quantity("1 mL", 1e12, 3, 0, 0, 0);
  expect_quantity("2 L", 2e15, 3, 0, 0, 0);
  expect_quantity("3.422e-10 /(cell*day)", 3.422e-10 / 1440, 0, -1, -1, 0);
  expect_quantity("3.422e-10 /cell/day", 3.422e-10 / 1440, 0, -1, -1, 0);
  expect_quantity("1.3e4 cells/day", 1.3e4 / 1440, 0, -1, 1, 0);
  expect_quantity("2.019e7 cells^2", 2.019e7, 0, 0, 2, 0);
  expect_quantity("1 nM", 6.02214076e23 * 1e-9 / 1e15, -3, 0, 1, 0);
  expect_quantity("1 pmol", 6.02214076e11, 0, 0, 1, 0);
  expect_quantity("0.13e14 MHC-II", 0.13e14, 0, 0, 1, 0);
  expect_quantity("50 %", 0.5, 0, 0, 0, 0);
  expect_quantity("7", 7, 0, 0, 0, 0);
  expect_quantity("1/day", 1.0 / 1440, 0, -1, 0, 0);
  expect_quantity("10 um", 10, 1, 0, 0, 0);
  expect_quantity("1 mm", 1000, 1, 0, 0, 0);
  expect_quantity("2 cells*um^-3", 2, -3, 0, 1, 0);
  expect_quantity("1 um^3", 1, 3, 0, 0, 0);
  expect_quantity("1 cell\xc2\xb7" "day", 1440, 0, 1, 1, 0); /* a middle dot glued to the names */
  expect_quantity("1 cell \xc2\xb7 day", 1440, 0, 1, 1, 0);
}

static void test_bare_number_has_no_unit(void **state) {
  (void)state;
  exo_quantity q;
  assert_int_equal(exo_quantity_parse("  2.5 ", &q, NULL), EXO_OK);
  assert_false(q.has_unit);
  assert_int_equal(exo_quantity_parse("2.5 /day", &q, NULL), EXO_OK);
  assert_true(q.has_unit);
}

static void expect_error(const char *text, exo_status want, const char *substring) {
  exo_quantity q;
  exo_error err = {0};
  exo_status st = exo_quantity_parse(text, &q, &err);
  if (st != want) fail_msg("'%s': status %s, want %s (%s)", text, exo_status_name(st), exo_status_name(want), err.msg);
  if (!strstr(err.msg, substring)) fail_msg("'%s': message '%s' lacks '%s'", text, err.msg, substring);
}

static void test_errors(void **state) {
  (void)state;
  expect_error("nan", EXO_ERR_SYNTAX, "not a number");
  expect_error("inf /day", EXO_ERR_SYNTAX, "not a number");
  expect_error("1e999 /day", EXO_ERR_MODEL, "not a finite number");
  expect_error("0x10", EXO_ERR_SYNTAX, "hexadecimal");
  expect_error("2 parsecs", EXO_ERR_SYNTAX, "unknown unit 'parsecs'");
  expect_error("2 /", EXO_ERR_SYNTAX, "ends where a unit name was expected");
  expect_error("2 um^x", EXO_ERR_SYNTAX, "integer after '^'");
  expect_error("2 (um", EXO_ERR_SYNTAX, "missing ')'");
  expect_error("cells", EXO_ERR_SYNTAX, "not a number");
  expect_error("", EXO_ERR_SYNTAX, "not a number");
  expect_error("5 * cells", EXO_ERR_SYNTAX, "starts with '*'");
  expect_error("1e300 L", EXO_ERR_MODEL, "overflows");
}

static void test_dim_format(void **state) {
  (void)state;
  char buf[64];
  exo_dim_format(exo_dim_none(), buf, sizeof buf);
  assert_string_equal(buf, "dimensionless");
  exo_dim_format((exo_dim){{0, -1, 1, 0}}, buf, sizeof buf);
  assert_string_equal(buf, "count/time");
  exo_dim_format((exo_dim){{0, -1, -1, 0}}, buf, sizeof buf);
  assert_string_equal(buf, "1/(count*time)");
  exo_dim_format((exo_dim){{2, -1, 0, 0}}, buf, sizeof buf);
  assert_string_equal(buf, "length^2/time");
  exo_dim_format((exo_dim){{-3, 0, 0, 1}}, buf, sizeof buf);
  assert_string_equal(buf, "mass/length^3");
}

static void test_sha256(void **state) {
  (void)state;
  char hex[65];
  exo_sha256_hex("", 0, hex);
  assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  exo_sha256_hex("abc", 3, hex);
  assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"; /* 56 bytes: padding spills */
  exo_sha256_hex(two, strlen(two), hex);
  assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_conversions), cmocka_unit_test(test_bare_number_has_no_unit),
      cmocka_unit_test(test_errors), cmocka_unit_test(test_dim_format), cmocka_unit_test(test_sha256),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
