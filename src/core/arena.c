#include "core/arena.h"
#include "core/fault.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct exo_arena_block {
  exo_arena_block *next;
  size_t used, cap;
  alignas(max_align_t) unsigned char data[];
};

void exo_arena_init(exo_arena *a) { a->head = NULL; }

void exo_arena_free(exo_arena *a) {
  exo_arena_block *b = a->head;
  while (b) {
    exo_arena_block *n = b->next;
    free(b);
    b = n;
  }
  a->head = NULL;
}

void *exo_arena_alloc(exo_arena *a, size_t size) {
  const size_t align = alignof(max_align_t);
  size = (size + align - 1) & ~(align - 1);
  if (size == 0) size = align;
  exo_arena_block *b = a->head;
  if (!b || b->cap - b->used < size) {
    size_t cap = size > 16384 ? size : 16384;
    b = exo_malloc(sizeof *b + cap);
    if (!b) return NULL;
    b->next = a->head;
    b->used = 0;
    b->cap = cap;
    a->head = b;
  }
  void *p = b->data + b->used;
  b->used += size;
  memset(p, 0, size);
  return p;
}

char *exo_arena_strndup(exo_arena *a, const char *s, size_t n) {
  char *p = exo_arena_alloc(a, n + 1);
  if (!p) return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *exo_arena_strdup(exo_arena *a, const char *s) { return exo_arena_strndup(a, s, strlen(s)); }

/* Arrays grown here have room for capacity(count) elements, the next power of two, so growing
 * one element at a time copies O(n) elements in all instead of O(n^2). */
static size_t capacity(size_t count) {
  size_t c = 4;
  while (c < count) c *= 2;
  return c;
}

void *exo_arena_grow(exo_arena *a, void *old, size_t old_count, size_t new_count, size_t elem) {
  if (old && new_count <= capacity(old_count)) return old;
  if (new_count > SIZE_MAX / 2 / elem) return NULL;
  void *p = exo_arena_alloc(a, capacity(new_count) * elem);
  if (p && old && old_count) memcpy(p, old, old_count * elem);
  return p;
}
