/* Transport benchmark B1 (../shared/benchmarks.md; `make bench`).
 *
 * The cancer-immune domain [-750, 750]^3 um at 20 um (75^3 = 421,875 voxels), dt = 0.01 min,
 * backward-Euler LOD. Field 0: D = 1e5 um^2/min, decay 0.1 /min, Dirichlet 38 on every face;
 * the others: D = 1000 um^2/min, decay 0.016 /min, no-flux. With 2, 8 and 32 fields it prints
 *   - voxel-field updates per second and seconds per simulated minute (medians of REPEATS runs of
 *     100 steps = 1 simulated minute each, after a warm-up),
 *   - the effective memory traffic: 16 bytes per voxel-field update (each value read once and
 *     written once per step, the least any step can move), in GB/s and as a fraction of a STREAM
 *     triad measured in this same run (a[i] = b[i] + s*c[i], 2^26 doubles, 24 bytes per element),
 *   - the same against the two-pass bound: a step reads and writes every value twice (x+y sweeps
 *     in one pass, z in another), so it cannot beat an in-place read-modify-write stream (also
 *     measured here) divided by 32 bytes per update once the fields exceed the caches,
 *   - the ratio to BioFVM's published updates per second on this machine kind with 2 threads
 *     (3.6e7 / 6.9e7 / 1.76e8, ../shared/benchmarks.md): a ratio against that published figure,
 *     not against a BioFVM run measured here.
 * Output lines: "bench: NAME: VALUE UNIT" and "ratio: NAME: VALUE".
 * Threads: EXO_BENCH_THREADS (default 2, BioFVM's figures' thread count). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "exosim/fields.h"
#include "tissue/fields/fields_internal.h" /* which kernel set ran */

#define REPEATS 5
#define STEPS 100 /* one simulated minute */

#include "bench_util.h"

/* Memory bandwidth on nthreads threads, bytes per second (median of 7 after one warm-up), over
 * 2^26 doubles per array:
 *   triad: a[i] = b[i] + s*c[i], counted as 24 bytes per element (STREAM's convention);
 *   rmw:   a[i] = s*a[i] + t, each value read and written in place, 16 bytes per element: the
 *          ceiling for any pass over the fields, which is what a sweep does. */
static double stream(int nthreads, int rmw) {
  const size_t n = (size_t)1 << 26;
  double *a = aligned_alloc(64, n * sizeof *a), *b = aligned_alloc(64, n * sizeof *b), *c = aligned_alloc(64, n * sizeof *c);
  if (!a || !b || !c) {
    free(a);
    free(b);
    free(c);
    return 0.0;
  }
  long sn = (long)n;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(nthreads)
#endif
  for (long i = 0; i < sn; i++) {
    a[i] = 0.0;
    b[i] = 1.0;
    c[i] = 2.0;
  }
  const double s = 3.0;
  double t[8];
  for (int r = 0; r < 8; r++) {
    double t0 = now();
    if (rmw) {
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(nthreads)
#endif
      for (long i = 0; i < sn; i++) a[i] = 0.5 * a[i] + s;
    } else {
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads(nthreads)
#endif
      for (long i = 0; i < sn; i++) a[i] = b[i] + s * c[i];
    }
    t[r] = now() - t0;
  }
  double sink = a[n / 3] + a[n - 1];
  free(a);
  free(b);
  free(c);
  (void)nthreads;
  if (!(sink > 0.0)) return 0.0; /* keeps the loops honest */
  return (rmw ? 16.0 : 24.0) * (double)n / median(t + 1, 7);
}

typedef struct result {
  double updates_per_s, s_per_min;
} result;

