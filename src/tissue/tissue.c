/* The tissue engine: set-up from a model's tissue section, the time loop with PhysiCell's three
 * clocks (diffusion, mechanics, phenotype), the coupling to the systemic model, and recording.
 *
 * One mechanics interval: n_d diffusion steps (cells exchange with the fields, then the fields
 * diffuse and decay), then the cells move and touch. One phenotype interval: n_m mechanics
 * intervals, then phenotype (rules, cycle, death, recruitment) and the coupling: the systemic
 * model is advanced to the same time and receives what drained out of the domain. Time is an
 * integer count of diffusion steps, so clocks never drift apart. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fault.h"
#include "core/rng.h"
#include "model/expr.h"
#include "systemic/rhs.h"
#include "tissue/tissue_internal.h"

_Static_assert(sizeof(long) == 8 && sizeof(size_t) == 8 && sizeof(double) == 8 && sizeof(int) == 4,
               "the cell arrays assume an LP64 platform");

static exo_status build_rule_groups(exo_tissue *T, exo_error *err) {
  const exo_tissue_spec *ts = T->ts;
  int nr = ts->nrules, nt = ts->ntypes;
  T->rule_order = exo_calloc((size_t)nr + 1, sizeof *T->rule_order);
  T->groups = exo_calloc((size_t)nr + 1, sizeof *T->groups);
  T->group_first = exo_calloc((size_t)nt + 1, sizeof *T->group_first);
  if (!T->rule_order || !T->groups || !T->group_first) return exo_error_set(err, EXO_ERR_NOMEM, "out of memory");
  int k = 0, g = 0;
  for (int t = 0; t < nt; t++) {
    T->group_first[t] = g;
    /* behaviours in slot order, rules of each in file order */
    for (int s = 0; s < T->c.nslot; s++) {
      int first = k;
      double max_up = 0, min_down = 0;
      for (int r = 0; r < nr; r++) {
        const exo_rule *R = &ts->rules[r];
        if (R->cell_type != t || R->behaviour != s) continue;
        T->rule_order[k++] = r;
        if (R->increases) max_up = R->saturation;
        else min_down = R->saturation;
        if (R->signal == EXO_SIG_CONTACT_TYPE || R->signal == EXO_SIG_CONTACT_LIVE || R->signal == EXO_SIG_CONTACT_DEAD)
          T->rules_need_contacts = true;
      }
      if (k > first) T->groups[g++] = (exo_rule_group){s, first, k, max_up, min_down};
    }
  }
  T->group_first[nt] = g;
  return EXO_OK;
}

static double symbol_value(void *ctx, const exo_symref *s) {
  const exo_tissue *T = ctx;
  switch (s->kind) {
  case EXO_SYM_TIME: return T->t;
  case EXO_SYM_PARAM: return T->params[s->index];
  case EXO_SYM_STATE: {
    /* as the right-hand side reads them: negatives (round-off) as zero */
    double y = T->sys ? exo_stepper_states(T->sys)[s->index] : T->m->states[s->index].initial;
    return y > 0 ? y : 0;
  }
  default: return NAN; /* outputs are refused by the loader */
  }
}

double exo_tissue_value(const exo_tissue *T, exo_tvalue v) {
  double x = exo_tvalue_get(v, T->params);
  if (v.factor) x *= exo_expr_eval_tree(v.factor, symbol_value, (void *)T);
  return x;
}

static int cmp_points(const void *a, const void *b) {
  const double *x = a, *y = b;
  for (int k = 0; k < 4; k++)
    if (x[k] != y[k]) return x[k] < y[k] ? -1 : 1;
  return 0;
}

/* Hexagonal close packing of spheres of radius r inside a ball of radius R around c: the count
 * points nearest the centre (all of them when count is 0), in a fixed order. */
