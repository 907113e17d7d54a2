/* Helpers shared by the tests that run built-in models (test_default_model, test_therapies):
 * include after <cmocka.h>. Column values are in internal units (counts for states). */
#ifndef EXO_TESTS_RUN_HELPERS_H
#define EXO_TESTS_RUN_HELPERS_H

#include <math.h>
#include <string.h>

#include "exosim/model.h"
#include "exosim/systemic.h"

#define DAY 1440.0

typedef struct run {
  exo_model *m;
  exo_recorder rec;
  exo_solver_stats stats;
} run;

static inline void load_builtin(const char *name, exo_model **m) {
  const char *text = exo_builtin_model_text(name, NULL);
  if (!text) fail_msg("no built-in model '%s'", name);
  exo_error err = {0};
  if (exo_model_load_string(text, strlen(text), name, m, &err)) fail_msg("load %s: %s", name, err.msg);
}

static inline void run_free(run *r) {
  exo_recorder_free(&r->rec);
  exo_solver_stats_free(&r->stats);
  exo_model_free(r->m);
}

static inline size_t col(const run *r, const char *name) {
  for (size_t i = 0; i < exo_systemic_column_count(r->m); i++)
    if (!strcmp(exo_systemic_column_name(r->m, i), name)) return i;
  fail_msg("no column '%s'", name);
  return 0;
}

/* A column's value at a day. */
static inline double at(const run *r, double day, const char *name) {
  size_t c = col(r, name);
  for (size_t i = 0; i < r->rec.nrow; i++)
    if (fabs(r->rec.times[i] - day * DAY) < 1e-6) return r->rec.values[i * r->rec.ncol + c];
  fail_msg("no output at day %g", day);
  return NAN;
}

static inline double final(const run *r, const char *name) {
  return r->rec.values[(r->rec.nrow - 1) * r->rec.ncol + col(r, name)];
}

#endif
