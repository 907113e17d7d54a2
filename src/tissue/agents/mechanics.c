/* Mechanics, motility and contact, after PhysiCell (Ghaffarizadeh et al. 2018, PLoS Comput Biol
 * 14:e1005991, and its user guide):
 *   - repulsion between touching cells i, j (distance d < R = r_i + r_j):
 *         sqrt(rep_i rep_j) (1 - d/R)^2 along the unit vector from j to i;
 *   - adhesion within S = a_i r_i + a_j r_j (a: relative maximum adhesion distance):
 *         -sqrt(adh_i adh_j) (1 - d/S)^2;
 *   - motility: with probability dt/persistence a new direction
 *         (1 - bias) random + bias * chemotactic direction, normalised, times the speed;
 *   - positions by second-order Adams–Bashforth: x += dt (1.5 v_n - 0.5 v_{n-1}).
 * Velocities are computed for every cell first (reading positions only) and positions updated
 * after, so each cell's result depends on nothing but the previous state: any thread count gives
 * the same numbers. Forces on a cell are summed over its neighbour bins in a fixed order. */
#include <math.h>
#include <string.h>

#include "core/fault.h"
#include "core/rng.h"
#include "tissue/tissue_internal.h"

/* PhysiCell's normalisation of the simple pressure: the value for a cell in a close-packed
 * neighbourhood of 12 touching cells is 1 (PhysiCell_cell.cpp, simple_pressure_scale) */
#define SIMPLE_PRESSURE_SCALE 0.027288820670331

static size_t bin_of(const exo_bins *b, double x, double y, double z) {
  int i = (int)((x - b->lo[0]) / b->edge), j = (int)((y - b->lo[1]) / b->edge), k = (int)((z - b->lo[2]) / b->edge);
  if (i < 0) i = 0;
  if (i >= b->nb[0]) i = b->nb[0] - 1;
  if (j < 0) j = 0;
  if (j >= b->nb[1]) j = b->nb[1] - 1;
  if (k < 0) k = 0;
  if (k >= b->nb[2]) k = b->nb[2] - 1;
  return (size_t)i + (size_t)b->nb[0] * ((size_t)j + (size_t)b->nb[1] * (size_t)k);
}

exo_status exo_tissue_bins_build(exo_tissue *T, exo_error *err) {
  exo_bins *b = &T->bins;
  exo_cells *c = &T->c;
  if (b->cap < c->n || !b->rows) {
    size_t cap = c->cap > c->n ? c->cap : c->n;
    size_t *r = exo_realloc(b->rows, (cap + 1) * sizeof *r), *bn = r ? exo_realloc(b->bin, (cap + 1) * sizeof *bn) : NULL;
    if (r) b->rows = r;
    if (bn) b->bin = bn;
    if (!r || !bn) return exo_error_set(err, EXO_ERR_NOMEM, "out of memory building the neighbour bins");
    b->cap = cap;
  }
  memset(b->start, 0, (b->nbins + 1) * sizeof *b->start);
  for (size_t r = 0; r < c->n; r++) {
    b->bin[r] = bin_of(b, c->x[r], c->y[r], c->z[r]);
    b->start[b->bin[r] + 1]++;
  }
  for (size_t i = 0; i < b->nbins; i++) b->start[i + 1] += b->start[i];
  /* stable placement: rows of a bin stay in row order */
  size_t *fill = T->bins.start; /* reuse: shift the counts while placing, then restore */
  for (size_t r = 0; r < c->n; r++) b->rows[fill[b->bin[r]]++] = r;
  for (size_t i = b->nbins; i > 0; i--) fill[i] = fill[i - 1];
  fill[0] = 0;
  return EXO_OK;
}