static exo_status place_sphere(exo_tissue *T, int type, const exo_cell_type *ty, exo_error *err) {
  double r = exo_tissue_radius_of(ty->volume), R = ty->r_outer;
  double dxs = 2 * r, dys = sqrt(3.0) * r, dzs = 2 * sqrt(6.0) / 3 * r;
  int nz = (int)ceil(R / dzs) + 1, ny = (int)ceil(R / dys) + 1, nx = (int)ceil(R / dxs) + 1;
  size_t cap = 0, np = 0;
  double *pts = NULL;
  for (int k = -nz; k <= nz; k++)
    for (int j = -ny; j <= ny; j++)
      for (int i = -nx; i <= nx; i++) {
        double x = i * dxs + ((j + k) & 1 ? r : 0), y = j * dys + (k & 1 ? r / sqrt(3.0) : 0), z = k * dzs;
        if (T->dims < 3 && k != 0) continue;
        if (x * x + y * y + z * z > R * R) continue;
        if (np == cap) {
          cap = cap ? 2 * cap : 4096;
          double *q = exo_realloc(pts, cap * 4 * sizeof *q);
          if (!q) {
            free(pts);
            return exo_error_set(err, EXO_ERR_NOMEM, "out of memory placing cells");
          }
          pts = q;
        }
        pts[4 * np] = x * x + y * y + z * z;
        pts[4 * np + 1] = x;
        pts[4 * np + 2] = y;
        pts[4 * np + 3] = z;
        np++;
      }
  /* nearest the centre first; ties broken by the coordinates, so the order is total */
  qsort(pts, np, 4 * sizeof *pts, cmp_points);
  size_t want = ty->initial_count > 0 ? (size_t)ty->initial_count : np;
  if (want > np) {
    free(pts);
    return exo_error_set(err, EXO_ERR_MODEL,
                         "tissue: %ld cells of type '%s' do not fit in a sphere of radius %g um (at most %zu of volume %g um^3)",
                         ty->initial_count, ty->name, R, np, ty->volume);
  }
  for (size_t q = 0; q < want; q++) {
    double p[3] = {ty->center[0] + pts[4 * q + 1], ty->center[1] + pts[4 * q + 2], ty->center[2] + pts[4 * q + 3]};
    if (exo_tissue_add_cell(T, type, p, ty->volume, -1, err) < 0) {
      free(pts);
      return err ? err->status : EXO_ERR_MODEL;
    }
  }
  free(pts);
  return EXO_OK;
}


static exo_status place_random(exo_tissue *T, int type, const exo_cell_type *ty, exo_error *err) {
  double r = exo_tissue_radius_of(ty->volume);
  for (long q = 0; q < ty->initial_count; q++) {
    uint64_t id = (uint64_t)T->next_id;
    double u[4], p[3];
    exo_rng_uniform2(exo_rng_draw(T->seed, id, 0, EXO_RNG_PLACE, 0), &u[0], &u[1]);
    exo_rng_uniform2(exo_rng_draw(T->seed, id, 0, EXO_RNG_PLACE, 1), &u[2], &u[3]);
    if (ty->placement == EXO_PLACE_BOX) {
      for (int a = 0; a < 3; a++) {
        double lo = T->box_lo[a] + r, hi = T->box_hi[a] - r;
        p[a] = lo < hi ? lo + u[a] * (hi - lo) : 0.5 * (T->box_lo[a] + T->box_hi[a]);
      }
    } else { /* shell: uniform in volume between the two radii */
      double r0 = ty->r_inner, r1 = ty->r_outer, d[3];
      double th = 6.283185307179586 * u[0];
      if (T->dims < 3) {
        double rad = sqrt(u[2] * (r1 * r1 - r0 * r0) + r0 * r0);
        d[0] = rad * cos(th), d[1] = rad * sin(th), d[2] = 0;
      } else {
        double cz = 2 * u[1] - 1, s = sqrt(1 - cz * cz);
        double rad = cbrt(u[2] * (r1 * r1 * r1 - r0 * r0 * r0) + r0 * r0 * r0);
        d[0] = rad * s * cos(th), d[1] = rad * s * sin(th), d[2] = rad * cz;
      }
      for (int a = 0; a < 3; a++) {
        p[a] = ty->center[a] + d[a];
        if (p[a] < T->box_lo[a] + r) p[a] = T->box_lo[a] + r;
        if (p[a] > T->box_hi[a] - r) p[a] = T->box_hi[a] - r;
      }
    }
    if (exo_tissue_add_cell(T, type, p, ty->volume, -1, err) < 0) return err ? err->status : EXO_ERR_MODEL;
  }
  return EXO_OK;
}

