/* Phenotype, every phenotype step (PhysiCell's 6 min by default): behaviours from their base
 * values and the rules, volume, received cargo's decay, death, division, transformation,
 * removal of dead cells, and recruitment from the systemic model.
 *
 * Rules combine as PhysiCell's (Johnson et al. 2023, bioRxiv 2022.09.29.510005; the
 * "multivariate Hill" response): U = sum (s/h)^n / (1 + sum (s/h)^n) over the increasing rules
 * of a behaviour, D likewise over the decreasing ones; b = base + (max - base) U, then
 * b += (min - b) D.
 *
 * Stochastic events are drawn from counter-based numbers keyed by (seed, cell id, step,
 * purpose), in row order, serially: what happens to a cell does not depend on threads. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/fault.h"
#include "core/rng.h"
#include "model/rules.h"
#include "tissue/tissue_internal.h"

static inline double chance(double k, double dt) { return k > 0 ? -expm1(-k * dt) : 0; }

void exo_tissue_refresh_base(exo_tissue *T) {
  const exo_tissue_spec *ts = T->ts;
  int ns = T->c.nslot;
  for (int t = 0; t < ts->ntypes; t++)
    for (int s = 0; s < ns; s++) T->type_base[(size_t)t * (size_t)ns + (size_t)s] = exo_tissue_value(T, ts->types[t].base[s]);
  for (int k = 0; k < ts->ncargo; k++) T->cargo_gain[k] = exo_tissue_value(T, ts->cargo[k].per_unit);
}

static double signal_of(const exo_tissue *T, const exo_rule *r, size_t i) {
  const exo_cells *c = &T->c;
  const int nt = T->ts->ntypes;
  switch (r->signal) {
  case EXO_SIG_FIELD: return exo_fields_get(T->F, r->signal_index, c->voxel[i]);
  case EXO_SIG_CARGO: return c->cargo[r->signal_index][i];
  case EXO_SIG_VARIABLE: return c->var[r->signal_index][i];
  case EXO_SIG_CONTACT_TYPE: return T->contacts ? T->contacts[i * (size_t)(nt + 2) + (size_t)r->signal_index] : 0;
  case EXO_SIG_CONTACT_LIVE: return T->contacts ? T->contacts[i * (size_t)(nt + 2) + (size_t)nt] : 0;
  case EXO_SIG_CONTACT_DEAD: return T->contacts ? T->contacts[i * (size_t)(nt + 2) + (size_t)nt + 1] : 0;
  case EXO_SIG_PRESSURE: return c->pressure[i];
  case EXO_SIG_VOLUME: return c->volume[i];
  case EXO_SIG_DEAD: return c->dead[i] ? 1 : 0;
  case EXO_SIG_ATTACHED: return c->attached[i] >= 0 ? 1 : 0;
  case EXO_SIG_TIME: return T->t;
  }
  return 0;
}

/* Every behaviour of every cell: its type's base value, then the rules of that type. Rules of
 * one (type, behaviour) are adjacent in T->rule_order. */
void exo_tissue_apply_rules(exo_tissue *T) {
  exo_cells *c = &T->c;
  const exo_tissue_spec *ts = T->ts;
  const int ns = c->nslot;
  const size_t n = c->n;
#pragma omp parallel for schedule(static) num_threads(T->threads)
  for (size_t i = 0; i < n; i++) {
    const int t = c->type[i];
    const double *base = T->type_base + (size_t)t * (size_t)ns;
    for (int s = 0; s < ns; s++) c->beh[s][i] = base[s];
    for (int g = T->group_first[t]; g < T->group_first[t + 1]; g++) {
      const exo_rule_group *G = &T->groups[g];
      double su = 0, sd = 0;
      int nup = 0, ndn = 0;
      for (int k = G->first; k < G->last; k++) {
        const exo_rule *r = &ts->rules[T->rule_order[k]];
        if (c->dead[i] && !r->applies_to_dead) continue;
        double sig = signal_of(T, r, i);
        double x = sig > 0 ? pow(sig / r->half_max, r->hill) : 0;
        if (r->increases) {
          su += x;
          nup++;
        } else {
          sd += x;
          ndn++;
        }
      }
      double b = base[G->slot];
      if (nup) b += (G->max_up - b) * (su / (1 + su));
      if (ndn) b += (G->min_down - b) * (sd / (1 + sd));
      c->beh[G->slot][i] = b;
    }
  }
}

