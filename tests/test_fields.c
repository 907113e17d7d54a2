/* The transport solver against exact solutions (src/tissue/fields, docs/transport.md).
 *
 * Every accuracy check compares with a formula, and its tolerance is the scheme's leading error
 * term (times 1.25 for the next-order terms), so that a broken solver fails:
 *   - Gaussian from a point release with decay, 1-D/2-D/3-D (free-space Green's function). The
 *     lattice and backward Euler add a fourth cumulant kappa4 = 2 D t dx^2 + 12 D^2 dt t per axis
 *     to the Gaussian (the variance 2Dt is exact), which raises the peak by kappa4/(8 sigma^4) per
 *     axis, sigma^2 = 2Dt; decay split over the axes adds lambda^2 dt t/2 + lambda dt/2.
 *   - erfc profile from a Dirichlet face along x, y and z: with the ghost value 2g - u_0 the
 *     discrete problem is the method of images on the lattice, so the error is
 *     max|-(dx^2/24) u'' + (kappa4/24) u''''|.
 *   - steady exponential profile exp(-x sqrt(decay/D)): the discrete solution is
 *     g sech(k~ dx/2) exp(-k~ x) with cosh(k~ dx) = 1 + decay dx^2/(2D), an error of
 *     g exp(-kx) |k^3 dx^2 x/24 - k^2 dx^2/8| to leading order (+ the splitting error O(decay dt)
 *     in 3-D).
 *   - observed orders: ~1 in time for LOD, ~2 for Crank-Nicolson ADI (also with Dirichlet faces),
 *     ~2 in space.
 * and exact properties: conservation under no-flux (to round-off), non-negativity, cargo riding
 * along and delivered in proportion, bit-identical results with 1 and 2 threads, clear errors,
 * and every allocation failing cleanly. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/fault.h"
#include "exosim/fields.h"
#include "tissue/fields/fields_internal.h"

#define PI 3.14159265358979323846

/* |a - b| <= tol, printing both on failure */
#define assert_close(a, b, tol)                                                                    \
  do {                                                                                             \
    double a_ = (a), b_ = (b), t_ = (tol);                                                         \
    if (!(fabs(a_ - b_) <= t_)) fail_msg("%s = %.17g, expected %.17g (tolerance %.3g)", #a, a_, b_, t_); \
  } while (0)

static exo_field_spec fspec(double D, double decay, double initial) {
  exo_field_spec f;
  memset(&f, 0, sizeof f);
  f.diffusion = D;
  f.decay = decay;
  f.initial = initial;
  return f;
}

/* A box of n[a] voxels of edge dx per axis; centred on 0 when centred, else starting at 0. */
static exo_fields *make_box(int dims, const size_t n[3], double dx, int centred, const exo_field_spec *f, int nf) {
  exo_grid_spec g;
  memset(&g, 0, sizeof g);
  g.dims = dims;
  g.dx = dx;
  for (int a = 0; a < dims; a++) {
    g.lo[a] = centred ? -0.5 * (double)n[a] * dx : 0.0;
    g.hi[a] = g.lo[a] + (double)n[a] * dx;
  }
  exo_fields *F = NULL;
  exo_error err = {0};
  if (exo_fields_create(&g, f, nf, &F, &err) != EXO_OK) fail_msg("create: %s", err.msg);
  return F;
}

static void step(exo_fields *F, double dt, long n, exo_fields_scheme s) {
  exo_error err = {0};
  if (exo_fields_step(F, dt, n, s, &err) != EXO_OK) fail_msg("step: %s", err.msg);
}

static double *values(const exo_fields *F, int field) {
  double *v = malloc(exo_fields_voxels(F) * sizeof *v);
  assert_non_null(v);
  exo_fields_copy_out(F, field, v);
  return v;
}

/* --- Gaussian from a point release -------------------------------------------------------- */

static void gaussian_point(int dims, double dx, double t, double dt) {
  const double D = 1000.0, lambda = 0.05, M = 1e6;
  const double sigma = sqrt(2.0 * D * t);
  size_t half = (size_t)ceil(5.5 * sigma / dx), n[3] = {1, 1, 1};
  for (int a = 0; a < dims; a++) n[a] = 2 * half + 1;
  exo_field_spec f = fspec(D, lambda, 0.0);
  exo_fields *F = make_box(dims, n, dx, 1, &f, 1);
  exo_error err = {0};
  double origin[3] = {0, 0, 0};
  if (exo_fields_add_at(F, 0, origin, M, NULL, &err) != EXO_OK) fail_msg("add: %s", err.msg);
  long steps = lround(t / dt);
  step(F, dt, steps, EXO_SCHEME_LOD);

  double peak = M / pow(4.0 * PI * D * t, 0.5 * dims) * exp(-lambda * t);
  double *u = values(F, 0);
  double maxerr = 0.0;
  for (size_t v = 0; v < exo_fields_voxels(F); v++) {
    double c[3];
    exo_fields_voxel_center(F, v, c);
    double r2 = c[0] * c[0] + c[1] * c[1] + c[2] * c[2];
    double exact = peak * exp(-r2 / (4.0 * D * t));
    maxerr = fmax(maxerr, fabs(u[v] - exact));
  }
  double rel = maxerr / peak;
  double s4 = sigma * sigma * sigma * sigma;
  double kappa4 = 2.0 * D * t * dx * dx + 12.0 * D * D * dt * t;
  double pred = dims * kappa4 / (8.0 * s4) + lambda * lambda * dt * t / 2.0 + lambda * dt / 2.0;
  double tol = 1.25 * pred + 1e-6;
  printf("# gaussian %dD: dx %g dt %g t %g: max error / peak %.3e (leading-order prediction %.3e, tolerance %.3e)\n", dims, dx, dt, t,
         rel, pred, tol);
  if (!(rel <= tol)) fail_msg("%dD Gaussian: error %.3e above tolerance %.3e", dims, rel, tol);
  /* No-flux box: the amount decays exactly as the scheme's decay factor says. */
  double mass = exo_fields_total(F, 0), expect = M * pow(1.0 + lambda * dt / dims, -(double)dims * (double)steps);
  if (fabs(mass - expect) > 1e-11 * expect) fail_msg("%dD Gaussian: amount %.15g, expected %.15g", dims, mass, expect);
  free(u);
  exo_fields_free(F);
}

static void test_gaussian_1d(void **state) {
  (void)state;
  gaussian_point(1, 10.0, 10.0, 0.05);
}
static void test_gaussian_2d(void **state) {
  (void)state;
  gaussian_point(2, 10.0, 10.0, 0.05);
}
static void test_gaussian_3d(void **state) {
  (void)state;
  gaussian_point(3, 15.0, 5.0, 0.025);
}

/* --- erfc from a Dirichlet face ------------------------------------------------------------ */

static void erfc_axis(int axis, int hi, exo_fields_scheme scheme) {
  const double D = 1000.0, g = 3.0, t = 2.0, dt = 0.004, dx = 5.0;
  const size_t N = 100; /* 500 um = 11 sqrt(Dt): the far face is out of reach */
  size_t n[3] = {3, 3, 3};
  n[axis] = N;
  exo_field_spec f = fspec(D, 0.0, 0.0);
  f.bc[2 * axis + hi] = (exo_bc){EXO_BC_DIRICHLET, g};
  exo_fields *F = make_box(3, n, dx, 0, &f, 1);
  step(F, dt, lround(t / dt), scheme);
  const double L = (double)N * dx; /* distance from the held face: x, or L - x for the upper face */
  double *u = values(F, 0), maxerr = 0.0;
  for (size_t v = 0; v < exo_fields_voxels(F); v++) {
    double c[3];
    exo_fields_voxel_center(F, v, c);
    double exact = g * erfc((hi ? L - c[axis] : c[axis]) / (2.0 * sqrt(D * t)));
    maxerr = fmax(maxerr, fabs(u[v] - exact));
  }
  /* Leading error terms (fitted coefficients agree with these to 1%): the lattice walk's CDF read at
   * the cell centres, half a voxel from the face (Sheppard's correction), behaves like the exact
   * solution with its variance 2Dt reduced by dx^2/12, i.e. -(dx^2/24) u''; the lattice and
   * backward Euler add the fourth cumulant kappa4, (kappa4/24) u'''' (Crank-Nicolson adds none:
   * its time error is O(dt^2)).
   * With z = x/a, a = 2 sqrt(Dt): u'' = g (4/sqrt(pi)) z e^{-z^2} / a^2 and
   * u'''' = g (4/sqrt(pi)) (4z^3 - 6z) e^{-z^2} / a^4. */
  const double a = 2.0 * sqrt(D * t), kappa4 = 2.0 * D * t * dx * dx + (scheme == EXO_SCHEME_LOD ? 12.0 * D * D * dt * t : 0.0);
  double pred = 0.0;
  for (double z = 0.0; z < 6.0; z += 1e-4) {
    double e = 4.0 / sqrt(PI) * exp(-z * z);
    double u2 = e * z / (a * a), u4 = e * (4 * z * z * z - 6 * z) / (a * a * a * a);
    pred = fmax(pred, g * fabs(-dx * dx / 24.0 * u2 + kappa4 / 24.0 * u4));
  }
  double tol = 1.25 * pred + 1e-12;
  printf("# erfc from face %c_%s (%s): dx %g dt %g t %g: max error %.3e of %g (prediction %.3e, tolerance %.3e)\n", 'x' + axis,
         hi ? "hi" : "lo", scheme == EXO_SCHEME_LOD ? "LOD" : "ADI-CN", dx, dt, t, maxerr, g, pred, tol);
  if (!(maxerr <= tol)) fail_msg("erfc from face %c_%s: error %.3e above tolerance %.3e", 'x' + axis, hi ? "hi" : "lo", maxerr, tol);
  free(u);
  exo_fields_free(F);
}

static void test_erfc_dirichlet_face(void **state) {
  (void)state;
  for (int scheme = 0; scheme < 2; scheme++)
    for (int a = 0; a < 3; a++)
      for (int hi = 0; hi < 2; hi++) erfc_axis(a, hi, (exo_fields_scheme)scheme);
}

/* --- steady exponential profile -------------------------------------------------------------- */

static void steady_axis(int dims, int axis, double dt, long steps) {
  const double D = 1e4, lambda = 1.0, g = 10.0, dx = 5.0;
  const double kappa = sqrt(lambda / D); /* 0.01 /um: decay length 100 um */
  const size_t N = 600;                   /* 3000 um: 30 decay lengths */
  size_t n[3] = {1, 1, 1};
  for (int a = 0; a < dims; a++) n[a] = 3;
  n[axis] = N;
  exo_field_spec f = fspec(D, lambda, 0.0);
  f.bc[2 * axis] = (exo_bc){EXO_BC_DIRICHLET, g};
  exo_fields *F = make_box(dims, n, dx, 0, &f, 1);
  for (size_t v = 0; v < exo_fields_voxels(F); v++) { /* start near the answer */
    double c[3];
    exo_fields_voxel_center(F, v, c);
    exo_fields_set(F, 0, v, g * exp(-kappa * c[axis]));
  }
  step(F, dt, steps, EXO_SCHEME_LOD);
  double *u = values(F, 0), maxerr = 0.0, pred = 0.0;
  const double k = dt * lambda / dims;
  for (size_t v = 0; v < exo_fields_voxels(F); v++) {
    double c[3];
    exo_fields_voxel_center(F, v, c);
    double x = c[axis], e = exp(-kappa * x);
    maxerr = fmax(maxerr, fabs(u[v] - g * e));
    double space = kappa * kappa * kappa * dx * dx * x / 24.0 - kappa * kappa * dx * dx / 8.0;
    /* LOD's O(dt) splitting term: the other axes' sweeps are pure decay 1/(1+k); at the fixed point
     * the profile's rate is sqrt(decay (1-k)/D) and the q sweeps after this axis's scale it by
     * (1+k)^-q. */
    double q = (double)(dims - 1 - axis), split = dims > 1 ? k * (kappa * x / 2.0 - q) : 0.0;
    pred = fmax(pred, g * e * fabs(space + split));
  }
  double tol = 1.25 * pred + 1e-12;
  printf("# steady exp %dD along %c: dx %g dt %g: max error %.3e of %g (prediction %.3e, tolerance %.3e)\n", dims, 'x' + axis, dx, dt,
         maxerr, g, pred, tol);
  if (!(maxerr <= tol)) fail_msg("steady profile along %c: error %.3e above tolerance %.3e", 'x' + axis, maxerr, tol);
  free(u);
  exo_fields_free(F);
}

static void test_steady_exponential(void **state) {
  (void)state;
  /* 1-D: backward Euler's fixed point is the discrete steady state whatever dt, so take big steps. */
  steady_axis(1, 0, 1.0, 400);
  for (int a = 0; a < 3; a++) steady_axis(3, a, 0.002, 2500);
}

/* --- conservation ----------------------------------------------------------------------- */

static void test_conservation(void **state) {
  (void)state;
  size_t n[3] = {20, 17, 13};
  exo_field_spec f[3] = {fspec(1e4, 0, 0), fspec(300, 0, 0), fspec(1e4, 0, 0)};
  for (int scheme = 0; scheme < 2; scheme++) {
    exo_fields *F = make_box(3, n, 10.0, 0, f, 3);
    uint64_t s = 12345;
    for (int i = 0; i < 3; i++)
      for (size_t v = 0; v < exo_fields_voxels(F); v++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        exo_fields_set(F, i, v, (double)(s >> 11) * 0x1p-53 * 5.0);
      }
    double before[3];
    for (int i = 0; i < 3; i++) before[i] = exo_fields_total(F, i);
    const long steps = 50;
    step(F, 0.5, steps, (exo_fields_scheme)scheme); /* r = 50: far beyond any explicit limit */
    /* Round-off only: a few roundings of relative size 2^-53 per value per sweep. */
    const double tol = 64.0 * 3.0 * (double)steps * 0x1p-53;
    for (int i = 0; i < 3; i++) {
      double after = exo_fields_total(F, i), rel = fabs(after - before[i]) / before[i];
      printf("# conservation (%s) field %d: relative change %.2e (tolerance %.1e)\n", scheme ? "ADI-CN" : "LOD", i, rel, tol);
      if (rel > tol) fail_msg("field %d: amount %.17g became %.17g", i, before[i], after);
    }
    exo_fields_free(F);
  }
}

/* --- observed orders of convergence ------------------------------------------------------ */

static void gaussian_bump(exo_fields *F, double sigma0, double amp) {
  for (size_t v = 0; v < exo_fields_voxels(F); v++) {
    double c[3];
    exo_fields_voxel_center(F, v, c);
    exo_fields_set(F, 0, v, amp * exp(-(c[0] * c[0] + c[1] * c[1] + c[2] * c[2]) / (2.0 * sigma0 * sigma0)));
  }
}

static double maxdiff(const double *a, const double *b, size_t n) {
  double m = 0.0;
  for (size_t i = 0; i < n; i++) m = fmax(m, fabs(a[i] - b[i]));
  return m;
}

static void time_order(exo_fields_scheme scheme, int dirichlet, double lo, double hi) {
  const double D = 1000.0, lambda = 0.1, T = 0.8, dx = 10.0;
  size_t n[3] = {24, 24, 24};
  exo_field_spec f = fspec(D, lambda, 0.0);
  if (dirichlet) f.bc[EXO_FACE_XLO] = f.bc[EXO_FACE_ZHI] = (exo_bc){EXO_BC_DIRICHLET, 0.5};
  double *sol[4];
  size_t nv = 0;
  for (int level = 0; level < 4; level++) {
    exo_fields *F = make_box(3, n, dx, 1, &f, 1);
    gaussian_bump(F, 40.0, 1.0);
    double dt = 0.1 / (double)(1 << level);
    step(F, dt, lround(T / dt), scheme);
    sol[level] = values(F, 0);
    nv = exo_fields_voxels(F);
    exo_fields_free(F);
  }
  double e[3];
  for (int i = 0; i < 3; i++) e[i] = maxdiff(sol[i], sol[i + 1], nv);
  double p1 = log2(e[0] / e[1]), p2 = log2(e[1] / e[2]);
  printf("# time order (%s%s): |u(dt)-u(dt/2)| = %.3e %.3e %.3e for dt = 0.1 0.05 0.025: observed order %.3f, %.3f\n",
         scheme ? "ADI-CN" : "LOD", dirichlet ? ", Dirichlet faces" : "", e[0], e[1], e[2], p1, p2);
  if (!(p2 >= lo && p2 <= hi)) fail_msg("observed order in time %.3f outside [%g, %g]", p2, lo, hi);
  for (int i = 0; i < 4; i++) free(sol[i]);
}

static void test_time_order(void **state) {
  (void)state;
  time_order(EXO_SCHEME_LOD, 0, 0.9, 1.1);
  time_order(EXO_SCHEME_ADI_CN, 0, 1.85, 2.15);
  time_order(EXO_SCHEME_LOD, 1, 0.9, 1.1);
  time_order(EXO_SCHEME_ADI_CN, 1, 1.85, 2.15);
}

/* Max error against the exact spreading Gaussian (relative to the exact peak) for a bump that
 * varies along `axes` (a bit mask) of a grid of `dims` dimensions; other axes have one voxel. */
static double space_error(int dims, int axes, double dx) {
  const double D = 500.0, lambda = 0.05, T = 1.0, sigma0 = 40.0, L = 600.0, dt = 0.002;
  size_t n[3] = {1, 1, 1};
  int nd = 0;
  for (int a = 0; a < dims; a++)
    if (axes & (1 << a)) {
      n[a] = (size_t)lround(L / dx);
      nd++;
    }
  exo_field_spec f = fspec(D, lambda, 0.0);
  exo_grid_spec g;
  memset(&g, 0, sizeof g);
  g.dims = dims;
  g.dx = dx;
  for (int a = 0; a < dims; a++) {
    g.lo[a] = -0.5 * (double)n[a] * dx;
    g.hi[a] = -g.lo[a];
  }
  exo_fields *F = NULL;
  exo_error err = {0};
  if (exo_fields_create(&g, &f, 1, &F, &err) != EXO_OK) fail_msg("create: %s", err.msg);
  double s2 = sigma0 * sigma0;
  for (size_t v = 0; v < exo_fields_voxels(F); v++) {
    double c[3], r2 = 0.0;
    exo_fields_voxel_center(F, v, c);
    for (int a = 0; a < dims; a++)
      if (axes & (1 << a)) r2 += c[a] * c[a];
    exo_fields_set(F, 0, v, exp(-r2 / (2.0 * s2)));
  }
  step(F, dt, lround(T / dt), EXO_SCHEME_ADI_CN);
  double s2t = s2 + 2.0 * D * T, peak = pow(s2 / s2t, 0.5 * nd) * exp(-lambda * T), m = 0.0;
  for (size_t v = 0; v < exo_fields_voxels(F); v++) {
    double c[3], r2 = 0.0;
    exo_fields_voxel_center(F, v, c);
    for (int a = 0; a < dims; a++)
      if (axes & (1 << a)) r2 += c[a] * c[a];
    m = fmax(m, fabs(exo_fields_get(F, 0, v) - peak * exp(-r2 / (2.0 * s2t))));
  }
  exo_fields_free(F);
  return m / peak;
}

static void test_space_order(void **state) {
  (void)state;
  const struct {
    int dims, axes;
    const char *what;
  } cases[] = {{1, 1, "1-D x"}, {2, 3, "2-D xy"}, {3, 2, "3-D, along y"}, {3, 4, "3-D, along z"}};
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    double e1 = space_error(cases[c].dims, cases[c].axes, 12.0), e2 = space_error(cases[c].dims, cases[c].axes, 6.0),
           e3 = space_error(cases[c].dims, cases[c].axes, 3.0);
    double p1 = log2(e1 / e2), p2 = log2(e2 / e3);
    printf("# space order (%s, ADI-CN dt 0.002): error/peak %.3e %.3e %.3e for dx = 12 6 3: observed order %.3f, %.3f\n",
           cases[c].what, e1, e2, e3, p1, p2);
    if (!(p2 >= 1.9 && p2 <= 2.1)) fail_msg("%s: observed order in space %.3f outside [1.9, 2.1]", cases[c].what, p2);
  }
}

