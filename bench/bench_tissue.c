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

/* The scaling curve as a small self-contained SVG: agent seconds per mechanics step against the
 * number of cells, log-log, with the line of exact proportionality through the first point. */
static void write_scaling_svg(const char *path, const long *n, const double *sec_per_step, int k, int threads) {
  FILE *f = fopen(path, "w");
  if (!f) {
    fprintf(stderr, "exo_bench_tissue: %s: cannot write\n", path);
    return;
  }
  const double W = 560, H = 400, L = 80, R = 20, Tm = 40, B = 60;
  double x0 = log10(5e3), x1 = log10(2e6), y0 = log10(sec_per_step[0] / 4), y1 = log10(sec_per_step[k - 1] * 4);
#define PX(v) (L + (log10(v) - x0) / (x1 - x0) * (W - L - R))
#define PY(v) (H - B - (log10(v) - y0) / (y1 - y0) * (H - Tm - B))
  fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%g\" height=\"%g\" font-family=\"sans-serif\" font-size=\"12\">\n", W, H);
  fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
  fprintf(f, "<text x=\"%g\" y=\"22\" font-size=\"14\">Tissue engine: agent cost per mechanics step (%d threads)</text>\n", L, threads);
  fprintf(f, "<rect x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\" fill=\"none\" stroke=\"#444\"/>\n", L, Tm, W - L - R, H - Tm - B);
  for (double d = 1e4; d <= 1e6; d *= 10) {
    fprintf(f, "<line x1=\"%g\" x2=\"%g\" y1=\"%g\" y2=\"%g\" stroke=\"#ddd\"/>\n", PX(d), PX(d), Tm, H - B);
    fprintf(f, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">%.0e</text>\n", PX(d), H - B + 18, d);
  }
  for (double e = pow(10, floor(y0)); e <= pow(10, y1); e *= 10) {
    if (log10(e) < y0) continue;
    fprintf(f, "<line x1=\"%g\" x2=\"%g\" y1=\"%g\" y2=\"%g\" stroke=\"#ddd\"/>\n", L, W - R, PY(e), PY(e));
    fprintf(f, "<text x=\"%g\" y=\"%g\" text-anchor=\"end\">%.0e s</text>\n", L - 6, PY(e) + 4, e);
  }
  fprintf(f, "<text x=\"%g\" y=\"%g\" text-anchor=\"middle\">cells</text>\n", (L + W - R) / 2, H - 20);
  /* proportional cost through the first point */
  fprintf(f, "<line x1=\"%g\" y1=\"%g\" x2=\"%g\" y2=\"%g\" stroke=\"#999\" stroke-dasharray=\"5,4\"/>\n", PX((double)n[0]),
          PY(sec_per_step[0]), PX((double)n[k - 1]), PY(sec_per_step[0] * (double)n[k - 1] / (double)n[0]));
  fprintf(f, "<polyline fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"");
  for (int i = 0; i < k; i++) fprintf(f, "%g,%g ", PX((double)n[i]), PY(sec_per_step[i]));
  fprintf(f, "\"/>\n");
  for (int i = 0; i < k; i++) fprintf(f, "<circle cx=\"%g\" cy=\"%g\" r=\"4\" fill=\"#1f77b4\"/>\n", PX((double)n[i]), PY(sec_per_step[i]));
  fprintf(f, "<text x=\"%g\" y=\"%g\" fill=\"#1f77b4\">measured (mechanics + phenotype)</text>\n", L + 10, Tm + 18);
  fprintf(f, "<text x=\"%g\" y=\"%g\" fill=\"#777\">linear in cells</text>\n", L + 10, Tm + 34);
  fprintf(f, "</svg>\n");
#undef PX
#undef PY
  fclose(f);
  printf("wrote %s\n", path);
}

int main(int argc, char **argv) {
  int threads = 2;
  int quick = 0;
  const char *svg = NULL;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--quick")) quick = 1;
    else if (!strcmp(argv[i], "--svg") && i + 1 < argc) svg = argv[++i];
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
  double agent_per_cell[5], per_step[5];
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
    per_step[k] = (st.wall_mechanics + st.wall_phenotype) / (st.mechanics_steps > 0 ? st.mechanics_steps : 1);
    exo_model_free(ms);
  }
  printf("agent cost per cell (mechanics + phenotype), relative to 1e4 cells:");
  for (int k = 0; k < ncount; k++) printf(" %.2f", agent_per_cell[k] / agent_per_cell[0]);
  printf("\npeak memory: %.2f GB\n", peak_rss_gb());
  if (svg) write_scaling_svg(svg, counts, per_step, ncount, threads);
  return 0;
}
