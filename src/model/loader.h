/* The model loader's internals, shared by the files that read parts of a model file
 * (load.c: the sections; therapy.c: therapies and arms). Not part of the public API. */
#ifndef EXO_MODEL_LOADER_H
#define EXO_MODEL_LOADER_H

#include <libfyaml.h>
#include <stdbool.h>

#include "model/model.h"

typedef struct loader {
  exo_model *m;
  const char *file;
  exo_error *err;
  const char *text; /* the whole source, for mapping positions inside multi-line scalars */
  size_t len;
  int depth;        /* how many 'extends' deep this file is */
} loader;

enum { ALLOW_NEGATIVE = 1, ALLOW_ZERO_ONLY_POSITIVE = 2 };

exo_status exo__lerr(loader *L, exo_pos p, exo_status st, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
exo_status exo__nomem(loader *L);
exo_pos exo__node_pos(struct fy_node *n, exo_pos fallback);
struct fy_node *exo__get(struct fy_node *map, const char *key);
exo_pos exo__key_pos(struct fy_node *map, const char *key, exo_pos fallback);
exo_status exo__scalar(loader *L, struct fy_node *n, exo_pos at, const char *what, const char **out);
exo_status exo__expect_type(loader *L, struct fy_node *n, exo_pos at, enum fy_node_type t, const char *what);
exo_status exo__check_keys(loader *L, struct fy_node *map, const char *const *allowed, size_t n, const char *where);
exo_status exo__quantity(loader *L, struct fy_node *n, exo_pos at, exo_dim want, int flags, const char *what, double *out,
                         const char **written);
exo_status exo__plain_number(loader *L, struct fy_node *n, exo_pos at, const char *what, double lo, double hi, double *out);
exo_status exo__boolean(loader *L, struct fy_node *n, exo_pos at, const char *what, bool *out);
exo_status exo__state_ref(loader *L, struct fy_node *n, exo_pos at, const char *what, int *out);
exo_status exo__add_param(loader *L, const char *name, double v, exo_dim d, const char *written, const char *owner, exo_pos p,
                          int *index);
exo_status exo__add_event(loader *L, exo_event ev);
exo_status exo__check_new_name(loader *L, const char *name, exo_pos p, const char *what);
/* The line and column of byte off of a scalar's value (text as read), for messages that point
 * inside it; start when the two cannot be matched (escape sequences). */
exo_pos exo__scalar_offset_pos(loader *L, struct fy_node *n, const char *value, int off, exo_pos start);
int exo__resolve_symbol(void *ctx, const char *name, exo_symref *out);
const char *exo__suggest_symbol(void *ctx, const char *name);
int exo__find_comp(const exo_model *m, const char *name);

void exo__sort_events(exo_model *m);

/* therapy.c */
exo_status exo__read_therapies(loader *L, struct fy_node *sec, exo_pos at);
exo_status exo__read_arms(loader *L, struct fy_node *sec, exo_pos at);

/* load_tissue.c: the 'tissue' section into L->m->tissue (replacing any there, as an extending
 * model's does) */
exo_status exo__read_tissue(loader *L, struct fy_node *sec, exo_pos at);

#endif
