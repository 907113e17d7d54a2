/* The exosim command: run, check, show, models. */
/* realpath() is an X/Open interface */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "exosim/ensemble.h"
#include "exosim/io.h"
#include "exosim/report.h"
#include "exosim/model.h"
#include "exosim/systemic.h"
#include "exosim/units.h"
#include "exosim/version.h"

#include "cli/cli.h"

static void usage(FILE *f) {
  fprintf(f,
          "exosim %s: exosome-mediated tumour-immune simulator\n"
          "\n"
          "usage:\n"
          "  exosim run [MODEL] [--out DIR] [--days N] [--arm NAME] [--set NAME=VALUE]...\n"
          "             [--engine systemic|tissue] [--seed N] [--threads N] [--snapshots 60min|off]\n"
          "             [--checkpoint-every 30min] [--force]\n"
          "                       simulate MODEL (a file or a built-in name; default: the built-in\n"
          "                       default model) and write DIR/timeseries.csv and DIR/run.json;\n"
          "                       --engine tissue runs its tissue form (cells as agents in 3-D,\n"
          "                       coupled to the systemic model) and adds VTK snapshots,\n"
          "                       DIR/tissue.pvd and DIR/slice.svg; same --seed, same output at\n"
          "                       any --threads (default: OMP_NUM_THREADS or all cores)\n"
          "  exosim resume DIR [--threads N] [--checkpoint-every 30min]\n"
          "                       continue the tissue run whose checkpoint is DIR/checkpoint.exo\n"
          "                       (written every --checkpoint-every, and on SIGINT or SIGTERM);\n"
          "                       the result is the same as an uninterrupted run's\n"
          "  exosim compare [MODEL] [--arms A,B,...] [--out DIR] [--days N] [--set ...]\n"
          "                       run the model's treatment arms side by side (default: all) and\n"
          "                       write DIR/ARM/*, DIR/summary.csv, DIR/plots/ and DIR/report.html\n"
          "  exosim check FILE|NAME [--set NAME=VALUE]...\n"
          "                       validate a model and print what it contains\n"
          "  exosim show NAME     print a built-in model's YAML (to copy and edit)\n"
          "  exosim models        list the built-in models\n"
          "  exosim graph [MODEL] [--set ...]\n"
          "                       the model's structure as a Graphviz graph (dot -Tsvg)\n"
          "  exosim version       print the version\n"
          "\n"
          "--set takes parameters with units (--set k_kill=0.5/day), process switches\n"
          "(--set mech.NAME=off), initial amounts (--set initial.tumour.T=1e6cells) and solver\n"
          "tolerances (--set solver.rtol=1e-8).\n",
          EXO_VERSION_STRING);
}

static const char *default_model_name(void) {
  return exo_builtin_model_text("default", NULL) ? "default" : "examples/kuznetsov1994";
}

static int file_exists(const char *p) {
  struct stat sb;
  return stat(p, &sb) == 0;
}

/* MODEL is a path when such a file exists (or it looks like one), a built-in name otherwise. */
static exo_status load_model(const char *spec, exo_model **m, exo_error *err) {
  const char *canonical;
  if (!file_exists(spec) && !strchr(spec, '.')) {
    const char *text = exo_builtin_model_text(spec, &canonical);
    if (!text) {
      char list[1024] = "";
      size_t used = 0;
      for (size_t i = 0; i < exo_builtin_model_count(); i++) {
        int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", exo_builtin_model_name(i));
        if (w < 0 || (size_t)w >= sizeof list - used) break;
        used += (size_t)w;
      }
      return exo_error_set(err, EXO_ERR_IO, "%s: no such model file, and no built-in model of that name (built-in: %s)",
                           spec, list);
    }
    char display[300];
    snprintf(display, sizeof display, "builtin:%s", canonical);
    return exo_model_load_string(text, strlen(text), display, m, err);
  }
  return exo_model_load_file(spec, m, err);
}

typedef struct run_args {
  const char *model, *out;
  const char *arm;  /* run: --arm NAME */
  const char *arms; /* compare: --arms A,B,... */
  double days;
  const char **sets;
  int nsets;
  /* run --engine tissue */
  bool tissue;
  unsigned long long seed;
  int threads;
  double snapshot_every; /* minutes; < 0: the model's own */
  double checkpoint_every; /* wall seconds; 0: only when interrupted */
  int force;
} run_args;

