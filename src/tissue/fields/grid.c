/* The voxel grid and its fields: creation with validation and a memory check, grouping of fields
 * that share a diffusion operator, and access. The layout is described in fields_internal.h. */
#if defined(__linux__) && !defined(_DEFAULT_SOURCE)
#define _DEFAULT_SOURCE /* madvise(MADV_HUGEPAGE) */
#endif
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "core/fault.h"
#include "exosim/fields.h"
#include "exosim/status.h"
#include "tissue/fields/fields_internal.h"

static const char *const face_name[EXO_FACE_COUNT] = {"x_lo", "x_hi", "y_lo", "y_hi", "z_lo", "z_hi"};

double *exo__fields_alloc(size_t n, void **raw) {
  *raw = NULL;
  /* Big arrays start on a 2 MiB boundary and ask for transparent huge pages: the sweeps stride
   * through a group's array a plane (hundreds of KiB) at a time, and with 4 KiB pages every
   * stride is a TLB miss. The slack before the boundary is never touched, so never backed. */
  const size_t huge = (size_t)2 << 20, align = n * sizeof(double) >= 2 * huge ? huge : 64;
  if (n > (SIZE_MAX - 2 * align) / sizeof(double)) return NULL;
  size_t bytes = n * sizeof(double);
  void *p = exo_malloc(bytes + 2 * align);
  if (!p) return NULL;
  *raw = p;
  uintptr_t a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (align == huge) (void)madvise((void *)a, (bytes + huge - 1) & ~(huge - 1), MADV_HUGEPAGE); /* advice only */
#endif
  return (double *)a;
}

double exo__fields_physical_memory(void) {
#if defined(_SC_PHYS_PAGES) && defined(_SC_PAGESIZE)
  long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  if (pages > 0 && size > 0) return (double)pages * (double)size;
#endif
  return 0.0;
}

static void human_bytes(double b, char *out, size_t cap) {
  const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int u = 0;
  while (b >= 1024.0 && u < 6) {
    b /= 1024.0;
    u++;
  }
  snprintf(out, cap, "%.1f %s", b, unit[u]);
}

/* Voxels along each axis; EXO_OK or EXO_ERR_MODEL. */
static exo_status grid_shape(const exo_grid_spec *g, double *dx, double n[3], exo_error *err) {
  if (!g) return exo_error_set(err, EXO_ERR_USAGE, "fields: no grid given");
  if (g->dims < 1 || g->dims > 3)
    return exo_error_set(err, EXO_ERR_MODEL, "fields: the grid has %d dimensions; it must have 1, 2 or 3", g->dims);
  *dx = g->dx == 0.0 ? EXO_FIELDS_DEFAULT_DX : g->dx;
  if (!(*dx > 0.0) || !isfinite(*dx))
    return exo_error_set(err, EXO_ERR_MODEL, "fields: the voxel size is %g um; it must be a positive number of um", *dx);
  for (int a = 0; a < 3; a++) {
    if (a >= g->dims) {
      n[a] = 1.0;
      continue;
    }
    double len = g->hi[a] - g->lo[a];
    char axis = (char)('x' + a);
    if (!isfinite(g->lo[a]) || !isfinite(g->hi[a]) || !(len > 0.0))
      return exo_error_set(err, EXO_ERR_MODEL, "fields: the box along %c runs from %g to %g um; the upper end must be above the lower", axis,
                           g->lo[a], g->hi[a]);
    double cells = len / *dx, whole = floor(cells + 0.5);
    if (whole < 1.0 || fabs(cells - whole) > 1e-9 * fmax(1.0, cells))
      return exo_error_set(err, EXO_ERR_MODEL,
                           "fields: the box along %c is %g um long, not a whole number of %g um voxels (%.6g voxels); "
                           "change the box or the voxel size",
                           axis, len, *dx, cells);
    n[a] = whole;
  }
  return EXO_OK;
}

double exo_fields_bytes_needed(const exo_grid_spec *grid, int nfields) {
  double dx = 0.0, n[3] = {1.0, 1.0, 1.0};
  if (grid_shape(grid, &dx, n, NULL) != EXO_OK || nfields < 0) return 0.0;
  return n[0] * n[1] * n[2] * (double)nfields * (double)sizeof(double);
}