/* --- sources, sinks, non-negativity ---------------------------------------------------------- */

static void test_nonnegative_strong_uptake(void **state) {
  (void)state;
  size_t n[3] = {21, 21, 21};
  exo_field_spec f = fspec(1e5, 0.0, 0.0);
  for (int s = 0; s < 6; s++) f.bc[s] = (exo_bc){EXO_BC_DIRICHLET, 0.0};
  exo_fields *F = make_box(3, n, 20.0, 1, &f, 1);
  exo_error err = {0};
  size_t centre = exo_fields_index(F, 10, 10, 10);
  assert_int_equal(exo_fields_add(F, 0, centre, 1e6, NULL, &err), EXO_OK);
  double U = 1e6;
  exo_fields_site sites[2] = {{.voxel = exo_fields_index(F, 11, 10, 10), .uptake = &U}, {.voxel = centre, .volume = 2000.0, .uptake = &U}};
  double taken[2];
  for (int it = 0; it < 20; it++) {
    step(F, 1.0, 1, EXO_SCHEME_LOD); /* r = 250 */
    assert_int_equal(exo_fields_exchange(F, sites, 2, 1.0, taken, NULL, &err), EXO_OK);
    double *u = values(F, 0);
    for (size_t v = 0; v < exo_fields_voxels(F); v++)
      if (!(u[v] >= 0.0)) fail_msg("negative value %g at voxel %zu after step %d", u[v], v, it);
    free(u);
    assert_true(taken[0] >= 0.0 && taken[1] >= 0.0);
  }
  exo_fields_free(F);
}