static exo_status setup_columns(exo_tissue *T, exo_error *err) {
  const exo_tissue_spec *ts = T->ts;
  const exo_model *m = T->m;
  size_t nsys = T->sys ? (size_t)m->nstate + (size_t)m->noutput : 0;
  T->ncol = (size_t)ts->ntypes + 1 + (size_t)ts->nfields + 1 + nsys;
  T->colnames = exo_calloc(T->ncol, sizeof *T->colnames);
  T->row = exo_calloc(T->ncol + 1, sizeof *T->row);
  if (!T->colnames || !T->row) return exo_error_set(err, EXO_ERR_NOMEM, "out of memory");
  size_t k = 0;
  char buf[512];
  for (int t = 0; t < ts->ntypes; t++) {
    snprintf(buf, sizeof buf, "tissue.%s", ts->types[t].name);
    T->colnames[k++] = strdup(buf);
  }
  T->colnames[k++] = strdup("tissue.dead");
  for (int f = 0; f < ts->nfields; f++) {
    snprintf(buf, sizeof buf, "field.%s", ts->fields[f].spec.name);
    T->colnames[k++] = strdup(buf);
  }
  T->colnames[k++] = strdup("tumour_burden");
  for (size_t i = 0; i < nsys; i++) {
    snprintf(buf, sizeof buf, "systemic.%s", exo_systemic_column_name(m, i));
    T->colnames[k++] = strdup(buf);
  }
  for (size_t i = 0; i < T->ncol; i++)
    if (!T->colnames[i]) return exo_error_set(err, EXO_ERR_NOMEM, "out of memory");
  return EXO_OK;
}

/* Seconds per cell and mechanics step, and per voxel, field and diffusion step, with 2 threads
 * (exo_bench_tissue on the project's machine kind, B2 workload, 2026-11-27). */
#define EST_CELL_STEP_S 6.0e-7
#define EST_VOXEL_STEP_S 1.6e-9

typedef struct est_ctx {
  const exo_model *m;
  const double *params;
} est_ctx;

static double est_symbol(void *ctx, const exo_symref *s) {
  const est_ctx *c = ctx;
  switch (s->kind) {
  case EXO_SYM_PARAM: return c->params[s->index];
  case EXO_SYM_STATE: return c->m->states[s->index].initial > 0 ? c->m->states[s->index].initial : 0;
  case EXO_SYM_TIME: return 0;
  default: return NAN;
  }
}

/* A value at the start of the run, its factor included. */
static double est_value(const exo_model *m, const double *params, exo_tvalue v) {
  double x = exo_tvalue_get(v, params);
  est_ctx c = {m, params};
  if (v.factor) x *= exo_expr_eval_tree(v.factor, est_symbol, &c);
  return isfinite(x) ? x : 0;
}

/* Bytes the engine holds per cell besides its columns: its exchange site with the rates (3 per
 * field) and uptake (1 per field), its bin entries (row and bin index), its id map entry, its
 * mechanics constants (3) and, where rules read contacts, its contact counts. */
static double per_cell_extra(int nfields, int ntypes, bool contacts) {
  return (double)sizeof(exo_fields_site) + 4.0 * nfields * sizeof(double) + 2.0 * sizeof(size_t) + sizeof(long) +
         3.0 * sizeof(double) + (contacts ? (ntypes + 2.0) * sizeof(int) : 0);
}