static int same_operator(const exo__field *a, const exo__field *b, int dims) {
  if (a->D != b->D || a->decay != b->decay) return 0;
  for (int s = 0; s < 2 * dims; s++)
    if (a->bc[s].kind != b->bc[s].kind) return 0;
  return 1;
}

static exo_status check_field(const exo_field_spec *s, int i, int nfields, int dims, exo_error *err) {
  char nm[96];
  if (s->name)
    snprintf(nm, sizeof nm, "field %d ('%s')", i, s->name);
  else
    snprintf(nm, sizeof nm, "field %d", i);
  if (!isfinite(s->diffusion) || s->diffusion < 0.0)
    return exo_error_set(err, EXO_ERR_MODEL, "fields: %s has diffusion coefficient %g um^2/min; it must be finite and >= 0", nm, s->diffusion);
  if (!isfinite(s->decay) || s->decay < 0.0)
    return exo_error_set(err, EXO_ERR_MODEL, "fields: %s has decay rate %g /min; it must be finite and >= 0", nm, s->decay);
  if (!isfinite(s->initial)) return exo_error_set(err, EXO_ERR_MODEL, "fields: %s has a non-finite initial value", nm);
  for (int f = 0; f < 2 * dims; f++) {
    if (s->bc[f].kind != EXO_BC_NOFLUX && s->bc[f].kind != EXO_BC_DIRICHLET)
      return exo_error_set(err, EXO_ERR_MODEL, "fields: %s has an unknown boundary kind %d on face %s (use EXO_BC_NOFLUX or EXO_BC_DIRICHLET)",
                           nm, (int)s->bc[f].kind, face_name[f]);
    if (s->bc[f].kind == EXO_BC_DIRICHLET && !isfinite(s->bc[f].value))
      return exo_error_set(err, EXO_ERR_MODEL, "fields: %s has a non-finite Dirichlet value on face %s", nm, face_name[f]);
  }
  if (s->ncargo < 0 || (s->ncargo > 0 && !s->cargo))
    return exo_error_set(err, EXO_ERR_MODEL, "fields: %s lists %d cargo fields but gives no list", nm, s->ncargo);
  for (int c = 0; c < s->ncargo; c++) {
    int k = s->cargo[c];
    if (k < 0 || k >= nfields || k == i)
      return exo_error_set(err, EXO_ERR_MODEL, "fields: %s lists cargo field %d, which is not another field (0..%d)", nm, k, nfields - 1);
  }
  return EXO_OK;
}

void exo_fields_free(exo_fields *F) {
  if (!F) return;
  if (F->field)
    for (int i = 0; i < F->nfields; i++) free(F->field[i].name);
  if (F->group)
    for (int g = 0; g < F->ngroups; g++) {
      exo__fgroup *G = &F->group[g];
      free(G->fields);
      free(G->bcv);
      free(G->u_raw);
      free(G->w_raw);
      exo__fields_free_coef(G);
    }
  free(F->group);
  free(F->field);
  free(F->cargo);
  free(F);
}

static exo_status nomem(exo_fields *F, exo_error *err, const char *what) {
  exo_fields_free(F);
  return exo_error_set(err, EXO_ERR_NOMEM, "fields: out of memory while allocating %s", what);
}