/* --checkpoint-every: a wall-clock time with its unit (30min, 2h, 90s). */
static int parse_wall_time(const char *val, double *seconds) {
  exo_quantity q;
  exo_error e;
  if (exo_quantity_parse(val, &q, &e) || !q.has_unit || !exo_dim_eq(q.dim, exo_dim_base(EXO_DIM_TIME, 1)) || !(q.value > 0)) {
    fprintf(stderr, "exosim: --checkpoint-every %s: expected a positive wall time with its unit (30min, 2h, 90s)\n", val);
    return EXIT_BAD_INPUT;
  }
  *seconds = q.value * 60.0; /* internal time unit: minutes */
  return 0;
}

/* A whole number in [lo, hi] for an option, or an error message. */
static int parse_count(const char *opt, const char *val, unsigned long long lo, unsigned long long hi, unsigned long long *out) {
  char *end;
  errno = 0;
  if (!val[0] || val[0] == '-') goto bad;
  unsigned long long v = strtoull(val, &end, 10);
  if (errno || *end || v < lo || v > hi) goto bad;
  *out = v;
  return 0;
bad:
  fprintf(stderr, "exosim: %s %s: expected a whole number from %llu to %llu\n", opt, val, lo, hi);
  return EXIT_BAD_INPUT;
}

enum { ARGS_CHECK = 0, ARGS_RUN = 1, ARGS_COMPARE = 2 };

static int parse_run_args(int argc, char **argv, run_args *a, int mode) {
  bool allow_out = mode != ARGS_CHECK;
  a->model = NULL;
  a->arm = a->arms = NULL;
  a->out = mode == ARGS_COMPARE ? "compare" : "out";
  a->days = -1;
  a->nsets = 0;
  a->tissue = false;
  a->seed = 1;
  a->threads = 0;
  a->snapshot_every = -1;
  a->checkpoint_every = 0;
  a->force = 0;
  a->sets = calloc((size_t)argc + 1, sizeof *a->sets);
  if (!a->sets) {
    fprintf(stderr, "exosim: out of memory\n");
    return EXIT_RUN_FAILED;
  }
  for (int i = 0; i < argc; i++) {
    const char *s = argv[i];
    const char *val = NULL;
    const char *opt = s;
    char optbuf[32];
    const char *eq = strchr(s, '=');
    if (!strncmp(s, "--", 2) && eq && (size_t)(eq - s) < sizeof optbuf) {
      memcpy(optbuf, s, (size_t)(eq - s));
      optbuf[eq - s] = '\0';
      opt = optbuf;
      val = eq + 1;
    }
    bool takes = !strcmp(opt, "--set") || !strcmp(opt, "--days") || (allow_out && !strcmp(opt, "--out")) ||
                 (mode == ARGS_RUN && !strcmp(opt, "--arm")) || (mode == ARGS_COMPARE && !strcmp(opt, "--arms")) ||
                 (mode == ARGS_RUN && (!strcmp(opt, "--engine") || !strcmp(opt, "--seed") || !strcmp(opt, "--threads") ||
                                       !strcmp(opt, "--snapshots") || !strcmp(opt, "--checkpoint-every")));
    if (takes && !val) {
      if (i + 1 >= argc) {
        fprintf(stderr, "exosim: %s needs a value\n", opt);
        return EXIT_BAD_INPUT;
      }
      val = argv[++i];
    }
    if (!strcmp(opt, "--set")) a->sets[a->nsets++] = val;
    else if (mode == ARGS_RUN && !strcmp(opt, "--arm")) a->arm = val;
    else if (mode == ARGS_COMPARE && !strcmp(opt, "--arms")) a->arms = val;
    else if (allow_out && !strcmp(opt, "--out")) a->out = val;
    else if (mode == ARGS_RUN && !strcmp(opt, "--force")) a->force = 1;
    else if (mode == ARGS_RUN && !strcmp(opt, "--engine")) {
      if (!strcmp(val, "tissue")) a->tissue = true;
      else if (!strcmp(val, "systemic")) a->tissue = false;
      else {
        fprintf(stderr, "exosim: --engine %s: expected 'systemic' or 'tissue'\n", val);
        return EXIT_BAD_INPUT;
      }
    } else if (mode == ARGS_RUN && !strcmp(opt, "--seed")) {
      if (parse_count(opt, val, 0, ~0ull, &a->seed)) return EXIT_BAD_INPUT;
    } else if (mode == ARGS_RUN && !strcmp(opt, "--threads")) {
      unsigned long long t;
      if (parse_count(opt, val, 1, 4096, &t)) return EXIT_BAD_INPUT;
      a->threads = (int)t;
    } else if (mode == ARGS_RUN && !strcmp(opt, "--snapshots")) {
      exo_quantity q;
      exo_error e;
      if (!strcmp(val, "off")) a->snapshot_every = 0;
      else if (exo_quantity_parse(val, &q, &e) || !q.has_unit || !exo_dim_eq(q.dim, exo_dim_base(EXO_DIM_TIME, 1)) ||
               !(q.value > 0)) {
        fprintf(stderr, "exosim: --snapshots %s: expected a positive time with its unit (60min, 1day) or 'off'\n", val);
        return EXIT_BAD_INPUT;
      } else a->snapshot_every = q.value;
    } else if (mode == ARGS_RUN && !strcmp(opt, "--checkpoint-every")) {
      if (parse_wall_time(val, &a->checkpoint_every)) return EXIT_BAD_INPUT;
    }
    else if (!strcmp(opt, "--days")) {
      exo_quantity q;
      exo_error e;
      if (exo_quantity_parse(val, &q, &e)) {
        fprintf(stderr, "exosim: --days %s: %s\n", val, e.msg);
        return EXIT_BAD_INPUT;
      }
      if (q.has_unit && !exo_dim_eq(q.dim, exo_dim_base(EXO_DIM_TIME, 1))) {
        fprintf(stderr, "exosim: --days %s: expected a time\n", val);
        return EXIT_BAD_INPUT;
      }
      a->days = q.has_unit ? q.value / EXO_MINUTES_PER_DAY : q.value;
      if (!(a->days > 0) || a->days > 1e7) {
        fprintf(stderr, "exosim: --days %s: must be a positive number of days\n", val);
        return EXIT_BAD_INPUT;
      }
    } else if (s[0] == '-' && s[1]) {
      fprintf(stderr, "exosim: unknown option '%s' (see 'exosim help')\n", s);
      return EXIT_BAD_INPUT;
    } else if (!a->model) a->model = s;
    else {
      fprintf(stderr, "exosim: unexpected argument '%s': one model at a time\n", s);
      return EXIT_BAD_INPUT;
    }
  }
  if (!a->model) a->model = default_model_name();
  return 0;
}

