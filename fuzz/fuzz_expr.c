/* libFuzzer target: rate expressions. The input, as a NUL-terminated string (copied into a buffer
 * of exactly size + 1 bytes), is parsed by exo_expr_parse against a small fixed set of names:
 *   t        time                     (time)
 *   T, E     states                   (count)
 *   k        parameter                (1/time)
 *   K_half   parameter                (count)
 * An expression that parses is evaluated with the tree walk (exo_expr_eval_tree), its symbols
 * visited, and it is compiled into an exo_program (exo_program_emit_expr: fused operations and
 * shared subexpressions) which is then run once, so parser, dimension checks, code generation and
 * the interpreter are all exercised. Nothing is compared: NaN and infinities are valid results.
 *
 * Seeds: fuzz/seeds/expr.txt; dictionary: fuzz/dict/expr.dict. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/strutil.h"
#include "model/expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { NSTATE = 2, NPARAM = 2 };
static const char *const names[] = {"t", "T", "E", "k", "K_half"};

static int resolve(void *ctx, const char *name, exo_symref *out) {
  (void)ctx;
  exo_dim count = exo_dim_base(EXO_DIM_COUNT, 1);
  if (!strcmp(name, "t")) *out = (exo_symref){EXO_SYM_TIME, 0, exo_dim_base(EXO_DIM_TIME, 1)};
  else if (!strcmp(name, "T")) *out = (exo_symref){EXO_SYM_STATE, 0, count};
  else if (!strcmp(name, "E")) *out = (exo_symref){EXO_SYM_STATE, 1, count};
  else if (!strcmp(name, "k")) *out = (exo_symref){EXO_SYM_PARAM, 0, exo_dim_base(EXO_DIM_TIME, -1)};
  else if (!strcmp(name, "K_half")) *out = (exo_symref){EXO_SYM_PARAM, 1, count};
  else return 0;
  return 1;
}

static const char *suggest(void *ctx, const char *name) {
  (void)ctx;
  return exo_nearest(name, names, sizeof names / sizeof names[0]);
}

/* time, T, E, k, K_half: the slot layout of an exo_program with 2 states and 2 parameters */
static const double values[1 + NSTATE + NPARAM] = {10.0, 1e8, 1e6, 1e-3, 1e7};

static double value_of(void *ctx, const exo_symref *s) {
  (void)ctx;
  switch (s->kind) {
  case EXO_SYM_TIME: return values[0];
  case EXO_SYM_STATE: return values[1 + s->index];
  case EXO_SYM_PARAM: return values[1 + NSTATE + s->index];
  default: return 0;
  }
}

static void count_symbol(void *ctx, const exo_symref *s) {
  (void)s;
  (*(int *)ctx)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  exo_arena arena;
  exo_arena_init(&arena);
  exo_expr *e = NULL;
  int pos = 0, nsym = 0;
  exo_error err = {0};
  if (exo_expr_parse(&arena, text, resolve, suggest, NULL, &e, &pos, &err) == EXO_OK) {
    volatile double tree = exo_expr_eval_tree(e, value_of, NULL);
    (void)tree;
    exo_expr_visit_symbols(e, count_symbol, &nsym);
    exo_program p;
    if (exo_program_init(&p, NSTATE, NPARAM, 0) == EXO_OK) {
      uint32_t slot;
      if (exo_program_emit_expr(&p, e, &slot) == EXO_OK && exo_program_emit(&p, EXO_OP_STORE, 0, slot, 0, 0) == EXO_OK &&
          exo_program_emit(&p, EXO_OP_END, 0, 0, 0, 0) == EXO_OK) {
        double *slots = malloc(p.nslots * sizeof *slots);
        if (slots) {
          memcpy(slots, p.slots, p.nslots * sizeof *slots);
          memcpy(slots, values, sizeof values);
          volatile double out = 0;
          double o = 0;
          exo_program_run(&p, slots, &o);
          out = o;
          (void)out;
          free(slots);
        }
      }
      exo_program_free(&p);
    }
  }
  exo_arena_free(&arena);
  free(text);
  return 0;
}