void exo_tissue_rebuild_id_map(exo_tissue *T) {
  for (size_t k = 0; k < T->id_cap; k++) T->id_row[k] = -1;
  for (size_t r = 0; r < T->c.n; r++) T->id_row[T->c.id[r]] = (long)r;
}

exo_status exo_tissue_rebuild_sites(exo_tissue *T, exo_error *err) {
  exo_cells *c = &T->c;
  const int nf = c->nfields;
  if (T->sites_cap < c->cap) {
    size_t cap = c->cap;
    exo_fields_site *s = exo_realloc(T->sites, cap * sizeof *s);
    if (s) T->sites = s;
    double *rates = s ? exo_realloc(T->site_rates, cap * 3 * (size_t)(nf ? nf : 1) * sizeof *rates) : NULL;
    if (rates) T->site_rates = rates;
    double *tk = rates ? exo_realloc(T->taken, cap * (size_t)(nf ? nf : 1) * sizeof *tk) : NULL;
    if (tk) T->taken = tk;
    if (!s || !rates || !tk) return exo_error_set(err, EXO_ERR_NOMEM, "out of memory for the cells' exchange with the fields");
    T->sites_cap = cap;
  }
  bool any = false;
  for (size_t i = 0; i < c->n; i++) {
    double *rt = T->site_rates + i * 3 * (size_t)nf;
    for (int f = 0; f < nf; f++) {
      double S = c->dead[i] ? 0 : c->beh[exo_beh_secretion(f)][i], U = c->dead[i] ? 0 : c->beh[exo_beh_uptake(f)][i];
      if (T->ts->fields[f].cargo_of >= 0) U = 0; /* cargo is taken up with its vesicles */
      rt[f] = S > 0 ? S : 0;
      rt[nf + f] = c->beh[exo_beh_target(f)][i];
      rt[2 * nf + f] = U > 0 ? U : 0;
      any = any || rt[f] > 0 || rt[2 * nf + f] > 0;
    }
    T->sites[i] = (exo_fields_site){c->voxel[i], c->volume[i], rt, rt + nf, rt + 2 * nf};
  }
  T->need_exchange = any;
  return EXO_OK;
}

long exo_tissue_add_cell(exo_tissue *T, int type, const double p[3], double volume, long parent, exo_error *err) {
  exo_cells *c = &T->c;
  if ((long)c->n >= T->ts->max_cells) {
    exo_error_set(err, EXO_ERR_MODEL,
                  "the tissue reached tissue.max_cells = %ld cells at day %.4g; raise max_cells if the machine has the memory "
                  "(about %zu bytes per cell)",
                  T->ts->max_cells, T->t / 1440.0, exo_cells_row_bytes(c));
    return -1;
  }
  if (exo_cells_reserve(c, c->n + 1, err)) return -1;
  if ((size_t)T->next_id >= T->id_cap) {
    size_t cap = T->id_cap ? T->id_cap * 2 : 4096;
    while (cap <= (size_t)T->next_id) cap *= 2;
    long *m = exo_realloc(T->id_row, cap * sizeof *m);
    if (!m) {
      exo_error_set(err, EXO_ERR_NOMEM, "out of memory growing the cell id map");
      return -1;
    }
    for (size_t k = T->id_cap; k < cap; k++) m[k] = -1;
    T->id_row = m;
    T->id_cap = cap;
  }
  size_t r = c->n++;
  long id = T->next_id++;
  T->id_row[id] = (long)r;
  c->id[r] = id;
  c->type[r] = type;
  c->dead[r] = 0;
  c->x[r] = p[0];
  c->y[r] = p[1];
  c->z[r] = p[2];
  c->vx[r] = c->vy[r] = c->vz[r] = c->nvx[r] = c->nvy[r] = c->nvz[r] = 0;
  c->mx[r] = c->my[r] = c->mz[r] = 0;
  c->volume[r] = volume;
  c->radius[r] = exo_tissue_radius_of(volume);
  c->pressure[r] = 0;
  c->death_time[r] = 0;
  c->phase[r] = 0;
  c->phase_age[r] = 0;
  c->attached[r] = -1;
  c->voxel[r] = 0;
  const double *base = T->type_base + (size_t)type * (size_t)c->nslot;
  for (int s = 0; s < c->nslot; s++) c->beh[s][r] = base[s];
  for (int k = 0; k < c->ncargo; k++) c->cargo[k][r] = parent >= 0 ? c->cargo[k][parent] : 0;
  for (int k = 0; k < c->nvar; k++) {
    if (parent >= 0) {
      c->var[k][r] = c->var[k][parent];
      continue;
    }
    double a, b;
    exo_rng_normal2(exo_rng_draw(T->seed, (uint64_t)id, 0, EXO_RNG_VARIABLE, (uint32_t)k), &a, &b);
    double v = T->ts->variables[k].mean + T->ts->variables[k].sd * a;
    c->var[k][r] = v > 0 ? v : 0;
  }
  return (long)r;
}

