/* The sweep kernels, compiled once per instruction set by solve.c, which defines before each
 * inclusion:
 *   K(name)     the name of this instance's copy of a function (name_sse2, name_avx2, ...)
 *   KTARGET     the target attribute of this instance (empty for the baseline)
 *   KVEC        the native vector width in doubles (2, 4 or 8)
 * Every function here computes each element with the same operations in the same order whatever
 * the instance, so all instances give bit-identical results (tests/test_fields.c checks). */

#define KI KTARGET static inline __attribute__((always_inline))
#define KS KTARGET static

/* --- contiguous row kernels (the compiler vectorises these for the instance's target) ------- */

KI void K(v_axpy)(double *restrict y, const double *restrict x, double a, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = y[i] + a * x[i];
}
KI void K(v_back)(double *restrict y, const double *restrict x, double inv, double c, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = inv * y[i] + c * x[i];
}
KI void K(v_scale)(double *restrict y, double a, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = a * y[i];
}
KI void K(v_add)(double *restrict y, const double *restrict x, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = y[i] + x[i];
}
/* out += f*(ld*u + re*(a + b)): f times theta*dt*L_axis u, the axis's operator (a or b NULL where
 * there is no neighbour; Dirichlet faces enter through ld and separately through the face terms). */
KI void K(v_acc)(double *restrict out, const double *restrict u, const double *restrict a, const double *restrict b, double ld, double re,
                 double f, size_t n) {
  if (a && b)
    for (size_t i = 0; i < n; i++) out[i] = out[i] + f * (ld * u[i] + re * (a[i] + b[i]));
  else if (a || b) {
    const double *restrict nb = a ? a : b;
    for (size_t i = 0; i < n; i++) out[i] = out[i] + f * (ld * u[i] + re * nb[i]);
  } else
    for (size_t i = 0; i < n; i++) out[i] = out[i] + f * (ld * u[i]);
}

/* --- Thomas along x ---------------------------------------------------------------------------
 * The recurrence runs along the contiguous axis, so it is vectorised across the fields of a voxel
 * (a group holds 1, 2, 4 or 8 fields: grid.c splits larger sets that way), each voxel's fields as
 * NV native vectors, and several lines are interleaved so that their dependency chains overlap. */
#define XS_ATTR KI
#define XS_NAME K(xsolve_w1)
#define XS_T double
#define XS_NV 1
#define XS_LB 8
#include "tissue/fields/xsweep_template.h"
#define XS_ATTR KI
#define XS_NAME K(xsolve_w2)
#define XS_T exo__v2d
#define XS_NV 1
#define XS_LB 4
#include "tissue/fields/xsweep_template.h"
#define XS_ATTR KI
#define XS_NAME K(xsolve_w4)
#if KVEC >= 4
#define XS_T exo__v4d
#define XS_NV 1
#else
#define XS_T exo__v2d
#define XS_NV 2
#endif
#define XS_LB 4
#include "tissue/fields/xsweep_template.h"
#define XS_ATTR KI
#define XS_NAME K(xsolve_w8)
#if KVEC >= 8
#define XS_T exo__v8d
#define XS_NV 1
#elif KVEC >= 4
#define XS_T exo__v4d
#define XS_NV 2
#else
#define XS_T exo__v2d
#define XS_NV 4
#endif
#define XS_LB 2
#include "tissue/fields/xsweep_template.h"

/* Any nf, one line at a time: the fallback for group sizes other than 1, 2, 4, 8 (grid.c makes
 * none today); the same arithmetic as the vector kernels. */
KS void K(xsolve_any)(double *base, size_t nlines, size_t stride, size_t nx, size_t nf, const double *inv, const double *c,
                       const double *blo, const double *bhi) {
  for (size_t l = 0; l < nlines; l++) {
    double *q = base + l * stride;
    if (blo) K(v_add)(q, blo, nf);
    if (bhi) K(v_add)(q + (nx - 1) * nf, bhi, nf);
    for (size_t i = 1; i < nx; i++) K(v_axpy)(q + i * nf, q + (i - 1) * nf, c[i - 1], nf);
    K(v_scale)(q + (nx - 1) * nf, inv[nx - 1], nf);
    for (size_t i = nx - 1; i-- > 0;) K(v_back)(q + i * nf, q + (i + 1) * nf, inv[i], c[i], nf);
  }
}