static void test_secretion_uptake_formula(void **state) {
  (void)state;
  size_t n[3] = {4, 4, 1};
  exo_field_spec f[2] = {fspec(100, 0, 2.0), fspec(100, 0, 0.5)};
  exo_fields *F = make_box(2, n, 10.0, 0, f, 2);
  double S[2] = {0.3, 0.0}, target[2] = {7.0, 0.0}, U[2] = {0.1, 2.0};
  exo_fields_site site = {.voxel = 5, .volume = 40.0, .secretion = S, .target = target, .uptake = U};
  double taken[2], released[2];
  exo_error err = {0};
  const double dt = 0.5, V = exo_fields_voxel_volume(F), phi = 40.0 / V;
  assert_int_equal(exo_fields_exchange(F, &site, 1, dt, taken, released, &err), EXO_OK);
  double e0 = (2.0 + dt * phi * 0.3 * 7.0) / (1.0 + dt * phi * (0.3 + 0.1)), e1 = 0.5 / (1.0 + dt * phi * 2.0);
  assert_close(exo_fields_get(F, 0, 5), e0, 1e-15);
  assert_close(exo_fields_get(F, 1, 5), e1, 1e-15);
  assert_close(exo_fields_get(F, 0, 4), 2.0, 0.0);
  /* The amounts reported balance the change in the voxel. */
  assert_close((e0 - 2.0) * V, released[0] - taken[0], 1e-12 * V);
  assert_close((e1 - 0.5) * V, released[1] - taken[1], 1e-12 * V);
  /* Adding and removing amounts: amount / voxel volume, removal clamped at what is there. */
  double moved[2];
  assert_int_equal(exo_fields_add(F, 1, 0, 250.0, moved, &err), EXO_OK);
  assert_close(exo_fields_get(F, 1, 0), 0.5 + 250.0 / V, 1e-15);
  assert_close(moved[1], 250.0, 0.0);
  assert_int_equal(exo_fields_add(F, 1, 0, -1e9, moved, &err), EXO_OK);
  assert_close(exo_fields_get(F, 1, 0), 0.0, 0.0);
  assert_close(moved[1], -(0.5 * V + 250.0), 1e-9);
  /* A bad site changes nothing and says what to fix. */
  double badU[2] = {-1.0, 0.0};
  site.uptake = badU;
  assert_int_equal(exo_fields_exchange(F, &site, 1, dt, NULL, NULL, &err), EXO_ERR_MODEL);
  assert_non_null(strstr(err.msg, "rate -1"));
  exo_fields_free(F);
}