exo_status exo_tissue_estimate_run(const exo_model *m, const exo_tissue_settings *s, exo_tissue_estimate *e, exo_error *err) {
  memset(e, 0, sizeof *e);
  const exo_tissue_spec *ts = m->tissue;
  if (!ts) return exo_error_set(err, EXO_ERR_MODEL, "model '%s' has no tissue section", m->name);
  double end = s && s->end_time > 0 ? s->end_time : ts->end_time > 0 ? ts->end_time : m->solver.end_time;
  double *params = exo_calloc((size_t)m->nparam + 1, sizeof *params);
  if (!params) return exo_error_set(err, EXO_ERR_NOMEM, "out of memory");
  for (int i = 0; i < m->nparam; i++) params[i] = m->params[i].value;
  double cells = 0, cells_mean = 0;
  for (int t = 0; t < ts->ntypes; t++) {
    const exo_cell_type *ty = &ts->types[t];
    double n0 = ty->placement == EXO_PLACE_NONE ? 0 : (double)ty->initial_count;
    if (ty->placement == EXO_PLACE_SPHERE && n0 == 0) /* a full sphere: its volume over the cells' at close packing */
      n0 = 0.74 * (4.0 / 3.0) * 3.14159265358979323846 * pow(ty->r_outer, 3) / ty->volume;
    double birth = est_value(m, params, ty->base[EXO_BEH_CYCLE_ENTRY]);
    if (ty->nphases > 0) { /* ln 2 over the mean cycle time */
      double cycle = 0;
      for (int p = 0; p < ty->nphases; p++) {
        double r = p == 0 ? birth : ty->phase_rate[p];
        cycle += ty->phase_duration[p] > 0 ? ty->phase_duration[p] : r > 0 ? 1 / r : INFINITY;
      }
      birth = isfinite(cycle) && cycle > 0 ? log(2.0) / cycle : 0;
    }
    double g = birth - est_value(m, params, ty->base[EXO_BEH_APOPTOSIS]);
    double ge = g * end > 50 ? exp(50) : exp(g * end);
    double recruit = ty->recruit_from >= 0 ? est_value(m, params, ty->recruit) * m->states[ty->recruit_from].initial * end : 0;
    cells += n0 * (ge > 1 ? ge : 1) + recruit;
    cells_mean += 0.5 * (n0 + n0 * ge) + 0.5 * recruit;
  }
  free(params);
  if (cells > (double)ts->max_cells) {
    cells = (double)ts->max_cells;
    e->capped = 1;
  }
  if (cells_mean > cells) cells_mean = cells;
  int nf = ts->nfields, ns = exo_beh_count(nf, ts->ntypes);
  /* the columns as exo_cells lays them out, and the rest, with the arrays' 1.5x growth slack */
  exo_cells probe;
  exo_status st = exo_cells_init(&probe, ns, ts->ncargo, ts->nvariables, nf, 1, err);
  if (st) return st;
  e->bytes_per_cell = 1.5 * ((double)exo_cells_row_bytes(&probe) + per_cell_extra(nf, ts->ntypes, true));
  exo_cells_free(&probe);
  e->field_bytes = exo_fields_bytes_needed(&ts->grid, nf);
  e->peak_cells = cells;
  e->bytes = e->field_bytes + cells * e->bytes_per_cell + 64e6; /* + the program itself */
  int threads = s && s->threads > 0 ? s->threads : omp_get_max_threads();
  double nvox = e->field_bytes / 8.0 / (nf > 0 ? nf : 1);
  e->seconds = (cells_mean * end / ts->dt_mechanics * EST_CELL_STEP_S + nvox * nf * end / ts->dt_diffusion * EST_VOXEL_STEP_S) *
               2.0 / (threads > 2 ? 2 : threads);
  return EXO_OK;
}

