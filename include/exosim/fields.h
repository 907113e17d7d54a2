/* exosim: transport fields on a voxel grid (the tissue engine's diffusion solver).
 *
 * A box of cubic voxels in 1, 2 or 3 dimensions holds any number of fields (vesicle classes,
 * their cargo, cytokines, oxygen). Each field obeys
 *
 *     du/dt = D laplacian(u) - decay u            (+ point sources and sinks between steps)
 *
 * with D in µm²/min, decay in 1/min, lengths in µm, time in minutes, and u an amount per µm³
 * (count/µm³). Every face of the box is either no-flux or held at a Dirichlet value (the value at
 * the face itself, half a voxel outside the outermost voxel centres).
 *
 * Time stepping is implicit and unconditionally stable: locally one-dimensional (LOD) splitting,
 * one tridiagonal solve per axis (backward Euler, first order in time, as BioFVM does), or
 * Douglas's alternating-direction scheme with Crank-Nicolson weighting (second order in time, not
 * positivity-preserving at large steps). Second order in space either way. See docs/transport.md.
 *
 * Usage:
 *     exo_grid_spec g = {.dims = 3, .lo = {-750, -750, -750}, .hi = {750, 750, 750}};
 *     exo_field_spec f[2] = {{.name = "oxygen", .diffusion = 1e5, .decay = 0.1, .initial = 38,
 *                             .bc = {EXO_BC_ALL_DIRICHLET(38)}}, {.name = "il2", ...}};
 *     exo_fields *F; exo_error err;
 *     if (exo_fields_create(&g, f, 2, &F, &err) != EXO_OK) puts(err.msg);
 *     exo_fields_step(F, 0.01, 100, EXO_SCHEME_LOD, &err);
 *     exo_fields_free(F);
 *
 * An exo_fields is not safe to use from two threads at once; each call may itself run on several
 * OpenMP threads (exo_fields_set_threads), and its results do not depend on how many.
 */
#ifndef EXOSIM_FIELDS_H
#define EXOSIM_FIELDS_H

#include <stddef.h>

#include "exosim/status.h"

#define EXO_FIELDS_DEFAULT_DX 20.0 /* µm */

/* Faces of the box, in this order; a 2-D grid uses the first four, a 1-D grid the first two. */
enum { EXO_FACE_XLO, EXO_FACE_XHI, EXO_FACE_YLO, EXO_FACE_YHI, EXO_FACE_ZLO, EXO_FACE_ZHI, EXO_FACE_COUNT };

typedef enum exo_bc_kind {
  EXO_BC_NOFLUX = 0, /* the default (zero-initialised) */
  EXO_BC_DIRICHLET = 1
} exo_bc_kind;

typedef struct exo_bc {
  exo_bc_kind kind;
  double value; /* Dirichlet value at the face (count/µm³); ignored for no-flux */
} exo_bc;

/* Convenience: .bc = {EXO_BC_ALL_DIRICHLET(38)} */
#define EXO_BC_ALL_DIRICHLET(v)                                                                    \
  {EXO_BC_DIRICHLET, (v)}, {EXO_BC_DIRICHLET, (v)}, {EXO_BC_DIRICHLET, (v)},                       \
  {EXO_BC_DIRICHLET, (v)}, {EXO_BC_DIRICHLET, (v)}, {EXO_BC_DIRICHLET, (v)}

typedef struct exo_grid_spec {
  int dims;          /* 1, 2 or 3 */
  double lo[3], hi[3]; /* corners of the box (µm); axes beyond dims are ignored */
  double dx;         /* voxel edge (µm); 0 means EXO_FIELDS_DEFAULT_DX. Each side of the box must
                        be a whole number of voxels. */
  double mem_budget; /* bytes the fields may occupy; 0 means the machine's physical memory */
} exo_grid_spec;

typedef struct exo_field_spec {
  const char *name;  /* copied; NULL gives "field<i>" */
  double diffusion;  /* D, µm²/min, >= 0 */
  double decay;      /* first-order loss rate, 1/min, >= 0 */
  double initial;    /* uniform initial value, count/µm³ */
  exo_bc bc[EXO_FACE_COUNT];
  /* A vesicle field lists the fields holding its cargo (amount of each cargo species carried by
   * the vesicles, per µm³). Cargo rides along: each cargo field must have the same diffusion,
   * decay and boundary kinds as its vesicle field, and belongs to one vesicle field only. Uptake
   * of vesicles takes their cargo with them (exo_fields_exchange). */
  const int *cargo;
  int ncargo;
} exo_field_spec;

typedef enum exo_fields_scheme {
  EXO_SCHEME_LOD = 0, /* LOD with backward-Euler sweeps: first order in time, positivity-preserving */
  EXO_SCHEME_ADI_CN = 1 /* Douglas ADI with Crank-Nicolson weighting: second order in time; not
                          positivity-preserving, and damps the stiffest modes little */
} exo_fields_scheme;