static int run_case(int nfields, int nthreads, result *out, const char **isa) {
  exo_field_spec *f = calloc((size_t)nfields, sizeof *f);
  char (*names)[16] = calloc((size_t)nfields, sizeof *names);
  if (!f || !names) return 1;
  for (int i = 0; i < nfields; i++) {
    snprintf(names[i], sizeof names[i], "f%d", i);
    f[i].name = names[i];
    if (i == 0) {
      f[i].diffusion = 1e5;
      f[i].decay = 0.1;
      f[i].initial = 38.0;
      for (int s = 0; s < EXO_FACE_COUNT; s++) f[i].bc[s] = (exo_bc){EXO_BC_DIRICHLET, 38.0};
    } else {
      f[i].diffusion = 1000.0;
      f[i].decay = 0.016;
      f[i].initial = 1.0 + 0.01 * i;
    }
  }
  exo_grid_spec g = {.dims = 3, .lo = {-750, -750, -750}, .hi = {750, 750, 750}, .dx = 20.0};
  exo_fields *F = NULL;
  exo_error err = {0};
  if (exo_fields_create(&g, f, nfields, &F, &err) != EXO_OK) {
    fprintf(stderr, "bench_fields: %s\n", err.msg);
    free(f);
    free(names);
    return 1;
  }
  exo_fields_set_threads(F, nthreads);
  *isa = exo__fields_isa_name(exo__fields_isa(F));
  double centre[3] = {0, 0, 0};
  for (int i = 1; i < nfields; i++) exo_fields_add_at(F, i, centre, 1e9, NULL, &err);
  int rc = 0;
  if (exo_fields_step(F, 0.01, 20, EXO_SCHEME_LOD, &err) != EXO_OK) rc = 1; /* warm-up */
  double t[REPEATS];
  for (int r = 0; r < REPEATS && !rc; r++) {
    double t0 = now();
    if (exo_fields_step(F, 0.01, STEPS, EXO_SCHEME_LOD, &err) != EXO_OK) rc = 1;
    t[r] = now() - t0;
  }
  if (rc) {
    fprintf(stderr, "bench_fields: %s\n", err.msg);
  } else {
    double sec = median(t, REPEATS);
    out->s_per_min = sec; /* STEPS steps of 0.01 min = 1 simulated minute */
    out->updates_per_s = (double)exo_fields_voxels(F) * nfields * STEPS / sec;
    /* Sanity: field 0 stays within its boundary value and the decayed interior. */
    double mid = exo_fields_get(F, 0, exo_fields_voxels(F) / 2);
    if (!(mid > 0.0 && mid <= 38.0)) {
      fprintf(stderr, "bench_fields: field 0 at the centre is %g, outside (0, 38]\n", mid);
      rc = 1;
    }
  }
  exo_fields_free(F);
  free(f);
  free(names);
  return rc;
}

int main(void) {
  int nthreads = 2;
  const char *env = getenv("EXO_BENCH_THREADS");
  if (env && atoi(env) > 0) nthreads = atoi(env);
  const int cases[3] = {2, 8, 32};
  const double biofvm[3] = {3.6e7, 6.9e7, 1.76e8}; /* published, ../shared/benchmarks.md */

  double bw = stream(nthreads, 0), rmw = stream(nthreads, 1);
  printf("bench: stream_triad_%dthreads: %.2f GB/s\n", nthreads, bw / 1e9);
  printf("bench: stream_rmw_%dthreads: %.2f GB/s\n", nthreads, rmw / 1e9);
  for (int c = 0; c < 3; c++) {
    result r;
    const char *isa = "";
    if (run_case(cases[c], nthreads, &r, &isa)) return 1;
    if (c == 0) printf("# fields: B1 on %d threads, kernels %s, medians of %d runs of %d steps\n", nthreads, isa, REPEATS, STEPS);
    double eff = 16.0 * r.updates_per_s;
    printf("bench: fields_b1_%d_updates: %.4g voxel-field updates/s\n", cases[c], r.updates_per_s);
    printf("bench: fields_b1_%d_time: %.4g s per simulated minute\n", cases[c], r.s_per_min);
    printf("bench: fields_b1_%d_effective_traffic: %.2f GB/s\n", cases[c], eff / 1e9);
    printf("ratio: fields_b1_%d_traffic_over_triad: %.3f\n", cases[c], bw > 0.0 ? eff / bw : 0.0);
    /* The step makes two passes over the fields (x+y sweeps, then z), 32 bytes per update: at
     * best rmw/32 updates per second when the fields do not fit in cache. */
    printf("ratio: fields_b1_%d_over_two_pass_bound: %.3f\n", cases[c], rmw > 0.0 ? r.updates_per_s / (rmw / 32.0) : 0.0);
    printf("ratio: fields_b1_%d_over_biofvm_published: %.2f\n", cases[c], r.updates_per_s / biofvm[c]);
  }
  return 0;
}