KI void K(xsolve)(const sweep *s, const exo__fgroup *g, double *base, size_t nlines, int bc) {
  if (nlines == 0) return;
  const double *blo = bc ? g->bcadd[EXO_FACE_XLO] : NULL, *bhi = bc ? g->bcadd[EXO_FACE_XHI] : NULL, *inv = g->inv[0], *c = g->c[0];
  const size_t st = s->row, nx = s->nx;
  switch (s->nf) {
  case 1: K(xsolve_w1)(base, nlines, st, nx, inv, c, blo, bhi); break;
  case 2: K(xsolve_w2)(base, nlines, st, nx, inv, c, blo, bhi); break;
  case 4: K(xsolve_w4)(base, nlines, st, nx, inv, c, blo, bhi); break;
  case 8: K(xsolve_w8)(base, nlines, st, nx, inv, c, blo, bhi); break;
  default: K(xsolve_any)(base, nlines, st, nx, s->nf, inv, c, blo, bhi); break;
  }
}

/* Thomas along y on plane P, columns [c0, c1) of every x-row. If next is not NULL, the same
 * columns of the plane at next are prefetched meanwhile (the plane to be swept after this one),
 * so that the next x sweep finds it in L2 instead of waiting on memory. */
KS void K(ysolve)(const sweep *s, const exo__fgroup *g, double *P, size_t c0, size_t c1, const double *next, int bc) {
  if (c1 <= c0) return;
  const size_t w = c1 - c0, row = s->row, ny = s->ny;
  const double *inv = g->inv[1], *c = g->c[1];
  if (bc && g->bcadd[EXO_FACE_YLO]) K(v_add)(P + c0, g->bcadd[EXO_FACE_YLO] + c0, w);
  if (bc && g->bcadd[EXO_FACE_YHI]) K(v_add)(P + (ny - 1) * row + c0, g->bcadd[EXO_FACE_YHI] + c0, w);
  for (size_t j = 1; j < ny; j++) {
    K(v_axpy)(P + j * row + c0, P + (j - 1) * row + c0, c[j - 1], w);
    if (next) {
      for (size_t q = c0; q < c1; q += 8) __builtin_prefetch(next + (j - 1) * row + q, 1, PF_LOC);
      if (j + 1 == ny)
        for (size_t q = c0; q < c1; q += 8) __builtin_prefetch(next + j * row + q, 1, PF_LOC);
    }
  }
  K(v_scale)(P + (ny - 1) * row + c0, inv[ny - 1], w);
  for (size_t j = ny - 1; j-- > 0;) K(v_back)(P + j * row + c0, P + (j + 1) * row + c0, inv[j], c[j], w);
}

/* Forward elimination and back substitution of the z sweep over plane columns [p0, p1) (indices
 * within a plane), in chunks small enough that a chunk's nz planes stay in the core's L2. */

KS void K(zsolve_cols)(const sweep *s, const exo__fgroup *g, double *u, size_t p0, size_t p1, int with_bc) {
  const double *inv = g->inv[2], *c = g->c[2];
  const double *blo = with_bc ? g->bcadd[EXO_FACE_ZLO] : NULL, *bhi = with_bc ? g->bcadd[EXO_FACE_ZHI] : NULL;
  const size_t nz = s->nz, plane = s->plane, row = s->row;
  for (size_t q0 = p0; q0 < p1; q0 += ZCHUNK) {
    const size_t w = p1 - q0 < ZCHUNK ? p1 - q0 : ZCHUNK;
    double *b = u + q0;
    for (size_t k = 0; k < ZPREFETCH && k < nz; k++)
      for (size_t q = 0; q < w; q += 8) __builtin_prefetch(b + k * plane + q, 1, PF_LOC);
    /* Dirichlet terms on the first and last plane; the pattern repeats every x-row. */
    for (int face = 0; face < 2; face++) {
      const double *bc = face == 0 ? blo : bhi;
      if (!bc) continue;
      double *P = b + (face == 0 ? 0 : (nz - 1) * plane);
      for (size_t q = 0; q < w;) {
        size_t off = (q0 + q) % row, len = row - off < w - q ? row - off : w - q;
        K(v_add)(P + q, bc + off, len);
        q += len;
      }
    }
    for (size_t k = 1; k < nz; k++) {
      /* The chunk is a few pages per plane, too short for the hardware prefetcher to ramp up on:
       * ask for the part ZPREFETCH planes ahead while this one is eliminated. */
      if (k + ZPREFETCH < nz)
        for (size_t q = 0; q < w; q += 8) __builtin_prefetch(b + (k + ZPREFETCH) * plane + q, 1, PF_LOC);
      K(v_axpy)(b + k * plane, b + (k - 1) * plane, c[k - 1], w);
    }
    K(v_scale)(b + (nz - 1) * plane, inv[nz - 1], w);
    for (size_t k = nz - 1; k-- > 0;) K(v_back)(b + k * plane, b + (k + 1) * plane, inv[k], c[k], w);
  }
}