/* Calls body(row j) for every cell j in the 27 bins around bin of row i (including i itself). */
#define FOR_NEIGHBOURS_R(T, bi, j, R, ...)                                                                               \
  do {                                                                                                                 \
    const exo_bins *b_ = &(T)->bins;                                                                                   \
    int bx_ = (int)((bi) % (size_t)b_->nb[0]), by_ = (int)(((bi) / (size_t)b_->nb[0]) % (size_t)b_->nb[1]),           \
        bz_ = (int)((bi) / ((size_t)b_->nb[0] * (size_t)b_->nb[1]));                                                   \
    for (int dz_ = -(R); dz_ <= (R); dz_++) {                                                                          \
      int z_ = bz_ + dz_;                                                                                              \
      if (z_ < 0 || z_ >= b_->nb[2]) continue;                                                                         \
      for (int dy_ = -(R); dy_ <= (R); dy_++) {                                                                          \
        int y_ = by_ + dy_;                                                                                            \
        if (y_ < 0 || y_ >= b_->nb[1]) continue;                                                                       \
        for (int dx_ = -(R); dx_ <= (R); dx_++) {                                                                          \
          int x_ = bx_ + dx_;                                                                                          \
          if (x_ < 0 || x_ >= b_->nb[0]) continue;                                                                     \
          size_t nbn_ = (size_t)x_ + (size_t)b_->nb[0] * ((size_t)y_ + (size_t)b_->nb[1] * (size_t)z_);                \
          for (size_t q_ = b_->start[nbn_]; q_ < b_->start[nbn_ + 1]; q_++) {                                          \
            size_t j = b_->rows[q_];                                                                                   \
            __VA_ARGS__;                                                                                                    \
          }                                                                                                            \
        }                                                                                                              \
      }                                                                                                                \
    }                                                                                                                  \
  } while (0)

/* The 27 bins around (mechanics reaches no further than one bin edge) */
#define FOR_NEIGHBOURS(T, bi, j, ...) FOR_NEIGHBOURS_R(T, bi, j, 1, __VA_ARGS__)

/* The unit chemotactic direction of row r: sum over fields of response x unit gradient. */
static void chemotactic_direction(const exo_tissue *T, size_t r, double d[3]) {
  const exo_cells *c = &T->c;
  d[0] = d[1] = d[2] = 0;
  size_t v = c->voxel[r];
  size_t n0 = T->vox_n[0], n1 = T->vox_n[1];
  size_t ijk[3] = {v % n0, (v / n0) % n1, v / (n0 * n1)};
  size_t stride[3] = {1, n0, n0 * n1};
  for (int f = 0; f < c->nfields; f++) {
    double w = c->beh[exo_beh_chemotaxis(f)][r];
    if (w == 0) continue;
    double g[3] = {0, 0, 0}, norm = 0;
    for (int a = 0; a < T->dims; a++) {
      size_t lo = ijk[a] > 0 ? v - stride[a] : v, hi = ijk[a] + 1 < T->vox_n[a] ? v + stride[a] : v;
      double span = (double)((ijk[a] > 0) + (ijk[a] + 1 < T->vox_n[a])) * T->dx;
      if (span > 0) g[a] = (exo_fields_get(T->F, f, hi) - exo_fields_get(T->F, f, lo)) / span;
      norm += g[a] * g[a];
    }
    if (norm <= 0) continue;
    norm = sqrt(norm);
    for (int a = 0; a < 3; a++) d[a] += w * g[a] / norm;
  }
  double n = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
  if (n > 0)
    for (int a = 0; a < 3; a++) d[a] /= n;
}

/* A random unit vector (uniform on the sphere; on the circle for a 2-D domain). */
static void random_direction(double u1, double u2, int dims, double d[3]) {
  double th = 6.283185307179586 * u1;
  if (dims < 3) {
    d[0] = cos(th);
    d[1] = sin(th);
    d[2] = 0;
    return;
  }
  double cz = 2 * u2 - 1, s = sqrt(1 - cz * cz);
  d[0] = s * cos(th);
  d[1] = s * sin(th);
  d[2] = cz;
}

