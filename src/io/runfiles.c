/* CSV time series and the run record (run.json). Both are written to "NAME.tmp", flushed, synced
 * and renamed, so a file under its final name is always whole. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exosim/ensemble.h"
#include "io/iohelp.h"
#include "exosim/io.h"
#include "exosim/tissue.h"
#include "model/model.h"

exo_status exo_io_prepare_outdir(const char *dir, exo_error *err) {
  exo_status st = exo__mkdir_p(dir, "output directory", err);
  if (st) return st;
  char path[4200];
  /* outputs of an earlier run in the same directory must not pass for this run's */
  static const char *const stale[] = {"run.json", "timeseries.csv"};
  for (size_t i = 0; i < sizeof stale / sizeof stale[0]; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, stale[i]);
    if (unlink(path) && errno != ENOENT)
      return exo_error_set(err, EXO_ERR_IO, "%s: cannot remove the previous run's file: %s", path, strerror(errno));
  }
  /* probe that we can write here before any work is done */
  snprintf(path, sizeof path, "%s/.exosim-write-test", dir);
  FILE *f = fopen(path, "w");
  if (!f) return exo_error_set(err, EXO_ERR_IO, "%s: output directory is not writable: %s", dir, strerror(errno));
  fclose(f);
  unlink(path);
  return EXO_OK;
}

static FILE *open_tmp(const char *dir, const char *name, char *tmp, size_t n, exo_error *err) {
  snprintf(tmp, n, "%s/%s.tmp", dir, name);
  FILE *f = fopen(tmp, "w");
  if (!f) exo_error_set(err, EXO_ERR_IO, "%s: cannot write: %s", tmp, strerror(errno));
  return f;
}

static exo_status close_and_rename(FILE *f, const char *dir, const char *name, const char *tmp, exo_error *err) {
  int bad = ferror(f);
  if (fflush(f)) bad = 1;
  if (!bad && fsync(fileno(f))) bad = 1;
  int e = errno;
  if (fclose(f)) bad = 1, e = errno;
  if (bad) {
    unlink(tmp);
    return exo_error_set(err, EXO_ERR_IO, "%s/%s: write failed: %s", dir, name, strerror(e ? e : EIO));
  }
  char final[4200];
  snprintf(final, sizeof final, "%s/%s", dir, name);
  if (rename(tmp, final)) {
    e = errno;
    unlink(tmp);
    return exo_error_set(err, EXO_ERR_IO, "%s: cannot rename into place: %s", final, strerror(e));
  }
  return EXO_OK;
}

exo_status exo_io_write_timeseries(const char *dir, const exo_recorder *rec, exo_error *err) {
  char tmp[4200];
  FILE *f = open_tmp(dir, "timeseries.csv", tmp, sizeof tmp, err);
  if (!f) return EXO_ERR_IO;
  fputs("time_days", f);
  for (size_t c = 0; c < rec->ncol; c++) fprintf(f, ",%s", rec->names[c]);
  fputc('\n', f);
  for (size_t r = 0; r < rec->nrow; r++) {
    fprintf(f, "%.12g", rec->times[r] / EXO_MINUTES_PER_DAY);
    const double *v = rec->values + r * rec->ncol;
    for (size_t c = 0; c < rec->ncol; c++) /* + 0.0 turns -0 into 0 */
      fprintf(f, ",%.12g", (rec->unit_factor ? v[c] / rec->unit_factor[c] : v[c]) + 0.0);
    fputc('\n', f);
  }
  return close_and_rename(f, dir, "timeseries.csv", tmp, err);
}

/* JSON's own escapes; control characters as \u00XX; invalid UTF-8 (a raw byte in a file name)
 * would make the JSON invalid, so it becomes U+FFFD */
static bool json_ascii(FILE *f, unsigned char c) {
  switch (c) {
  case '"': fputs("\\\"", f); return true;
  case '\\': fputs("\\\\", f); return true;
  case '\n': fputs("\\n", f); return true;
  case '\r': fputs("\\r", f); return true;
  case '\t': fputs("\\t", f); return true;
  default:
    if (c >= 0x20) return false;
    fprintf(f, "\\u%04x", c);
    return true;
  }
}

void exo_json_string(FILE *f, const char *s) {
  fputc('"', f);
  exo__write_escaped(f, s, json_ascii, "\\ufffd");
  fputc('"', f);
}

static void json_number(FILE *f, double v) {
  if (isfinite(v)) fprintf(f, "%.17g", v);
  else fputs("null", f);
}

