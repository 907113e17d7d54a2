/* The systemic model advanced in pieces, for engines that run beside it (the tissue engine
 * couples to it every phenotype step): advance to a time, read and add to states, read the
 * parameters as therapies' events have set them. Events (doses, parameter switches) of the
 * chosen arm are applied at their exact times, as in exo_systemic_run. */
#ifndef EXO_SYSTEMIC_STEPPER_H
#define EXO_SYSTEMIC_STEPPER_H

#include "exosim/status.h"
#include "model/model.h"

typedef struct exo_stepper exo_stepper;

/* Compiles the model's right-hand side, sets the initial state and applies the events at t = 0. */
exo_status exo_stepper_create(const exo_model *m, exo_stepper **out, exo_error *err);
void exo_stepper_free(exo_stepper *s);

/* Integrates from the current time to t (minutes), applying events on the way. */
exo_status exo_stepper_advance(exo_stepper *s, double t, exo_error *err);
double exo_stepper_time(const exo_stepper *s);
/* Current values: states (counts) and parameters (internal units, as events have set them). */
const double *exo_stepper_states(const exo_stepper *s);
const double *exo_stepper_params(const exo_stepper *s);
/* Adds amount to a state (vesicles drained in from the tissue, say); takes effect at the next
 * advance, which restarts the integrator's history. */
void exo_stepper_add(exo_stepper *s, int state, double amount);
/* For checkpoints: the index of the next event, and the whole state put back (time, states,
 * parameters as events had set them, next event). */
int exo_stepper_next_event(const exo_stepper *s);
exo_status exo_stepper_restore(exo_stepper *s, double t, const double *y, int next_event, const double *params, exo_error *err);
/* row[0..nstate) = states (negatives below round-off written as 0), then the model's outputs. */
void exo_stepper_row(exo_stepper *s, double *row);

#endif
