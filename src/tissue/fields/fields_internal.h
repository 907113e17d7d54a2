/* Internal layout of exo_fields, shared by grid.c (creation, access), solve.c and its kernel
 * templates (the LOD sweeps) and sources.c (point sources and sinks). Not part of the public API.
 *
 * Storage. Fields that share D, decay and the kind (not the value) of every boundary face use the
 * same tridiagonal matrices, so one sweep solves them together as several right-hand sides. They
 * are stored in groups of 8, 4, 2 or 1 fields (a set of 31 such fields is 8+8+8+4+2+1): a group
 * is one 64-byte-aligned array (2 MiB-aligned with transparent huge pages when large) laid out
 * [z][y][x][f], field innermost:
 *
 *     value(field slot f, voxel (i, j, k)) = u[((k*ny + j)*nx + i)*nf + f]
 *
 * Why this order: the y and z sweeps of LOD eliminate along an axis whose neighbouring lines lie
 * side by side in memory, so each elimination step is one contiguous vector operation over a
 * whole x-row (nx*nf doubles) or a run of a plane (ny*nx*nf): the forward step of the y sweep is
 * row[j] += c[j-1] * row[j-1] over nx*nf contiguous doubles, whatever nf is. The x sweep, whose
 * recurrence runs along the contiguous axis, vectorises across the nf fields of a voxel (one
 * 8-wide vector for a group of 8) and interleaves lines. Field-outermost ([f][z][y][x]) would make
 * the x sweep scalar (a recurrence along contiguous memory cannot be vectorised without
 * transposing); field-innermost with unbounded nf would make a plane too big for L2 (31 fields:
 * 1.4 MB), which is why groups stop at 8 (a 75x75 plane of 8 fields: 352 KiB).
 *
 * A voxel's index is i + nx*(j + ny*k) in every public call; in a group's array it is multiplied
 * by nf. Axes beyond dims have n = 1.
 */
#ifndef EXO_TISSUE_FIELDS_INTERNAL_H
#define EXO_TISSUE_FIELDS_INTERNAL_H

#include <stddef.h>

#include "exosim/fields.h"

/* Most fields in one group (see the comment at the top); groups hold 8, 4, 2 or 1. */
#define EXO__FIELDS_CHUNK 8

typedef struct exo__field {
  char *name;
  double D, decay, initial;
  exo_bc bc[EXO_FACE_COUNT];
  int group, slot;    /* where it is stored */
  int carrier;        /* the vesicle field carrying this cargo field, or -1 */
  int cargo_first;    /* this field's cargo: F->cargo[cargo_first .. cargo_first+ncargo) */
  int ncargo;
} exo__field;

typedef struct exo__fgroup {
  int nf;
  int *fields; /* field index of each slot */
  double D, decay;
  exo_bc_kind bck[EXO_FACE_COUNT];
  double *bcv;  /* Dirichlet value of slot f on face s at bcv[s*nf + f] (0 on no-flux faces) */
  double *u;    /* the values, 64-byte aligned; u_raw is the allocation */
  void *u_raw;
  double *w;    /* Crank-Nicolson scratch of the same size, allocated on first use */
  void *w_raw;

  /* Coefficients for one (dt, scheme), prepared once and reused while they stay the same.
   * Along axis a (n = n[a] voxels), the implicit sweep solves
   *     b_i u_i - ri u_{i-1} - ri u_{i+1} = rhs_i
   * with b_i = 1 + ki + ri*(wl_i + wh_i), wl_i = 1 if there is a neighbour below, else 0
   * (no-flux) or 2 (Dirichlet at the face: the ghost value is 2g - u_0). Thomas's algorithm with
   * the modified diagonal b'_0 = b_0, b'_i = b_i - ri^2/b'_{i-1} depends only on i, so
   *     forward:  y_0 = rhs_0,  y_i = rhs_i + c_{i-1} y_{i-1}
   *     backward: x_{n-1} = inv_{n-1} y_{n-1},  x_i = inv_i y_i + c_i x_{i+1}
   * with inv_i = 1/b'_i and c_i = ri/b'_i. */
  int have_coef;
  double coef_dt;
  int coef_scheme;
  double *inv[3], *c[3];
  double *ldiag[3];            /* Crank-Nicolson ADI: the diagonal of (dt/2) L_a, -(ke + re*(wl_i + wh_i)) */
  double re;                   /* Crank-Nicolson ADI: the off-diagonal of (dt/2) L_a, r/2 */
  double *bcadd[EXO_FACE_COUNT]; /* NULL on no-flux faces, else a row of nx*nf doubles whose
                                    entry x*nf + f is 2 r g_f, r = D dt/dx^2: the Dirichlet
                                    term added to the right-hand side of the face's voxels */
  double *coef_raw;
} exo__fgroup;

struct exo_fields {
  int dims;
  size_t n[3];
  double lo[3];
  double dx, vvox;
  size_t nvox;
  double budget; /* bytes */
  int nfields;
  exo__field *field;
  int *cargo; /* flat list of cargo field indices */
  int ngroups;
  exo__fgroup *group;
  int nthreads; /* 0: OpenMP default */
  int isa;      /* 0: the widest kernels the CPU runs; i+1: kernel set i (tests compare them) */
  size_t bytes;
};

static inline double *exo__fields_at(const exo_fields *F, int field, size_t voxel) {
  const exo__field *f = &F->field[field];
  const exo__fgroup *g = &F->group[f->group];
  return g->u + voxel * (size_t)g->nf + (size_t)f->slot;
}

/* 64-byte-aligned array of n doubles through exo_malloc (so fault injection reaches it); *raw
 * receives the pointer to free. NULL when the allocation fails. */
double *exo__fields_alloc(size_t n, void **raw);

/* The machine's physical memory in bytes (0 if unknown). */
double exo__fields_physical_memory(void);

/* solve.c. Kernel sets: 0 baseline, then wider ones where built; all give identical results. */
int exo__fields_isa_count(void);
const char *exo__fields_isa_name(int isa);
int exo__fields_isa(const exo_fields *F); /* the set F's steps use */
exo_status exo__fields_prepare(exo_fields *F, exo__fgroup *g, double dt, exo_fields_scheme scheme, exo_error *err);
void exo__fields_free_coef(exo__fgroup *g);

#endif
