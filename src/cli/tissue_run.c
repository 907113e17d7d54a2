/* exosim run --engine tissue and exosim resume: the tissue engine with its outputs, checkpoints
 * and interruption. The engine hands snapshots and phenotype boundaries to the callbacks below,
 * which write files (the engine knows no file format).
 *
 * Checkpoints (DIR/checkpoint.exo) hold what `exosim resume DIR` needs to continue: the
 * arguments of the run (model, --set, arm, days, seed, snapshot interval), the rows recorded and
 * snapshot files written so far, and the tissue's state (exo_tissue_checkpoint_write). They are
 * written every --checkpoint-every of wall time and when SIGINT or SIGTERM arrives, always to a
 * temporary file that is synced and renamed, so a checkpoint under its final name is whole. */
#include <errno.h>
#include <limits.h>
#include <signal.h>
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

#define CHECKPOINT_MAGIC "EXOSIMCK"
#define CHECKPOINT_FORMAT 1u
#define CHECKPOINT_ORDER 0x01020304u /* written natively: refused on a machine of the other byte order */
#define CHECKPOINT_STRING_MAX (1u << 20)

double exo_cli_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The one piece of global state: a signal handler can reach nothing else. It holds the signal
 * that asked the run to stop (0: none). */
static volatile sig_atomic_t stop_signal = 0;

static void on_signal(int sig) { stop_signal = sig; }