/* Backward-Euler LOD, x and y sweeps of group g on thread t of nt. With enough planes each thread
 * sweeps whole planes of its own (a plane of a group of at most EXO__FIELDS_CHUNK fields fits in
 * L2, and no thread waits for another); a grid of few planes (2-D) shares each plane: threads
 * split its lines for x, wait, then split its columns for y. */
KS void K(lod_xy)(const exo_fields *F, const exo__fgroup *g, int t, int nt) {
  const sweep s = sweep_of(F, g);
  if (s.nz >= 2 * (size_t)nt) {
    size_t k0, k1;
    split(s.nz, t, nt, &k0, &k1);
    for (size_t k = k0; k < k1; k++) {
      double *P = g->u + k * s.plane;
      K(xsolve)(&s, g, P, s.ny, 1);
      if (s.dims >= 2) K(ysolve)(&s, g, P, 0, s.row, k + 1 < k1 ? P + s.plane : NULL, 1);
    }
    return;
  }
  size_t y0, y1, c0, c1;
  split(s.ny, t, nt, &y0, &y1);
  split8(s.row, t, nt, &c0, &c1);
  for (size_t k = 0; k < s.nz; k++) {
    double *P = g->u + k * s.plane;
    K(xsolve)(&s, g, P + y0 * s.row, y1 - y0, 1);
    if (s.dims < 2) continue;
    barrier();
    K(ysolve)(&s, g, P, c0, c1, NULL, 1);
    barrier();
  }
}

/* Backward-Euler LOD, z sweep of group g: threads split the plane's columns. */
KS void K(lod_z)(const exo_fields *F, const exo__fgroup *g, int t, int nt) {
  const sweep s = sweep_of(F, g);
  size_t p0, p1;
  split8(s.plane, t, nt, &p0, &p1);
  K(zsolve_cols)(&s, g, g->u, p0, p1, 1);
}

/* --- Crank-Nicolson ADI (Douglas, theta = 1/2) -------------------------------------------------
 * With L_a the axis operators (decay split among them) and b the Dirichlet face terms:
 *     Y0 = u + dt (sum_a L_a u + b)                          (cn_predict, into w)
 *     (I - dt/2 L_a) Y_a = Y_{a-1} - dt/2 L_a u,  a = x, y, z   (cn_correct, then the sweep)
 *     u_new = Y_last.
 * The face terms enter once, in Y0, so constant Dirichlet values do not spoil the second order
 * (they do in the LOD split of Crank-Nicolson steps, which was tried first: order 1.0 with
 * Dirichlet faces). Threads own rows R = k*ny + j of w in both kernels. */