/* --- cargo ------------------------------------------------------------------------------------ */

static void test_cargo_rides_along(void **state) {
  (void)state;
  size_t n[3] = {15, 15, 15};
  int cargo[2] = {1, 2};
  exo_field_spec f[4] = {fspec(200, 0.0, 0), fspec(200, 0.0, 0), fspec(200, 0.0, 0), fspec(1e4, 0.1, 0)};
  f[0].name = "TEX";
  f[0].cargo = cargo;
  f[0].ncargo = 2;
  f[1].name = "PDL1";
  f[2].name = "miR21";
  f[3].name = "IL2";
  exo_fields *F = make_box(3, n, 20.0, 1, f, 4);
  exo_error err = {0};
  size_t src = exo_fields_index(F, 7, 7, 7), sink = exo_fields_index(F, 8, 7, 7);
  assert_int_equal(exo_fields_add(F, 0, src, 1e4, NULL, &err), EXO_OK);
  assert_int_equal(exo_fields_add(F, 1, src, 2e4, NULL, &err), EXO_OK); /* 2 PD-L1 per vesicle */
  assert_int_equal(exo_fields_add(F, 2, src, 5e4, NULL, &err), EXO_OK); /* 5 miR-21 per vesicle */
  assert_int_equal(exo_fields_add(F, 3, src, 1e4, NULL, &err), EXO_OK);
  double U[4] = {0.5, 0, 0, 0.2};
  exo_fields_site site = {.voxel = sink, .uptake = U};
  double taken[4], got[4] = {0, 0, 0, 0};
  for (int it = 0; it < 40; it++) {
    step(F, 0.05, 2, EXO_SCHEME_LOD);
    assert_int_equal(exo_fields_exchange(F, &site, 1, 0.1, taken, NULL, &err), EXO_OK);
    for (int i = 0; i < 4; i++) got[i] += taken[i];
  }
  /* The cargo per vesicle is the same in every voxel: cargo moved with its vesicles. */
  double *v = values(F, 0), *c1 = values(F, 1), *c2 = values(F, 2);
  for (size_t i = 0; i < exo_fields_voxels(F); i++) {
    if (c1[i] != 2.0 * v[i]) fail_msg("voxel %zu: PD-L1 %.17g is not 2 x vesicles %.17g", i, c1[i], v[i]);
    if (fabs(c2[i] - 5.0 * v[i]) > 1e-12 * 5.0 * v[i]) fail_msg("voxel %zu: miR-21 %.17g is not 5 x vesicles %.17g", i, c2[i], v[i]);
  }
  /* The sink received cargo in proportion to the vesicles it took, and nothing was lost. */
  printf("# cargo: the sink took %.6g vesicles, %.6g PD-L1 (ratio %.15g), %.6g miR-21 (ratio %.15g)\n", got[0], got[1], got[1] / got[0],
         got[2], got[2] / got[0]);
  assert_true(got[0] > 100.0);
  assert_close(got[1], 2.0 * got[0], 1e-12 * got[1]);
  assert_close(got[2], 5.0 * got[0], 1e-12 * got[2]);
  assert_close(exo_fields_total(F, 0) + got[0], 1e4, 1e-9);
  assert_close(exo_fields_total(F, 1) + got[1], 2e4, 2e-9);
  /* Removing vesicles at a point removes their cargo in proportion, and reports it. */
  double moved[4], before = exo_fields_get(F, 0, src) * exo_fields_voxel_volume(F);
  assert_int_equal(exo_fields_add(F, 0, src, -0.25 * before, moved, &err), EXO_OK);
  assert_close(moved[0], -0.25 * before, 1e-12 * before);
  assert_close(moved[1], 2.0 * moved[0], 1e-12 * before);
  assert_close(moved[2], 5.0 * moved[0], 1e-11 * before);
  assert_close(moved[3], 0.0, 0.0);
  /* Taking up cargo directly is refused. */
  double Ubad[4] = {0.5, 0.1, 0, 0};
  site.uptake = Ubad;
  assert_int_equal(exo_fields_exchange(F, &site, 1, 0.1, NULL, NULL, &err), EXO_ERR_MODEL);
  assert_non_null(strstr(err.msg, "PDL1"));
  free(v);
  free(c1);
  free(c2);
  exo_fields_free(F);
  /* Cargo must share its vesicle field's operator. */
  f[2].diffusion = 100.0;
  exo_grid_spec g = {.dims = 3, .lo = {0, 0, 0}, .hi = {100, 100, 100}};
  assert_int_equal(exo_fields_create(&g, f, 4, &F, &err), EXO_ERR_MODEL);
  assert_non_null(strstr(err.msg, "miR21"));
  assert_null(F);
}

