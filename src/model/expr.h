/* Rate expressions: "k_kill * CTL * T / (1 + pdl1 / K_pdl1)".
 * An expression is parsed once into a tree (names resolved, dimensions checked), then emitted as
 * three-address code into an exo_program; evaluating the program does no string work at all. */
#ifndef EXO_MODEL_EXPR_H
#define EXO_MODEL_EXPR_H

#include <stdbool.h>
#include <math.h>
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

/* Value operations: NAME and the value they compute from slots A, B, C. */
#define EXO_VALUE_OPS(X)                                                                        \
  X(MOV, A) X(NEG, -A) X(ADD, A + B) X(SUB, A - B) X(MUL, A * B) X(DIV, A / B)                 \
  X(FMA, A * B + C) X(FNMA, C - A * B) X(MUL3, A * B * C) X(POW, pow(A, B)) X(SQR, A * A)      \
  X(CUBE, A * A * A) X(EXP, exp(A)) X(LOG, log(A)) X(LOG10, log10(A)) X(SQRT, sqrt(A))         \
  X(ABS, fabs(A)) X(MIN, (A < B ? A : B)) X(MAX, (A > B ? A : B)) X(HILL, exo_hill(A, B, C))    \
  X(DIVADD, A / (B + C)) X(MULDIV, A * B / C)

/* Each value operation comes in nine variants that say where its value goes: a slot, or an
 * accumulator that the interpreter keeps in a register while it sums the terms of one dy/dt,
 * or straight into out[d]. Summing a state's terms in a register instead of with out[d] += ...
 * avoids a store-to-load round trip per term, which is what bounds a small right-hand side. */
#define EXO_VARIANTS(X, name, value)                                                            \
  X(name, , s[ip->d] = (value))          /* slot d = value */                                   \
  X(name, _AS, acc = (value))            /* acc = value */                                      \
  X(name, _ANS, acc = -(value))          /* acc = -value */                                     \
  X(name, _AA, acc += (value))           /* acc += value */                                     \
  X(name, _ASB, acc -= (value))          /* acc -= value */                                     \
  X(name, _OA, out[ip->d] = acc + (value)) /* out[d] = acc + value */                           \
  X(name, _OSB, out[ip->d] = acc - (value)) /* out[d] = acc - value */                          \
  X(name, _O, out[ip->d] = (value))      /* out[d] = value */                                   \
  X(name, _ON, out[ip->d] = -(value))    /* out[d] = -value */

typedef enum exo_variant {
  EXO_V_SLOT, EXO_V_ACC_SET, EXO_V_ACC_NSET, EXO_V_ACC_ADD, EXO_V_ACC_SUB, EXO_V_OUT_ADD, EXO_V_OUT_SUB,
  EXO_V_OUT_SET, EXO_V_OUT_NSET, EXO_NVARIANTS
} exo_variant;

#define EXO_OP_ENUM1(name, suffix, body) EXO_OP_##name##suffix,
#define EXO_OP_ENUM(name, value) EXO_VARIANTS(EXO_OP_ENUM1, name, value)
typedef enum exo_op {
  EXO_OP_END,
  EXO_VALUE_OPS(EXO_OP_ENUM)
  EXO_OP_COUNT
} exo_op;
#undef EXO_OP_ENUM1
#undef EXO_OP_ENUM
#define EXO_OP_STORE EXO_OP_MOV_O /* out[d] = a */

/* The op that computes the same value as base_op (a slot-variant op) but sends it to v. */
static inline uint32_t exo_op_variant(uint32_t base_op, exo_variant v) { return base_op + (uint32_t)v; }
/* Whether op is a value op writing a slot (variant 0). */
static inline int exo_op_is_slot_variant(uint32_t op) {
  return op != EXO_OP_END && op < EXO_OP_COUNT && (op - 1) % EXO_NVARIANTS == 0;
}

/* hill(x, K, n) = x^n / (K^n + x^n), written 1/(1+(K/x)^n): one pow, no overflow. At x <= 0 it
 * takes its limit as x -> 0+: 0 for n > 0, 1/2 for n = 0, 1 for n < 0. */
#define EXO_HILL_C                                                                              \
  "static inline double exo_hill(double x, double k, double n) {"                               \
  " return x <= 0 ? (n > 0 ? 0.0 : n == 0 ? 0.5 : 1.0) : 1.0 / (1.0 + pow(k / x, n)); }"
static inline double exo_hill(double x, double k, double n) {
  return x <= 0 ? (n > 0 ? 0.0 : n == 0 ? 0.5 : 1.0) : 1.0 / (1.0 + pow(k / x, n));
}

typedef struct exo_instr {
  const void *target; /* the interpreter's code for op (direct threading), set when END is emitted */
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

/* Runs the program over slots (time, states and parameters filled in), writing into out. */
void exo_program_run(const exo_program *p, double *restrict slots, double *restrict out);

#endif
