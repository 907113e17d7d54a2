/* exosim: status codes and error messages.
 * Errors are values: every fallible function returns an exo_status and fills an exo_error whose
 * message tells a person what to fix ("model.yaml:12:5: unknown key 'rat' (did you mean 'rate'?)").
 */
#ifndef EXOSIM_STATUS_H
#define EXOSIM_STATUS_H

#include <stddef.h>

typedef enum exo_status {
  EXO_OK = 0,
  EXO_ERR_IO,        /* a file could not be read or written */
  EXO_ERR_SYNTAX,    /* YAML, unit or expression syntax */
  EXO_ERR_MODEL,     /* the model is well-formed but wrong: unknown name, duplicate, bad value */
  EXO_ERR_UNIT,      /* a dimension mismatch */
  EXO_ERR_NOMEM,     /* an allocation failed */
  EXO_ERR_SOLVER,    /* the ODE solver failed */
  EXO_ERR_NUMERIC,   /* a NaN or Inf appeared */
  EXO_ERR_USAGE      /* bad command-line arguments */
} exo_status;

#define EXO_ERROR_MSG_MAX 1024

typedef struct exo_error {
  exo_status status;
  char msg[EXO_ERROR_MSG_MAX];
} exo_error;

/* A short stable name for a status ("EXO_ERR_UNIT"). */
const char *exo_status_name(exo_status st);

/* Records st and a printf-style message in err (which may be NULL) and returns st. */
exo_status exo_error_set(exo_error *err, exo_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Prefixes err->msg with "prefix: " (used to add file:line:col to a lower-level message). */
void exo_error_prefix(exo_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

void exo_error_clear(exo_error *err);

#endif