exo_status exo_fields_create(const exo_grid_spec *grid, const exo_field_spec *fields, int nfields, exo_fields **out,
                             exo_error *err) {
  if (!out) return exo_error_set(err, EXO_ERR_USAGE, "fields: no place to put the grid");
  *out = NULL;
  double dx = 0.0, nd[3] = {1.0, 1.0, 1.0};
  exo_status st = grid_shape(grid, &dx, nd, err);
  if (st != EXO_OK) return st;
  if (nfields < 1 || !fields) return exo_error_set(err, EXO_ERR_MODEL, "fields: a grid needs at least one field (got %d)", nfields);
  const int dims = grid->dims;
  for (int i = 0; i < nfields; i++)
    if ((st = check_field(&fields[i], i, nfields, dims, err)) != EXO_OK) return st;

  /* The memory check comes before any arithmetic in size_t, so an absurd grid cannot overflow. */
  double need = nd[0] * nd[1] * nd[2] * (double)nfields * (double)sizeof(double);
  double phys = exo__fields_physical_memory();
  double budget = grid->mem_budget > 0.0 ? grid->mem_budget : phys;
  if (budget <= 0.0) budget = 0x1p62; /* unknown: let the allocator decide */
  if (need > budget || need > 0x1p62) {
    char hn[32], hb[32];
    human_bytes(need, hn, sizeof hn);
    human_bytes(budget, hb, sizeof hb);
    return exo_error_set(err, EXO_ERR_NOMEM,
                         "fields: a %.0fx%.0fx%.0f grid of %g um voxels with %d field%s needs %.0f bytes (%s) of field storage, "
                         "more than %s (%s); use larger voxels, a smaller box or fewer fields",
                         nd[0], nd[1], nd[2], dx, nfields, nfields == 1 ? "" : "s", need, hn,
                         grid->mem_budget > 0.0 ? "the memory budget given" : "this machine's physical memory", hb);
  }

  exo_fields *F = exo_calloc(1, sizeof *F);
  if (!F) return exo_error_set(err, EXO_ERR_NOMEM, "fields: out of memory");
  F->dims = dims;
  F->dx = dx;
  F->budget = budget;
  F->vvox = dx;
  for (int a = 1; a < dims; a++) F->vvox *= dx;
  for (int a = 0; a < 3; a++) {
    F->n[a] = (size_t)nd[a];
    F->lo[a] = a < dims ? grid->lo[a] : 0.0;
  }
  F->nvox = F->n[0] * F->n[1] * F->n[2];
  F->nfields = nfields;
  F->field = exo_calloc((size_t)nfields, sizeof *F->field);
  if (!F->field) return nomem(F, err, "the field table");

  int total_cargo = 0;
  for (int i = 0; i < nfields; i++) total_cargo += fields[i].ncargo;
  F->cargo = exo_calloc((size_t)total_cargo + 1, sizeof *F->cargo);
  if (!F->cargo) return nomem(F, err, "the cargo table");

  int pos = 0;
  for (int i = 0; i < nfields; i++) {
    exo__field *f = &F->field[i];
    const exo_field_spec *s = &fields[i];
    f->D = s->diffusion;
    f->decay = s->decay;
    f->initial = s->initial;
    f->carrier = -1;
    for (int k = 0; k < EXO_FACE_COUNT; k++) {
      f->bc[k] = k < 2 * dims ? s->bc[k] : (exo_bc){EXO_BC_NOFLUX, 0.0};
      if (f->bc[k].kind == EXO_BC_NOFLUX) f->bc[k].value = 0.0;
    }
    char def[32];
    snprintf(def, sizeof def, "field%d", i);
    const char *nm = s->name ? s->name : def;
    size_t len = strlen(nm);
    f->name = exo_malloc(len + 1);
    if (!f->name) return nomem(F, err, "field names");
    memcpy(f->name, nm, len + 1);
    f->cargo_first = pos;
    f->ncargo = s->ncargo;
    for (int c = 0; c < s->ncargo; c++) F->cargo[pos++] = s->cargo[c];
  }
  for (int i = 0; i < nfields; i++)
    for (int j = 0; j < i; j++)
      if (strcmp(F->field[i].name, F->field[j].name) == 0) {
        exo_status e = exo_error_set(err, EXO_ERR_MODEL, "fields: fields %d and %d are both named '%s'; give them different names", j, i,
                                     F->field[i].name);
        exo_fields_free(F);
        return e;
      }
  /* Cargo: each cargo field has one carrier, which is not itself cargo, and the same operator. */
  for (int v = 0; v < nfields; v++) {
    const exo__field *fv = &F->field[v];
    for (int c = 0; c < fv->ncargo; c++) {
      int k = F->cargo[fv->cargo_first + c];
      exo__field *fc = &F->field[k];
      const char *problem = NULL;
      if (fc->carrier >= 0)
        problem = "is already cargo of another vesicle field";
      else if (fc->ncargo > 0 || fv->carrier >= 0)
        problem = "would make cargo carry cargo";
      else if (!same_operator(fv, fc, dims))
        problem = "does not have the vesicle field's diffusion coefficient, decay rate and boundary kinds (cargo rides "
                  "along with its vesicles, so they must be equal)";
      if (problem) {
        exo_status e = exo_error_set(err, EXO_ERR_MODEL, "fields: cargo field '%s' of vesicle field '%s' %s", fc->name, fv->name, problem);
        exo_fields_free(F);
        return e;
      }
      fc->carrier = v;
    }
  }

  /* Group fields that share the operator, in order of first appearance, at most EXO__FIELDS_CHUNK
   * to a group. */
  F->group = exo_calloc((size_t)nfields, sizeof *F->group);
  if (!F->group) return nomem(F, err, "the field groups");
  /* Sizes: a set of m fields sharing an operator becomes groups of 8 while m >= 8, then one each
   * of 4, 2 and 1 as m's binary digits say (31 = 8+8+8+4+2+1), so that every group's x sweep
   * moves whole vectors of fields. */
  int *chunk_left = exo_calloc((size_t)nfields, sizeof *chunk_left); /* room left in group g */
  if (!chunk_left) return nomem(F, err, "the field groups");
  for (int i = 0; i < nfields; i++) {
    int g;
    for (g = 0; g < F->ngroups; g++)
      if (chunk_left[g] > 0 && same_operator(&F->field[F->group[g].fields[0]], &F->field[i], dims)) break;
    if (g == F->ngroups) {
      int m = 0; /* fields from i on with this operator */
      for (int j = i; j < nfields; j++) m += same_operator(&F->field[i], &F->field[j], dims);
      chunk_left[g] = m >= EXO__FIELDS_CHUNK ? EXO__FIELDS_CHUNK : m >= 4 ? 4 : m >= 2 ? 2 : 1;
      exo__fgroup *G = &F->group[F->ngroups++];
      G->fields = exo_calloc((size_t)nfields, sizeof *G->fields);
      if (!G->fields) {
        free(chunk_left);
        return nomem(F, err, "the field groups");
      }
      G->D = F->field[i].D;
      G->decay = F->field[i].decay;
      for (int k = 0; k < EXO_FACE_COUNT; k++) G->bck[k] = F->field[i].bc[k].kind;
    }
    exo__fgroup *G = &F->group[g];
    chunk_left[g]--;
    F->field[i].group = g;
    F->field[i].slot = G->nf;
    G->fields[G->nf++] = i;
  }
  free(chunk_left);
  for (int g = 0; g < F->ngroups; g++) {
    exo__fgroup *G = &F->group[g];
    size_t nf = (size_t)G->nf;
    G->bcv = exo_calloc(EXO_FACE_COUNT * nf, sizeof *G->bcv);
    if (!G->bcv) return nomem(F, err, "boundary values");
    for (size_t s = 0; s < nf; s++)
      for (int k = 0; k < EXO_FACE_COUNT; k++) G->bcv[(size_t)k * nf + s] = F->field[G->fields[s]].bc[k].value;
    G->u = exo__fields_alloc(F->nvox * nf, &G->u_raw);
    if (!G->u) {
      char hn[32];
      human_bytes(need, hn, sizeof hn);
      exo_fields_free(F);
      return exo_error_set(err, EXO_ERR_NOMEM, "fields: could not allocate the field storage (%.0f bytes, %s, in all)", need, hn);
    }
    F->bytes += F->nvox * nf * sizeof(double);
    for (size_t v = 0; v < F->nvox; v++) {
      double *p = G->u + v * nf;
      if (v == 0)
        for (size_t s = 0; s < nf; s++) p[s] = F->field[G->fields[s]].initial;
      else
        memcpy(p, G->u, nf * sizeof *p);
    }
  }
  *out = F;
  return EXO_OK;
}