/* The files of a run: snapshots, the collection listing them, the slice picture. */
typedef struct outputs {
  const char *dir;
  int n, cap;
  double *times;
  char **files; /* relative to dir */
  int *part;
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

static void outputs_free(outputs *o) {
  for (int i = 0; i < o->n; i++) free(o->files[i]);
  free(o->files);
  free(o->times);
  free(o->part);
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

/* One tissue run from its start or from a checkpoint to its end or an interruption. */
typedef struct session {
  exo_model *m;
  exo_cli_tissue_args a;
  outputs o;
  progress pr;
  exo_tissue *T;
  exo_recorder rec;
  const char **names;
  double last_checkpoint;
  int checkpoints;
  /* test hook (EXOSIM_TEST_SIGNAL=TERM:0.1 or KILL:0.1): the run sends itself that signal at the
   * first phenotype boundary at or after that day, so tests can interrupt a run at a known point */
  int test_signal;
  double test_day;
} session;

static void read_test_hook(session *S) {
  const char *h = getenv("EXOSIM_TEST_SIGNAL");
  if (!h) return;
  int sig = !strncmp(h, "TERM:", 5) ? SIGTERM : !strncmp(h, "INT:", 4) ? SIGINT : !strncmp(h, "KILL:", 5) ? SIGKILL : 0;
  const char *colon = strchr(h, ':');
  if (!sig || !colon) return;
  S->test_signal = sig;
  S->test_day = atof(colon + 1);
}

/* --- the checkpoint file: header and arguments, recorded rows, files, tissue state */

static int put_bytes(FILE *f, const void *p, size_t n) { return n == 0 || fwrite(p, 1, n, f) == n; }
static int put_u64(FILE *f, uint64_t v) { return put_bytes(f, &v, sizeof v); }
static int put_f64(FILE *f, double v) { return put_bytes(f, &v, sizeof v); }
static int put_str(FILE *f, const char *s) {
  size_t n = s ? strlen(s) : 0;
  return put_u64(f, n) && put_bytes(f, s, n);
}
static int get_bytes(FILE *f, void *p, size_t n) { return n == 0 || fread(p, 1, n, f) == n; }
static int get_u64(FILE *f, uint64_t *v) { return get_bytes(f, v, sizeof *v); }
static int get_f64(FILE *f, double *v) { return get_bytes(f, v, sizeof *v); }
/* A string of at most CHECKPOINT_STRING_MAX bytes (malloc'd), or NULL. */
static char *get_str(FILE *f) {
  uint64_t n;
  if (!get_u64(f, &n) || n > CHECKPOINT_STRING_MAX) return NULL;
  char *s = malloc((size_t)n + 1);
  if (!s) return NULL;
  if (!get_bytes(f, s, (size_t)n) || memchr(s, '\0', (size_t)n)) {
    free(s);
    return NULL;
  }
  s[n] = '\0';
  return s;
}

static exo_status write_checkpoint(session *S, exo_error *err) {
  char path[4300], tmp[4310];
  snprintf(path, sizeof path, "%s/checkpoint.exo", S->a.out);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "wb");
  if (!f) return exo_error_set(err, EXO_ERR_IO, "%s: cannot write a checkpoint: %s", tmp, strerror(errno));
  int ok = put_bytes(f, CHECKPOINT_MAGIC, 8) && put_u64(f, CHECKPOINT_FORMAT) && put_u64(f, CHECKPOINT_ORDER) &&
           put_str(f, EXO_VERSION_STRING) && put_str(f, exo_model_hash(S->m)) && put_str(f, S->a.model_spec) &&
           put_str(f, S->a.arm) && put_u64(f, (uint64_t)S->a.nsets);
  for (int i = 0; ok && i < S->a.nsets; i++) ok = put_str(f, S->a.sets[i]);
  ok = ok && put_f64(f, S->a.days) && put_f64(f, S->a.snapshot_every_min) && put_u64(f, S->a.seed) &&
       put_f64(f, exo_cli_now() - S->pr.start + S->a.wall_before);
  ok = ok && put_u64(f, S->rec.ncol) && put_u64(f, S->rec.nrow) && put_bytes(f, S->rec.times, S->rec.nrow * sizeof(double)) &&
       put_bytes(f, S->rec.values, S->rec.nrow * S->rec.ncol * sizeof(double));
  ok = ok && put_u64(f, (uint64_t)S->o.n);
  for (int i = 0; ok && i < S->o.n; i++) ok = put_f64(f, S->o.times[i]) && put_u64(f, (uint64_t)S->o.part[i]) && put_str(f, S->o.files[i]);
  exo_status st = ok ? exo_tissue_checkpoint_write(S->T, f, err) : exo_error_set(err, EXO_ERR_IO, "%s: write failed: %s", tmp, strerror(errno));
  if (!st && (fflush(f) || ferror(f) || fsync(fileno(f))))
    st = exo_error_set(err, EXO_ERR_IO, "%s: write failed: %s", tmp, strerror(errno));
  if (fclose(f) && !st) st = exo_error_set(err, EXO_ERR_IO, "%s: write failed: %s", tmp, strerror(errno));
  if (!st && rename(tmp, path)) st = exo_error_set(err, EXO_ERR_IO, "%s: cannot rename into place: %s", path, strerror(errno));
  if (st) unlink(tmp);
  else S->checkpoints++;
  return st;
}

static exo_status on_boundary(void *ctx, exo_tissue *T, exo_error *err) {
  session *S = ctx;
  exo_status st = EXO_OK;
  double now = exo_cli_now();
  if (S->a.checkpoint_every_s > 0 && now - S->last_checkpoint >= S->a.checkpoint_every_s) {
    S->last_checkpoint = now;
    st = write_checkpoint(S, err);
  }
  if (!st && S->test_signal && exo_tissue_time(T) >= S->test_day * 1440.0 - 1e-9) {
    int sig = S->test_signal;
    S->test_signal = 0;
    raise(sig);
  }
  return st;
}

/* --- running */

static exo_status start_outputs(session *S, exo_error *err) {
  char snapdir[4300];
  snprintf(snapdir, sizeof snapdir, "%s/snapshots", S->a.out);
  if (mkdir(snapdir, 0777) && errno != EEXIST)
    return exo_error_set(err, EXO_ERR_IO, "%s: cannot create the snapshot directory: %s", snapdir, strerror(errno));
  return EXO_OK;
}

static exo_status create_tissue(session *S, exo_error *err) {
  exo_tissue_settings s = {.end_time = S->a.days > 0 ? S->a.days * 1440.0 : 0,
                           .seed = S->a.seed,
                           .threads = S->a.threads,
                           .snapshot_every = S->a.snapshot_every_min,
                           .snapshot = on_snapshot,
                           .snapshot_ctx = &S->o,
                           .progress = on_progress,
                           .progress_ctx = &S->pr,
                           .boundary = on_boundary,
                           .boundary_ctx = S,
                           .stop = &stop_signal};
  exo_status st = exo_tissue_create(S->m, &s, &S->T, err);
  if (st) return st;
  size_t ncol = exo_tissue_column_count(S->T);
  S->names = calloc(ncol + 1, sizeof *S->names);
  if (!S->names) return exo_error_set(err, EXO_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < ncol; i++) S->names[i] = exo_tissue_column_name(S->T, i);
  exo_recorder_init(&S->rec, ncol, S->names);
  return EXO_OK;
}

static void session_free(session *S) {
  free(S->names);
  exo_recorder_free(&S->rec);
  outputs_free(&S->o);
  exo_tissue_free(S->T);
}

/* Runs S to its end (or until a signal), then writes the outputs and run.json. */
static int finish(session *S, exo_status st, exo_error *err) {
  exo_tissue_stats stats = {0};
  struct sigaction sa, old_int, old_term;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  S->last_checkpoint = exo_cli_now();
  read_test_hook(S);
  if (!st) st = exo_tissue_advance(S->T, exo_tissue_end_time(S->T), &S->rec, err);
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  int interrupted = !st && S->T && exo_tissue_interrupted(S->T);
  if (S->T) exo_tissue_get_stats(S->T, &stats);
  if (S->pr.shown) fputc('\n', stderr);
  double wall = exo_cli_now() - S->pr.start + S->a.wall_before;
  char reason[600] = "";
  if (interrupted) {
    st = write_checkpoint(S, err);
    snprintf(reason, sizeof reason, "interrupted by %s at day %.6g; continue with: exosim resume %s",
             stop_signal == SIGINT ? "SIGINT" : "SIGTERM", exo_tissue_time(S->T) / 1440.0, S->a.out);
  }
  /* the picture a person looks at first: a slice through the middle at the end */
  if (!st && !interrupted) {
    const exo_fields *F = exo_tissue_fields(S->T);
    int field = exo_fields_count(F) > 0 ? 0 : -1;
    for (int f = 0; f < exo_fields_count(F); f++)
      if (exo_tissue_field_is_vesicle(S->T, f)) {
        field = f;
        break;
      }
    exo_cells_view v;
    exo_tissue_view(S->T, &v);
    char path[4300];
    snprintf(path, sizeof path, "%s/slice.svg", S->a.out);
    st = exo_slice_write_svg(path, exo_tissue_time(S->T), &v, F, field, 0.0, err);
    if (!st) st = add_file(&S->o, exo_tissue_time(S->T), "slice.svg", 2, err);
  }
  /* what was recorded so far is written either way, whole (an interrupted run's rows end where
   * it stopped; run.json says so) */
  exo_status stw = S->rec.ncol ? exo_io_write_timeseries(S->a.out, &S->rec, err) : EXO_OK;
  if (!st) st = stw;
  const char **files = calloc((size_t)S->o.n + 4, sizeof *files);
  int nf = 0;
  if (files) {
    if (!stw && S->rec.ncol) files[nf++] = "timeseries.csv";
    if (S->o.n > 1) files[nf++] = "tissue.pvd";
    for (int i = 0; i < S->o.n; i++) files[nf++] = S->o.files[i];
    if (interrupted && !st) files[nf++] = "checkpoint.exo";
  }
  const char *status = st ? "failed" : interrupted ? "interrupted" : "complete";
  exo_run_info info = {.version = EXO_VERSION_STRING, .model = S->m, .sets = S->a.sets, .nsets = S->a.nsets,
                       .rec = &S->rec, .wall_seconds = wall, .end_days = S->T ? exo_tissue_time(S->T) / 1440.0 : 0,
                       .status = status, .reason = st ? err->msg : interrupted ? reason : NULL, .tissue = &stats,
                       .seed = (unsigned long long)S->a.seed, .threads = stats.threads, .files = files, .nfiles = nf};
  exo_error err2 = {0};
  exo_status st2 = exo_io_write_run_json(S->a.out, &info, &err2);
  int rc = 0;
  if (st) {
    fprintf(stderr, "exosim: %s: %s\n", exo_model_name(S->m), err->msg);
    rc = EXIT_RUN_FAILED;
  } else if (st2) {
    fprintf(stderr, "exosim: %s\n", err2.msg);
    rc = EXIT_RUN_FAILED;
  } else if (interrupted) {
    fprintf(stderr, "exosim: %s; wrote %s/checkpoint.exo, %s/timeseries.csv and %s/run.json\n", reason, S->a.out, S->a.out,
            S->a.out);
    rc = 128 + (int)stop_signal;
  } else {
    const exo_recorder *rec = &S->rec;
    size_t last = rec->nrow ? rec->nrow - 1 : 0;
    printf("exosim %s: model '%s', tissue engine, %.4g days, seed %llu, %d threads, %.2f s wall\n", EXO_VERSION_STRING,
           exo_model_name(S->m), exo_tissue_time(S->T) / 1440.0, (unsigned long long)S->a.seed, stats.threads, wall);
    printf("  cells: %ld at the start, %ld at the end (peak %ld); %ld divisions, %ld apoptotic, %ld necrotic, %ld killed, "
           "%ld recruited\n",
           stats.cells_initial, stats.cells_final, stats.cells_peak, stats.divisions, stats.deaths_apoptosis,
           stats.deaths_necrosis, stats.kills, stats.recruited);
    for (size_t c = 0; c < rec->ncol && rec->nrow; c++) {
      if (!strncmp(S->names[c], "systemic.", 9) && c > 40) continue;
      printf("  %-36s %14.6g %14.6g\n", S->names[c], rec->values[c], rec->values[last * rec->ncol + c]);
    }
    printf("  %.3g cell-steps/s; wrote %s/timeseries.csv, %s/slice.svg, %s/run.json", wall > 0 ? stats.cell_steps / wall : 0,
           S->a.out, S->a.out, S->a.out);
    if (S->o.n > 1) printf(" and %d snapshots listed in %s/tissue.pvd", (S->o.n - 1) / 2, S->a.out);
    printf("\n");
    /* a finished run has nothing to resume */
    char ck[4300];
    snprintf(ck, sizeof ck, "%s/checkpoint.exo", S->a.out);
    unlink(ck);
  }
  free(files);
  return rc;
}

/* Physical memory of this machine (bytes), or 0 when unknown. */
static double machine_memory(void) {
  long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  return pages > 0 && size > 0 ? (double)pages * (double)size : 0;
}

/* Refuses (exit 2) a run estimated not to fit in memory unless --force; says how long a long
 * run is expected to take. */
static int check_resources(const exo_model *m, const exo_cli_tissue_args *a) {
  exo_tissue_settings s = {.end_time = a->days > 0 ? a->days * 1440.0 : 0, .threads = a->threads};
  exo_tissue_estimate e;
  exo_error err = {0};
  if (exo_tissue_estimate_run(m, &s, &e, &err)) {
    fprintf(stderr, "exosim: %s\n", err.msg);
    return EXIT_BAD_INPUT;
  }
  double mem = machine_memory();
  if (mem > 0 && e.bytes > 0.9 * mem) {
    fprintf(stderr,
            "exosim: %s: this tissue run needs about %.3g GB (fields %.3g GB, up to %.3g cells%s at %.0f bytes each) but this "
            "machine has %.3g GB; use a smaller domain, a coarser dx or a lower tissue.max_cells%s\n",
            exo_model_name(m), e.bytes / 1e9, e.field_bytes / 1e9, e.peak_cells, e.capped ? " (max_cells)" : "", e.bytes_per_cell,
            mem / 1e9, a->force ? "; going on because of --force" : ", or --force to try anyway");
    if (!a->force) return EXIT_BAD_INPUT;
  }
  if (e.seconds > 60)
    fprintf(stderr, "exosim: estimated: about %.0f min of wall time, up to %.3g cells, %.2g GB (--checkpoint-every keeps it safe)\n",
            e.seconds / 60, e.peak_cells, e.bytes / 1e9);
  return 0;
}

int exo_cli_run_tissue(exo_model *m, const exo_cli_tissue_args *a) {
  exo_error err = {0};
  int guard = check_resources(m, a);
  if (guard) return guard;
  session S = {.m = m, .a = *a};
  S.o.dir = a->out;
  S.pr.start = exo_cli_now();
  stop_signal = 0;
  exo_status st = exo_io_prepare_outdir(a->out, &err);
  if (!st) {
    char ck[4300];
    snprintf(ck, sizeof ck, "%s/checkpoint.exo", a->out);
    unlink(ck); /* an earlier run's checkpoint must not be resumed into this run's outputs */
    st = start_outputs(&S, &err);
  }
  if (st) {
    fprintf(stderr, "exosim: %s\n", err.msg);
    return EXIT_RUN_FAILED;
  }
  st = create_tissue(&S, &err);
  int rc = finish(&S, st, &err);
  session_free(&S);
  return rc;
}

/* --- exosim resume DIR */

int exo_cli_resume(const char *dir, int threads, double checkpoint_every_s, exo_cli_load_fn load, void *load_ctx) {
  char path[4300];
  snprintf(path, sizeof path, "%s/checkpoint.exo", dir);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "exosim: %s: no checkpoint to resume: %s\n", path, strerror(errno));
    return EXIT_BAD_INPUT;
  }
  int rc = EXIT_BAD_INPUT;
  char magic[8];
  uint64_t format = 0, order = 0, nsets = 0;
  char *version = NULL, *hash = NULL, *spec = NULL, *arm = NULL;
  char **sets = NULL;
  session S;
  memset(&S, 0, sizeof S);
  exo_error err = {0};
  const char *why = NULL;
  if (!get_bytes(f, magic, 8) || memcmp(magic, CHECKPOINT_MAGIC, 8)) why = "not an exosim checkpoint";
  else if (!get_u64(f, &format) || format != CHECKPOINT_FORMAT) why = "a checkpoint format this exosim does not read";
  else if (!get_u64(f, &order) || order != CHECKPOINT_ORDER) why = "written on a machine of another byte order";
  else if (!(version = get_str(f)) || !(hash = get_str(f)) || !(spec = get_str(f)) || !(arm = get_str(f)) || !get_u64(f, &nsets) ||
           nsets > 4096)
    why = "truncated or damaged header";
  if (why) {
    fprintf(stderr, "exosim: %s: %s\n", path, why);
    goto out;
  }
  if (strcmp(version, EXO_VERSION_STRING)) {
    fprintf(stderr, "exosim: %s: written by exosim %s; this is exosim %s, which cannot continue it (rerun the model)\n", path,
            version, EXO_VERSION_STRING);
    goto out;
  }
  sets = calloc((size_t)nsets + 1, sizeof *sets);
  if (!sets) goto oom;
  for (uint64_t i = 0; i < nsets; i++)
    if (!(sets[i] = get_str(f))) {
      fprintf(stderr, "exosim: %s: truncated or damaged header\n", path);
      goto out;
    }
  S.a.out = dir;
  S.a.model_spec = spec;
  S.a.arm = arm[0] ? arm : NULL;
  S.a.sets = (const char *const *)sets;
  S.a.nsets = (int)nsets;
  S.a.threads = threads;
  S.a.checkpoint_every_s = checkpoint_every_s;
  if (!get_f64(f, &S.a.days) || !get_f64(f, &S.a.snapshot_every_min) || !get_u64(f, &S.a.seed) || !get_f64(f, &S.a.wall_before)) {
    fprintf(stderr, "exosim: %s: truncated or damaged header\n", path);
    goto out;
  }
  /* the same model, with the same --set and arm: its hash must match */
  if (load(load_ctx, spec, (const char *const *)sets, (int)nsets, S.a.arm, &S.m, &err)) {
    fprintf(stderr, "exosim: resume %s: the run's model cannot be loaded again: %s\n", dir, err.msg);
    goto out;
  }
  if (strcmp(hash, exo_model_hash(S.m))) {
    fprintf(stderr,
            "exosim: %s: the model '%s' has changed since the checkpoint was written (sha256 %.12s... then, %.12s... now); "
            "rerun it instead\n",
            path, spec, hash, exo_model_hash(S.m));
    goto out;
  }
  S.o.dir = dir;
  S.pr.start = exo_cli_now();
  stop_signal = 0;
  exo_status st = create_tissue(&S, &err);
  uint64_t ncol = 0, nrow = 0, nout = 0;
  if (!st && (!get_u64(f, &ncol) || !get_u64(f, &nrow) || ncol != S.rec.ncol || nrow > (1u << 26)))
    st = exo_error_set(&err, EXO_ERR_MODEL, "%s: the recorded rows do not fit this model", path);
  if (!st && nrow) {
    double *times = malloc((size_t)nrow * sizeof *times), *vals = malloc((size_t)(nrow * ncol) * sizeof *vals);
    if (!times || !vals) st = exo_error_set(&err, EXO_ERR_NOMEM, "out of memory");
    else if (!get_bytes(f, times, (size_t)nrow * sizeof *times) || !get_bytes(f, vals, (size_t)(nrow * ncol) * sizeof *vals))
      st = exo_error_set(&err, EXO_ERR_IO, "%s: truncated inside the recorded rows", path);
    for (uint64_t r = 0; !st && r < nrow; r++)
      if (exo_recorder_add_row(&S.rec, times[r], vals + r * ncol)) st = exo_error_set(&err, EXO_ERR_NOMEM, "out of memory");
    free(times);
    free(vals);
  }
  if (!st && (!get_u64(f, &nout) || nout > (1u << 24))) st = exo_error_set(&err, EXO_ERR_IO, "%s: truncated", path);
  for (uint64_t i = 0; !st && i < nout; i++) {
    double t;
    uint64_t part;
    char *file = NULL;
    if (!get_f64(f, &t) || !get_u64(f, &part) || part > 2 || !(file = get_str(f)))
      st = exo_error_set(&err, EXO_ERR_IO, "%s: truncated in the list of files", path);
    else st = add_file(&S.o, t, file, (int)part, &err);
    free(file);
  }
  if (!st) st = exo_tissue_checkpoint_read(S.T, f, &err);
  if (st) {
    fprintf(stderr, "exosim: %s: %s\n", path, err.msg);
    rc = st == EXO_ERR_NOMEM ? EXIT_RUN_FAILED : EXIT_BAD_INPUT;
    goto out;
  }
  fclose(f);
  f = NULL;
  fprintf(stderr, "exosim: resuming %s at day %.6g of %.6g\n", dir, exo_tissue_time(S.T) / 1440.0, exo_tissue_end_time(S.T) / 1440.0);
  rc = finish(&S, EXO_OK, &err);
  goto out;
oom:
  fprintf(stderr, "exosim: out of memory\n");
  rc = EXIT_RUN_FAILED;
out:
  if (f) fclose(f);
  session_free(&S);
  if (S.m) exo_model_free(S.m);
  for (uint64_t i = 0; sets && i < nsets; i++) free(sets[i]);
  free(sets);
  free(version);
  free(hash);
  free(spec);
  free(arm);
  return rc;
}
