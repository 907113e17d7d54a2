/* The diffusion-decay solver: locally one-dimensional (LOD) splitting, one tridiagonal solve per
 * axis per step, by Thomas's algorithm with coefficients prepared once per (D, decay, dt, scheme).
 *
 * Backward-Euler LOD (EXO_SCHEME_LOD, BioFVM's scheme): for each axis a in turn,
 *     (1 + dt*decay/dims - dt*D*delta_a^2) u_new = u_old,   delta_a^2 the 3-point second difference
 * i.e. along each line  (1 + k + 2r) u_i - r u_{i-1} - r u_{i+1} = u_i^old,
 * r = D dt/dx^2, k = dt decay/dims. First order in time, second in space, positivity-preserving
 * (the matrix is an M-matrix) and unconditionally stable.
 *
 * Crank-Nicolson ADI (EXO_SCHEME_ADI_CN): Douglas's scheme with theta = 1/2 (sweeps_template.h),
 * second order in time also with Dirichlet faces, unconditionally stable, but neither damping the
 * stiffest modes nor positivity-preserving at large steps.
 *
 * Boundaries: a no-flux face drops the missing neighbour (diagonal 1 + k + r); a Dirichlet face
 * holds the value g at the face half a voxel beyond the last centre, through the ghost value
 * 2g - u_0 (diagonal 1 + k + 3r, right-hand side + 2 r g).
 *
 * Schedule of one backward-Euler step (3-D), two passes over memory:
 *   pass 1, every group: each thread owns a slab of whole z-planes and, plane by plane, runs the
 *     x sweep (vectorised across the group's fields, several lines interleaved) and the y sweep
 *     (each elimination step one contiguous vector operation over a whole x-row), prefetching
 *     the next plane meanwhile. A plane of a group (at most 8 fields) fits in L2, so the plane
 *     crosses the memory bus once for both sweeps, and no thread waits for another.
 *   barrier; pass 2, every group: threads split each plane's columns (contiguous (y, x, field)
 *     index ranges) and solve the z lines of a chunk of 512 columns at a time, forward then back,
 *     with software prefetch a few planes ahead (a chunk is only a page per plane, too short for
 *     the hardware prefetcher).
 * Grids with fewer planes than twice the thread count (2-D) share each plane instead: threads
 * split its lines for x, wait, then split its columns for y.
 * Each element's arithmetic is the same whichever thread or kernel set does it (no fused
 * multiply-add, same order), so results are bit-identical for any thread count and instruction
 * set. The Crank-Nicolson ADI path (a predictor into scratch, then per axis a correction and an
 * implicit sweep) makes more passes; it is for accuracy studies, not speed.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "core/fault.h"
#include "exosim/fields.h"
#include "exosim/status.h"
#include "tissue/fields/fields_internal.h"

/* Keep a*b + c as two roundings everywhere (vector body, scalar tail, any ISA), so results do
 * not depend on which code path or machine handled an element. GCC in ISO C mode already does
 * not contract. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

/* --- partitions (static: a thread's share depends only on its number) -------------------- */

static void split(size_t n, int t, int nt, size_t *lo, size_t *hi) {
  *lo = n * (size_t)t / (size_t)nt;
  *hi = n * (size_t)(t + 1) / (size_t)nt;
}
/* Like split, with boundaries on multiples of 8 doubles (64 bytes from the row's start). */
static void split8(size_t n, int t, int nt, size_t *lo, size_t *hi) {
  size_t blocks = (n + 7) / 8, a, b;
  split(blocks, t, nt, &a, &b);
  *lo = a * 8 < n ? a * 8 : n;
  *hi = b * 8 < n ? b * 8 : n;
}

static void barrier(void) {
#ifdef _OPENMP
#pragma omp barrier
#endif
}

/* --- coefficients -------------------------------------------------------------------------- */

void exo__fields_free_coef(exo__fgroup *g) {
  free(g->coef_raw);
  g->coef_raw = NULL;
  g->have_coef = 0;
  for (int a = 0; a < 3; a++) g->inv[a] = g->c[a] = g->ldiag[a] = NULL;
  for (int s = 0; s < EXO_FACE_COUNT; s++) g->bcadd[s] = NULL;
}

