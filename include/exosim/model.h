/* exosim: models.
 * A model is loaded from a YAML file (or a built-in model compiled into the program), validated,
 * and converted to internal units (micrometre, minute, count, nanogram). Once loaded it is only
 * changed through exo_model_set (the `--set NAME=VALUE` overrides of the command line), which
 * applies the same checks as the loader. */
#ifndef EXOSIM_MODEL_H
#define EXOSIM_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "exosim/status.h"

typedef struct exo_model exo_model;

/* Loads a model file. Messages have the form "FILE:LINE:COL: what is wrong". */
exo_status exo_model_load_file(const char *path, exo_model **out, exo_error *err);
/* Loads from text; display_name is used in messages in place of a file name. */
exo_status exo_model_load_string(const char *text, size_t len, const char *display_name,
                                 exo_model **out, exo_error *err);
void exo_model_free(exo_model *m);

/* Built-in models compiled into the program, addressed by name ("examples/kuznetsov1994"). */
size_t exo_builtin_model_count(void);
const char *exo_builtin_model_name(size_t i);
/* The YAML text of a built-in model, or NULL. A bare name ("kuznetsov1994") also finds
 * "examples/kuznetsov1994". */
const char *exo_builtin_model_text(const char *name, const char **canonical_name);

/* Applies one override "NAME=VALUE": a parameter (VALUE may carry a unit, checked against the
 * parameter's dimension), a process switch "mech.NAME=on|off", an initial value
 * "initial.COMPARTMENT.SPECIES=VALUE", or a solver setting "solver.rtol=1e-8". */
exo_status exo_model_set(exo_model *m, const char *assignment, exo_error *err);

/* Treatment arms (the model file's 'arms:'). Choosing an arm switches its therapies' processes
 * and doses on and every other therapy's off; NULL or "" switches all therapies off. */
exo_status exo_model_choose_arm(exo_model *m, const char *arm, exo_error *err);
int exo_model_arm_count(const exo_model *m);
const char *exo_model_arm_name(const exo_model *m, int i);
const char *exo_model_arm_description(const exo_model *m, int i); /* may be NULL */
/* The days on which arm i gives a dose or starts an exposure, sorted and without repeats;
 * writes at most max and returns how many there are (more than max when they did not fit). */
int exo_model_arm_dose_days(const exo_model *m, int i, double *days, int max);

/* One screen describing what the model contains. */
void exo_model_print_summary(const exo_model *m, FILE *f);

const char *exo_model_name(const exo_model *m);
const char *exo_model_description(const exo_model *m); /* may be NULL */
const char *exo_model_host(const exo_model *m);        /* the host chosen with --set host=, or NULL */
const char *exo_model_source_path(const exo_model *m);
/* Lower-case hex SHA-256 of the model text as loaded. */
const char *exo_model_hash(const exo_model *m);
/* Whether the model has a tissue section (exosim run --engine tissue needs one). */
int exo_model_has_tissue(const exo_model *m);

#endif