/* --- threads, errors, allocation failures ------------------------------------------------- */

/* Five fields in three groups (two share field 0's operator and Dirichlet faces, with different
 * values), mixed faces; the shapes take every partitioning path: planes owned by threads (nz
 * large), planes shared by threads (nz small, and 2-D). isa: 0 the default kernel set, i+1 set i. */
static exo_fields *thread_case(int dims, const size_t n[3], int threads, int isa, exo_fields_scheme scheme) {
  exo_field_spec f[5] = {fspec(1e5, 0.1, 38), fspec(1000, 0.016, 0), fspec(1000, 0.016, 1), fspec(1e5, 0.1, 5), fspec(50, 0, 2)};
  for (int s = 0; s < 6; s++) f[0].bc[s] = f[3].bc[s] = (exo_bc){EXO_BC_DIRICHLET, 38.0};
  f[3].bc[EXO_FACE_YHI].value = 0.0;
  f[4].bc[EXO_FACE_XLO] = (exo_bc){EXO_BC_DIRICHLET, 9.0};
  if (dims == 3) f[4].bc[EXO_FACE_ZLO] = (exo_bc){EXO_BC_DIRICHLET, 9.0};
  exo_fields *F = make_box(dims, n, 20.0, 1, f, 5);
  exo_fields_set_threads(F, threads);
  F->isa = isa;
  exo_error err = {0};
  size_t v = exo_fields_index(F, 5, 6, dims == 3 ? 2 : 0);
  for (int i = 0; i < 5; i++) assert_int_equal(exo_fields_add(F, i, v, 1e7, NULL, &err), EXO_OK);
  step(F, 0.01, 20, scheme);
  return F;
}

