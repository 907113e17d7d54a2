/* exosim: plots and the HTML report of a comparison of treatment arms. Both read recorded runs
 * (the recorder) and the model; neither knows how the runs were made. */
#ifndef EXOSIM_REPORT_H
#define EXOSIM_REPORT_H

#include "exosim/model.h"
#include "exosim/record.h"
#include "exosim/status.h"

/* One arm of a comparison, as recorded. */
typedef struct exo_arm_result {
  const char *name;           /* "control", "dex_vaccine", ... */
  const char *description;    /* one line: what the arm gives and when (may be NULL) */
  const exo_recorder *rec;    /* its time series: names, unit_factor (may be NULL) and values as
                                 exosim run records them; times in minutes */
  const double *dose_days;    /* days at which a dose was given (for marks on the time axis) */
  int ndose;
} exo_arm_result;

/* Writes DIR/plots/NAME.png and DIR/plots/NAME.svg for:
 *   tumour_burden  - tumour_burden of every arm against days, log axis, dosing marks;
 *   immune         - the model's immune populations (states of role immune, summed over
 *                    compartments per species) per arm;
 *   vesicles       - the vesicle pools (summed per species) per arm;
 *   FIGURE         - for each 'figure:' name among the model's outputs, one panel per output
 *                    (e.g. cargo_exposure: the cargo delivered to each target);
 * each with labelled axes and units, a legend, readable at a glance. Creates DIR/plots. */
exo_status exo_plot_arms(const char *dir, const exo_model *m, const exo_arm_result *arms, int narm, exo_error *err);

/* Writes DIR/report.html: one self-contained page (no network access needed: images inlined as
 * data: URIs, styles inline) with the model summary, the arms and their schedules, the summary
 * table read from DIR/summary.csv, every plot from DIR/plots/, and the mechanisms (processes)
 * that were on. */
exo_status exo_report_html(const char *dir, const exo_model *m, const exo_arm_result *arms, int narm, exo_error *err);

#endif