void exo_fields_set_threads(exo_fields *F, int nthreads) { F->nthreads = nthreads > 0 ? nthreads : 0; }

int exo_fields_dims(const exo_fields *F) { return F->dims; }
int exo_fields_count(const exo_fields *F) { return F->nfields; }
const char *exo_fields_name(const exo_fields *F, int field) {
  return field >= 0 && field < F->nfields ? F->field[field].name : NULL;
}
int exo_fields_find(const exo_fields *F, const char *name) {
  for (int i = 0; i < F->nfields; i++)
    if (name && strcmp(F->field[i].name, name) == 0) return i;
  return -1;
}
void exo_fields_shape(const exo_fields *F, size_t n[3]) {
  for (int a = 0; a < 3; a++) n[a] = F->n[a];
}
size_t exo_fields_voxels(const exo_fields *F) { return F->nvox; }
double exo_fields_dx(const exo_fields *F) { return F->dx; }
double exo_fields_voxel_volume(const exo_fields *F) { return F->vvox; }
size_t exo_fields_bytes(const exo_fields *F) { return F->bytes; }

size_t exo_fields_index(const exo_fields *F, size_t i, size_t j, size_t k) { return i + F->n[0] * (j + F->n[1] * k); }

exo_status exo_fields_voxel_at(const exo_fields *F, const double *pos, size_t *voxel, exo_error *err) {
  size_t idx[3] = {0, 0, 0};
  for (int a = 0; a < F->dims; a++) {
    double q = (pos[a] - F->lo[a]) / F->dx;
    if (!(q >= 0.0) || !(q <= (double)F->n[a]))
      return exo_error_set(err, EXO_ERR_MODEL, "fields: position %c = %g um lies outside the box [%g, %g] um", (char)('x' + a), pos[a],
                           F->lo[a], F->lo[a] + (double)F->n[a] * F->dx);
    size_t i = (size_t)q;
    idx[a] = i < F->n[a] ? i : F->n[a] - 1; /* the upper face belongs to the last voxel */
  }
  *voxel = exo_fields_index(F, idx[0], idx[1], idx[2]);
  return EXO_OK;
}

