/* The native right-hand side: the compiled program of a model translated to C, built with the
 * system C compiler into a shared object and loaded with dlopen. It computes exactly what the
 * interpreter computes, in the same order (same operations, no contraction into FMA), so results
 * are bit-for-bit the same; it only removes the interpreter's dispatch. Built objects are cached
 * under $XDG_CACHE_HOME/exosim (or ~/.cache/exosim), named by the SHA-256 of their source. */
#ifndef EXO_SYSTEMIC_NATIVE_H
#define EXO_SYSTEMIC_NATIVE_H

#include <stddef.h>

#include "model/expr.h"

typedef void (*exo_native_fn)(double t, const double *restrict y, const double *restrict slots,
                              double *restrict ydot);

typedef struct exo_native {
  void *handle;
  exo_native_fn fn;
} exo_native;

/* Builds (or finds in the cache) the native form of p. On failure returns non-zero and says why
 * in why; the caller then uses the interpreter. */
int exo_native_build(const exo_program *p, size_t nstate, exo_native *out, char *why, size_t whylen);
void exo_native_free(exo_native *n);

/* The C source for p (for tests and for people who want to read it); the caller frees it. */
char *exo_native_source(const exo_program *p, size_t nstate);

#endif