typedef struct exo_fields exo_fields;

/* Bytes of field storage a grid and field count need (what creation checks against the budget). */
double exo_fields_bytes_needed(const exo_grid_spec *grid, int nfields);

/* Creates the grid and its fields, every voxel at the field's initial value. Refuses (with
 * EXO_ERR_NOMEM and a message stating the bytes needed) a grid that would not fit in the budget;
 * refuses invalid specs with EXO_ERR_MODEL naming the field and the value to fix. */
exo_status exo_fields_create(const exo_grid_spec *grid, const exo_field_spec *fields, int nfields,
                             exo_fields **out, exo_error *err);
void exo_fields_free(exo_fields *F);

/* OpenMP threads used by each call (0: the OpenMP default). Results do not depend on it. */
void exo_fields_set_threads(exo_fields *F, int nthreads);

/* Advances every field by nsteps steps of dt minutes. */
exo_status exo_fields_step(exo_fields *F, double dt, long nsteps, exo_fields_scheme scheme, exo_error *err);

/* --- shape and access -------------------------------------------------------------------- */
int exo_fields_dims(const exo_fields *F);
int exo_fields_count(const exo_fields *F);
int exo_fields_find(const exo_fields *F, const char *name); /* field index, or -1 */
const char *exo_fields_name(const exo_fields *F, int field);
void exo_fields_shape(const exo_fields *F, size_t n[3]); /* voxels per axis (1 beyond dims) */
size_t exo_fields_voxels(const exo_fields *F);
double exo_fields_dx(const exo_fields *F);
double exo_fields_voxel_volume(const exo_fields *F); /* µm³ (dx^dims) */
size_t exo_fields_bytes(const exo_fields *F);       /* field storage held now */

/* Voxel index of voxel (i, j, k): i + nx*(j + ny*k). */
size_t exo_fields_index(const exo_fields *F, size_t i, size_t j, size_t k);
/* The voxel holding position pos (µm; pos[d] ignored beyond dims); EXO_ERR_MODEL outside the box. */
exo_status exo_fields_voxel_at(const exo_fields *F, const double *pos, size_t *voxel, exo_error *err);
void exo_fields_voxel_center(const exo_fields *F, size_t voxel, double c[3]);

double exo_fields_get(const exo_fields *F, int field, size_t voxel);
void exo_fields_set(exo_fields *F, int field, size_t voxel, double value);
/* Copies a whole field to or from an array of exo_fields_voxels() values in voxel-index order. */
void exo_fields_copy_out(const exo_fields *F, int field, double *out);
void exo_fields_copy_in(exo_fields *F, int field, const double *in);
/* Total amount of a field (sum of value x voxel volume), summed in a fixed order. */
double exo_fields_total(const exo_fields *F, int field);

/* --- sources and sinks ------------------------------------------------------------------- */

/* Adds amount (a count, not a density) of field `field` to a voxel: the voxel's value rises by
 * amount / voxel volume. A negative amount removes, at most what the voxel holds; removing
 * vesicles removes their cargo in proportion. moved (NULL or exo_fields_count() values) receives
 * the change in amount of every field (the field itself and, for a vesicle removal, its cargo). */
exo_status exo_fields_add(exo_fields *F, int field, size_t voxel, double amount, double *moved, exo_error *err);
exo_status exo_fields_add_at(exo_fields *F, int field, const double *pos, double amount, double *moved,
                             exo_error *err);

/* A secreting and/or consuming site for one step (a cell in its voxel). Rates are per field
 * (arrays of exo_fields_count(), or NULL for all zero). In each voxel, for each field, with
 * phi = volume / voxel volume (1 when volume is 0):
 *     rho <- (rho + dt*phi*S*rho_target) / (1 + dt*phi*(S + U))
 * which is implicit and can never drive rho negative. A cargo field takes its vesicle field's
 * uptake rate (its own uptake entry must be 0): a sink that takes up vesicles takes their cargo
 * in proportion. Secretion of cargo is the cargo field's own S and target (e.g. target = vesicle
 * target x cargo per vesicle). */
typedef struct exo_fields_site {
  size_t voxel;
  double volume;          /* µm³ of the cell; 0: a whole voxel */
  const double *secretion; /* S, 1/min */
  const double *target;    /* rho*, count/µm³ */
  const double *uptake;    /* U, 1/min */
} exo_fields_site;

/* Applies the sites in order (sites in one voxel act one after another). taken (NULL, or
 * nsites x count values) receives the amount each site took up of each field during the step,
 * cargo included; released likewise the amount each site secreted (dt*phi*S*(rho* - rho_new) x
 * voxel volume, negative where the voxel was above the target). */
exo_status exo_fields_exchange(exo_fields *F, const exo_fields_site *sites, size_t nsites, double dt,
                               double *taken, double *released, exo_error *err);

#endif
