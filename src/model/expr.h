/* Rate expressions: "k_kill * CTL * T / (1 + pdl1 / K_pdl1)".
 * An expression is parsed once into a tree (names resolved, dimensions checked), then emitted as
 * three-address code into an exo_program; evaluating the program does no string work at all. */
#ifndef EXO_MODEL_EXPR_H
#define EXO_MODEL_EXPR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "exosim/status.h"
#include "exosim/units.h"

typedef enum exo_sym_kind { EXO_SYM_TIME, EXO_SYM_STATE, EXO_SYM_PARAM, EXO_SYM_OUTPUT } exo_sym_kind;

typedef struct exo_symref {
  exo_sym_kind kind;
  int index;  /* state, parameter or output index */
  exo_dim dim;
} exo_symref;

/* Looks a name up; returns 1 and fills *out when found, 0 otherwise. */
typedef int (*exo_resolve_fn)(void *ctx, const char *name, exo_symref *out);
/* Suggests the nearest known name for an unknown one (may return NULL). */
typedef const char *(*exo_suggest_fn)(void *ctx, const char *name);

typedef enum exo_func {
  EXO_FN_EXP, EXO_FN_LOG, EXO_FN_LOG10, EXO_FN_SQRT, EXO_FN_ABS, EXO_FN_POW, EXO_FN_MIN,
  EXO_FN_MAX, EXO_FN_HILL
} exo_func;

typedef enum exo_node_kind {
  EXO_EN_NUM, EXO_EN_SYM, EXO_EN_NEG, EXO_EN_ADD, EXO_EN_SUB, EXO_EN_MUL, EXO_EN_DIV, EXO_EN_POW,
  EXO_EN_CALL
} exo_node_kind;

typedef struct exo_expr {
  exo_node_kind kind;
  exo_func func;
  double num;
  exo_symref sym;
  struct exo_expr *arg[3];
  int nargs;
  exo_dim dim;
  bool dim_free; /* the literal 0, which has every dimension */
  int pos;       /* byte offset in the source text, for messages */
} exo_expr;

/* Parses text. On error, err holds a message and *err_pos the byte offset it refers to. */
exo_status exo_expr_parse(exo_arena *arena, const char *text, exo_resolve_fn resolve,
                          exo_suggest_fn suggest, void *ctx, exo_expr **out, int *err_pos,
                          exo_error *err);

/* Calls fn for every symbol the expression reads. */
void exo_expr_visit_symbols(const exo_expr *e, void (*fn)(void *ctx, const exo_symref *s), void *ctx);

/* Reference evaluator (a tree walk), for tests and constant folding. values_of gives a symbol's
 * current value. */
typedef double (*exo_symval_fn)(void *ctx, const exo_symref *s);
double exo_expr_eval_tree(const exo_expr *e, exo_symval_fn values_of, void *ctx);

/* --- compiled programs -------------------------------------------------------------------- */

typedef enum exo_op {
  EXO_OP_END, EXO_OP_MOV, EXO_OP_NEG, EXO_OP_ADD, EXO_OP_SUB, EXO_OP_MUL, EXO_OP_DIV,
  EXO_OP_FMA,  /* d = a*b + c */
  EXO_OP_FNMA, /* d = c - a*b */
  EXO_OP_MUL3, /* d = a*b*c */
  EXO_OP_POW, EXO_OP_SQR, EXO_OP_CUBE, EXO_OP_EXP, EXO_OP_LOG, EXO_OP_LOG10, EXO_OP_SQRT,
  EXO_OP_ABS, EXO_OP_MIN, EXO_OP_MAX,
  EXO_OP_HILL, /* d = a^c / (b^c + a^c), with a<=0 giving 0 */
  EXO_OP_ACC,  /* out[d] += a */
  EXO_OP_DEC,  /* out[d] -= a */
  EXO_OP_ACCK, /* out[d] += a * b   (b a constant slot: a stoichiometric coefficient) */
  EXO_OP_STORE /* out[d] = a */
} exo_op;

typedef struct exo_instr {
  uint32_t op, d, a, b, c;
} exo_instr;

/* Slot layout: [0] time, [1, 1+nstate) states, then parameters, then constants and temporaries. */
typedef struct exo_program {
  exo_instr *code;
  uint32_t ncode, capcode;
  double *slots;  /* initial slot values: constants filled in, states and params set per call */
  uint32_t nslots, capslots;
  uint32_t nstate, nparam;
  int32_t *output_slot; /* slot holding each named output once computed, or -1 */
  uint32_t noutput;
} exo_program;

#define EXO_SLOT_TIME 0u
#define EXO_SLOT_STATE0 1u

exo_status exo_program_init(exo_program *p, uint32_t nstate, uint32_t nparam, uint32_t noutput);
void exo_program_free(exo_program *p);
exo_status exo_program_emit(exo_program *p, exo_op op, uint32_t d, uint32_t a, uint32_t b, uint32_t c);
exo_status exo_program_new_slot(exo_program *p, double init, uint32_t *slot);
/* Emits code computing e; *slot receives the slot that holds its value. */
exo_status exo_program_emit_expr(exo_program *p, const exo_expr *e, uint32_t *slot);

/* Runs the program over slots (a private copy of p->slots with time/states/params filled in),
 * writing into out (ACC/DEC/STORE targets). */
void exo_program_run(const exo_program *p, double *restrict slots, double *restrict out);

#endif
