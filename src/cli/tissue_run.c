/* exosim run --engine tissue: the tissue engine with its outputs. The engine hands snapshots
 * to the callback below, which writes them (the engine knows no file format). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "exosim/io.h"
#include "exosim/tissue.h"
#include "exosim/version.h"
#include "io/snapshot.h"

double exo_cli_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The files of a run: snapshots, the collection listing them, the slice picture. */
typedef struct outputs {
  const char *dir;
  int n, cap;
  double *times;
  char **files; /* relative to dir */
  int *part;
  int slice_field;
} outputs;

static exo_status add_file(outputs *o, double t, const char *rel, int part, exo_error *err) {
  if (o->n == o->cap) {
    int cap = o->cap ? 2 * o->cap : 64;
    double *t2 = realloc(o->times, (size_t)cap * sizeof *t2);
    if (t2) o->times = t2;
    char **f2 = t2 ? realloc(o->files, (size_t)cap * sizeof *f2) : NULL;
    if (f2) o->files = f2;
    int *p2 = f2 ? realloc(o->part, (size_t)cap * sizeof *p2) : NULL;
    if (p2) o->part = p2;
    if (!p2) return exo_error_set(err, EXO_ERR_NOMEM, "out of memory");
    o->cap = cap;
  }
  o->times[o->n] = t;
  o->files[o->n] = strdup(rel);
  o->part[o->n] = part;
  if (!o->files[o->n]) return exo_error_set(err, EXO_ERR_NOMEM, "out of memory");
  o->n++;
  return EXO_OK;
}

static exo_status write_pvd(outputs *o, exo_error *err) {
  char path[4300];
  snprintf(path, sizeof path, "%s/tissue.pvd", o->dir);
  return exo_vtk_write_pvd(path, o->times, (const char *const *)o->files, o->part, (size_t)o->n, err);
}

static exo_status on_snapshot(void *ctx, double t, const exo_cells_view *cells, const exo_fields *F, exo_error *err) {
  outputs *o = ctx;
  char rel[64], path[4300];
  int k = o->n / 2;
  snprintf(rel, sizeof rel, "snapshots/cells_%06d.vtp", k);
  snprintf(path, sizeof path, "%s/%s", o->dir, rel);
  exo_status st = exo_vtk_write_cells(path, t, cells, err);
  if (!st) st = add_file(o, t, rel, 0, err);
  snprintf(rel, sizeof rel, "snapshots/fields_%06d.vti", k);
  snprintf(path, sizeof path, "%s/%s", o->dir, rel);
  if (!st) st = exo_vtk_write_fields(path, t, F, err);
  if (!st) st = add_file(o, t, rel, 1, err);
  /* rewritten each time, so an interrupted run still leaves a collection ParaView opens */
  if (!st) st = write_pvd(o, err);
  return st;
}

typedef struct progress {
  double start, last;
  int shown;
} progress;

/* A progress line on a terminal for runs longer than a few seconds: the simulated time
 * reached, the wall time and an estimate of what is left. */
static void on_progress(void *ctx, double t, double end) {
  progress *p = ctx;
  double now = exo_cli_now(), el = now - p->start;
  if (el < 3 || now - p->last < 0.5 || !isatty(fileno(stderr)) || end <= 0) return;
  p->last = now;
  double eta = t > 0 ? el * (end - t) / t : 0;
  fprintf(stderr, "\rexosim: day %.3f of %.3f (%3.0f%%), %.0f s elapsed, about %.0f s left   ", t / 1440.0, end / 1440.0,
          100.0 * t / end, el, eta);
  fflush(stderr);
  p->shown = 1;
}

static void outputs_free(outputs *o) {
  for (int i = 0; i < o->n; i++) free(o->files[i]);
  free(o->files);
  free(o->times);
  free(o->part);
}