static void expect_identical(exo_fields *a, exo_fields *b, const char *what) {
  for (int i = 0; i < exo_fields_count(a); i++) {
    double *ua = values(a, i), *ub = values(b, i);
    if (memcmp(ua, ub, exo_fields_voxels(a) * sizeof *ua) != 0)
      fail_msg("%s: field %d differs (max %.3e)", what, i, maxdiff(ua, ub, exo_fields_voxels(a)));
    free(ua);
    free(ub);
  }
}

static void test_threads_bit_identical(void **state) {
  (void)state;
  const size_t shapes[3][3] = {{23, 17, 13}, {23, 17, 3}, {31, 29, 1}};
  const int dims[3] = {3, 3, 2};
  for (int c = 0; c < 3; c++)
    for (int scheme = 0; scheme < 2; scheme++) {
      exo_fields *a = thread_case(dims[c], shapes[c], 1, 0, (exo_fields_scheme)scheme);
      exo_fields *b = thread_case(dims[c], shapes[c], 2, 0, (exo_fields_scheme)scheme);
      exo_fields *d = thread_case(dims[c], shapes[c], 3, 0, (exo_fields_scheme)scheme);
      char what[96];
      snprintf(what, sizeof what, "shape %zux%zux%zu, scheme %d, 1 vs 2 threads", shapes[c][0], shapes[c][1], shapes[c][2], scheme);
      expect_identical(a, b, what);
      snprintf(what, sizeof what, "shape %zux%zux%zu, scheme %d, 1 vs 3 threads", shapes[c][0], shapes[c][1], shapes[c][2], scheme);
      expect_identical(a, d, what);
      exo_fields_free(b);
      exo_fields_free(d);
      exo_fields_free(a);
    }
}

