/* One instance of the x-sweep kernel (Thomas along the contiguous axis), included by
 * sweeps_template.h once per width. Before including, define:
 *   XS_ATTR  the function's storage class and attributes
 *   XS_NAME  the function's name
 *   XS_T     a native vector of doubles (or double)
 *   XS_NV    how many XS_T make one voxel's fields (the group has NV * lanes(XS_T) fields)
 *   XS_LB    how many lines to interleave (their dependency chains overlap in the pipeline)
 * A voxel's fields are contiguous, so XS_NV vector loads move all of them; the carried values of
 * the XS_LB lines stay in registers. Loads and stores go through memcpy (unaligned-safe, no
 * aliasing assumptions) and compile to single vector moves. Element by element the arithmetic is
 * that of xsolve_any: rhs += bc, y_i = rhs_i + c_{i-1} y_{i-1}, x_i = inv_i y_i + c_i x_{i+1}. */

XS_ATTR void XS_NAME(double *base, size_t nlines, size_t stride, size_t nx, const double *inv, const double *c, const double *blo,
                     const double *bhi) {
  const size_t L = sizeof(XS_T) / sizeof(double), W = XS_NV * L; /* W: fields per voxel */
  XS_T blov[XS_NV], bhiv[XS_NV];
  memset(blov, 0, sizeof blov);
  memset(bhiv, 0, sizeof bhiv);
  if (blo) memcpy(blov, blo, sizeof blov);
  if (bhi) memcpy(bhiv, bhi, sizeof bhiv);
  size_t l0 = 0;
  while (l0 < nlines) {
    const int full = nlines - l0 >= XS_LB;
    double *p = base + l0 * stride;
    /* a block of XS_LB lines, or single lines at the end (LB is a constant in each expansion) */
#define XS_BODY(LB)                                                                                \
  do {                                                                                             \
    XS_T carry[LB][XS_NV], v;                                                                      \
    for (size_t l = 0; l < (LB); l++) {                                                            \
      double *q = p + l * stride;                                                                  \
      for (size_t h = 0; h < XS_NV; h++) {                                                         \
        if (blo) {                                                                                 \
          memcpy(&v, q + h * L, sizeof v);                                                         \
          v = v + blov[h];                                                                         \
          memcpy(q + h * L, &v, sizeof v);                                                         \
        }                                                                                          \
        if (bhi) {                                                                                 \
          memcpy(&v, q + (nx - 1) * W + h * L, sizeof v);                                          \
          v = v + bhiv[h];                                                                         \
          memcpy(q + (nx - 1) * W + h * L, &v, sizeof v);                                          \
        }                                                                                          \
        memcpy(&carry[l][h], q + h * L, sizeof v);                                                 \
      }                                                                                            \
    }                                                                                              \
    for (size_t i = 1; i < nx; i++) {                                                              \
      const double ci = c[i - 1];                                                                  \
      for (size_t l = 0; l < (LB); l++)                                                            \
        for (size_t h = 0; h < XS_NV; h++) {                                                       \
          double *q = p + l * stride + i * W + h * L;                                              \
          memcpy(&v, q, sizeof v);                                                                 \
          v = v + ci * carry[l][h];                                                                \
          memcpy(q, &v, sizeof v);                                                                 \
          carry[l][h] = v;                                                                         \
        }                                                                                          \
    }                                                                                              \
    for (size_t l = 0; l < (LB); l++)                                                              \
      for (size_t h = 0; h < XS_NV; h++) {                                                         \
        carry[l][h] = inv[nx - 1] * carry[l][h];                                                   \
        memcpy(p + l * stride + (nx - 1) * W + h * L, &carry[l][h], sizeof v);                     \
      }                                                                                            \
    for (size_t i = nx - 1; i-- > 0;) {                                                            \
      const double a = inv[i], ci = c[i];                                                          \
      for (size_t l = 0; l < (LB); l++)                                                            \
        for (size_t h = 0; h < XS_NV; h++) {                                                       \
          double *q = p + l * stride + i * W + h * L;                                              \
          memcpy(&v, q, sizeof v);                                                                 \
          v = a * v + ci * carry[l][h];                                                            \
          memcpy(q, &v, sizeof v);                                                                 \
          carry[l][h] = v;                                                                         \
        }                                                                                          \
    }                                                                                              \
  } while (0)
    if (full) {
      XS_BODY(XS_LB);
      l0 += XS_LB;
    } else {
      XS_BODY(1);
      l0 += 1;
    }
#undef XS_BODY
  }
}

#undef XS_ATTR
#undef XS_NAME
#undef XS_T
#undef XS_NV
#undef XS_LB
