/* exosim: the tissue engine. Cells are agents (rows of arrays) in a 3-D domain that hold the
 * model's transport fields (vesicle classes, their cargo, cytokines); cells secrete vesicles
 * into the fields, take them up, accumulate the cargo they receive, and change what they do
 * through PhysiCell-style rules. The systemic model advances beside it: vesicles leaving the
 * domain drain into its compartments, and immune cells are recruited from its populations.
 *
 * Results depend on the seed only: every random draw is counter-based (Philox, keyed by seed,
 * cell id, step and purpose) and every reduction runs in a fixed order, so any thread count
 * gives byte-identical output. */
#ifndef EXOSIM_TISSUE_H
#define EXOSIM_TISSUE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "exosim/fields.h"
#include "exosim/model.h"
#include "exosim/record.h"
#include "exosim/status.h"

/* A read-only view of the cells (structure-of-arrays, n rows), valid during a callback. */
typedef struct exo_cells_view {
  size_t n;
  const double *x, *y, *z, *radius; /* µm */
  const int *type;                  /* index into type_names */
  const long *id;                   /* stable cell id */
  const unsigned char *dead;        /* 0 live, 1 apoptotic, 2 necrotic */
  int nattr;                        /* extra per-cell attributes written as point data */
  const char *const *attr_names;
  const double *const *attr;        /* nattr arrays of n values */
  int ntypes;
  const char *const *type_names;
} exo_cells_view;

/* Called at each snapshot time; returns EXO_OK or stops the run with its error. */
typedef exo_status (*exo_tissue_snapshot_fn)(void *ctx, double time_min, const exo_cells_view *cells,
                                             const exo_fields *fields, exo_error *err);
/* Called about once per phenotype step with the simulated time reached. */
typedef void (*exo_tissue_progress_fn)(void *ctx, double time_min, double end_min);

typedef struct exo_tissue exo_tissue;

/* Called after every phenotype step, once the coupling is done: the points where a run can be
 * checkpointed (exo_tissue_checkpoint_write). A non-zero status stops the run with it. */
typedef exo_status (*exo_tissue_boundary_fn)(void *ctx, exo_tissue *T, exo_error *err);

typedef struct exo_tissue_settings {
  double end_time;        /* minutes; <= 0 takes the model's own */
  double output_every;    /* minutes between recorded rows; <= 0 takes the model's own */
  uint64_t seed;
  int threads;            /* OpenMP threads; 0: the OpenMP default (OMP_NUM_THREADS or all cores) */
  double snapshot_every;  /* minutes; < 0 takes the model's own (tissue.snapshots); 0 none */
  exo_tissue_snapshot_fn snapshot;
  void *snapshot_ctx;
  exo_tissue_progress_fn progress;
  void *progress_ctx;
  int no_coupling;        /* 1: the systemic model is not advanced (no drainage, no recruitment) */
  exo_tissue_boundary_fn boundary;
  void *boundary_ctx;
  /* when *stop becomes non-zero (a signal handler sets it), the run stops at the next phenotype
   * boundary: exo_tissue_advance returns EXO_OK with exo_tissue_interrupted() true */
  const volatile sig_atomic_t *stop;
} exo_tissue_settings;

typedef struct exo_tissue_stats {
  long cells_initial, cells_final, cells_peak;
  long divisions, deaths_apoptosis, deaths_necrosis, kills, removals, recruited, transformations;
  double cell_steps;        /* cells x mechanics steps */
  double diffusion_steps, mechanics_steps, phenotype_steps;
  double bytes_per_cell;    /* agent storage per cell at the peak (all columns) */
  double field_bytes;
  int threads;
  double drained_total;     /* tissue amounts drained to systemic states, all fields */
  /* wall seconds spent in each part (for benchmarks; not part of the results) */
  double wall_fields, wall_mechanics, wall_phenotype, wall_coupling;
} exo_tissue_stats;

/* What a tissue run will need, estimated from the model before anything is allocated: the peak
 * number of cells (initial cells growing at their base division rate, plus recruitment at the
 * initial systemic pools, capped at max_cells), the bytes of cells and fields at that peak, and
 * the wall time on this machine kind (coefficients measured with exo_bench_tissue, 2 threads,
 * scaled by the thread count). An estimate, not a bound: rules and therapies change rates. */
typedef struct exo_tissue_estimate {
  double peak_cells, bytes, field_bytes, bytes_per_cell, seconds;
  int capped; /* the growth estimate reached max_cells */
} exo_tissue_estimate;
exo_status exo_tissue_estimate_run(const exo_model *m, const exo_tissue_settings *s, exo_tissue_estimate *out, exo_error *err);

/* Builds the tissue of a model with a tissue section: fields, initial cells, the systemic
 * model beside it. EXO_ERR_MODEL when the model has no tissue section. */
exo_status exo_tissue_create(const exo_model *m, const exo_tissue_settings *s, exo_tissue **out, exo_error *err);
void exo_tissue_free(exo_tissue *T);
/* Advances to time t_end (minutes); rows are recorded into rec (NULL: none) at output times. */
exo_status exo_tissue_advance(exo_tissue *T, double t_end, exo_recorder *rec, exo_error *err);
double exo_tissue_time(const exo_tissue *T);
/* Whether the last advance stopped early because *settings.stop was set. */
int exo_tissue_interrupted(const exo_tissue *T);

/* Checkpoints: the whole dynamic state of a tissue (cells, fields, the systemic model beside it,
 * clocks, counters) at a phenotype boundary, in exosim's binary layout for this machine
 * (native byte order; refused elsewhere). Reading needs a tissue created from the same model and
 * settings; the result continues bit for bit as the run that wrote it would have. */
exo_status exo_tissue_checkpoint_write(const exo_tissue *T, FILE *f, exo_error *err);
exo_status exo_tissue_checkpoint_read(exo_tissue *T, FILE *f, exo_error *err);
/* The end of the run: the settings' end time, or the model's. */
double exo_tissue_end_time(const exo_tissue *T);
/* Whether field f holds a vesicle class (for choosing what a picture shows). */
int exo_tissue_field_is_vesicle(const exo_tissue *T, int f);
void exo_tissue_get_stats(const exo_tissue *T, exo_tissue_stats *out);
const exo_fields *exo_tissue_fields(const exo_tissue *T);
/* The current cells (valid until the next advance). */
void exo_tissue_view(exo_tissue *T, exo_cells_view *v);

/* Recorded columns of a tissue run: live cells of each type ("tissue.TYPE"), dead cells
 * ("tissue.dead"), each field's total amount ("field.NAME"), "tumour_burden" (live cells of the
 * tumour types), then the systemic states and outputs prefixed "systemic.". */
size_t exo_tissue_column_count(const exo_tissue *T);
const char *exo_tissue_column_name(const exo_tissue *T, size_t i);

#endif
