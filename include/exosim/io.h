/* exosim: writers that read the recorder and the model: CSV time series and the run record. */
#ifndef EXOSIM_IO_H
#define EXOSIM_IO_H

#include <stdio.h>

#include "exosim/model.h"
#include "exosim/record.h"
#include "exosim/status.h"
#include "exosim/systemic.h"

/* Creates dir (and parents) and removes any run.json from an earlier run, so that nothing in it
 * claims completion until this run writes its record. */
exo_status exo_io_prepare_outdir(const char *dir, exo_error *err);

/* DIR/timeseries.csv: time_days, then one column per recorded column. Written to a temporary
 * file and renamed, so a reader never sees half a file under the final name. */
exo_status exo_io_write_timeseries(const char *dir, const exo_recorder *rec, exo_error *err);

typedef struct exo_run_info {
  const char *version;
  const exo_model *model;
  const char *const *sets; /* the --set arguments as given */
  int nsets;
  const exo_solver_stats *stats; /* may be NULL for a failed run */
  const exo_recorder *rec;       /* the recorded run, for summaries (may be NULL) */
  double wall_seconds;
  double end_days;
  const char *status;            /* "complete" or "failed" */
  const char *reason;            /* failure message, or NULL */
  /* tissue runs (engine "tissue"); NULL/0 for systemic runs */
  const struct exo_tissue_stats *tissue;
  unsigned long long seed;
  int threads;
  const char *const *files;      /* the files written besides run.json, relative to DIR */
  int nfiles;
} exo_run_info;

/* DIR/run.json, with "status" as the last key. */
exo_status exo_io_write_run_json(const char *dir, const exo_run_info *info, exo_error *err);

/* The model's structure as a Graphviz digraph (compartments, states, processes). */
exo_status exo_io_write_graph(FILE *f, const exo_model *m, exo_error *err);

struct exo_arm_summary;
/* DIR/summary.csv: arm, final_burden, peak_burden, min_burden, auc_burden, days_to_progression,
 * best_response (one row per arm; days_to_progression is empty when the tumour never progressed). */
exo_status exo_io_write_summary(const char *dir, const char *const *arms, const struct exo_arm_summary *s, int n,
                                exo_error *err);

/* Writes s as a JSON string literal (with quotes). */
void exo_json_string(FILE *f, const char *s);

#endif