int exo_cli_run_tissue(exo_model *m, const exo_cli_tissue_args *a) {
  exo_error err = {0};
  exo_status st = exo_io_prepare_outdir(a->out, &err);
  if (st) {
    fprintf(stderr, "exosim: %s\n", err.msg);
    return EXIT_RUN_FAILED;
  }
  outputs o = {.dir = a->out};
  progress pr = {.start = exo_cli_now()};
  exo_tissue_settings s = {.end_time = a->days > 0 ? a->days * 1440.0 : 0,
                           .seed = a->seed,
                           .threads = a->threads,
                           .snapshot_every = a->snapshot_every_min,
                           .snapshot = on_snapshot,
                           .snapshot_ctx = &o,
                           .progress = on_progress,
                           .progress_ctx = &pr};
  char snapdir[4300];
  snprintf(snapdir, sizeof snapdir, "%s/snapshots", a->out);
  if (mkdir(snapdir, 0777) && errno != EEXIST) {
    fprintf(stderr, "exosim: %s: cannot create the snapshot directory: %s\n", snapdir, strerror(errno));
    return EXIT_RUN_FAILED;
  }
  exo_tissue *T = NULL;
  exo_recorder rec = {0};
  const char **names = NULL;
  exo_tissue_stats stats = {0};
  double t0 = exo_cli_now();
  st = exo_tissue_create(m, &s, &T, &err);
  if (!st) {
    size_t ncol = exo_tissue_column_count(T);
    names = calloc(ncol + 1, sizeof *names);
    if (!names) st = exo_error_set(&err, EXO_ERR_NOMEM, "out of memory");
    for (size_t i = 0; names && i < ncol; i++) names[i] = exo_tissue_column_name(T, i);
    if (!st) exo_recorder_init(&rec, ncol, names);
    if (!st) st = exo_tissue_advance(T, exo_tissue_end_time(T), &rec, &err);
    exo_tissue_get_stats(T, &stats);
  }
  if (pr.shown) fputc('\n', stderr);
  double wall = exo_cli_now() - t0;
  /* the picture a person looks at first: a slice through the middle at the end */
  if (!st) {
    const exo_fields *F = exo_tissue_fields(T);
    int field = exo_fields_count(F) > 0 ? 0 : -1;
    for (int f = 0; f < exo_fields_count(F); f++)
      if (exo_tissue_field_is_vesicle(T, f)) {
        field = f;
        break;
      }
    exo_cells_view v;
    exo_tissue_view(T, &v);
    char path[4300];
    snprintf(path, sizeof path, "%s/slice.svg", a->out);
    st = exo_slice_write_svg(path, exo_tissue_time(T), &v, F, field, 0.0, &err);
    if (!st) st = add_file(&o, exo_tissue_time(T), "slice.svg", 2, &err);
  }
  if (!st) st = exo_io_write_timeseries(a->out, &rec, &err);
  const char **files = calloc((size_t)o.n + 3, sizeof *files);
  int nf = 0;
  if (files) {
    if (!st) files[nf++] = "timeseries.csv";
    if (o.n > 1) files[nf++] = "tissue.pvd";
    for (int i = 0; i < o.n; i++) files[nf++] = o.files[i];
  }
  exo_run_info info = {.version = EXO_VERSION_STRING, .model = m, .sets = a->sets, .nsets = a->nsets, .rec = &rec,
                       .wall_seconds = wall, .end_days = T ? exo_tissue_time(T) / 1440.0 : 0,
                       .status = st ? "failed" : "complete", .reason = st ? err.msg : NULL, .tissue = &stats,
                       .seed = (unsigned long long)a->seed, .threads = stats.threads, .files = files, .nfiles = nf};
  exo_error err2 = {0};
  exo_status st2 = exo_io_write_run_json(a->out, &info, &err2);
  int rc = 0;
  if (st) {
    fprintf(stderr, "exosim: %s: %s\n", exo_model_name(m), err.msg);
    rc = EXIT_RUN_FAILED;
  } else if (st2) {
    fprintf(stderr, "exosim: %s\n", err2.msg);
    rc = EXIT_RUN_FAILED;
  } else {
    size_t last = rec.nrow ? rec.nrow - 1 : 0;
    printf("exosim %s: model '%s', tissue engine, %.4g days, seed %llu, %d threads, %.2f s wall\n", EXO_VERSION_STRING,
           exo_model_name(m), exo_tissue_time(T) / 1440.0, (unsigned long long)a->seed, stats.threads, wall);
    printf("  cells: %ld at the start, %ld at the end (peak %ld); %ld divisions, %ld apoptotic, %ld necrotic, %ld killed, "
           "%ld recruited\n",
           stats.cells_initial, stats.cells_final, stats.cells_peak, stats.divisions, stats.deaths_apoptosis,
           stats.deaths_necrosis, stats.kills, stats.recruited);
    for (size_t c = 0; c < rec.ncol && rec.nrow; c++) {
      if (!strncmp(names[c], "systemic.", 9) && c > 40) continue;
      printf("  %-36s %14.6g %14.6g\n", names[c], rec.values[c], rec.values[last * rec.ncol + c]);
    }
    printf("  %.3g cell-steps/s; wrote %s/timeseries.csv, %s/slice.svg, %s/run.json", wall > 0 ? stats.cell_steps / wall : 0,
           a->out, a->out, a->out);
    if (o.n > 1) printf(" and %d snapshots listed in %s/tissue.pvd", (o.n - 1) / 2, a->out);
    printf("\n");
  }
  free(files);
  free(names);
  exo_recorder_free(&rec);
  outputs_free(&o);
  exo_tissue_free(T);
  return rc;
}
