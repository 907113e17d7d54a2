/* Tissue checkpoints: the dynamic state at a phenotype boundary, written so that a run read back
 * continues bit for bit as the one that wrote it.
 *
 * What the future depends on at a boundary: the clocks and counters, every cell column (the
 * Adams–Bashforth velocity and the persistent motile direction included), the field values, the
 * behaviour base values and cargo gains computed in the last phenotype step, the drainage not
 * yet booked, and the systemic model (time, states, parameters as events set them, the next
 * event; its integrator is restarted at every coupling, so it has no other history). Random
 * numbers are counter-based and carry no state. Neighbour bins, exchange sites and per-cell
 * mechanics constants are derived and rebuilt.
 *
 * Layout: a sequence of tagged blocks, each "TAG" (4 bytes), a 64-bit element count and the
 * elements in native byte order. Reading checks every tag and count against the tissue it is
 * read into (same model, same settings), so a truncated or foreign file is refused with a
 * message instead of being half-read. */
#include <stdlib.h>
#include <string.h>

#include "core/fault.h"
#include "tissue/tissue_internal.h"

static exo_status put(FILE *f, const char tag[4], const void *data, uint64_t count, size_t elem, exo_error *err) {
  if (fwrite(tag, 1, 4, f) != 4 || fwrite(&count, sizeof count, 1, f) != 1 ||
      (count && data && fwrite(data, elem, (size_t)count, f) != (size_t)count))
    return exo_error_set(err, EXO_ERR_IO, "checkpoint: write failed (block %.4s)", tag);
  return EXO_OK;
}

static exo_status get(FILE *f, const char tag[4], void *data, uint64_t count, size_t elem, exo_error *err) {
  char t[4];
  uint64_t n;
  if (fread(t, 1, 4, f) != 4 || fread(&n, sizeof n, 1, f) != 1)
    return exo_error_set(err, EXO_ERR_IO, "checkpoint: the file ends before block %.4s (truncated?)", tag);
  if (memcmp(t, tag, 4)) return exo_error_set(err, EXO_ERR_MODEL, "checkpoint: expected block %.4s, found %.4s", tag, t);
  if (n != count)
    return exo_error_set(err, EXO_ERR_MODEL, "checkpoint: block %.4s holds %llu values, this run needs %llu (another model?)", tag,
                         (unsigned long long)n, (unsigned long long)count);
  if (count && data && fread(data, elem, (size_t)count, f) != (size_t)count)
    return exo_error_set(err, EXO_ERR_IO, "checkpoint: the file ends inside block %.4s (truncated?)", tag);
  return EXO_OK;
}

/* The scalars, in a fixed order. */
typedef struct clocks {
  double t;
  long step_diff, step_mech, step_phen, next_id;
  double next_output, next_snapshot, next_sort;
  uint64_t ncells, nslot, ncargo, nvar, nfields, ntypes, nparam, nstate, seed;
  int next_event, has_sys;
  double sys_t;
} clocks;

exo_status exo_tissue_checkpoint_write(const exo_tissue *T, FILE *f, exo_error *err) {
  const exo_cells *c = &T->c;
  const exo_model *m = T->m;
  clocks k;
  memset(&k, 0, sizeof k); /* padding too: the file's bytes are all defined */
  k.t = T->t;
  k.step_diff = T->step_diff;
  k.step_mech = T->step_mech;
  k.step_phen = T->step_phen;
  k.next_id = T->next_id;
  k.next_output = T->next_output;
  k.next_snapshot = T->next_snapshot;
  k.next_sort = T->next_sort;
  k.ncells = c->n;
  k.nslot = (uint64_t)c->nslot;
  k.ncargo = (uint64_t)c->ncargo;
  k.nvar = (uint64_t)c->nvar;
  k.nfields = (uint64_t)c->nfields;
  k.ntypes = (uint64_t)T->ts->ntypes;
  k.nparam = (uint64_t)m->nparam;
  k.nstate = (uint64_t)m->nstate;
  k.seed = T->seed;
  k.next_event = T->sys ? exo_stepper_next_event(T->sys) : 0;
  k.has_sys = T->sys != NULL;
  k.sys_t = T->sys ? exo_stepper_time(T->sys) : 0;
  exo_status st;
  if ((st = put(f, "CLCK", &k, 1, sizeof k, err)) || (st = put(f, "STAT", &T->stats, 1, sizeof T->stats, err)) ||
      (st = put(f, "PARM", T->params, (uint64_t)m->nparam, sizeof(double), err)) ||
      (st = put(f, "BASE", T->type_base, (uint64_t)T->ts->ntypes * (uint64_t)c->nslot, sizeof(double), err)) ||
      (st = put(f, "GAIN", T->cargo_gain, (uint64_t)c->ncargo, sizeof(double), err)) ||
      (st = put(f, "DRAI", T->drain_accum, (uint64_t)c->nfields, sizeof(double), err)))
    return st;
  for (int i = 0; i < c->ncol; i++)
    if ((st = put(f, "COLM", *c->col[i], c->n, c->col_size[i], err))) return st;
  size_t nv = exo_fields_voxels(T->F);
  double *buf = exo_malloc((nv ? nv : 1) * sizeof *buf);
  if (!buf) return exo_error_set(err, EXO_ERR_NOMEM, "checkpoint: out of memory");
  for (int fi = 0; fi < c->nfields && !st; fi++) {
    exo_fields_copy_out(T->F, fi, buf);
    st = put(f, "FELD", buf, nv, sizeof(double), err);
  }
  free(buf);
  if (st) return st;
  if (T->sys) {
    if ((st = put(f, "SYSY", exo_stepper_states(T->sys), (uint64_t)m->nstate, sizeof(double), err)) ||
        (st = put(f, "SYSP", exo_stepper_params(T->sys), (uint64_t)m->nparam, sizeof(double), err)))
      return st;
  }
  return put(f, "DONE", NULL, 0, 1, err);
}

