/* Overrides (--set) and the one-screen summary of a model. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strutil.h"
#include "model/model.h"
#include "model/tissue_spec.h"

static const char *suggest_param(const exo_model *m, const char *name) {
  const char *c[1024];
  size_t n = 0;
  for (int i = 0; i < m->nparam && n < 1024; i++) c[n++] = m->params[i].name;
  return exo_nearest(name, c, n);
}

/* One override NAME=VALUE; label prefixes messages ("--set r=0.1/day"). With apply false it only
 * checks (host variants are checked when the model is loaded, applied when chosen). */
exo_status exo_model_override(exo_model *m, const char *name, const char *val, const char *assignment, bool apply,
                              exo_error *err) {
  exo_quantity q;
  exo_error e2;
  exo_status st;

  if (!strncmp(name, "mech.", 5)) {
    int p = exo_model_find_process(m, name + 5);
    if (p < 0) {
      const char *c[1024];
      size_t n = 0;
      for (int i = 0; i < m->nproc && n < 1024; i++) c[n++] = m->procs[i].name;
      const char *sug = exo_nearest(name + 5, c, n);
      return exo_error_set(err, EXO_ERR_USAGE, "%s: no process named '%s'%s%s%s", assignment, name + 5,
                           sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
    }
    if (!strcmp(val, "on") || !strcmp(val, "true") || !strcmp(val, "yes")) {
      /* a therapy's process is on only in its arms: "on" just lifts a switch-off */
      if (apply && !m->procs[p].therapy) m->procs[p].enabled = true;
      if (apply) m->procs[p].switched_off = false;
    } else if (!strcmp(val, "off") || !strcmp(val, "false") || !strcmp(val, "no")) {
      if (apply) m->procs[p].enabled = false;
      if (apply) m->procs[p].switched_off = true;
    }
    else return exo_error_set(err, EXO_ERR_USAGE, "%s: a process switch takes on or off", assignment);
    return EXO_OK;
  }
  if (!strcmp(name, "host"))
    return exo_error_set(err, EXO_ERR_USAGE, "%s: a host can only be chosen with --set host=NAME", assignment);
  if (!strcmp(name, "solver.rhs")) {
    exo_rhs_mode mode;
    if (exo_rhs_mode_parse(val, &mode))
      return exo_error_set(err, EXO_ERR_USAGE, "%s: solver.rhs takes auto, native or interpreter", assignment);
    if (apply) m->solver.rhs_mode = mode;
    return EXO_OK;
  }
  if (!strncmp(name, "solver.", 7)) {
    if (strcmp(name + 7, "rtol") && strcmp(name + 7, "atol"))
      return exo_error_set(err, EXO_ERR_USAGE, "%s: solver settings are solver.rtol, solver.atol and solver.rhs", assignment);
    if ((st = exo_quantity_parse(val, &q, &e2))) return exo_error_set(err, st, "%s: %s", assignment, e2.msg);
    if (q.has_unit) return exo_error_set(err, EXO_ERR_UNIT, "%s: tolerances take a plain number", assignment);
    if (!strcmp(name + 7, "rtol") && q.value >= 1e-15 && q.value <= 0.5) {
      if (apply) m->solver.rtol = q.value;
    } else if (!strcmp(name + 7, "atol") && q.value >= 1e-300 && q.value <= 1e12) {
      if (apply) m->solver.atol = q.value;
    }
    else return exo_error_set(err, EXO_ERR_USAGE, "%s: value out of range (rtol in [1e-15, 0.5], atol in [1e-300, 1e12])", assignment);
    return EXO_OK;
  }
  if (!strncmp(name, "initial.", 8)) {
    int s = exo_model_find_state(m, name + 8);
    if (s < 0) return exo_error_set(err, EXO_ERR_USAGE, "%s: no state '%s' (write initial.COMPARTMENT.NAME)", assignment, name + 8);
    if ((st = exo_quantity_parse(val, &q, &e2))) return exo_error_set(err, st, "%s: %s", assignment, e2.msg);
    exo_dim count = exo_dim_base(EXO_DIM_COUNT, 1), conc = exo_dim_div(count, exo_dim_base(EXO_DIM_LENGTH, 3));
    if (!q.has_unit) return exo_error_set(err, EXO_ERR_UNIT, "%s: needs a unit: expected count (e.g. 1e6cells)", assignment);
    if (exo_dim_eq(q.dim, conc)) q.value *= m->comps[m->states[s].compartment].volume;
    else if (!exo_dim_eq(q.dim, count)) {
      char dg[64];
      exo_dim_format(q.dim, dg, sizeof dg);
      return exo_error_set(err, EXO_ERR_UNIT, "%s: expected count or count/length^3, got %s", assignment, dg);
    }
    if (q.value < 0) return exo_error_set(err, EXO_ERR_USAGE, "%s: an initial amount cannot be negative", assignment);
    if (apply) m->states[s].initial = q.value;
    return EXO_OK;
  }
  int p = exo_model_find_param(m, name);
  if (p < 0) {
    const char *sug = suggest_param(m, name);
    return exo_error_set(err, EXO_ERR_USAGE, "%s: unknown parameter '%s'%s%s%s", assignment, name,
                         sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
  }
  if ((st = exo_quantity_parse(val, &q, &e2))) return exo_error_set(err, st, "%s: %s", assignment, e2.msg);
  exo_param *par = &m->params[p];
  char dw[64], dg[64];
  exo_dim_format(par->dim, dw, sizeof dw);
  exo_dim_format(q.dim, dg, sizeof dg);
  if (!q.has_unit && !exo_dim_is_none(par->dim))
    return exo_error_set(err, EXO_ERR_UNIT, "%s: needs a unit: '%s' is %s (it was written '%s')", assignment,
                         name, dw, par->written);
  if (!exo_dim_eq(q.dim, par->dim))
    return exo_error_set(err, EXO_ERR_UNIT, "%s: expected %s, got %s", assignment, dw, dg);
  if (q.value < 0) return exo_error_set(err, EXO_ERR_USAGE, "%s: '%s' must not be negative", assignment, name);
  if (!apply) return EXO_OK;
  par->value = q.value;
  char *w = exo_arena_strdup(&m->arena, val);
  if (w) par->written = w;
  return EXO_OK;
}

exo_status exo_model_set(exo_model *m, const char *assignment, exo_error *err) {
  char label[300];
  snprintf(label, sizeof label, "--set %s", assignment);
  const char *eq = strchr(assignment, '=');
  if (!eq || eq == assignment)
    return exo_error_set(err, EXO_ERR_USAGE, "%s: expected NAME=VALUE (e.g. --set k_kill=0.5/day)", label);
  char name[256];
  size_t nl = (size_t)(eq - assignment);
  if (nl >= sizeof name) return exo_error_set(err, EXO_ERR_USAGE, "--set: name too long");
  memcpy(name, assignment, nl);
  name[nl] = '\0';
  while (nl && isspace((unsigned char)name[nl - 1])) name[--nl] = '\0';
  const char *val = eq + 1;
  while (isspace((unsigned char)*val)) val++;
  if (!strcmp(name, "host")) {
    for (int h = 0; h < m->nhost; h++) {
      if (strcmp(m->hosts[h].name, val)) continue;
      for (int i = 0; i < m->hosts[h].nset; i++) {
        char hl[400];
        snprintf(hl, sizeof hl, "host '%s': %s=%s", val, m->hosts[h].set_name[i], m->hosts[h].set_value[i]);
        exo_status st = exo_model_override(m, m->hosts[h].set_name[i], m->hosts[h].set_value[i], hl, true, err);
        if (st) return st;
      }
      m->host = m->hosts[h].name;
      return EXO_OK;
    }
    char list[512] = "";
    size_t used = 0;
    for (int h = 0; h < m->nhost; h++) {
      int w = snprintf(list + used, sizeof list - used, "%s%s", h ? ", " : "", m->hosts[h].name);
      if (w < 0 || (size_t)w >= sizeof list - used) break;
      used += (size_t)w;
    }
    return exo_error_set(err, EXO_ERR_USAGE, "%s: the model has no host '%s'%s%s%s", label, val,
                         m->nhost ? " (hosts: " : " (it declares no hosts)", m->nhost ? list : "", m->nhost ? ")" : "");
  }
  return exo_model_override(m, name, val, label, true, err);
}

int exo_rhs_mode_parse(const char *text, exo_rhs_mode *out) {
  if (!strcmp(text, "auto")) *out = EXO_RHS_AUTO;
  else if (!strcmp(text, "native")) *out = EXO_RHS_NATIVE;
  else if (!strcmp(text, "interpreter")) *out = EXO_RHS_INTERPRETER;
  else return -1;
  return 0;
}

void exo_model_print_summary(const exo_model *m, FILE *f) {
  fprintf(f, "model %s  (%s)\n", m->name, m->source_path);
  if (m->description) fprintf(f, "  %s\n", m->description);
  fprintf(f, "compartments (%d):", m->ncomp);
  for (int i = 0; i < m->ncomp; i++) fprintf(f, " %s [%.3g mL]", m->comps[i].name, m->comps[i].volume / 1e12);
  fprintf(f, "\n");
  static const char *const heads[] = {"populations", "vesicle pools", "molecules"};
  for (int k = 0; k < 3; k++) {
    int n = 0;
    for (int i = 0; i < m->nstate; i++) n += (int)m->states[i].kind == k;
    if (!n) continue;
    fprintf(f, "%s (%d):", heads[k], n);
    for (int i = 0; i < m->nstate; i++)
      if ((int)m->states[i].kind == k)
        fprintf(f, " %s=%.3g%s", m->states[i].column, m->states[i].initial, m->states[i].tumour ? " (tumour)" : "");
    fprintf(f, "\n");
  }
  int own = 0;
  for (int i = 0; i < m->nparam; i++) own += !m->params[i].owner;
  fprintf(f, "parameters (%d, plus %d set inside processes):", own, m->nparam - own);
  for (int i = 0; i < m->nparam; i++)
    if (!m->params[i].owner) fprintf(f, " %s=%s", m->params[i].name, m->params[i].written);
  fprintf(f, "\nprocesses (%d):\n", m->nproc);
  int w = 8;
  for (int i = 0; i < m->nproc; i++)
    if ((int)strlen(m->procs[i].name) > w) w = (int)strlen(m->procs[i].name);
  for (int i = 0; i < m->nproc; i++) {
    const exo_process *p = &m->procs[i];
    fprintf(f, "  %-*s %-16s %s%s\n", w, p->name, p->kind, p->rate_text, p->enabled ? "" : "   [off]");
  }
  if (m->noutput) {
    fprintf(f, "outputs (%d):", m->noutput);
    for (int i = 0; i < m->noutput; i++) fprintf(f, " %s", m->outputs[i].name);
    fprintf(f, "\n");
  }
  if (m->nevent) {
    fprintf(f, "events (%d):", m->nevent);
    for (int i = 0; i < m->nevent && i < 12; i++) fprintf(f, " %s@%gd", m->events[i].label, m->events[i].time / EXO_MINUTES_PER_DAY);
    fprintf(f, m->nevent > 12 ? " ...\n" : "\n");
  }
  fprintf(f, "simulation: %g days, output every %g days, rtol %g, atol %g\n", m->solver.end_time / EXO_MINUTES_PER_DAY,
          m->solver.output_every / EXO_MINUTES_PER_DAY, m->solver.rtol, m->solver.atol);
  const exo_tissue_spec *ts = m->tissue;
  if (ts) {
    size_t n[3] = {1, 1, 1};
    for (int a = 0; a < ts->grid.dims; a++) n[a] = (size_t)((ts->grid.hi[a] - ts->grid.lo[a]) / ts->grid.dx + 0.5);
    fprintf(f, "tissue: %zu x %zu x %zu voxels of %g um; steps %g / %g / %g min; %g days (exosim run --engine tissue)\n", n[0],
            n[1], n[2], ts->grid.dx, ts->dt_diffusion, ts->dt_mechanics, ts->dt_phenotype,
            (ts->end_time > 0 ? ts->end_time : m->solver.end_time) / EXO_MINUTES_PER_DAY);
    fprintf(f, "  fields (%d):", ts->nfields);
    for (int i = 0; i < ts->nfields; i++) fprintf(f, " %s%s", ts->fields[i].spec.name, ts->fields[i].cargo_of >= 0 ? "(cargo)" : "");
    fprintf(f, "\n  cell types (%d):", ts->ntypes);
    for (int i = 0; i < ts->ntypes; i++)
      fprintf(f, " %s[%ld%s]", ts->types[i].name, ts->types[i].placement == EXO_PLACE_NONE ? 0L : ts->types[i].initial_count,
              ts->types[i].recruit_from >= 0 ? ", recruited" : "");
    fprintf(f, "\n  received cargo (%d), custom variables (%d), rules (%d)%s%s\n", ts->ncargo, ts->nvariables, ts->nrules,
            ts->rules_file ? ", from " : "", ts->rules_file ? ts->rules_file : "");
  }
}

int exo_model_has_tissue(const exo_model *m) { return m->tissue != NULL; }