exo_status exo_tissue_create(const exo_model *m, const exo_tissue_settings *s, exo_tissue **out, exo_error *err) {
  *out = NULL;
  const exo_tissue_spec *ts = m->tissue;
  if (!ts)
    return exo_error_set(err, EXO_ERR_MODEL, "model '%s' has no tissue section: --engine tissue needs one (see docs/model-file.md)",
                         m->name);
  exo_tissue *T = exo_calloc(1, sizeof *T);
  if (!T) return exo_error_set(err, EXO_ERR_NOMEM, "out of memory");
  exo_status st = EXO_OK;
  T->m = m;
  T->ts = ts;
  if (s) T->set = *s;
  T->seed = T->set.seed;
  T->threads = T->set.threads > 0 ? T->set.threads : omp_get_max_threads();
  T->stats.threads = T->threads;
  T->params = exo_calloc((size_t)m->nparam + 1, sizeof *T->params);
  if (!T->params) {
    st = exo_error_set(err, EXO_ERR_NOMEM, "out of memory");
    goto fail;
  }
  for (int i = 0; i < m->nparam; i++) T->params[i] = m->params[i].value;
  if (!T->set.no_coupling && m->nstate > 0) {
    if ((st = exo_stepper_create(m, &T->sys, err))) goto fail;
    memcpy(T->params, exo_stepper_params(T->sys), (size_t)m->nparam * sizeof *T->params);
  }

  /* fields */
  exo_field_spec *fs = exo_calloc((size_t)ts->nfields + 1, sizeof *fs);
  if (!fs) {
    st = exo_error_set(err, EXO_ERR_NOMEM, "out of memory");
    goto fail;
  }
  for (int f = 0; f < ts->nfields; f++) fs[f] = ts->fields[f].spec;
  st = exo_fields_create(&ts->grid, fs, ts->nfields, &T->F, err);
  free(fs);
  if (st) goto fail;
  exo_fields_set_threads(T->F, T->threads);
  T->dims = exo_fields_dims(T->F);
  exo_fields_shape(T->F, T->vox_n);
  T->dx = exo_fields_dx(T->F);
  double c0[3];
  exo_fields_voxel_center(T->F, 0, c0);
  for (int a = 0; a < 3; a++) {
    T->vox_lo[a] = c0[a] - 0.5 * T->dx;
    T->box_lo[a] = a < T->dims ? ts->grid.lo[a] : 0;
    T->box_hi[a] = a < T->dims ? ts->grid.hi[a] : 0;
  }
  T->stats.field_bytes = (double)exo_fields_bytes(T->F);

  /* cells */
  int nslot = exo_beh_count(ts->nfields, ts->ntypes);
  long initial = 0;
  for (int t = 0; t < ts->ntypes; t++) initial += ts->types[t].placement == EXO_PLACE_NONE ? 0 : ts->types[t].initial_count;
  if ((st = exo_cells_init(&T->c, nslot, ts->ncargo, ts->nvariables, ts->nfields, (size_t)(initial > 0 ? initial : 1024), err)))
    goto fail;
  T->type_base = exo_calloc((size_t)ts->ntypes * (size_t)nslot + 1, sizeof *T->type_base);
  T->drain_accum = exo_calloc((size_t)ts->nfields + 1, sizeof *T->drain_accum);
  T->cargo_gain = exo_calloc((size_t)ts->ncargo + 1, sizeof *T->cargo_gain);
  if (!T->type_base || !T->drain_accum || !T->cargo_gain) {
    st = exo_error_set(err, EXO_ERR_NOMEM, "out of memory");
    goto fail;
  }
  if ((st = build_rule_groups(T, err))) goto fail;
  T->type_names = exo_calloc((size_t)ts->ntypes + 1, sizeof *T->type_names);
  if (!T->type_names) {
    st = exo_error_set(err, EXO_ERR_NOMEM, "out of memory");
    goto fail;
  }
  for (int t = 0; t < ts->ntypes; t++) T->type_names[t] = ts->types[t].name;
  exo_tissue_refresh_base(T);

  /* neighbour bins: an edge no shorter than the longest mechanical reach of any pair (touching
   * or adhering); attachment may reach further and searches contact_range bins around */
  double edge = 0, attach = 0;
  for (int t = 0; t < ts->ntypes; t++) {
    double r = exo_tissue_radius_of(ts->types[t].volume);
    if (r > T->max_radius) T->max_radius = r;
  }
  for (int t = 0; t < ts->ntypes; t++) {
    const exo_cell_type *ty = &ts->types[t];
    double a = 2 * (ty->adhesion_distance > 1 ? ty->adhesion_distance : 1) * T->max_radius;
    double b = 2 * T->max_radius + ty->attach_distance;
    if (a > edge) edge = a;
    if (b > attach) attach = b;
  }
  if (edge <= 0) edge = 20;
  T->contact_range = (int)ceil(attach / edge);
  if (T->contact_range < 1) T->contact_range = 1;
  T->bins.edge = edge;
  T->bins.nbins = 1;
  for (int a = 0; a < 3; a++) {
    T->bins.lo[a] = T->box_lo[a];
    double span = T->box_hi[a] - T->box_lo[a];
    T->bins.nb[a] = span > 0 ? (int)ceil(span / edge) : 1;
    if (T->bins.nb[a] < 1) T->bins.nb[a] = 1;
    T->bins.nbins *= (size_t)T->bins.nb[a];
  }
  T->bins.start = exo_calloc(T->bins.nbins + 1, sizeof *T->bins.start);
  if (!T->bins.start) {
    st = exo_error_set(err, EXO_ERR_NOMEM, "out of memory for %zu neighbour bins", T->bins.nbins);
    goto fail;
  }

  for (int t = 0; t < ts->ntypes; t++) {
    const exo_cell_type *ty = &ts->types[t];
    if (ty->placement == EXO_PLACE_SPHERE) st = place_sphere(T, t, ty, err);
    else if (ty->placement == EXO_PLACE_SHELL || ty->placement == EXO_PLACE_BOX) st = place_random(T, t, ty, err);
    if (st) goto fail;
  }
  T->stats.cells_initial = T->stats.cells_peak = (long)T->c.n;
  exo_tissue_update_voxels(T);
  if ((st = exo_tissue_sort(T, err))) goto fail;
  if ((st = setup_columns(T, err))) goto fail;

  double end = T->set.end_time > 0 ? T->set.end_time : ts->end_time > 0 ? ts->end_time : m->solver.end_time;
  T->end = end;
  T->output_every = T->set.output_every > 0 ? T->set.output_every : ts->output_every > 0 ? ts->output_every : m->solver.output_every;
  T->snapshot_every = T->set.snapshot_every >= 0 ? T->set.snapshot_every : ts->snapshot_every;
  T->next_output = 0;
  T->next_snapshot = 0;
  T->next_sort = ts->sort_every > 0 ? ts->sort_every : ts->dt_phenotype;
  *out = T;
  return EXO_OK;
fail:
  exo_tissue_free(T);
  return st;
}