exo_status exo__fields_prepare(exo_fields *F, exo__fgroup *g, double dt, exo_fields_scheme scheme, exo_error *err) {
  if (g->have_coef && g->coef_dt == dt && g->coef_scheme == (int)scheme) return EXO_OK;
  exo__fields_free_coef(g);
  const int dims = F->dims;
  const size_t nf = (size_t)g->nf, row = F->n[0] * nf;
  size_t total = 0;
  for (int a = 0; a < dims; a++) total += 3 * F->n[a];
  for (int s = 0; s < 2 * dims; s++)
    if (g->bck[s] == EXO_BC_DIRICHLET) total += row;
  g->coef_raw = exo_malloc(total * sizeof(double));
  if (!g->coef_raw) return exo_error_set(err, EXO_ERR_NOMEM, "fields: out of memory preparing the solver's coefficients");
  const double theta = scheme == EXO_SCHEME_LOD ? 1.0 : 0.5;
  const double r = g->D * dt / (F->dx * F->dx), k = dt * g->decay / (double)dims;
  const double ri = theta * r, ki = theta * k, re = (1.0 - theta) * r, ke = (1.0 - theta) * k;
  double *p = g->coef_raw;
  for (int a = 0; a < dims; a++) {
    const size_t n = F->n[a];
    const double wlo = g->bck[2 * a] == EXO_BC_DIRICHLET ? 2.0 : 0.0, whi = g->bck[2 * a + 1] == EXO_BC_DIRICHLET ? 2.0 : 0.0;
    double *inv = p, *c = p + n, *e = p + 2 * n;
    p += 3 * n;
    for (size_t i = 0; i < n; i++) {
      double wl = i > 0 ? 1.0 : wlo, wh = i + 1 < n ? 1.0 : whi;
      double b = 1.0 + ki + ri * (wl + wh);
      if (i > 0) b -= ri * c[i - 1]; /* b'_i = b_i - ri^2 / b'_{i-1} */
      inv[i] = 1.0 / b;
      c[i] = ri * inv[i];
      e[i] = -(ke + re * (wl + wh)); /* theta*dt*L's diagonal */
    }
    g->inv[a] = inv;
    g->c[a] = c;
    g->ldiag[a] = e;
  }
  for (int s = 0; s < 2 * dims; s++) {
    if (g->bck[s] != EXO_BC_DIRICHLET) continue;
    g->bcadd[s] = p;
    for (size_t x = 0; x < F->n[0]; x++)
      for (size_t f = 0; f < nf; f++) p[x * nf + f] = 2.0 * r * g->bcv[(size_t)s * nf + f];
    p += row;
  }
  g->re = re;
  g->coef_dt = dt;
  g->coef_scheme = (int)scheme;
  g->have_coef = 1;
  return EXO_OK;
}

/* --- the sweeps ---------------------------------------------------------------------------- */

typedef struct sweep {
  size_t nx, ny, nz, nf, row, plane;
  int dims;
} sweep;

static sweep sweep_of(const exo_fields *F, const exo__fgroup *g) {
  sweep s;
  s.nx = F->n[0];
  s.ny = F->n[1];
  s.nz = F->n[2];
  s.nf = (size_t)g->nf;
  s.row = s.nx * s.nf;
  s.plane = s.ny * s.row;
  s.dims = F->dims;
  return s;
}

/* --- the kernels, once per instruction set ------------------------------------------------ */

typedef double exo__v2d __attribute__((vector_size(16)));
typedef double exo__v4d __attribute__((vector_size(32)));
typedef double exo__v8d __attribute__((vector_size(64)));

/* z sweep: columns per chunk, so that a chunk's nz planes (75 x 4 KiB here) stay in L2, and how
 * many planes ahead to prefetch; prefetches go to L2 (locality 2: prefetcht1), which keeps the
 * L1 miss buffers free for the loads themselves (measured: ~20% faster than prefetching to L1). */
enum { ZCHUNK = 512, ZPREFETCH = 3, PF_LOC = 2 };

#define EXO_CAT2(a, b) a##b
#define EXO_CAT(a, b) EXO_CAT2(a, b)

#define K(name) EXO_CAT(name, _base)
#define KTARGET
#define KVEC 2
#include "tissue/fields/sweeps_template.h"

/* Wider vectors where the CPU has them, chosen at run time (the library is built for the baseline
 * x86-64, and GCC and Clang lower a vector wider than the target's registers poorly). */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(EXO_FIELDS_NO_MULTIARCH)
#define EXO_FIELDS_MULTIARCH 1
#define K(name) EXO_CAT(name, _avx2)
#define KTARGET __attribute__((target("avx2")))
#define KVEC 4
#include "tissue/fields/sweeps_template.h"
#define K(name) EXO_CAT(name, _avx512)
#define KTARGET __attribute__((target("avx512f,avx512vl")))
#define KVEC 8
#include "tissue/fields/sweeps_template.h"
#endif

typedef struct kernels {
  const char *name;
  void (*lod_xy)(const exo_fields *F, const exo__fgroup *g, int t, int nt);
  void (*lod_z)(const exo_fields *F, const exo__fgroup *g, int t, int nt);
  void (*cn_predict)(const sweep *s, const exo__fgroup *g, const double *u, double *w, int t, int nt);
  void (*cn_correct)(const sweep *s, const exo__fgroup *g, int a, const double *u, double *w, int t, int nt);
  void (*implicit_axis)(const sweep *s, const exo__fgroup *g, int a, double *u, int t, int nt);
} kernels;

static const kernels kernel_sets[] = {
    {"baseline x86-64 (SSE2)", lod_xy_base, lod_z_base, cn_predict_base, cn_correct_base, implicit_axis_base},
#ifdef EXO_FIELDS_MULTIARCH
    {"AVX2", lod_xy_avx2, lod_z_avx2, cn_predict_avx2, cn_correct_avx2, implicit_axis_avx2},
    {"AVX-512", lod_xy_avx512, lod_z_avx512, cn_predict_avx512, cn_correct_avx512, implicit_axis_avx512},
#endif
};