exo_status exo_tissue_checkpoint_read(exo_tissue *T, FILE *f, exo_error *err) {
  exo_cells *c = &T->c;
  const exo_model *m = T->m;
  clocks k;
  exo_status st = get(f, "CLCK", &k, 1, sizeof k, err);
  if (st) return st;
  if (k.nslot != (uint64_t)c->nslot || k.ncargo != (uint64_t)c->ncargo || k.nvar != (uint64_t)c->nvar ||
      k.nfields != (uint64_t)c->nfields || k.ntypes != (uint64_t)T->ts->ntypes || k.nparam != (uint64_t)m->nparam ||
      k.nstate != (uint64_t)m->nstate || k.has_sys != (T->sys != NULL))
    return exo_error_set(err, EXO_ERR_MODEL, "checkpoint: it was written for a different model (its shape differs)");
  if (k.seed != T->seed)
    return exo_error_set(err, EXO_ERR_MODEL, "checkpoint: written with seed %llu, this run has seed %llu", (unsigned long long)k.seed,
                         (unsigned long long)T->seed);
  if (k.ncells > (uint64_t)T->ts->max_cells || k.next_id < 0 || (uint64_t)k.next_id < k.ncells)
    return exo_error_set(err, EXO_ERR_MODEL, "checkpoint: %llu cells, next id %ld: not a valid state", (unsigned long long)k.ncells, k.next_id);
  if ((st = exo_cells_reserve(c, (size_t)k.ncells, err))) return st;
  int threads = T->stats.threads; /* this run's, not the writer's */
  if ((st = get(f, "STAT", &T->stats, 1, sizeof T->stats, err)) ||
      (st = get(f, "PARM", T->params, (uint64_t)m->nparam, sizeof(double), err)) ||
      (st = get(f, "BASE", T->type_base, (uint64_t)T->ts->ntypes * (uint64_t)c->nslot, sizeof(double), err)) ||
      (st = get(f, "GAIN", T->cargo_gain, (uint64_t)c->ncargo, sizeof(double), err)) ||
      (st = get(f, "DRAI", T->drain_accum, (uint64_t)c->nfields, sizeof(double), err)))
    return st;
  T->stats.threads = threads;
  for (int i = 0; i < c->ncol; i++)
    if ((st = get(f, "COLM", *c->col[i], k.ncells, c->col_size[i], err))) return st;
  c->n = (size_t)k.ncells;
  /* every cell must be a valid row: a type, an id below next_id, a voxel in the grid */
  size_t nv = exo_fields_voxels(T->F);
  for (size_t r = 0; r < c->n; r++)
    if (c->type[r] < 0 || c->type[r] >= T->ts->ntypes || c->id[r] < 0 || c->id[r] >= k.next_id || c->voxel[r] >= nv ||
        c->dead[r] > 2 || (T->ts->types[c->type[r]].nphases > 0 && (c->phase[r] < 0 || c->phase[r] >= T->ts->types[c->type[r]].nphases)))
      return exo_error_set(err, EXO_ERR_MODEL, "checkpoint: cell row %zu is not valid (corrupted file?)", r);
  double *buf = exo_malloc((nv ? nv : 1) * sizeof *buf);
  if (!buf) return exo_error_set(err, EXO_ERR_NOMEM, "checkpoint: out of memory");
  for (int fi = 0; fi < c->nfields && !st; fi++) {
    st = get(f, "FELD", buf, nv, sizeof(double), err);
    if (!st) exo_fields_copy_in(T->F, fi, buf);
  }
  free(buf);
  if (st) return st;
  if (T->sys) {
    double *y = exo_malloc(((size_t)m->nstate + 1) * sizeof *y), *p = exo_malloc(((size_t)m->nparam + 1) * sizeof *p);
    if (!y || !p) st = exo_error_set(err, EXO_ERR_NOMEM, "checkpoint: out of memory");
    if (!st) st = get(f, "SYSY", y, (uint64_t)m->nstate, sizeof(double), err);
    if (!st) st = get(f, "SYSP", p, (uint64_t)m->nparam, sizeof(double), err);
    if (!st) st = exo_stepper_restore(T->sys, k.sys_t, y, k.next_event, p, err);
    free(y);
    free(p);
    if (st) return st;
  }
  if ((st = get(f, "DONE", NULL, 0, 1, err))) return st;
  T->t = k.t;
  T->step_diff = k.step_diff;
  T->step_mech = k.step_mech;
  T->step_phen = k.step_phen;
  T->next_output = k.next_output;
  T->next_snapshot = k.next_snapshot;
  T->next_sort = k.next_sort;
  /* the id map must cover every id handed out */
  if ((size_t)k.next_id >= T->id_cap) {
    size_t cap = T->id_cap ? T->id_cap : 4096;
    while (cap <= (size_t)k.next_id) cap *= 2;
    long *idm = exo_realloc(T->id_row, cap * sizeof *idm);
    if (!idm) return exo_error_set(err, EXO_ERR_NOMEM, "checkpoint: out of memory");
    T->id_row = idm;
    T->id_cap = cap;
  }
  T->next_id = k.next_id;
  exo_tissue_rebuild_id_map(T);
  if ((st = exo_tissue_bins_build(T, err))) return st;
  return exo_tissue_rebuild_sites(T, err);
}
