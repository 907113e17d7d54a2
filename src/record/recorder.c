#include "exosim/record.h"

#include <stdlib.h>
#include <string.h>

#include "core/fault.h"

exo_status exo_recorder_init(exo_recorder *r, size_t ncol, const char **names) {
  memset(r, 0, sizeof *r);
  r->ncol = ncol;
  r->names = names;
  return EXO_OK;
}

exo_status exo_recorder_add_row(exo_recorder *r, double time, const double *values) {
  if (r->nrow == r->cap) {
    size_t cap = r->cap ? 2 * r->cap : 128;
    double *t = exo_realloc(r->times, cap * sizeof *t);
    if (!t) return EXO_ERR_NOMEM;
    r->times = t;
    double *v = exo_realloc(r->values, cap * (r->ncol ? r->ncol : 1) * sizeof *v);
    if (!v) return EXO_ERR_NOMEM;
    r->values = v;
    r->cap = cap;
  }
  r->times[r->nrow] = time;
  if (r->ncol) memcpy(r->values + r->nrow * r->ncol, values, r->ncol * sizeof *values);
  r->nrow++;
  return EXO_OK;
}

void exo_recorder_free(exo_recorder *r) {
  free(r->times);
  free(r->values);
  memset(r, 0, sizeof *r);
}