void exo_tissue_free(exo_tissue *T) {
  if (!T) return;
  exo_stepper_free(T->sys);
  exo_fields_free(T->F);
  exo_cells_free(&T->c);
  free(T->bins.start);
  free(T->bins.rows);
  free(T->bins.bin);
  free(T->params);
  free(T->id_row);
  free(T->type_base);
  free(T->groups);
  free(T->group_first);
  free(T->rule_order);
  free(T->contacts);
  free(T->sites);
  free(T->site_rates);
  free(T->taken);
  if (T->colnames)
    for (size_t i = 0; i < T->ncol; i++) free(T->colnames[i]);
  free(T->colnames);
  free(T->row);
  free(T->drain_accum);
  free(T->type_names);
  free(T->cargo_gain);
  free(T->mech_srep);
  free(T->mech_sadh);
  free(T->mech_reach);
  free(T);
}

double exo_tissue_time(const exo_tissue *T) { return T->t; }
double exo_tissue_end_time(const exo_tissue *T) { return T->end; }
int exo_tissue_interrupted(const exo_tissue *T) { return T->interrupted; }
int exo_tissue_field_is_vesicle(const exo_tissue *T, int f) {
  return f >= 0 && f < T->ts->nfields && T->ts->fields[f].vesicle_class >= 0;
}
const exo_fields *exo_tissue_fields(const exo_tissue *T) { return T->F; }
size_t exo_tissue_column_count(const exo_tissue *T) { return T->ncol; }
const char *exo_tissue_column_name(const exo_tissue *T, size_t i) { return i < T->ncol ? T->colnames[i] : NULL; }

void exo_tissue_get_stats(const exo_tissue *T, exo_tissue_stats *out) {
  *out = T->stats;
  out->cells_final = (long)T->c.n;
  out->bytes_per_cell = (double)exo_cells_row_bytes(&T->c) + per_cell_extra(T->c.nfields, T->ts->ntypes, T->rules_need_contacts);
}

static void attr_names_static(const char **names, const exo_tissue_spec *ts) {
  int k = 0;
  names[k++] = "pressure";
  names[k++] = "volume";
  for (int i = 0; i < ts->ncargo; i++) names[k++] = ts->cargo[i].name;
  for (int i = 0; i < ts->nvariables; i++) names[k++] = ts->variables[i].name;
}

void exo_tissue_view(exo_tissue *T, exo_cells_view *v) {
  memset(v, 0, sizeof *v);
  v->n = T->c.n;
  v->x = T->c.x;
  v->y = T->c.y;
  v->z = T->c.z;
  v->radius = T->c.radius;
  v->type = T->c.type;
  v->id = T->c.id;
  v->dead = T->c.dead;
  v->ntypes = T->ts->ntypes;
  v->type_names = T->type_names;
}

/* What left the domain through its Dirichlet faces during dt, per field with a destination:
 * the face flux D (u_edge - g) / (dx/2) over each boundary voxel's face. */
static void accumulate_drain(exo_tissue *T, double dt) {
  const exo_tissue_spec *ts = T->ts;
  const size_t *n = T->vox_n;
  double area = T->dims == 3 ? T->dx * T->dx : T->dims == 2 ? T->dx : 1;
  for (int f = 0; f < ts->nfields; f++) {
    const exo_tissue_field *tf = &ts->fields[f];
    if (tf->drain_to < 0) continue;
    double flux = 0;
    for (int face = 0; face < 2 * T->dims; face++) {
      if (tf->spec.bc[face].kind != EXO_BC_DIRICHLET) continue;
      int a = face / 2, hi = face % 2;
      int b = (a + 1) % 3, cax = (a + 2) % 3;
      for (size_t q = 0; q < n[cax]; q++)
        for (size_t p = 0; p < n[b]; p++) {
          size_t ijk[3];
          ijk[a] = hi ? n[a] - 1 : 0;
          ijk[b] = p;
          ijk[cax] = q;
          size_t v = ijk[0] + n[0] * (ijk[1] + n[1] * ijk[2]);
          flux += (exo_fields_get(T->F, f, v) - tf->spec.bc[face].value);
        }
    }
    T->drain_accum[f] += tf->spec.diffusion * flux / (0.5 * T->dx) * area * dt;
  }
}