exo_status exo_tissue_mechanics_prepare(exo_tissue *T, exo_error *err) {
  exo_cells *c = &T->c;
  if (T->mech_cap < c->cap) {
    double *a = exo_realloc(T->mech_srep, c->cap * sizeof *a);
    if (a) T->mech_srep = a;
    double *b = a ? exo_realloc(T->mech_sadh, c->cap * sizeof *b) : NULL;
    if (b) T->mech_sadh = b;
    double *r = b ? exo_realloc(T->mech_reach, c->cap * sizeof *r) : NULL;
    if (r) T->mech_reach = r;
    if (!r) return exo_error_set(err, EXO_ERR_NOMEM, "out of memory for the mechanics");
    T->mech_cap = c->cap;
  }
  const exo_tissue_spec *ts = T->ts;
  for (size_t i = 0; i < c->n; i++) {
    /* sqrt(c_i c_j) = sqrt(c_i) sqrt(c_j): one square root per cell instead of one per pair */
    T->mech_srep[i] = sqrt(c->beh[EXO_BEH_REPULSION][i]);
    T->mech_sadh[i] = sqrt(c->beh[EXO_BEH_ADHESION][i]);
    T->mech_reach[i] = ts->types[c->type[i]].adhesion_distance * c->radius[i];
  }
  return EXO_OK;
}

void exo_tissue_mechanics_step(exo_tissue *T, double dt) {
  exo_cells *c = &T->c;
  const long step = T->step_mech;
  const size_t n = c->n;
  const double *srep = T->mech_srep, *sadh = T->mech_sadh, *reach_a = T->mech_reach;
#pragma omp parallel for schedule(static) num_threads(T->threads)
  for (size_t i = 0; i < n; i++) {
    double fx = 0, fy = 0, fz = 0, press = 0;
    const double xi = c->x[i], yi = c->y[i], zi = c->z[i], ri = c->radius[i];
    const double repi = srep[i], adhi = sadh[i];
    const double ai = reach_a[i];
    FOR_NEIGHBOURS(T, T->bins.bin[i], j, {
      if (j == i) continue;
      double dx = xi - c->x[j], dy = yi - c->y[j], dz = zi - c->z[j];
      double d2 = dx * dx + dy * dy + dz * dz;
      double rj = c->radius[j];
      double R = ri + rj, S = ai + reach_a[j];
      double reach = R > S ? R : S;
      if (d2 >= reach * reach) continue;
      double d = sqrt(d2);
      if (d < 1e-5) d = 1e-5; /* coincident centres: PhysiCell's floor */
      double s = 0;
      if (d < R) {
        double q = 1 - d / R;
        q *= q;
        press += q / SIMPLE_PRESSURE_SCALE;
        s = repi * srep[j] * q;
      }
      if (d < S) {
        double q = 1 - d / S;
        s -= adhi * sadh[j] * q * q;
      }
      s /= d;
      fx += s * dx;
      fy += s * dy;
      fz += s * dz;
    });
    c->pressure[i] = press;
    /* motility: live, motile cells not held by an attachment */
    double speed = c->beh[EXO_BEH_SPEED][i];
    if (!c->dead[i] && speed > 0 && c->attached[i] < 0) {
      double pers = c->beh[EXO_BEH_PERSISTENCE][i];
      exo_rng4 r = exo_rng_draw(T->seed, (uint64_t)c->id[i], (uint64_t)step, EXO_RNG_MOTILITY, 0);
      double u0, u1, u2, u3;
      exo_rng_uniform2(r, &u0, &u1);
      bool renew = pers <= dt || u0 < dt / pers || (c->mx[i] == 0 && c->my[i] == 0 && c->mz[i] == 0);
      if (renew) {
        double d[3], g[3];
        exo_rng_uniform2(exo_rng_draw(T->seed, (uint64_t)c->id[i], (uint64_t)step, EXO_RNG_MOTILITY, 1), &u2, &u3);
        random_direction(u1, u2, T->dims, d);
        (void)u3;
        double bias = c->beh[EXO_BEH_BIAS][i];
        if (bias > 0) {
          chemotactic_direction(T, i, g);
          for (int k = 0; k < 3; k++) d[k] = (1 - bias) * d[k] + bias * g[k];
        }
        double nrm = sqrt(d[0] * d[0] + d[1] * d[1] + d[2] * d[2]);
        if (nrm > 0)
          for (int k = 0; k < 3; k++) d[k] /= nrm;
        c->mx[i] = speed * d[0];
        c->my[i] = speed * d[1];
        c->mz[i] = speed * d[2];
      }
      fx += c->mx[i];
      fy += c->my[i];
      fz += c->mz[i];
    } else {
      c->mx[i] = c->my[i] = c->mz[i] = 0;
    }
    c->nvx[i] = fx;
    c->nvy[i] = fy;
    c->nvz[i] = fz;
  }
  /* positions: Adams–Bashforth 2, kept inside the box */
  const double *lo = T->box_lo, *hi = T->box_hi;
#pragma omp parallel for schedule(static) num_threads(T->threads)
  for (size_t i = 0; i < n; i++) {
    double p[3] = {c->x[i], c->y[i], c->z[i]};
    double v[3] = {c->nvx[i], c->nvy[i], c->nvz[i]}, vo[3] = {c->vx[i], c->vy[i], c->vz[i]};
    double r = c->radius[i];
    for (int k = 0; k < 3; k++) {
      p[k] += dt * (1.5 * v[k] - 0.5 * vo[k]);
      double a = lo[k] + r, b = hi[k] - r;
      if (a > b) a = b = 0.5 * (lo[k] + hi[k]);
      if (p[k] < a) p[k] = a;
      if (p[k] > b) p[k] = b;
    }
    c->x[i] = p[0];
    c->y[i] = p[1];
    c->z[i] = p[2];
  }
  double *t0 = c->vx, *t1 = c->vy, *t2 = c->vz;
  c->vx = c->nvx;
  c->vy = c->nvy;
  c->vz = c->nvz;
  c->nvx = t0;
  c->nvy = t1;
  c->nvz = t2;
}

