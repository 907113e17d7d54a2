/* exosim: physical units.
 * Every dimensional number in a model may carry a unit ("0.18 /day", "1e5 um^2/min", "5 ng/mL").
 * Internally exosim works in micrometres, minutes, counts (cells, vesicles, molecules) and
 * nanograms; the parser returns the factor that converts a value into those units and the
 * dimension, so that a mismatch can be reported as "expected 1/time, got count/time". */
#ifndef EXOSIM_UNITS_H
#define EXOSIM_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exosim/status.h"

enum { EXO_DIM_LENGTH, EXO_DIM_TIME, EXO_DIM_COUNT, EXO_DIM_MASS, EXO_NDIM };

typedef struct exo_dim {
  int8_t e[EXO_NDIM]; /* exponent of each base dimension */
} exo_dim;

typedef struct exo_quantity {
  double value;  /* in internal units */
  exo_dim dim;
  bool has_unit; /* false for a bare number */
} exo_quantity;

#define EXO_MINUTES_PER_DAY 1440.0

exo_dim exo_dim_none(void);
exo_dim exo_dim_base(int which, int exponent);
exo_dim exo_dim_mul(exo_dim a, exo_dim b);
exo_dim exo_dim_div(exo_dim a, exo_dim b);
exo_dim exo_dim_pow(exo_dim a, int n);
bool exo_dim_eq(exo_dim a, exo_dim b);
bool exo_dim_is_none(exo_dim a);
#define EXO_DIM_MAX_EXP 24
/* Whether every exponent is within +-EXO_DIM_MAX_EXP (arithmetic saturates beyond). */
bool exo_dim_valid(exo_dim a);
/* Writes a readable dimension: "dimensionless", "time", "1/time", "count/time", "length^2/time". */
void exo_dim_format(exo_dim d, char *buf, size_t n);

/* Parses a unit expression ("um^2/min", "/(cell*day)", "ng/mL", "cells") into the factor that
 * converts a value in that unit to internal units, and its dimension. */
exo_status exo_unit_parse(const char *unit, double *factor, exo_dim *dim, exo_error *err);

/* Whether name is a unit of the table ("day", "cells", "mL"). */
bool exo_unit_is_known(const char *name);

/* Parses "NUMBER [UNIT]" ("0.18 /day", "3e4 cells", "2"). Rejects NaN and infinities. */
exo_status exo_quantity_parse(const char *text, exo_quantity *q, exo_error *err);

#endif
