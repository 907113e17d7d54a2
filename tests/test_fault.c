/* Allocation failures injected at every allocation of a load and a run: each must end in
 * EXO_ERR_NOMEM (or succeed once the failure point is past the end), never in a crash or a leak
 * (the sanitizer build checks the latter). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/fault.h"
#include "exosim/model.h"
#include "exosim/systemic.h"

static void test_every_allocation_can_fail(void **state) {
  (void)state;
  const char *text = exo_builtin_model_text("kuznetsov1994", NULL);
  assert_non_null(text);
  int completed = 0;
  long n;
  for (n = 1; n < 5000 && !completed; n++) {
    exo_fault_fail_alloc_after(n);
    exo_model *m = NULL;
    exo_error err = {0};
    exo_status st = exo_model_load_string(text, strlen(text), "k.yaml", &m, &err);
    if (st == EXO_OK) {
      exo_recorder rec;
      exo_solver_stats stats;
      exo_recorder_init(&rec, exo_systemic_column_count(m), NULL);
      st = exo_systemic_run(m, NULL, &rec, &stats, &err);
      exo_recorder_free(&rec);
      exo_solver_stats_free(&stats);
      exo_model_free(m);
      if (st == EXO_OK) completed = 1;
    }
    /* libfyaml and SUNDIALS allocate with plain malloc, so only exosim's own allocations fail
     * here; a failure must surface as NOMEM (or, inside CVODE's set-up, as a solver error). */
    if (st != EXO_OK && st != EXO_ERR_NOMEM && st != EXO_ERR_SOLVER) fail_msg("failure at allocation %ld gave %s: %s", n, exo_status_name(st), err.msg);
    if (st != EXO_OK && !err.msg[0]) fail_msg("failure at allocation %ld gave no message", n);
  }
  exo_fault_fail_alloc_after(0);
  assert_true(completed);
  assert_true(n > 10); /* the loop really did fail allocations along the way */
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_every_allocation_can_fail)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
