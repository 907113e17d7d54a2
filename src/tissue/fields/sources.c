/* Point sources and sinks: amounts added to or removed from a voxel, and the per-voxel implicit
 * secretion/uptake step of BioFVM,
 *     rho <- (rho + dt*phi*S*rho*) / (1 + dt*phi*(S + U)),
 * applied site by site (a site is a cell in its voxel; phi is its volume over the voxel's).
 *
 * Cargo: a vesicle field's cargo fields hold the cargo the vesicles carry. Taking vesicles away
 * takes their cargo in the same proportion: a removal of a fraction q of a voxel's vesicles
 * removes the fraction q of each cargo field there, and a sink's uptake rate U on the vesicle field
 * is applied to its cargo fields too, so that with no secretion the cargo per vesicle in the voxel
 * is unchanged by uptake and the sink receives cargo in proportion to the vesicles it took. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "exosim/fields.h"
#include "exosim/status.h"
#include "tissue/fields/fields_internal.h"

static exo_status check_field_index(const exo_fields *F, int field, exo_error *err) {
  if (field < 0 || field >= F->nfields)
    return exo_error_set(err, EXO_ERR_USAGE, "fields: there is no field %d (the grid has %d)", field, F->nfields);
  return EXO_OK;
}

exo_status exo_fields_add(exo_fields *F, int field, size_t voxel, double amount, double *moved, exo_error *err) {
  exo_status st = check_field_index(F, field, err);
  if (st != EXO_OK) return st;
  if (voxel >= F->nvox) return exo_error_set(err, EXO_ERR_USAGE, "fields: voxel %zu is outside the grid (%zu voxels)", voxel, F->nvox);
  if (!isfinite(amount)) return exo_error_set(err, EXO_ERR_NUMERIC, "fields: a non-finite amount was added to field '%s'", F->field[field].name);
  if (moved)
    for (int i = 0; i < F->nfields; i++) moved[i] = 0.0;
  double *p = exo__fields_at(F, field, voxel);
  const double V = F->vvox;
  if (amount >= 0.0) {
    *p += amount / V;
    if (moved) moved[field] = amount;
    return EXO_OK;
  }
  /* A removal takes at most what the voxel holds. */
  const double held = *p * V;
  if (held <= 0.0) return EXO_OK;
  double take = -amount < held ? -amount : held;
  double q = take / held; /* fraction of the voxel's vesicles (or molecules) removed */
  double before = *p;
  *p = take == held ? 0.0 : before * (1.0 - q);
  if (moved) moved[field] = (*p - before) * V;
  const exo__field *f = &F->field[field];
  for (int c = 0; c < f->ncargo; c++) {
    int k = F->cargo[f->cargo_first + c];
    double *pc = exo__fields_at(F, k, voxel);
    double b = *pc;
    *pc = take == held ? 0.0 : b * (1.0 - q);
    if (moved) moved[k] = (*pc - b) * V;
  }
  return EXO_OK;
}

exo_status exo_fields_add_at(exo_fields *F, int field, const double *pos, double amount, double *moved, exo_error *err) {
  size_t v;
  exo_status st = exo_fields_voxel_at(F, pos, &v, err);
  if (st != EXO_OK) return st;
  return exo_fields_add(F, field, v, amount, moved, err);
}

static int bad_rate(double x) { return !isfinite(x) || x < 0.0; }

exo_status exo_fields_exchange(exo_fields *F, const exo_fields_site *sites, size_t nsites, double dt, double *taken, double *released,
                               exo_error *err) {
  if (!(dt > 0.0) || !isfinite(dt)) return exo_error_set(err, EXO_ERR_MODEL, "fields: the exchange time step is %g min; it must be positive", dt);
  if (nsites > 0 && !sites) return exo_error_set(err, EXO_ERR_USAGE, "fields: %zu sites but no site array", nsites);
  const int nf = F->nfields;
  /* Check every site before changing anything, so that an error leaves the fields as they were. */
  for (size_t s = 0; s < nsites; s++) {
    const exo_fields_site *x = &sites[s];
    if (x->voxel >= F->nvox) return exo_error_set(err, EXO_ERR_USAGE, "fields: site %zu is in voxel %zu, outside the grid (%zu voxels)", s, x->voxel, F->nvox);
    if (bad_rate(x->volume)) return exo_error_set(err, EXO_ERR_MODEL, "fields: site %zu has volume %g um^3; it must be finite and >= 0", s, x->volume);
    for (int i = 0; i < nf; i++) {
      const char *nm = F->field[i].name;
      if (x->secretion && bad_rate(x->secretion[i]))
        return exo_error_set(err, EXO_ERR_MODEL, "fields: site %zu secretes '%s' at rate %g /min; rates must be finite and >= 0", s, nm, x->secretion[i]);
      if (x->uptake && bad_rate(x->uptake[i]))
        return exo_error_set(err, EXO_ERR_MODEL, "fields: site %zu takes up '%s' at rate %g /min; rates must be finite and >= 0", s, nm, x->uptake[i]);
      if (x->target && !isfinite(x->target[i])) return exo_error_set(err, EXO_ERR_MODEL, "fields: site %zu has a non-finite target for '%s'", s, nm);
      if (x->uptake && x->uptake[i] != 0.0 && F->field[i].carrier >= 0)
        return exo_error_set(err, EXO_ERR_MODEL,
                             "fields: site %zu takes up cargo field '%s' directly; cargo is taken up with its vesicles, so give the "
                             "uptake rate on vesicle field '%s' and 0 here",
                             s, nm, F->field[F->field[i].carrier].name);
    }
  }
  const double V = F->vvox;
  for (size_t s = 0; s < nsites; s++) {
    const exo_fields_site *x = &sites[s];
    const double phi = x->volume > 0.0 ? x->volume / V : 1.0, h = dt * phi;
    for (int i = 0; i < nf; i++) {
      const int up_from = F->field[i].carrier >= 0 ? F->field[i].carrier : i;
      const double S = x->secretion ? x->secretion[i] : 0.0, U = x->uptake ? x->uptake[up_from] : 0.0;
      const double target = x->target ? x->target[i] : 0.0;
      double *p = exo__fields_at(F, i, x->voxel);
      double before = *p, after = before;
      if (S != 0.0 || U != 0.0) after = (before + h * S * target) / (1.0 + h * (S + U));
      *p = after;
      if (taken) taken[s * (size_t)nf + (size_t)i] = h * U * after * V;
      if (released) released[s * (size_t)nf + (size_t)i] = h * S * (target - after) * V;
    }
  }
  return EXO_OK;
}
