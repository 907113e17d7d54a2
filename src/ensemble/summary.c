/* Outcome measures of an arm, read off its tumour_burden time series.
 *
 * RECIST 1.1 (Eisenhauer et al. 2009, Eur J Cancer 45:228, doi:10.1016/j.ejca.2008.10.026)
 * works on the sum of the longest diameters of target lesions. A well-mixed model has a number
 * of cells, not lesions, so exosim takes one sphere holding the whole burden at 1e9 cells per
 * cm^3 (the classical rule of thumb; Del Monte 2009, Cell Cycle 8:505, argues for nearer 1e8,
 * which would scale every diameter by 10^(1/3) and change no response category, only the 5 mm
 * progression floor). Then, at every output time t:
 *   progression (PD): diameter >= 1.2 x the smallest diameter so far (baseline included) and at
 *                     least 5 mm above it;
 *   complete response (CR): diameter below 1 mm (~5e5 cells), the model's "disappearance";
 *   partial response (PR): diameter <= 0.7 x baseline;
 *   stable disease (SD): otherwise.
 * The best overall response is the best category reached before the first progression (no
 * confirmation scans are modelled); a tumour that progresses before any other category is PD. */
#include <math.h>
#include <string.h>

#include "exosim/ensemble.h"
#include "exosim/units.h"

double exo_recist_diameter_mm(double cells) {
  const double cell_mm3 = 1e-6; /* 1e9 cells per cm^3 = 1e6 cells per mm^3 */
  double v = cells > 0 ? cells * cell_mm3 : 0;
  const double pi = 3.14159265358979323846;
  return cbrt(6.0 * v / pi);
}

exo_status exo_arm_summarise(const exo_recorder *rec, exo_arm_summary *out, exo_error *err) {
  size_t c = rec->ncol;
  for (size_t i = 0; rec->names && i < rec->ncol; i++)
    if (!strcmp(rec->names[i], "tumour_burden")) c = i;
  if (c == rec->ncol || rec->nrow == 0)
    return exo_error_set(err, EXO_ERR_MODEL, "the run has no tumour_burden to summarise (no role: tumour populations?)");
  double fac = rec->unit_factor ? rec->unit_factor[c] : 1;
#define B(r) (rec->values[(r) * rec->ncol + c] / fac)
  out->final_burden = B(rec->nrow - 1);
  out->peak_burden = out->min_burden = B(0);
  out->auc_burden = 0;
  out->days_to_progression = NAN;
  double base = exo_recist_diameter_mm(B(0)), nadir = base;
  int best = 3; /* 0 CR, 1 PR, 2 SD, 3 PD (nothing assessed yet) */
  bool progressed = false;
  for (size_t r = 0; r < rec->nrow; r++) {
    double b = B(r), d = exo_recist_diameter_mm(b);
    if (b > out->peak_burden) out->peak_burden = b;
    if (b < out->min_burden) out->min_burden = b;
    if (r) out->auc_burden += 0.5 * (b + B(r - 1)) * (rec->times[r] - rec->times[r - 1]) / EXO_MINUTES_PER_DAY;
    if (r == 0 || progressed) continue;
    if (d >= 1.2 * nadir && d - nadir >= 5.0) {
      progressed = true;
      out->days_to_progression = rec->times[r] / EXO_MINUTES_PER_DAY;
      continue;
    }
    int cat = d < 1.0 ? 0 : d <= 0.7 * base ? 1 : 2;
    if (cat < best) best = cat;
    if (d < nadir) nadir = d;
  }
#undef B
  static const char *const names[] = {"CR", "PR", "SD", "PD"};
  out->best_response = names[best];
  return EXO_OK;
}