/* Every kernel set this CPU can run (baseline SSE2, AVX2, AVX-512) gives the same bits. */
static void test_kernel_sets_bit_identical(void **state) {
  (void)state;
  const size_t n[3] = {23, 17, 13};
  exo_fields *ref = thread_case(3, n, 2, 1, EXO_SCHEME_LOD), *ref_cn = thread_case(3, n, 2, 1, EXO_SCHEME_ADI_CN);
  assert_int_equal(exo__fields_isa(ref), 0);
  for (int isa = 1; isa < exo__fields_isa_count(); isa++) {
    exo_fields *a = thread_case(3, n, 2, isa + 1, EXO_SCHEME_LOD), *b = thread_case(3, n, 2, isa + 1, EXO_SCHEME_ADI_CN);
    if (exo__fields_isa(a) != isa) {
      printf("# kernel set %s: not supported by this CPU, skipped\n", exo__fields_isa_name(isa));
    } else {
      printf("# kernel set %s: bit-identical to %s\n", exo__fields_isa_name(isa), exo__fields_isa_name(0));
      expect_identical(ref, a, exo__fields_isa_name(isa));
      expect_identical(ref_cn, b, exo__fields_isa_name(isa));
    }
    exo_fields_free(a);
    exo_fields_free(b);
  }
  exo_fields_free(ref);
  exo_fields_free(ref_cn);
}

