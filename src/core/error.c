#include "exosim/status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *exo_status_name(exo_status st) {
  switch (st) {
  case EXO_OK: return "EXO_OK";
  case EXO_ERR_IO: return "EXO_ERR_IO";
  case EXO_ERR_SYNTAX: return "EXO_ERR_SYNTAX";
  case EXO_ERR_MODEL: return "EXO_ERR_MODEL";
  case EXO_ERR_UNIT: return "EXO_ERR_UNIT";
  case EXO_ERR_NOMEM: return "EXO_ERR_NOMEM";
  case EXO_ERR_SOLVER: return "EXO_ERR_SOLVER";
  case EXO_ERR_NUMERIC: return "EXO_ERR_NUMERIC";
  case EXO_ERR_USAGE: return "EXO_ERR_USAGE";
  }
  return "EXO_ERR_UNKNOWN";
}

exo_status exo_error_set(exo_error *err, exo_status st, const char *fmt, ...) {
  if (err) {
    err->status = st;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
  }
  return st;
}

void exo_error_prefix(exo_error *err, const char *fmt, ...) {
  if (!err) return;
  char prefix[EXO_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  char old[EXO_ERROR_MSG_MAX];
  memcpy(old, err->msg, sizeof old);
  snprintf(err->msg, sizeof err->msg, "%s: %s", prefix, old);
}

void exo_error_clear(exo_error *err) {
  if (!err) return;
  err->status = EXO_OK;
  err->msg[0] = '\0';
}