void exo_tissue_update_voxels(exo_tissue *T) {
  exo_cells *c = &T->c;
  const size_t n = c->n;
#pragma omp parallel for schedule(static) num_threads(T->threads)
  for (size_t i = 0; i < n; i++) {
    double p[3] = {c->x[i], c->y[i], c->z[i]};
    size_t idx[3] = {0, 0, 0};
    for (int a = 0; a < T->dims; a++) {
      double q = floor((p[a] - T->vox_lo[a]) / T->dx);
      idx[a] = q < 0 ? 0 : q >= (double)T->vox_n[a] ? T->vox_n[a] - 1 : (size_t)q;
    }
    c->voxel[i] = idx[0] + T->vox_n[0] * (idx[1] + T->vox_n[1] * idx[2]);
  }
}

/* The chance that an event of rate k happens within dt. */
static inline double chance(double k, double dt) { return k > 0 ? -expm1(-k * dt) : 0; }

/* How strongly row j is seen by an attacker of type ta: PhysiCell's oncoprotein scale. */
static double immunogenicity(const exo_tissue *T, int ta, size_t j) {
  const exo_cell_type *A = &T->ts->types[ta];
  if (A->immunogenicity_variable < 0) return 1;
  double v = T->c.var[A->immunogenicity_variable][j];
  double s = (v - A->immunogenicity_threshold) / (A->immunogenicity_saturation - A->immunogenicity_threshold);
  return s < 0 ? 0 : s > 1 ? 1 : s;
}

/* Attachment, killing and detachment (serial, in row order: a target may be contested, and the
 * first attacker in row order wins, whatever the thread count). */
