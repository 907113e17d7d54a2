/* exosim: the recorder. Engines hand it samples; writers (CSV, plots, ...) read it. It knows no
 * file format. Values are in internal units; time in minutes. */
#ifndef EXOSIM_RECORD_H
#define EXOSIM_RECORD_H

#include <stddef.h>

#include "exosim/status.h"

typedef struct exo_recorder {
  size_t ncol;
  const char **names; /* borrowed: column names, owned by whoever set them up */
  const double *unit_factor; /* borrowed, may be NULL: writers divide column c by unit_factor[c] */
  double *times;      /* nrow */
  double *values;     /* nrow x ncol, row-major */
  size_t nrow, cap;
} exo_recorder;

exo_status exo_recorder_init(exo_recorder *r, size_t ncol, const char **names);
exo_status exo_recorder_add_row(exo_recorder *r, double time, const double *values);
void exo_recorder_free(exo_recorder *r);

#endif