static exo_status record_row(exo_tissue *T, exo_recorder *rec, exo_error *err) {
  const exo_tissue_spec *ts = T->ts;
  const exo_cells *c = &T->c;
  size_t k = 0;
  for (int t = 0; t < ts->ntypes; t++) T->row[t] = 0;
  double dead = 0, burden = 0;
  for (size_t i = 0; i < c->n; i++) {
    if (c->dead[i]) dead++;
    else {
      T->row[c->type[i]]++;
      if (ts->types[c->type[i]].tumour) burden++;
    }
  }
  k = (size_t)ts->ntypes;
  T->row[k++] = dead;
  for (int f = 0; f < ts->nfields; f++) T->row[k++] = exo_fields_total(T->F, f);
  T->row[k++] = burden;
  if (T->sys) exo_stepper_row(T->sys, T->row + k);
  for (size_t i = 0; i < T->ncol; i++)
    if (!isfinite(T->row[i]))
      return exo_error_set(err, EXO_ERR_NUMERIC, "tissue: '%s' is not finite (%g) at day %.6g", T->colnames[i], T->row[i],
                           T->t / EXO_MINUTES_PER_DAY);
  if (rec && exo_recorder_add_row(rec, T->t, T->row)) return exo_error_set(err, EXO_ERR_NOMEM, "out of memory recording results");
  return EXO_OK;
}

static exo_status snapshot(exo_tissue *T, exo_error *err) {
  if (!T->set.snapshot) return EXO_OK;
  const exo_tissue_spec *ts = T->ts;
  int nattr = 2 + ts->ncargo + ts->nvariables;
  const char **names = exo_calloc((size_t)nattr + (size_t)ts->ntypes + 1, sizeof *names);
  const double **attr = exo_calloc((size_t)nattr + 1, sizeof *attr);
  if (!names || !attr) {
    free(names);
    free(attr);
    return exo_error_set(err, EXO_ERR_NOMEM, "out of memory");
  }
  attr_names_static(names, ts);
  int k = 0;
  attr[k++] = T->c.pressure;
  attr[k++] = T->c.volume;
  for (int i = 0; i < ts->ncargo; i++) attr[k++] = T->c.cargo[i];
  for (int i = 0; i < ts->nvariables; i++) attr[k++] = T->c.var[i];
  exo_cells_view v;
  exo_tissue_view(T, &v);
  v.nattr = nattr;
  v.attr_names = names;
  v.attr = attr;
  exo_status st = T->set.snapshot(T->set.snapshot_ctx, T->t, &v, T->F, err);
  free(names);
  free(attr);
  return st;
}

/* Cells take up and secrete for one diffusion step; what they take up adds to the cargo they
 * have received. */
static exo_status exchange(exo_tissue *T, double dt, exo_error *err) {
  if (!T->need_exchange || T->c.n == 0) return EXO_OK;
  const exo_tissue_spec *ts = T->ts;
  exo_status st = exo_fields_exchange(T->F, T->sites, T->c.n, dt, ts->ncargo ? T->taken : NULL, NULL, err);
  if (st || !ts->ncargo) return st;
  const size_t nf = (size_t)ts->nfields, n = T->c.n;
  for (int k = 0; k < ts->ncargo; k++) {
    size_t f = (size_t)ts->cargo[k].field;
    double per = T->cargo_gain[k], *cg = T->c.cargo[k];
    for (size_t i = 0; i < n; i++) cg[i] += per * T->taken[i * nf + f];
  }
  return EXO_OK;
}

