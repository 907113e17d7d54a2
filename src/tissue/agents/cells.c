/* The agent arrays: structure-of-arrays storage with growth, order-keeping removal and
 * reordering. No cell is ever a heap object of its own; a cell is a row index into columns. */
#include <stdlib.h>
#include <string.h>

#include "core/fault.h"
#include "tissue/tissue_internal.h"

static void add_col(exo_cells *c, void *addr, size_t size) {
  c->col[c->ncol] = addr;
  c->col_size[c->ncol] = size;
  c->ncol++;
}

exo_status exo_cells_init(exo_cells *c, int nslot, int ncargo, int nvar, int nfields, size_t cap, exo_error *err) {
  memset(c, 0, sizeof *c);
  c->nslot = nslot;
  c->ncargo = ncargo;
  c->nvar = nvar;
  c->nfields = nfields;
  int maxcol = 26 + nslot + ncargo + nvar;
  c->col = exo_calloc((size_t)maxcol, sizeof *c->col);
  c->col_size = exo_calloc((size_t)maxcol, sizeof *c->col_size);
  c->beh = exo_calloc((size_t)nslot + 1, sizeof *c->beh);
  c->cargo = exo_calloc((size_t)ncargo + 1, sizeof *c->cargo);
  c->var = exo_calloc((size_t)nvar + 1, sizeof *c->var);
  c->scratch = exo_calloc(3, sizeof *c->scratch);
  if (!c->col || !c->col_size || !c->beh || !c->cargo || !c->var || !c->scratch) {
    exo_cells_free(c);
    return exo_error_set(err, EXO_ERR_NOMEM, "out of memory setting up the cell arrays");
  }
  add_col(c, &c->id, sizeof(long));
  add_col(c, &c->type, sizeof(int));
  add_col(c, &c->dead, sizeof(unsigned char));
  add_col(c, &c->x, sizeof(double));
  add_col(c, &c->y, sizeof(double));
  add_col(c, &c->z, sizeof(double));
  add_col(c, &c->vx, sizeof(double));
  add_col(c, &c->vy, sizeof(double));
  add_col(c, &c->vz, sizeof(double));
  add_col(c, &c->nvx, sizeof(double));
  add_col(c, &c->nvy, sizeof(double));
  add_col(c, &c->nvz, sizeof(double));
  add_col(c, &c->mx, sizeof(double));
  add_col(c, &c->my, sizeof(double));
  add_col(c, &c->mz, sizeof(double));
  add_col(c, &c->volume, sizeof(double));
  add_col(c, &c->radius, sizeof(double));
  add_col(c, &c->pressure, sizeof(double));
  add_col(c, &c->death_time, sizeof(double));
  add_col(c, &c->phase, sizeof(int));
  add_col(c, &c->phase_age, sizeof(double));
  add_col(c, &c->attached, sizeof(long));
  add_col(c, &c->voxel, sizeof(size_t));
  for (int i = 0; i < nslot; i++) add_col(c, &c->beh[i], sizeof(double));
  for (int i = 0; i < ncargo; i++) add_col(c, &c->cargo[i], sizeof(double));
  for (int i = 0; i < nvar; i++) add_col(c, &c->var[i], sizeof(double));
  return exo_cells_reserve(c, cap ? cap : 1024, err);
}

void exo_cells_free(exo_cells *c) {
  if (c->col)
    for (int i = 0; i < c->ncol; i++) {
      free(*c->col[i]);
      *c->col[i] = NULL;
    }
  if (c->scratch)
    for (int i = 0; i < 3; i++) free(c->scratch[i]);
  free(c->col);
  free(c->col_size);
  free(c->beh);
  free(c->cargo);
  free(c->var);
  free(c->scratch);
  memset(c, 0, sizeof *c);
}

/* scratch slot for an element size: 1 byte, 4 bytes, 8 bytes */
static int scratch_slot(size_t size) { return size == 1 ? 0 : size == 4 ? 1 : 2; }

exo_status exo_cells_reserve(exo_cells *c, size_t n, exo_error *err) {
  if (n <= c->cap) return EXO_OK;
  size_t cap = c->cap ? c->cap : 1024;
  while (cap < n) cap += cap / 2; /* 1.5x: amortised growth without doubling the peak */
  for (int i = 0; i < c->ncol; i++) {
    void *p = exo_realloc(*c->col[i], cap * c->col_size[i]);
    if (!p) return exo_error_set(err, EXO_ERR_NOMEM, "out of memory growing the cell arrays to %zu cells", cap);
    *c->col[i] = p;
  }
  for (int s = 0; s < 3; s++) {
    size_t es = s == 0 ? 1 : s == 1 ? 4 : 8;
    void *p = exo_realloc(c->scratch[s], cap * es);
    if (!p) return exo_error_set(err, EXO_ERR_NOMEM, "out of memory growing the cell arrays to %zu cells", cap);
    c->scratch[s] = p;
  }
  c->cap = cap;
  return EXO_OK;
}

void exo_cells_compact(exo_cells *c, const unsigned char *keep) {
  size_t w = 0;
  for (size_t r = 0; r < c->n; r++) {
    if (!keep[r]) continue;
    if (w != r)
      for (int i = 0; i < c->ncol; i++) {
        size_t es = c->col_size[i];
        char *base = *c->col[i];
        memcpy(base + w * es, base + r * es, es);
      }
    w++;
  }
  c->n = w;
}

void exo_cells_permute(exo_cells *c, const size_t *perm) {
  for (int i = 0; i < c->ncol; i++) {
    size_t es = c->col_size[i];
    int s = scratch_slot(es);
    char *src = *c->col[i], *dst = c->scratch[s];
    switch (es) {
    case 8:
      for (size_t r = 0; r < c->n; r++) ((uint64_t *)(void *)dst)[r] = ((const uint64_t *)(void *)src)[perm[r]];
      break;
    case 4:
      for (size_t r = 0; r < c->n; r++) ((uint32_t *)(void *)dst)[r] = ((const uint32_t *)(void *)src)[perm[r]];
      break;
    default:
      for (size_t r = 0; r < c->n; r++) dst[r] = src[perm[r]];
      break;
    }
    /* the sorted copy becomes the column and the old column the scratch buffer */
    *c->col[i] = dst;
    c->scratch[s] = src;
  }
}

size_t exo_cells_row_bytes(const exo_cells *c) {
  size_t b = 0;
  for (int i = 0; i < c->ncol; i++) b += c->col_size[i];
  return b;
}
