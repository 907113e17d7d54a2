/* B2 of ../shared/benchmarks.md: PhysiCell's cancer_immune_3D workload (18,317 tumour cells in a
 * 250 um sphere, 7,500 immune cells in a shell around it, oxygen and an immunostimulatory factor
 * on 75^3 voxels, steps 0.01/0.1/6 min) for one simulated hour, outputs off; and the scaling of
 * the agents' cost with the number of cells, 1e4 to 1e6.
 *
 *     exo_bench_tissue [--threads N] [--quick]
 *
 * PhysiCell 1.14.2 on this machine kind takes 248.3 s per simulated hour on the same workload with
 * 2 threads (benchmarks.md; a published figure, not measured in this run). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench_util.h"
#include "exosim/model.h"
#include "exosim/tissue.h"
#include "model/model.h"
#include "model/tissue_spec.h"

#define PHYSICELL_B2_SECONDS 248.3 /* tumour + 7,500 immune cells, per simulated hour */
#define PHYSICELL_B2_TUMOUR_ONLY 248.7

static exo_model *load(const char *path, const char *text) {
  exo_model *m = NULL;
  exo_error err = {0};
  exo_status st = text ? exo_model_load_string(text, strlen(text), "scaling", &m, &err) : exo_model_load_file(path, &m, &err);
  if (st) {
    fprintf(stderr, "exo_bench_tissue: %s\n", err.msg);
    exit(1);
  }
  return m;
}

static double peak_rss_gb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_maxrss / 1048576.0;
}

/* Runs for `minutes` and prints one line; returns the wall seconds of the run. */
static double run(exo_model *m, const char *label, int threads, double minutes, double reference, exo_tissue_stats *out) {
  exo_tissue *T = NULL;
  exo_error err = {0};
  exo_tissue_settings s = {.seed = 1, .threads = threads, .snapshot_every = 0, .end_time = minutes};
  double t0 = now();
  if (exo_tissue_create(m, &s, &T, &err)) {
    fprintf(stderr, "exo_bench_tissue: %s\n", err.msg);
    exit(1);
  }
  double t1 = now();
  if (exo_tissue_advance(T, minutes, NULL, &err)) {
    fprintf(stderr, "exo_bench_tissue: %s\n", err.msg);
    exit(1);
  }
  double wall = now() - t1;
  exo_tissue_stats st;
  exo_tissue_get_stats(T, &st);
  double per_hour = wall * 60.0 / minutes;
  printf("%-34s %8ld %9.2f %10.3g %8.0f %6.2f %6.2f %6.2f %6.2f", label, st.cells_final, per_hour, st.cell_steps / wall,
         st.bytes_per_cell, st.wall_fields, st.wall_mechanics, st.wall_phenotype, t1 - t0);
  if (reference > 0) printf("  %5.1fx", reference / per_hour);
  printf("\n");
  fflush(stdout);
  if (out) *out = st;
  exo_tissue_free(T);
  return wall;
}

static const char *scaling_template =
    "exosim: 1\nname: scaling\nsource: bench\n"
    "compartments: {site: {volume: 1 mL}}\n"
    "populations: {pool: {compartment: site, initial: 0 cells}}\n"
    "parameters: {k: {value: 0 /day, source: bench}}\n"
    "processes: [{name: loss, rate: k * pool, from: pool}]\n"
    "simulation: {end: 6 min, output_every: 6 min}\n"
    "tissue:\n"
    "  domain: {lo: [-%g um, -%g um, -%g um], hi: [%g um, %g um, %g um], dx: %g um}\n"
    "  time_steps: {diffusion: 0.1 min, mechanics: 0.1 min, phenotype: 6 min}\n"
    "  fields: {oxygen: {diffusion: 1e5 um^2/min, decay: 0.1 /min, initial: 38 /um^3, boundary: 38 /um^3}}\n"
    "  cell_types:\n"
    "    tumour:\n"
    "      volume: 2494 um^3\n"
    "      cycle_entry: 7.2e-4 /min\n"
    "      uptake: {oxygen: 10 /min}\n"
    "      initial: {count: %ld, placement: sphere, radius: %g um}\n";

int main(int argc, char **argv) {
  int threads = 2;
  int quick = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--quick")) quick = 1;
  }
  char path[1024];
  snprintf(path, sizeof path, "%s/bench/models/cancer_immune_b2.yaml", EXO_SOURCE_DIR);
  printf("B2 cancer-immune workload, %d threads (exo_bench_tissue; PhysiCell 1.14.2 figures from benchmarks.md)\n", threads);
  printf("%-34s %8s %9s %10s %8s %6s %6s %6s %6s  %s\n", "configuration", "cells", "s/sim-h", "cell-st/s", "B/cell",
         "fields", "mech", "phen", "setup", "vs PhysiCell");
  double minutes = quick ? 6 : 60;
  exo_model *m = load(path, NULL);
  run(m, "tumour + 7,500 immune cells", threads, minutes, PHYSICELL_B2_SECONDS, NULL);
  /* tumour only: no immune cells placed */
  for (int t = 0; t < m->tissue->ntypes; t++)
    if (!m->tissue->types[t].tumour) m->tissue->types[t].initial_count = 0;
  run(m, "tumour only (18,317 cells)", threads, minutes, PHYSICELL_B2_TUMOUR_ONLY, NULL);
  exo_model_free(m);
  printf("peak memory (whole benchmark so far): %.2f GB (PhysiCell: 0.51 GB)\n\n", peak_rss_gb());

  /* scaling: a packed tumour sphere of N cells in a box that holds it; one oxygen field on 40 um
   * voxels. The agents' part (mechanics + phenotype) should grow linearly with N. */
  printf("scaling, 6 simulated minutes (60 mechanics steps), %d threads\n", threads);
  printf("%-34s %8s %9s %10s %8s %6s %6s %6s %6s\n", "cells", "cells", "s/sim-h", "cell-st/s", "B/cell", "fields", "mech",
         "phen", "setup");
  long counts[] = {10000, 30000, 100000, 300000, 1000000};
  int ncount = quick ? 3 : 5;
  double agent_per_cell[5];
  for (int k = 0; k < ncount; k++) {
    long n = counts[k];
    double R = cbrt((double)n * 2494.0 / 0.70 * 3.0 / (4.0 * M_PI)) + 20;
    double half = ceil((R + 60) / 40.0) * 40.0;
    char text[2048], label[64];
    snprintf(text, sizeof text, scaling_template, half, half, half, half, half, half, 40.0, n, R);
    exo_model *ms = load(NULL, text);
    snprintf(label, sizeof label, "%ld", n);
    exo_tissue_stats st;
    run(ms, label, threads, 6, 0, &st);
    agent_per_cell[k] = (st.wall_mechanics + st.wall_phenotype) / (double)n;
    exo_model_free(ms);
  }
  printf("agent cost per cell (mechanics + phenotype), relative to 1e4 cells:");
  for (int k = 0; k < ncount; k++) printf(" %.2f", agent_per_cell[k] / agent_per_cell[0]);
  printf("\npeak memory: %.2f GB\n", peak_rss_gb());
  return 0;
}