static exo_status load_and_set(const run_args *a, exo_model **m, exo_error *err) {
  exo_status st = load_model(a->model, m, err);
  for (int i = 0; !st && i < a->nsets; i++) st = exo_model_set(*m, a->sets[i], err);
  if (st) {
    exo_model_free(*m);
    *m = NULL;
  }
  return st;
}

static int exo_threads(void) {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

static double now_seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* What a biologist wants to see first: how the tumour went, then every population and pool by
 * compartment (start and end), then where the vesicles went. */
static void print_summary(const exo_model *m, const exo_recorder *rec, const char **names, const double *factors,
                          const exo_solver_stats *stats) {
  size_t ncol = rec->ncol, last = rec->nrow - 1;
  const char *host = exo_model_host(m);
  printf("exosim %s: model '%s' (%s)%s%s, %g days, %zu time points\n", EXO_VERSION_STRING, exo_model_name(m),
         exo_model_source_path(m), host ? ", host " : "", host ? host : "", rec->times[last] / EXO_MINUTES_PER_DAY, rec->nrow);
  for (size_t c = 0; c < ncol; c++) {
    if (strcmp(names[c], "tumour_burden")) continue;
    size_t peak = 0, nadir = 0;
    for (size_t r = 1; r < rec->nrow; r++) {
      if (rec->values[r * ncol + c] > rec->values[peak * ncol + c]) peak = r;
      if (rec->values[r * ncol + c] < rec->values[nadir * ncol + c]) nadir = r;
    }
    printf("  tumour burden: %.3g cells at the start, %.3g at the end; peak %.3g (day %g), lowest %.3g (day %g)\n",
           rec->values[c] / factors[c], rec->values[last * ncol + c] / factors[c], rec->values[peak * ncol + c] / factors[c],
           rec->times[peak] / EXO_MINUTES_PER_DAY, rec->values[nadir * ncol + c] / factors[c],
           rec->times[nadir] / EXO_MINUTES_PER_DAY);
  }
  const size_t max_rows = 40;
  printf("  %-36s %14s %14s\n", "column (counts, or the output's unit)", "start", "end");
  for (size_t i = 0; i < ncol && i < max_rows; i++)
    printf("  %-36s %14.6g %14.6g\n", names[i], rec->values[i] / factors[i], rec->values[last * ncol + i] / factors[i]);
  if (ncol > max_rows) printf("  ... and %zu more columns in timeseries.csv\n", ncol - max_rows);
  if (stats->npools) {
    double sec = 0, clr = 0, up = 0;
    for (int p = 0; p < stats->npools; p++)
      sec += stats->pools[p].secreted, clr += stats->pools[p].cleared, up += stats->pools[p].taken_up;
    printf("  vesicles: %.3g secreted, %.3g cleared, %.3g taken up by cells; bookkeeping closes to %.1e\n", sec, clr, up,
           stats->balance_max_rel_error);
  }
}

/* Runs a loaded model and writes DIR/timeseries.csv and DIR/run.json (status last). The caller
 * owns rec (set up here, names and unit factors allocated) and stats. */
typedef struct run_result {
  exo_recorder rec;
  exo_solver_stats stats;
  double wall;
  exo_status st;
  exo_error err;
} run_result;

static void run_result_free(run_result *r) {
  free((void *)r->rec.names);
  free((void *)r->rec.unit_factor);
  exo_recorder_free(&r->rec);
  exo_solver_stats_free(&r->stats);
}

static exo_status run_to_dir(exo_model *m, const run_args *a, const char *dir, run_result *r) {
  memset(r, 0, sizeof *r);
  if ((r->st = exo_io_prepare_outdir(dir, &r->err))) return r->st;
  exo_run_settings rs = {.end_time = a->days > 0 ? a->days * EXO_MINUTES_PER_DAY : 0};
  size_t ncol = exo_systemic_column_count(m);
  const char **names = calloc(ncol + 1, sizeof *names);
  double *factors = calloc(ncol + 1, sizeof *factors);
  for (size_t i = 0; names && i < ncol; i++) names[i] = exo_systemic_column_name(m, i);
  for (size_t i = 0; factors && i < ncol; i++) factors[i] = exo_systemic_column_unit_factor(m, i);
  exo_recorder_init(&r->rec, ncol, names);
  r->rec.unit_factor = factors;
  double t0 = now_seconds();
  exo_status st = names && factors ? exo_systemic_run(m, &rs, &r->rec, &r->stats, &r->err)
                                   : exo_error_set(&r->err, EXO_ERR_NOMEM, "out of memory");
  r->wall = now_seconds() - t0;
  if (!st) st = exo_io_write_timeseries(dir, &r->rec, &r->err);
  exo_run_info info = {.version = EXO_VERSION_STRING, .model = m, .sets = a->sets, .nsets = a->nsets,
                       .stats = st ? NULL : &r->stats, .rec = &r->rec, .wall_seconds = r->wall,
                       .end_days = (rs.end_time > 0 ? rs.end_time : 0) / EXO_MINUTES_PER_DAY,
                       .status = st ? "failed" : "complete", .reason = st ? r->err.msg : NULL};
  if (info.end_days == 0) info.end_days = r->rec.nrow ? r->rec.times[r->rec.nrow - 1] / EXO_MINUTES_PER_DAY : 0;
  exo_error err2 = {0};
  exo_status st2 = exo_io_write_run_json(dir, &info, &err2);
  if (!st && st2) {
    st = st2;
    r->err = err2;
  }
  r->st = st;
  return st;
}

static void print_warnings(const run_result *r) {
  const exo_solver_stats *s = &r->stats;
  if (s->npools && s->balance_max_rel_error > 1e-6)
    fprintf(stderr, "exosim: warning: the vesicle bookkeeping closes only to %.1e (over 1e-6): tighten solver.rtol\n",
            s->balance_max_rel_error);
  /* worth a word when it is more than round-off around a state that was large */
  if (s->most_negative < -(1e3 * s->atol + 1e-6 * s->most_negative_peak))
    fprintf(stderr,
            "exosim: warning: '%s' went down to %g and was written as 0: a rate that does not vanish when "
            "what it removes is gone (a constant outflow?) should depend on that state\n",
            r->rec.names[s->most_negative_state], s->most_negative);
}

static int cmd_run(int argc, char **argv) {
  run_args a;
  int rc = parse_run_args(argc, argv, &a, ARGS_RUN);
  if (rc) {
    free(a.sets);
    return rc;
  }
  exo_error err = {0};
  exo_model *m = NULL;
  if (load_and_set(&a, &m, &err)) {
    fprintf(stderr, "exosim: %s\n", err.msg);
    /* a run.json left by an earlier run must not pass for this one's */
    char old[4200];
    snprintf(old, sizeof old, "%s/run.json", a.out);
    if (remove(old) == 0) fprintf(stderr, "exosim: removed the earlier %s\n", old);
    free(a.sets);
    return err.status == EXO_ERR_NOMEM ? EXIT_RUN_FAILED : EXIT_BAD_INPUT;
  }
  if (a.arm && exo_model_choose_arm(m, a.arm, &err)) {
    fprintf(stderr, "exosim: --arm %s: %s\n", a.arm, err.msg);
    exo_model_free(m);
    free(a.sets);
    return EXIT_BAD_INPUT;
  }
  if (a.tissue && !exo_model_has_tissue(m)) {
    fprintf(stderr, "exosim: %s: --engine tissue needs a 'tissue:' section in the model (see docs/model-file.md)\n",
            exo_model_source_path(m));
    exo_model_free(m);
    free(a.sets);
    return EXIT_BAD_INPUT;
  }
  if (a.tissue) {
    /* resume reloads the model: a file by its absolute path, so it works from any directory */
    char *abs = file_exists(a.model) ? realpath(a.model, NULL) : NULL;
    exo_cli_tissue_args ta = {.out = a.out, .model_spec = abs ? abs : a.model, .arm = a.arm, .days = a.days, .seed = a.seed,
                              .threads = a.threads, .snapshot_every_min = a.snapshot_every,
                              .checkpoint_every_s = a.checkpoint_every, .sets = a.sets, .nsets = a.nsets, .force = a.force};
    rc = exo_cli_run_tissue(m, &ta);
    free(abs);
    exo_model_free(m);
    free(a.sets);
    return rc;
  }
  if (a.seed != 1 || a.threads || a.snapshot_every >= 0 || a.checkpoint_every > 0)
    fprintf(stderr, "exosim: note: --seed, --threads, --snapshots and --checkpoint-every apply to --engine tissue only\n");
  run_result r;
  if (run_to_dir(m, &a, a.out, &r)) {
    fprintf(stderr, "exosim: %s: %s\n", exo_model_name(m), r.err.msg);
    rc = EXIT_RUN_FAILED;
  } else {
    print_summary(m, &r.rec, r.rec.names, r.rec.unit_factor, &r.stats);
    printf("  solver: %ld steps, %ld RHS evaluations, %s linear solver, %.3f s wall\n", r.stats.steps,
           r.stats.rhs_evals + r.stats.rhs_evals_jacobian, r.stats.linear_solver, r.wall);
    printf("  wrote %s/timeseries.csv and %s/run.json\n", a.out, a.out);
    print_warnings(&r);
    rc = 0;
  }
  run_result_free(&r);
  exo_model_free(m);
  free(a.sets);
  return rc;
}

/* Parses the arguments and loads the model with its overrides; on failure prints why and
 * returns the exit status (the arguments are freed). */
static int open_model(int argc, char **argv, run_args *a, exo_model **m) {
  int rc = parse_run_args(argc, argv, a, ARGS_CHECK);
  exo_error err = {0};
  if (!rc && load_and_set(a, m, &err)) {
    fprintf(stderr, "exosim: %s\n", err.msg);
    rc = EXIT_BAD_INPUT;
  }
  if (rc) free(a->sets);
  return rc;
}

static int cmd_check(int argc, char **argv) {
  run_args a;
  exo_model *m = NULL;
  int rc = open_model(argc, argv, &a, &m);
  if (rc) return rc;
  exo_model_print_summary(m, stdout);
  printf("ok: %s is a valid model\n", exo_model_source_path(m));
  exo_model_free(m);
  free(a.sets);
  return 0;
}

static int cmd_show(int argc, char **argv) {
  const char *name = argc > 0 ? argv[0] : default_model_name();
  const char *text = exo_builtin_model_text(name, NULL);
  if (!text) {
    fprintf(stderr, "exosim: no built-in model '%s' (see 'exosim models')\n", name);
    return EXIT_BAD_INPUT;
  }
  fputs(text, stdout);
  return 0;
}

static int cmd_graph(int argc, char **argv) {
  run_args a;
  exo_model *m = NULL;
  int rc = open_model(argc, argv, &a, &m);
  if (rc) return rc;
  exo_error err = {0};
  rc = exo_io_write_graph(stdout, m, &err) ? EXIT_RUN_FAILED : 0;
  if (rc) fprintf(stderr, "exosim: %s\n", err.msg);
  exo_model_free(m);
  free(a.sets);
  return rc;
}

/* exosim compare: every arm (or --arms A,B) of one model, run side by side in threads. Each arm
 * loads its own copy of the model, so the runs share nothing and give the same numbers as one
 * by one. Then DIR/summary.csv, DIR/plots/ and DIR/report.html. */
static int cmd_compare(int argc, char **argv) {
  run_args a;
  int rc = parse_run_args(argc, argv, &a, ARGS_COMPARE);
  if (rc) {
    free(a.sets);
    return rc;
  }
  exo_error err = {0};
  exo_model *probe = NULL;
  if (load_and_set(&a, &probe, &err)) {
    fprintf(stderr, "exosim: %s\n", err.msg);
    free(a.sets);
    return EXIT_BAD_INPUT;
  }
  int narm = 0, total = exo_model_arm_count(probe);
  const char **arms = calloc((size_t)total + 64, sizeof *arms);
  char *list = a.arms ? strdup(a.arms) : NULL;
  rc = arms && (!a.arms || list) ? 0 : EXIT_RUN_FAILED;
  if (!rc && list) {
    for (char *tok = strtok(list, ","); tok && !rc; tok = strtok(NULL, ",")) {
      if (narm == total + 63 || exo_model_choose_arm(probe, tok, &err)) {
        fprintf(stderr, "exosim: --arms: %s\n", narm == total + 63 ? "too many arms" : err.msg);
        rc = EXIT_BAD_INPUT;
      }
      for (int i = 0; !rc && i < narm; i++)
        if (!strcmp(arms[i], tok)) {
          fprintf(stderr, "exosim: --arms: '%s' is listed twice\n", tok);
          rc = EXIT_BAD_INPUT;
        }
      if (!rc) arms[narm++] = tok;
    }
  } else if (!rc) {
    for (int i = 0; i < total; i++) arms[narm++] = exo_model_arm_name(probe, i);
  }
  if (!rc && narm == 0) {
    fprintf(stderr, "exosim: model '%s' declares no arms to compare (add an 'arms:' section)\n", exo_model_name(probe));
    rc = EXIT_BAD_INPUT;
  }
  if (!rc && exo_io_prepare_outdir(a.out, &err)) {
    fprintf(stderr, "exosim: %s\n", err.msg);
    rc = EXIT_RUN_FAILED;
  }
  if (rc) {
    free(list);
    free(arms);
    exo_model_free(probe);
    free(a.sets);
    return rc;
  }
  char summary_path[4200], report_path[4200];
  snprintf(summary_path, sizeof summary_path, "%s/summary.csv", a.out);
  snprintf(report_path, sizeof report_path, "%s/report.html", a.out);
  remove(summary_path); /* nothing of an earlier comparison may pass for this one */
  remove(report_path);
  exo_model **models = calloc((size_t)narm, sizeof *models);
  run_result *res = calloc((size_t)narm, sizeof *res);
  exo_arm_summary *sums = calloc((size_t)narm, sizeof *sums);
  if (!models || !res || !sums) {
    fprintf(stderr, "exosim: out of memory\n");
    rc = EXIT_RUN_FAILED;
    goto out;
  }
  double t0 = now_seconds();
#pragma omp parallel for schedule(dynamic, 1)
  for (int i = 0; i < narm; i++) {
    char dir[4300];
    snprintf(dir, sizeof dir, "%s/%s", a.out, arms[i]);
    if ((res[i].st = load_and_set(&a, &models[i], &res[i].err)) ||
        (res[i].st = exo_model_choose_arm(models[i], arms[i], &res[i].err)))
      continue;
    run_to_dir(models[i], &a, dir, &res[i]);
  }
  double wall = now_seconds() - t0;
  for (int i = 0; i < narm; i++)
    if (res[i].st) {
      fprintf(stderr, "exosim: arm '%s': %s\n", arms[i], res[i].err.msg);
      rc = EXIT_RUN_FAILED;
    }
  if (rc) goto out;
  for (int i = 0; i < narm && !rc; i++)
    if (exo_arm_summarise(&res[i].rec, &sums[i], &err)) {
      fprintf(stderr, "exosim: arm '%s': %s\n", arms[i], err.msg);
      rc = EXIT_RUN_FAILED;
    }
  if (!rc && exo_io_write_summary(a.out, arms, sums, narm, &err)) {
    fprintf(stderr, "exosim: %s\n", err.msg);
    rc = EXIT_RUN_FAILED;
  }
  if (rc) goto out;
  exo_arm_result *ar = calloc((size_t)narm, sizeof *ar);
  double *doses = calloc((size_t)narm * 512, sizeof *doses);
  if (!ar || !doses) {
    free(ar);
    free(doses);
    fprintf(stderr, "exosim: out of memory\n");
    rc = EXIT_RUN_FAILED;
    goto out;
  }
  for (int i = 0; i < narm; i++) {
    int ai = -1;
    for (int k = 0; k < total; k++)
      if (!strcmp(exo_model_arm_name(probe, k), arms[i])) ai = k;
    int nd = exo_model_arm_dose_days(probe, ai, doses + (size_t)i * 512, 512);
    ar[i] = (exo_arm_result){arms[i], exo_model_arm_description(probe, ai), &res[i].rec, doses + (size_t)i * 512, nd < 512 ? nd : 512};
  }
  exo_model_choose_arm(probe, NULL, &err);
  if (exo_plot_arms(a.out, probe, ar, narm, &err) || exo_report_html(a.out, probe, ar, narm, &err)) {
    fprintf(stderr, "exosim: %s\n", err.msg);
    rc = EXIT_RUN_FAILED;
  }
  free(ar);
  free(doses);
  if (rc) goto out;
  printf("exosim %s: compared %d arms of model '%s' in %.2f s (%d threads)\n", EXO_VERSION_STRING, narm,
         exo_model_name(probe), wall, exo_threads());
  printf("  %-28s %12s %12s %12s %10s %s\n", "arm", "final", "peak", "lowest", "progress", "best response");
  for (int i = 0; i < narm; i++) {
    char prog[32] = "never";
    if (!isnan(sums[i].days_to_progression)) snprintf(prog, sizeof prog, "day %g", sums[i].days_to_progression);
    printf("  %-28s %12.3g %12.3g %12.3g %10s %s\n", arms[i], sums[i].final_burden, sums[i].peak_burden, sums[i].min_burden,
           prog, sums[i].best_response);
  }
  printf("  wrote %s/summary.csv, %s/plots/ and the report: %s\n", a.out, a.out, report_path);
out:
  for (int i = 0; models && i < narm; i++) {
    run_result_free(&res[i]);
    exo_model_free(models[i]);
  }
  free(models);
  free(res);
  free(sums);
  free(list);
  free(arms);
  exo_model_free(probe);
  free(a.sets);
  return rc;
}

static exo_status resume_load(void *ctx, const char *spec, const char *const *sets, int nsets, const char *arm, exo_model **m,
                              exo_error *err) {
  (void)ctx;
  exo_status st = load_model(spec, m, err);
  for (int i = 0; !st && i < nsets; i++) st = exo_model_set(*m, sets[i], err);
  if (!st && arm) st = exo_model_choose_arm(*m, arm, err);
  if (st && *m) {
    exo_model_free(*m);
    *m = NULL;
  }
  return st;
}

/* exosim resume DIR [--threads N] [--checkpoint-every T] */
static int cmd_resume(int argc, char **argv) {
  const char *dir = NULL;
  int threads = 0;
  double every = 0;
  for (int i = 0; i < argc; i++) {
    const char *s = argv[i];
    if ((!strcmp(s, "--threads") || !strcmp(s, "--checkpoint-every")) && i + 1 >= argc) {
      fprintf(stderr, "exosim: %s needs a value\n", s);
      return EXIT_BAD_INPUT;
    }
    if (!strcmp(s, "--threads")) {
      unsigned long long t;
      if (parse_count(s, argv[++i], 1, 4096, &t)) return EXIT_BAD_INPUT;
      threads = (int)t;
    } else if (!strcmp(s, "--checkpoint-every")) {
      if (parse_wall_time(argv[++i], &every)) return EXIT_BAD_INPUT;
    } else if (s[0] == '-' && s[1]) {
      fprintf(stderr, "exosim: resume: unknown option '%s'\n", s);
      return EXIT_BAD_INPUT;
    } else if (!dir) dir = s;
    else {
      fprintf(stderr, "exosim: resume: one directory at a time\n");
      return EXIT_BAD_INPUT;
    }
  }
  if (!dir) {
    fprintf(stderr, "exosim: resume needs the run's output directory (exosim resume DIR)\n");
    return EXIT_BAD_INPUT;
  }
  return exo_cli_resume(dir, threads, every, resume_load, NULL);
}

static int cmd_models(void) {
  for (size_t i = 0; i < exo_builtin_model_count(); i++) {
    const char *name = exo_builtin_model_name(i);
    const char *text = exo_builtin_model_text(name, NULL);
    exo_model *m = NULL;
    exo_error err;
    const char *desc = "";
    if (!exo_model_load_string(text, strlen(text), name, &m, &err) && exo_model_description(m)) desc = exo_model_description(m);
    printf("%-32s %.*s\n", name, (int)strcspn(desc, "\n"), desc);
    exo_model_free(m);
  }
  return 0;
}

/* OpenMP threads that wait for work spin by default (libgomp: ~300,000 spins). On a machine
 * that is busy with anything else, a spinning thread takes the core from the thread doing the
 * work, and a tissue run slows 2x to 40x (measured; docs/performance.md). Waiting passively costs
 * nothing measurable on an idle machine for the B2 workload, so exosim waits passively unless the
 * user chose (OMP_WAIT_POLICY or GOMP_SPINCOUNT set). libgomp reads its environment when it is
 * loaded, before main, hence the re-execution; not under valgrind, which would lose the child. */
static void prefer_passive_openmp(char **argv) {
  if (getenv("OMP_WAIT_POLICY") || getenv("GOMP_SPINCOUNT")) return;
  const char *pre = getenv("LD_PRELOAD");
  if (pre && strstr(pre, "vgpreload")) return;
  if (setenv("OMP_WAIT_POLICY", "passive", 1)) return;
  execv("/proc/self/exe", argv);
  /* could not re-execute (no /proc): go on with the default policy */
  unsetenv("OMP_WAIT_POLICY");
}

int main(int argc, char **argv) {
  prefer_passive_openmp(argv);
  /* a full disk or a file-size limit (ulimit -f) must be an error message, not a silent kill:
   * with SIGXFSZ ignored the write fails with EFBIG and the writers report it */
  signal(SIGXFSZ, SIG_IGN);
  if (argc < 2) {
    usage(stderr);
    return EXIT_BAD_INPUT;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "run")) return cmd_run(argc - 2, argv + 2);
  if (!strcmp(cmd, "check")) return cmd_check(argc - 2, argv + 2);
  if (!strcmp(cmd, "show")) return cmd_show(argc - 2, argv + 2);
  if (!strcmp(cmd, "models")) return cmd_models();
  if (!strcmp(cmd, "graph")) return cmd_graph(argc - 2, argv + 2);
  if (!strcmp(cmd, "compare")) return cmd_compare(argc - 2, argv + 2);
  if (!strcmp(cmd, "resume")) return cmd_resume(argc - 2, argv + 2);
  if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
    printf("exosim %s\n", EXO_VERSION_STRING);
    return 0;
  }
  if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
    usage(stdout);
    return 0;
  }
  fprintf(stderr, "exosim: unknown command '%s'\n\n", cmd);
  usage(stderr);
  return EXIT_BAD_INPUT;
}
