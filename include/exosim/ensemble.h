/* exosim: treatment arms run side by side. */
#ifndef EXOSIM_ENSEMBLE_H
#define EXOSIM_ENSEMBLE_H

#include "exosim/model.h"
#include "exosim/record.h"
#include "exosim/status.h"
#include "exosim/systemic.h"

/* One arm's outcome. RECIST 1.1 is applied to the longest diameter of one sphere holding the
 * whole tumour burden at 1e9 cells per cm^3 (docs/model-file.md, "Comparisons"). */
typedef struct exo_arm_summary {
  double final_burden, peak_burden, min_burden, auc_burden; /* cells; auc in cell*days */
  double days_to_progression;                               /* NAN when the tumour never progressed */
  const char *best_response;                                /* "CR", "PR", "SD" or "PD" */
} exo_arm_summary;

/* Summarises a recorded run that has a tumour_burden column; fails if there is none. */
exo_status exo_arm_summarise(const exo_recorder *rec, exo_arm_summary *out, exo_error *err);

/* The diameter (mm) of a sphere of n tumour cells at 1e9 cells per cm^3. */
double exo_recist_diameter_mm(double cells);

#endif