int exo__fields_isa_count(void) { return (int)(sizeof kernel_sets / sizeof kernel_sets[0]); }

const char *exo__fields_isa_name(int isa) { return isa >= 0 && isa < exo__fields_isa_count() ? kernel_sets[isa].name : "none"; }

/* The widest kernel set this CPU runs. */
static int best_isa(void) {
#ifdef EXO_FIELDS_MULTIARCH
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) return 2;
  if (__builtin_cpu_supports("avx2")) return 1;
#endif
  return 0;
}

int exo__fields_isa(const exo_fields *F) {
  int best = best_isa();
  return F->isa > 0 && F->isa - 1 <= best ? F->isa - 1 : best;
}

/* One Crank-Nicolson ADI step of group g: the result is left in g->w (the caller swaps). */
static void cn_step(const kernels *k, const exo_fields *F, const exo__fgroup *g, int t, int nt) {
  const sweep s = sweep_of(F, g);
  k->cn_predict(&s, g, g->u, g->w, t, nt);
  for (int ax = 0; ax < s.dims; ax++) {
    k->cn_correct(&s, g, ax, g->u, g->w, t, nt); /* the same rows as cn_predict: no wait */
    barrier();
    k->implicit_axis(&s, g, ax, g->w, t, nt);
    barrier();
  }
}

/* --- the public step ----------------------------------------------------------------------- */

exo_status exo_fields_step(exo_fields *F, double dt, long nsteps, exo_fields_scheme scheme, exo_error *err) {
  if (!F) return exo_error_set(err, EXO_ERR_USAGE, "fields: no grid");
  if (!(dt > 0.0) || !isfinite(dt)) return exo_error_set(err, EXO_ERR_MODEL, "fields: the time step is %g min; it must be positive and finite", dt);
  if (nsteps < 0) return exo_error_set(err, EXO_ERR_MODEL, "fields: %ld steps asked for; the count must be >= 0", nsteps);
  if (scheme != EXO_SCHEME_LOD && scheme != EXO_SCHEME_ADI_CN)
    return exo_error_set(err, EXO_ERR_USAGE, "fields: unknown scheme %d (use EXO_SCHEME_LOD or EXO_SCHEME_ADI_CN)", (int)scheme);
  if (nsteps == 0) return EXO_OK;
  for (int gi = 0; gi < F->ngroups; gi++) {
    exo__fgroup *g = &F->group[gi];
    exo_status st = exo__fields_prepare(F, g, dt, scheme, err);
    if (st != EXO_OK) return st;
    if (scheme == EXO_SCHEME_ADI_CN && !g->w) {
      size_t n = F->nvox * (size_t)g->nf;
      double need = (double)(F->bytes + n * sizeof(double));
      if (need > F->budget)
        return exo_error_set(err, EXO_ERR_NOMEM,
                             "fields: the Crank-Nicolson ADI scheme needs %.0f bytes in all (the fields and a scratch copy of "
                             "them), more than the memory budget of %.0f bytes; use EXO_SCHEME_LOD",
                             need, F->budget);
      g->w = exo__fields_alloc(n, &g->w_raw);
      if (!g->w) return exo_error_set(err, EXO_ERR_NOMEM, "fields: out of memory for the Crank-Nicolson scratch (%.0f bytes)", (double)(n * sizeof(double)));
      F->bytes += n * sizeof(double);
    }
  }
  const kernels *k = &kernel_sets[exo__fields_isa(F)];
  int want = F->nthreads;
#ifdef _OPENMP
  if (want <= 0) want = omp_get_max_threads();
#pragma omp parallel num_threads(want)
#endif
  {
    int t = 0, nt = 1;
#ifdef _OPENMP
    t = omp_get_thread_num();
    nt = omp_get_num_threads();
#endif
    for (long step = 0; step < nsteps; step++) {
      if (scheme == EXO_SCHEME_LOD) {
        /* x and y sweeps of every group, then (3-D) the z sweeps; a barrier after each phase. */
        for (int gi = 0; gi < F->ngroups; gi++) k->lod_xy(F, &F->group[gi], t, nt);
        barrier();
        if (F->dims == 3) {
          for (int gi = 0; gi < F->ngroups; gi++) k->lod_z(F, &F->group[gi], t, nt);
          barrier();
        }
        continue;
      }
      for (int gi = 0; gi < F->ngroups; gi++) {
        exo__fgroup *g = &F->group[gi];
        cn_step(k, F, g, t, nt);
        if (t == 0) { /* after cn_step's final barrier; the next barrier publishes the swap */
          double *tu = g->u;
          void *tr = g->u_raw;
          g->u = g->w;
          g->u_raw = g->w_raw;
          g->w = tu;
          g->w_raw = tr;
        }
      }
      barrier();
    }
  }
  (void)want;
  return EXO_OK;
}
