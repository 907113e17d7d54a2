/* Pieces of the exosim command shared between its files. */
#ifndef EXO_CLI_CLI_H
#define EXO_CLI_CLI_H

#include <stdint.h>

#include "exosim/model.h"

enum { EXIT_RUN_FAILED = 1, EXIT_BAD_INPUT = 2 };

typedef struct exo_cli_tissue_args {
  const char *out;
  const char *model_spec; /* the model as given (a built-in name or an absolute path): resume reloads it */
  const char *arm;        /* or NULL */
  double days;         /* <= 0: the model's end time */
  uint64_t seed;
  int threads;         /* 0: OMP_NUM_THREADS or all cores */
  double snapshot_every_min; /* < 0: the model's own; 0: none */
  double checkpoint_every_s; /* wall seconds between checkpoints; 0: only when interrupted */
  double wall_before;  /* wall seconds spent before a resume */
  int force;           /* run even when the estimate says it will not fit in memory */
  const char *const *sets;
  int nsets;
} exo_cli_tissue_args;

/* Loads a model with its --set arguments and arm (for resume). */
typedef exo_status (*exo_cli_load_fn)(void *ctx, const char *spec, const char *const *sets, int nsets, const char *arm,
                                      exo_model **out, exo_error *err);

/* exosim resume DIR: continues the tissue run whose checkpoint is DIR/checkpoint.exo. */
int exo_cli_resume(const char *dir, int threads, double checkpoint_every_s, exo_cli_load_fn load, void *load_ctx);

/* exosim run --engine tissue: runs the model's tissue form and writes DIR/timeseries.csv,
 * snapshots (VTK) with a ParaView collection, a slice picture, and DIR/run.json (status last).
 * Returns the exit status. */
int exo_cli_run_tissue(exo_model *m, const exo_cli_tissue_args *a);

double exo_cli_now(void);

#endif