/* A Poisson count of mean lambda from counter-based uniforms: Knuth's product method for small
 * means, a rounded normal beyond (the error is far below the sampling noise there). */
static long poisson(uint64_t seed, uint64_t stream, uint64_t step, double lambda) {
  if (!(lambda > 0)) return 0;
  if (lambda > 50) {
    double a, b;
    exo_rng_normal2(exo_rng_draw(seed, stream, step, EXO_RNG_RECRUIT, 0), &a, &b);
    double k = floor(lambda + sqrt(lambda) * a + 0.5);
    /* beyond any max_cells (<= 1e12): converting a larger double to long is undefined */
    return k > 0 ? (k < 1e15 ? (long)k : (long)1e15) : 0;
  }
  double L = exp(-lambda), prod = 1;
  long k = 0;
  for (uint32_t sub = 1;; sub++) {
    double u0, u1;
    exo_rng_uniform2(exo_rng_draw(seed, stream, step, EXO_RNG_RECRUIT, sub), &u0, &u1);
    prod *= u0;
    if (prod < L) return k;
    k++;
    prod *= u1;
    if (prod < L) return k;
    k++;
    if (k > 10000) return k; /* unreachable for lambda <= 50 in practice */
  }
}

/* A point on the domain's boundary, chosen by area, moved in by the cell's radius. */
static void boundary_point(const exo_tissue *T, uint64_t id, double r, double p[3]) {
  double u[4];
  exo_rng4 q = exo_rng_draw(T->seed, id, 1, EXO_RNG_RECRUIT, 0xffff);
  exo_rng_uniform2(q, &u[0], &u[1]);
  q = exo_rng_draw(T->seed, id, 2, EXO_RNG_RECRUIT, 0xffff);
  exo_rng_uniform2(q, &u[2], &u[3]);
  const double *lo = T->box_lo, *hi = T->box_hi;
  double L[3] = {hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]};
  int dims = T->dims;
  double area[3] = {0, 0, 0}, tot = 0;
  for (int a = 0; a < dims; a++) {
    area[a] = 1;
    for (int b = 0; b < dims; b++)
      if (b != a) area[a] *= L[b];
    tot += 2 * area[a];
  }
  double pick = u[0] * tot;
  int axis = 0, side = 0;
  for (int a = 0; a < dims; a++) {
    if (pick < 2 * area[a]) {
      axis = a;
      side = pick >= area[a];
      break;
    }
    pick -= 2 * area[a];
    axis = a;
    side = 1;
  }
  int k = 1;
  for (int a = 0; a < 3; a++) {
    if (a == axis) p[a] = side ? hi[a] - r : lo[a] + r;
    else if (a < dims) p[a] = lo[a] + u[k++] * L[a];
    else p[a] = 0.5 * (lo[a] + hi[a]);
  }
}