void exo_tissue_contact_step(exo_tissue *T, double dt) {
  exo_cells *c = &T->c;
  const exo_tissue_spec *ts = T->ts;
  const int nf = c->nfields, nt = ts->ntypes;
  const long step = T->step_mech;
  for (size_t i = 0; i < c->n; i++) {
    if (c->dead[i]) continue;
    const int ta = c->type[i];
    if (c->attached[i] >= 0) {
      long tid = c->attached[i];
      long j = tid < (long)T->id_cap ? T->id_row[tid] : -1;
      if (j < 0 || c->dead[j]) {
        c->attached[i] = -1;
        continue;
      }
      double u0, u1;
      exo_rng_uniform2(exo_rng_draw(T->seed, (uint64_t)c->id[i], (uint64_t)step, EXO_RNG_CONTACT, 0), &u0, &u1);
      double kill = c->beh[exo_beh_attack(nf, c->type[j])][i] * immunogenicity(T, ta, (size_t)j);
      if (u0 < chance(kill, dt)) {
        c->dead[j] = 1;
        c->attached[j] = -1; /* the dead let go of what they held */
        c->death_time[j] = T->t;
        c->attached[i] = -1;
        T->stats.kills++;
        T->stats.deaths_apoptosis++;
      } else if (u1 < chance(c->beh[EXO_BEH_DETACH_RATE][i], dt)) {
        c->attached[i] = -1;
      }
      continue;
    }
    double att = c->beh[EXO_BEH_ATTACH_RATE][i];
    if (att <= 0) continue;
    bool attacks = false;
    for (int t = 0; t < nt && !attacks; t++) attacks = c->beh[exo_beh_attack(nf, t)][i] > 0;
    if (!attacks) continue;
    const double reach = ts->types[ta].attach_distance;
    unsigned sub = 1;
    long chosen = -1;
    FOR_NEIGHBOURS_R(T, T->bins.bin[i], j, T->contact_range, {
      if (chosen >= 0 || j == i || c->dead[j] || c->beh[exo_beh_attack(nf, c->type[j])][i] <= 0) continue;
      double dx = c->x[i] - c->x[j], dy = c->y[i] - c->y[j], dz = c->z[i] - c->z[j];
      double lim = c->radius[i] + c->radius[j] + reach;
      if (dx * dx + dy * dy + dz * dz > lim * lim) continue;
      double u0, u1;
      exo_rng_uniform2(exo_rng_draw(T->seed, (uint64_t)c->id[i], (uint64_t)step, EXO_RNG_CONTACT, sub++), &u0, &u1);
      if (u0 < chance(att * immunogenicity(T, ta, j), dt)) chosen = (long)j;
    });
    if (chosen >= 0) c->attached[i] = c->id[chosen];
  }
}

/* Touching cells per type, live and dead, for rules that read contact signals. */
void exo_tissue_count_contacts(exo_tissue *T) {
  exo_cells *c = &T->c;
  const int nt = T->ts->ntypes, w = nt + 2;
  const size_t n = c->n;
#pragma omp parallel for schedule(static) num_threads(T->threads)
  for (size_t i = 0; i < n; i++) {
    int *k = T->contacts + i * (size_t)w;
    for (int q = 0; q < w; q++) k[q] = 0;
    FOR_NEIGHBOURS(T, T->bins.bin[i], j, {
      if (j == i) continue;
      double dx = c->x[i] - c->x[j], dy = c->y[i] - c->y[j], dz = c->z[i] - c->z[j];
      double R = c->radius[i] + c->radius[j];
      if (dx * dx + dy * dy + dz * dz > R * R) continue;
      k[c->type[j]]++;
      k[nt + (c->dead[j] ? 1 : 0)]++;
    });
  }
}

exo_status exo_tissue_sort(exo_tissue *T, exo_error *err) {
  exo_status st = exo_tissue_bins_build(T, err);
  if (st) return st;
  /* bins' rows are the rows in (bin, row) order: exactly the permutation wanted */
  exo_cells_permute(&T->c, T->bins.rows);
  exo_tissue_rebuild_id_map(T);
  st = exo_tissue_bins_build(T, err);
  if (st) return st;
  return exo_tissue_rebuild_sites(T, err);
}