exo_status exo_io_write_run_json(const char *dir, const exo_run_info *in, exo_error *err) {
  char tmp[4200];
  FILE *f = open_tmp(dir, "run.json", tmp, sizeof tmp, err);
  if (!f) return EXO_ERR_IO;
  const exo_model *m = in->model;
  fprintf(f, "{\n  \"exosim_version\": ");
  exo_json_string(f, in->version);
  if (m) {
    fprintf(f, ",\n  \"model\": {\"name\": ");
    exo_json_string(f, m->name);
    fprintf(f, ", \"source\": ");
    exo_json_string(f, m->source_path);
    fprintf(f, ", \"sha256\": ");
    exo_json_string(f, m->hash);
    fprintf(f, "},\n  \"host\": ");
    if (m->host) exo_json_string(f, m->host);
    else fputs("null", f);
    fprintf(f, ",\n  \"arm\": ");
    if (m->arm) exo_json_string(f, m->arm);
    else fputs("null", f);
    fprintf(f, ",\n  \"engine\": \"%s\",\n  \"end_days\": ", in->tissue ? "tissue" : "systemic");
    json_number(f, in->end_days);
    fprintf(f, ",\n  \"set\": [");
    for (int i = 0; i < in->nsets; i++) {
      fputs(i ? ", " : "", f);
      exo_json_string(f, in->sets[i]);
    }
    fprintf(f, "],\n  \"parameters\": {");
    for (int i = 0; i < m->nparam; i++) {
      char dim[64];
      exo_dim_format(m->params[i].dim, dim, sizeof dim);
      fprintf(f, "%s\n    ", i ? "," : "");
      exo_json_string(f, m->params[i].name);
      fprintf(f, ": {\"value\": ");
      json_number(f, m->params[i].value);
      fprintf(f, ", \"dimension\": ");
      exo_json_string(f, dim);
      fprintf(f, ", \"as_written\": ");
      exo_json_string(f, m->params[i].written);
      fprintf(f, "}");
    }
    fprintf(f, "\n  },\n  \"columns\": {");
    for (int i = 0; i < m->nstate; i++) {
      fprintf(f, "%s\n    ", i ? "," : "");
      exo_json_string(f, m->states[i].column);
      fprintf(f, ": \"count\"");
    }
    for (int i = 0; i < m->noutput; i++) {
      char dim[64];
      exo_dim_format(m->outputs[i].expr->dim, dim, sizeof dim);
      fprintf(f, ",\n    ");
      exo_json_string(f, m->outputs[i].name);
      fprintf(f, ": ");
      if (m->outputs[i].unit) exo_json_string(f, m->outputs[i].unit);
      else {
        char internal[96];
        snprintf(internal, sizeof internal, "internal (%s)", dim);
        exo_json_string(f, internal);
      }
    }
    fprintf(f, "\n  },\n  \"internal_units\": {\"length\": \"um\", \"time\": \"min\", \"amount\": \"count\", \"mass\": \"ng\"},\n");
    fprintf(f, "  \"processes\": {");
    for (int i = 0; i < m->nproc; i++) {
      fprintf(f, "%s\n    ", i ? "," : "");
      exo_json_string(f, m->procs[i].name);
      fprintf(f, ": %s", m->procs[i].enabled ? "\"on\"" : "\"off\"");
    }
    fprintf(f, "\n  },\n");
  } else {
    fprintf(f, ",\n");
  }
  if (in->stats) {
    const exo_solver_stats *s = in->stats;
    fprintf(f,
            "  \"solver\": {\"method\": \"CVODE BDF, Newton\", \"linear_solver\": \"%s\", \"band_lower\": %d, "
            "\"band_upper\": %d, \"rtol\": %.17g, \"atol\": %.17g, \"steps\": %ld, \"rhs_evals\": %ld, "
            "\"rhs_evals_jacobian\": %ld, \"jacobian_evals\": %ld, \"linear_setups\": %ld, \"newton_iters\": %ld, "
            "\"newton_conv_fails\": %ld, \"error_test_fails\": %ld, \"reinits\": %ld, \"events_applied\": %ld},\n",
            s->linear_solver, s->band_lower, s->band_upper, s->rtol, s->atol, s->steps, s->rhs_evals,
            s->rhs_evals_jacobian, s->jac_evals, s->lin_setups, s->newton_iters, s->newton_conv_fails,
            s->err_test_fails, s->reinits, s->events_applied);
    if (s->npools) {
      /* where the vesicles went: secreted (+ drained in + added) = present + cleared + taken up
       * + drained out, checked at every output time */
      fprintf(f, "  \"vesicle_balance\": {\"max_rel_error\": ");
      json_number(f, s->balance_max_rel_error);
      fprintf(f, ", \"within_1e-6\": %s", s->balance_max_rel_error <= 1e-6 ? "true" : "false");
      fprintf(f, ", \"pools\": {");
      for (int p = 0; p < s->npools && m; p++) {
        const exo_pool_balance *b = &s->pools[p];
        fprintf(f, "%s\n    ", p ? "," : "");
        exo_json_string(f, m->states[b->state].column);
        const char *k[] = {"initial", "added", "secreted", "drained_in", "present", "cleared", "taken_up", "drained_out", "rel_error"};
        double v[] = {b->initial, b->added, b->secreted, b->drained_in, b->present, b->cleared, b->taken_up, b->drained_out, b->rel_error};
        fprintf(f, ": {");
        for (int i = 0; i < 9; i++) {
          fprintf(f, "%s\"%s\": ", i ? ", " : "", k[i]);
          json_number(f, v[i]);
        }
        fprintf(f, "}");
      }
      fprintf(f, "\n  }},\n");
    }
    fprintf(f, "  \"rhs\": {\"evaluation\": ");
    exo_json_string(f, s->rhs);
    fprintf(f, ", \"note\": ");
    exo_json_string(f, s->rhs_note);
    fprintf(f, "},\n");
    fprintf(f, "  \"non_negativity\": {\"constraints_released_day\": ");
    if (s->constraints_released_day >= 0) json_number(f, s->constraints_released_day);
    else fputs("null", f);
    fprintf(f, ", \"most_negative_value_written_as_zero\": ");
    json_number(f, s->most_negative);
    fprintf(f, ", \"state\": ");
    if (s->most_negative < 0 && m) exo_json_string(f, m->states[s->most_negative_state].column);
    else fputs("null", f);
    fprintf(f, "},\n");
  }
  if (in->tissue) {
    const exo_tissue_stats *t = in->tissue;
    fprintf(f, "  \"seed\": %llu,\n  \"threads\": %d,\n", in->seed, in->threads);
    fprintf(f,
            "  \"tissue\": {\"cells_initial\": %ld, \"cells_final\": %ld, \"cells_peak\": %ld, \"divisions\": %ld, "
            "\"apoptosis\": %ld, \"necrosis\": %ld, \"kills\": %ld, \"removals\": %ld, \"recruited\": %ld, "
            "\"transformations\": %ld, \"cell_steps\": %.17g, \"diffusion_steps\": %.17g, \"mechanics_steps\": %.17g, "
            "\"phenotype_steps\": %.17g, \"bytes_per_cell\": %.17g, \"field_bytes\": %.17g, \"drained_to_systemic\": ",
            t->cells_initial, t->cells_final, t->cells_peak, t->divisions, t->deaths_apoptosis, t->deaths_necrosis, t->kills,
            t->removals, t->recruited, t->transformations, t->cell_steps, t->diffusion_steps, t->mechanics_steps,
            t->phenotype_steps, t->bytes_per_cell, t->field_bytes);
    json_number(f, t->drained_total);
    fprintf(f, "},\n");
  }
  if (in->nfiles) {
    fprintf(f, "  \"files\": [");
    for (int i = 0; i < in->nfiles; i++) {
      fputs(i ? ", " : "", f);
      exo_json_string(f, in->files[i]);
    }
    fprintf(f, "],\n");
  }
  /* the tumour's course, read off the recorded tumour_burden column */
  const exo_recorder *rec = in->rec;
  for (size_t c = 0; rec && (in->stats || in->tissue) && rec->names && rec->nrow && c < rec->ncol; c++) {
    if (strcmp(rec->names[c], "tumour_burden")) continue;
    double fac = rec->unit_factor ? rec->unit_factor[c] : 1;
    size_t peak = 0, nadir = 0;
    for (size_t r = 1; r < rec->nrow; r++) {
      if (rec->values[r * rec->ncol + c] > rec->values[peak * rec->ncol + c]) peak = r;
      if (rec->values[r * rec->ncol + c] < rec->values[nadir * rec->ncol + c]) nadir = r;
    }
    fprintf(f, "  \"tumour\": {\"final_burden\": ");
    json_number(f, rec->values[(rec->nrow - 1) * rec->ncol + c] / fac);
    fprintf(f, ", \"peak_burden\": ");
    json_number(f, rec->values[peak * rec->ncol + c] / fac);
    fprintf(f, ", \"peak_day\": ");
    json_number(f, rec->times[peak] / EXO_MINUTES_PER_DAY);
    fprintf(f, ", \"nadir_burden\": ");
    json_number(f, rec->values[nadir * rec->ncol + c] / fac);
    fprintf(f, ", \"nadir_day\": ");
    json_number(f, rec->times[nadir] / EXO_MINUTES_PER_DAY);
    fprintf(f, "},\n");
    break;
  }
  fprintf(f, "  \"wall_seconds\": ");
  json_number(f, in->wall_seconds);
  if (in->reason) {
    fprintf(f, ",\n  \"reason\": ");
    exo_json_string(f, in->reason);
  }
  fprintf(f, ",\n  \"status\": ");
  exo_json_string(f, in->status);
  fprintf(f, "\n}\n");
  return close_and_rename(f, dir, "run.json", tmp, err);
}

exo_status exo_io_write_summary(const char *dir, const char *const *arms, const exo_arm_summary *s, int n, exo_error *err) {
  char tmp[4200];
  FILE *f = open_tmp(dir, "summary.csv", tmp, sizeof tmp, err);
  if (!f) return EXO_ERR_IO;
  fputs("arm,final_burden,peak_burden,min_burden,auc_burden,days_to_progression,best_response\n", f);
  for (int i = 0; i < n; i++) {
    fprintf(f, "%s,%.6g,%.6g,%.6g,%.6g,", arms[i], s[i].final_burden, s[i].peak_burden, s[i].min_burden, s[i].auc_burden);
    if (!isnan(s[i].days_to_progression)) fprintf(f, "%.6g", s[i].days_to_progression);
    fprintf(f, ",%s\n", s[i].best_response);
  }
  return close_and_rename(f, dir, "summary.csv", tmp, err);
}