void exo_fields_voxel_center(const exo_fields *F, size_t voxel, double c[3]) {
  size_t i = voxel % F->n[0], j = (voxel / F->n[0]) % F->n[1], k = voxel / (F->n[0] * F->n[1]);
  size_t idx[3] = {i, j, k};
  for (int a = 0; a < 3; a++) c[a] = a < F->dims ? F->lo[a] + ((double)idx[a] + 0.5) * F->dx : 0.0;
}

double exo_fields_get(const exo_fields *F, int field, size_t voxel) { return *exo__fields_at(F, field, voxel); }
void exo_fields_set(exo_fields *F, int field, size_t voxel, double value) { *exo__fields_at(F, field, voxel) = value; }

void exo_fields_copy_out(const exo_fields *F, int field, double *out) {
  const exo__fgroup *g = &F->group[F->field[field].group];
  size_t nf = (size_t)g->nf, s = (size_t)F->field[field].slot;
  for (size_t v = 0; v < F->nvox; v++) out[v] = g->u[v * nf + s];
}

void exo_fields_copy_in(exo_fields *F, int field, const double *in) {
  exo__fgroup *g = &F->group[F->field[field].group];
  size_t nf = (size_t)g->nf, s = (size_t)F->field[field].slot;
  for (size_t v = 0; v < F->nvox; v++) g->u[v * nf + s] = in[v];
}

double exo_fields_total(const exo_fields *F, int field) {
  const exo__fgroup *g = &F->group[F->field[field].group];
  size_t nf = (size_t)g->nf, s = (size_t)F->field[field].slot;
  /* Pairwise-ish: sum each x-row, then the rows, so round-off stays near machine precision. */
  double total = 0.0;
  for (size_t r = 0; r < F->nvox / F->n[0]; r++) {
    const double *p = g->u + r * F->n[0] * nf + s;
    double row = 0.0;
    for (size_t i = 0; i < F->n[0]; i++) row += p[i * nf];
    total += row;
  }
  return total * F->vvox;
}
