#ifndef EXO_MODEL_BUILTIN_H
#define EXO_MODEL_BUILTIN_H
#include <stddef.h>
struct exo_builtin_model {
  const char *name;
  const char *text;
  size_t len;
};
/* Generated at build time from models/ (see cmake/embed_models.cmake); ends with a NULL name. */
extern const struct exo_builtin_model exo__builtin_models[];
#endif