static void test_errors(void **state) {
  (void)state;
  exo_fields *F = NULL;
  exo_error err = {0};
  exo_field_spec f = fspec(1000, 0.1, 0);
  /* A grid that cannot fit says how many bytes it needs. */
  exo_grid_spec huge = {.dims = 3, .lo = {0, 0, 0}, .hi = {2e6, 2e6, 2e6}, .dx = 1.0};
  assert_int_equal(exo_fields_create(&huge, &f, 1, &F, &err), EXO_ERR_NOMEM);
  assert_null(F);
  assert_non_null(strstr(err.msg, "64000000000000000000 bytes"));
  printf("# refusal: %s\n", err.msg);
  exo_grid_spec small = {.dims = 3, .lo = {-750, -750, -750}, .hi = {750, 750, 750}, .mem_budget = 1e6};
  exo_field_spec two[2] = {f, f};
  two[1].name = "second";
  assert_int_equal(exo_fields_create(&small, two, 2, &F, &err), EXO_ERR_NOMEM);
  assert_non_null(strstr(err.msg, "6750000 bytes"));
  assert_non_null(strstr(err.msg, "memory budget"));
  assert_true(exo_fields_bytes_needed(&small, 2) == 6750000.0);
  /* Spec mistakes name the value to fix. */
  exo_grid_spec g = {.dims = 3, .lo = {0, 0, 0}, .hi = {100, 100, 110}};
  assert_int_equal(exo_fields_create(&g, &f, 1, &F, &err), EXO_ERR_MODEL);
  assert_non_null(strstr(err.msg, "whole number"));
  g.hi[2] = 100;
  exo_field_spec bad = fspec(-1, 0, 0);
  assert_int_equal(exo_fields_create(&g, &bad, 1, &F, &err), EXO_ERR_MODEL);
  assert_non_null(strstr(err.msg, "diffusion"));
  g.dims = 4;
  assert_int_equal(exo_fields_create(&g, &f, 1, &F, &err), EXO_ERR_MODEL);
  g.dims = 3;
  assert_int_equal(exo_fields_create(&g, &f, 1, &F, &err), EXO_OK);
  assert_int_equal(exo_fields_step(F, -1.0, 1, EXO_SCHEME_LOD, &err), EXO_ERR_MODEL);
  double outside[3] = {0, 0, 101};
  size_t v;
  assert_int_equal(exo_fields_voxel_at(F, outside, &v, &err), EXO_ERR_MODEL);
  assert_non_null(strstr(err.msg, "outside"));
  double inside[3] = {99, 0, 100};
  assert_int_equal(exo_fields_voxel_at(F, inside, &v, &err), EXO_OK);
  assert_int_equal(v, exo_fields_index(F, 4, 0, 4));
  assert_int_equal(exo_fields_count(F), 1);
  assert_string_equal(exo_fields_name(F, 0), "field0");
  assert_int_equal(exo_fields_find(F, "field0"), 0);
  exo_fields_free(F);
}

static void test_every_allocation_can_fail(void **state) {
  (void)state;
  int completed = 0;
  long n;
  int cargo[1] = {1};
  exo_field_spec f[3] = {fspec(100, 0, 1), fspec(100, 0, 2), fspec(5, 0.1, 0)};
  f[0].cargo = cargo;
  f[0].ncargo = 1;
  f[2].bc[EXO_FACE_XLO] = (exo_bc){EXO_BC_DIRICHLET, 1.0};
  exo_grid_spec g = {.dims = 3, .lo = {0, 0, 0}, .hi = {100, 80, 60}};
  for (n = 1; n < 200 && !completed; n++) {
    exo_fields *F = NULL;
    exo_error err = {0};
    exo_fault_fail_alloc_after(n);
    exo_status st = exo_fields_create(&g, f, 3, &F, &err);
    if (st == EXO_OK) {
      st = exo_fields_step(F, 0.1, 2, EXO_SCHEME_LOD, &err);
      if (st == EXO_OK) st = exo_fields_step(F, 0.1, 2, EXO_SCHEME_ADI_CN, &err);
      if (st == EXO_OK) completed = 1;
      exo_fields_free(F);
    } else {
      assert_null(F);
    }
    if (st != EXO_OK && st != EXO_ERR_NOMEM) fail_msg("failure at allocation %ld gave %d: %s", n, (int)st, err.msg);
    if (st != EXO_OK && !err.msg[0]) fail_msg("failure at allocation %ld gave no message", n);
  }
  exo_fault_fail_alloc_after(0);
  assert_true(completed);
  assert_true(n > 5);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_gaussian_1d),
      cmocka_unit_test(test_gaussian_2d),
      cmocka_unit_test(test_gaussian_3d),
      cmocka_unit_test(test_erfc_dirichlet_face),
      cmocka_unit_test(test_steady_exponential),
      cmocka_unit_test(test_conservation),
      cmocka_unit_test(test_time_order),
      cmocka_unit_test(test_space_order),
      cmocka_unit_test(test_nonnegative_strong_uptake),
      cmocka_unit_test(test_secretion_uptake_formula),
      cmocka_unit_test(test_cargo_rides_along),
      cmocka_unit_test(test_threads_bit_identical),
      cmocka_unit_test(test_kernel_sets_bit_identical),
      cmocka_unit_test(test_errors),
      cmocka_unit_test(test_every_allocation_can_fail),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