exo_status exo_tissue_advance(exo_tissue *T, double t_end, exo_recorder *rec, exo_error *err) {
  const exo_tissue_spec *ts = T->ts;
  const double dtd = ts->dt_diffusion, dtm = ts->dt_mechanics, dtp = ts->dt_phenotype;
  const long nd = lround(dtm / dtd), nm = lround(dtp / dtm);
  const double eps = 1e-9 * dtd;
  exo_status st = EXO_OK;
  if (T->step_diff == 0 && T->t == 0 && rec && rec->nrow == 0) {
    if ((st = record_row(T, rec, err))) return st;
    T->next_output = T->output_every;
  }
  if (T->t == 0 && T->next_snapshot == 0 && T->snapshot_every > 0) {
    if ((st = snapshot(T, err))) return st;
    T->next_snapshot = T->snapshot_every;
  }
  while (T->t < t_end - eps) {
    /* one mechanics interval */
    double w0 = omp_get_wtime();
    if (T->need_exchange || ts->ncargo) {
      for (long k = 0; k < nd; k++) {
        if ((st = exchange(T, dtd, err))) return st;
        if ((st = exo_fields_step(T->F, dtd, 1, EXO_SCHEME_LOD, err))) return st;
      }
    } else if ((st = exo_fields_step(T->F, dtd, nd, EXO_SCHEME_LOD, err))) {
      return st;
    }
    T->step_diff += nd;
    T->t = (double)T->step_diff * dtd;
    double w1 = omp_get_wtime();
    T->stats.wall_fields += w1 - w0;
    if ((st = exo_tissue_mechanics_prepare(T, err))) return st;
    exo_tissue_mechanics_step(T, dtm);
    exo_tissue_update_voxels(T);
    for (size_t i = 0; i < T->c.n; i++) T->sites[i].voxel = T->c.voxel[i];
    if ((st = exo_tissue_bins_build(T, err))) return st;
    exo_tissue_contact_step(T, dtm);
    accumulate_drain(T, dtm);
    T->stats.cell_steps += (double)T->c.n;
    T->step_mech++;
    double w2 = omp_get_wtime();
    T->stats.wall_mechanics += w2 - w1;
    bool boundary = T->step_mech % nm == 0;
    if (boundary) {
      if (T->rules_need_contacts) {
        size_t w = (size_t)ts->ntypes + 2;
        int *k = exo_realloc(T->contacts, (T->c.cap + 1) * w * sizeof *k);
        if (!k) return exo_error_set(err, EXO_ERR_NOMEM, "out of memory counting contacts");
        T->contacts = k;
      }
      if ((st = exo_tissue_phenotype_step(T, dtp, err))) return st;
      T->step_phen++;
      double w3 = omp_get_wtime();
      T->stats.wall_phenotype += w3 - w2;
      if (T->sys) {
        if ((st = exo_stepper_advance(T->sys, T->t, err))) return st;
        for (int f = 0; f < ts->nfields; f++) {
          if (ts->fields[f].drain_to < 0 || T->drain_accum[f] == 0) continue;
          double scale = exo_tissue_value(T, ts->fields[f].drain_scale);
          exo_stepper_add(T->sys, ts->fields[f].drain_to, T->drain_accum[f] * scale);
          T->stats.drained_total += T->drain_accum[f];
          T->drain_accum[f] = 0;
        }
        memcpy(T->params, exo_stepper_params(T->sys), (size_t)T->m->nparam * sizeof *T->params);
      }
      if (T->t >= T->next_sort - eps) {
        if ((st = exo_tissue_sort(T, err))) return st;
        T->next_sort += ts->sort_every > 0 ? ts->sort_every : dtp;
      }
      T->stats.wall_coupling += omp_get_wtime() - w3;
      if (T->set.progress) T->set.progress(T->set.progress_ctx, T->t, T->end);
    }
    if (T->output_every > 0 && T->t >= T->next_output - eps) {
      if ((st = record_row(T, rec, err))) return st;
      T->next_output += T->output_every;
    }
    if (T->snapshot_every > 0 && T->t >= T->next_snapshot - eps) {
      if ((st = snapshot(T, err))) return st;
      T->next_snapshot += T->snapshot_every;
    }
    if (boundary) {
      T->stats.diffusion_steps = (double)T->step_diff;
      T->stats.mechanics_steps = (double)T->step_mech;
      T->stats.phenotype_steps = (double)T->step_phen;
      if (T->set.boundary && (st = T->set.boundary(T->set.boundary_ctx, T, err))) return st;
      if (T->set.stop && *T->set.stop && T->t < t_end - eps) {
        T->interrupted = 1;
        return EXO_OK;
      }
    }
  }
  T->interrupted = 0;
  T->stats.diffusion_steps = (double)T->step_diff;
  T->stats.mechanics_steps = (double)T->step_mech;
  T->stats.phenotype_steps = (double)T->step_phen;
  return EXO_OK;
}