/* w = u + 2 * sum_a (dt/2) L_a u + face terms, this thread's rows. */
KS void K(cn_predict)(const sweep *s, const exo__fgroup *g, const double *u, double *w, int t, int nt) {
  const size_t nf = s->nf, nx = s->nx, row = s->row;
  const double re = g->re;
  size_t r0, r1;
  split(s->ny * s->nz, t, nt, &r0, &r1);
  for (size_t R = r0; R < r1; R++) {
    const size_t j = R % s->ny, k = R / s->ny;
    const double *ur = u + R * row;
    double *wr = w + R * row;
    memcpy(wr, ur, row * sizeof *wr);
    const double *ld = g->ldiag[0];
    for (size_t i = 0; i < nx; i++)
      K(v_acc)(wr + i * nf, ur + i * nf, i > 0 ? ur + (i - 1) * nf : NULL, i + 1 < nx ? ur + (i + 1) * nf : NULL, ld[i], re, 2.0, nf);
    if (s->dims >= 2)
      K(v_acc)(wr, ur, j > 0 ? ur - row : NULL, j + 1 < s->ny ? ur + row : NULL, g->ldiag[1][j], re, 2.0, row);
    if (s->dims >= 3)
      K(v_acc)(wr, ur, k > 0 ? ur - s->plane : NULL, k + 1 < s->nz ? ur + s->plane : NULL, g->ldiag[2][k], re, 2.0, row);
    if (g->bcadd[EXO_FACE_XLO]) K(v_add)(wr, g->bcadd[EXO_FACE_XLO], nf);
    if (g->bcadd[EXO_FACE_XHI]) K(v_add)(wr + (nx - 1) * nf, g->bcadd[EXO_FACE_XHI], nf);
    if (j == 0 && g->bcadd[EXO_FACE_YLO]) K(v_add)(wr, g->bcadd[EXO_FACE_YLO], row);
    if (j + 1 == s->ny && g->bcadd[EXO_FACE_YHI]) K(v_add)(wr, g->bcadd[EXO_FACE_YHI], row);
    if (k == 0 && g->bcadd[EXO_FACE_ZLO]) K(v_add)(wr, g->bcadd[EXO_FACE_ZLO], row);
    if (k + 1 == s->nz && g->bcadd[EXO_FACE_ZHI]) K(v_add)(wr, g->bcadd[EXO_FACE_ZHI], row);
  }
}

/* w -= (dt/2) L_a u along axis a (homogeneous: the face terms cancel), this thread's rows. */
KS void K(cn_correct)(const sweep *s, const exo__fgroup *g, int a, const double *u, double *w, int t, int nt) {
  const size_t nf = s->nf, nx = s->nx, row = s->row;
  const double re = g->re, *ld = g->ldiag[a];
  size_t r0, r1;
  split(s->ny * s->nz, t, nt, &r0, &r1);
  for (size_t R = r0; R < r1; R++) {
    const double *ur = u + R * row;
    double *wr = w + R * row;
    if (a == 0) {
      for (size_t i = 0; i < nx; i++)
        K(v_acc)(wr + i * nf, ur + i * nf, i > 0 ? ur + (i - 1) * nf : NULL, i + 1 < nx ? ur + (i + 1) * nf : NULL, ld[i], re, -1.0, nf);
    } else {
      const size_t i = a == 1 ? R % s->ny : R / s->ny, n = a == 1 ? s->ny : s->nz, step = a == 1 ? row : s->plane;
      K(v_acc)(wr, ur, i > 0 ? ur - step : NULL, i + 1 < n ? ur + step : NULL, ld[i], re, -1.0, row);
    }
  }
}

/* (I - dt/2 L_a) w = w along axis a, homogeneous (no face terms), this thread's share. */
KS void K(implicit_axis)(const sweep *s, const exo__fgroup *g, int a, double *u, int t, int nt) {
  if (a == 0) {
    size_t l0, l1;
    split(s->ny * s->nz, t, nt, &l0, &l1);
    K(xsolve)(s, g, u + l0 * s->row, l1 - l0, 0);
  } else if (a == 1) {
    size_t c0, c1;
    split8(s->row, t, nt, &c0, &c1);
    for (size_t k = 0; k < s->nz; k++) K(ysolve)(s, g, u + k * s->plane, c0, c1, NULL, 0);
  } else {
    size_t p0, p1;
    split8(s->plane, t, nt, &p0, &p1);
    K(zsolve_cols)(s, g, u, p0, p1, 0);
  }
}

#undef KI
#undef KS
#undef K
#undef KTARGET
#undef KVEC