exo_status exo_tissue_phenotype_step(exo_tissue *T, double dt, exo_error *err) {
  exo_cells *c = &T->c;
  const exo_tissue_spec *ts = T->ts;
  const int nf = c->nfields, nt = ts->ntypes;
  const long step = T->step_phen;
  exo_tissue_refresh_base(T);
  if (T->rules_need_contacts) exo_tissue_count_contacts(T);
  exo_tissue_apply_rules(T);
  /* a behaviour that is not a finite number stops the run here, naming it, rather than
   * spreading NaN through the fields */
  for (int s = 0; s < c->nslot; s++)
    for (size_t i = 0; i < c->n; i++)
      if (!isfinite(c->beh[s][i])) {
        char name[160];
        return exo_error_set(err, EXO_ERR_NUMERIC,
                             "tissue: behaviour '%s' of a '%s' cell (id %ld) is %g at day %.6g (from its value, its "
                             "blocked_like/factor or its rules)",
                             exo_beh_name(ts, s, name, sizeof name), ts->types[c->type[i]].name, c->id[i], c->beh[s][i],
                             T->t / 1440.0);
      }
  const size_t n0 = c->n;
  /* volume relaxes to its type's target; received cargo decays (exactly, over the step) */
  for (size_t i = 0; i < n0; i++) {
    const exo_cell_type *ty = &ts->types[c->type[i]];
    if (!c->dead[i]) {
      c->volume[i] += (ty->volume - c->volume[i]) * -expm1(-ty->volume_rate * dt);
      c->radius[i] = exo_tissue_radius_of(c->volume[i]);
    }
  }
  for (int k = 0; k < c->ncargo; k++) {
    double f = exp(-exo_tissue_value(T, ts->cargo[k].decay) * dt);
    for (size_t i = 0; i < n0; i++) c->cargo[k][i] *= f;
  }
  /* death, transformation, division (daughters are appended and act from the next step) */
  bool removals = false;
  for (size_t i = 0; i < n0; i++) {
    const exo_cell_type *ty = &ts->types[c->type[i]];
    if (c->dead[i]) {
      double stay = c->dead[i] == 1 ? ty->apoptosis_duration : ty->necrosis_duration;
      if (T->t - c->death_time[i] >= stay - 1e-9) removals = true;
      continue;
    }
    double u0, u1, u2, u3;
    exo_rng_uniform2(exo_rng_draw(T->seed, (uint64_t)c->id[i], (uint64_t)step, EXO_RNG_DEATH, 0), &u0, &u1);
    if (u0 < chance(c->beh[EXO_BEH_APOPTOSIS][i], dt)) {
      c->dead[i] = 1;
      c->attached[i] = -1;
      c->death_time[i] = T->t;
      T->stats.deaths_apoptosis++;
      continue;
    }
    if (u1 < chance(c->beh[EXO_BEH_NECROSIS][i], dt)) {
      c->dead[i] = 2;
      c->attached[i] = -1;
      c->death_time[i] = T->t;
      T->stats.deaths_necrosis++;
      continue;
    }
    exo_rng_uniform2(exo_rng_draw(T->seed, (uint64_t)c->id[i], (uint64_t)step, EXO_RNG_TRANSFORM, 0), &u2, &u3);
    double acc = 0;
    bool changed = false;
    for (int t = 0; t < nt && !changed; t++) {
      if (t == c->type[i]) continue;
      acc += chance(c->beh[exo_beh_transform(nf, t)][i], dt);
      if (u2 < acc) {
        c->type[i] = t;
        c->attached[i] = -1;
        c->phase[i] = 0; /* the new type's cycle from its start: the old phase may not exist in it */
        c->phase_age[i] = 0;
        T->stats.transformations++;
        changed = true;
      }
    }
    if (changed) continue;
    bool divide;
    if (ty->nphases > 0) {
      /* phases in order: a fixed-duration phase is left when its time is up, a rate phase by
       * chance (phase 0's rate is the cycle entry behaviour); leaving the last one divides */
      int p = c->phase[i];
      c->phase_age[i] += dt;
      double d = ty->phase_duration[p];
      bool leave = d > 0 ? c->phase_age[i] >= d - 1e-9 : u3 < chance(p == 0 ? c->beh[EXO_BEH_CYCLE_ENTRY][i] : ty->phase_rate[p], dt);
      divide = leave && p == ty->nphases - 1;
      if (leave) {
        c->phase[i] = divide ? 0 : p + 1;
        c->phase_age[i] = 0;
      }
    } else {
      divide = u3 < chance(c->beh[EXO_BEH_CYCLE_ENTRY][i], dt);
    }
    if (divide) {
      double d[3], a, b, e, f;
      exo_rng_uniform2(exo_rng_draw(T->seed, (uint64_t)c->id[i], (uint64_t)step, EXO_RNG_DIVIDE_DIR, 0), &a, &b);
      exo_rng_uniform2(exo_rng_draw(T->seed, (uint64_t)c->id[i], (uint64_t)step, EXO_RNG_DIVIDE_DIR, 1), &e, &f);
      (void)e;
      (void)f;
      double th = 6.283185307179586 * a, cz = T->dims < 3 ? 0 : 2 * b - 1, s = sqrt(1 - cz * cz);
      d[0] = s * cos(th);
      d[1] = s * sin(th);
      d[2] = cz;
      double half = 0.5 * c->volume[i], rr = exo_tissue_radius_of(half);
      double p[3] = {c->x[i] + 0.5 * rr * d[0], c->y[i] + 0.5 * rr * d[1], c->z[i] + 0.5 * rr * d[2]};
      long r = exo_tissue_add_cell(T, c->type[i], p, half, (long)i, err);
      if (r < 0) return err ? err->status : EXO_ERR_MODEL;
      c->x[i] -= 0.5 * rr * d[0];
      c->y[i] -= 0.5 * rr * d[1];
      c->z[i] -= 0.5 * rr * d[2];
      c->volume[i] = half;
      c->radius[i] = rr;
      c->voxel[r] = c->voxel[i];
      T->stats.divisions++;
    }
  }
  /* recruitment: immune cells enter at the boundary in proportion to their systemic pool */
  if (T->sys) {
    const double *y = exo_stepper_states(T->sys);
    for (int t = 0; t < nt; t++) {
      const exo_cell_type *ty = &ts->types[t];
      if (ty->recruit_from < 0) continue;
      double pool = y[ty->recruit_from] > 0 ? y[ty->recruit_from] : 0;
      double mean = exo_tissue_value(T, ty->recruit) * pool * dt;
      if (!isfinite(mean) || mean < 0)
        return exo_error_set(err, EXO_ERR_NUMERIC, "tissue: recruitment of '%s' from '%s' is %g cells per step at day %.6g", ty->name,
                             T->m->states[ty->recruit_from].column, mean, T->t / 1440.0);
      long k = poisson(T->seed, (uint64_t)t, (uint64_t)step, mean);
      for (long q = 0; q < k; q++) {
        double p[3];
        boundary_point(T, (uint64_t)T->next_id, exo_tissue_radius_of(ty->volume), p);
        if (exo_tissue_add_cell(T, t, p, ty->volume, -1, err) < 0) return err ? err->status : EXO_ERR_MODEL;
        T->stats.recruited++;
      }
    }
  }
  if (removals) {
    unsigned char *keep = c->scratch[0]; /* one byte per row */
    for (size_t i = 0; i < c->n; i++) {
      keep[i] = 1;
      if (c->dead[i]) {
        const exo_cell_type *ty = &ts->types[c->type[i]];
        double stay = c->dead[i] == 1 ? ty->apoptosis_duration : ty->necrosis_duration;
        if (T->t - c->death_time[i] >= stay - 1e-9) {
          keep[i] = 0;
          T->stats.removals++;
        }
      }
    }
    /* compact uses no scratch column, so the keep mask may live in one */
    exo_cells_compact(c, keep);
    exo_tissue_rebuild_id_map(T);
  }
  if ((long)c->n > T->stats.cells_peak) T->stats.cells_peak = (long)c->n;
  exo_tissue_update_voxels(T);
  exo_status st = exo_tissue_bins_build(T, err);
  if (st) return st;
  return exo_tissue_rebuild_sites(T, err);
}
