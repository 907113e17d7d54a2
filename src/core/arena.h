/* A bump allocator: a model and everything it owns lives in one arena and is freed at once, so
 * no object in a model needs its own free and nothing leaks on an error path. */
#ifndef EXO_CORE_ARENA_H
#define EXO_CORE_ARENA_H

#include <stddef.h>

typedef struct exo_arena_block exo_arena_block;
typedef struct exo_arena {
  exo_arena_block *head;
} exo_arena;

void exo_arena_init(exo_arena *a);
void exo_arena_free(exo_arena *a);
/* Zeroed memory aligned for any type, or NULL when out of memory. */
void *exo_arena_alloc(exo_arena *a, size_t size);
char *exo_arena_strdup(exo_arena *a, const char *s);
char *exo_arena_strndup(exo_arena *a, const char *s, size_t n);
/* Grows an array held in the arena to new_count elements (the old block is abandoned, not
 * freed). Only for arrays that were allocated by this function: it relies on their capacity
 * being the next power of two. */
void *exo_arena_grow(exo_arena *a, void *old, size_t old_count, size_t new_count, size_t elem);

#endif
