/* Expression parser (precedence climbing), dimension checker, tree evaluator and code emitter.
 * Grammar:
 *   expr   := term { ('+'|'-') term }
 *   term   := unary { ('*'|'/') unary }
 *   unary  := '-' unary | '+' unary | power
 *   power  := atom [ '^' unary ]            (right-associative, binds tighter than unary minus
 *                                            on its left: -x^2 = -(x^2))
 *   atom   := NUMBER | NAME | NAME '(' args ')' | '(' expr ')'
 * NAME may contain dots ("tumour.CD8") so states in several compartments can be named. */
#include "model/expr.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fault.h"
#include "core/strutil.h"

#define MAX_DEPTH 200
#define MAX_NAME 128
/* Every pass over a tree (dimension check, emission, evaluation) recurses along it, and a long
 * flat sum is as deep as it is long: cap the size so no pass can run out of stack. */
#define MAX_NODES 2000

typedef struct eparser {
  exo_arena *arena;
  const char *s, *p;
  exo_resolve_fn resolve;
  exo_suggest_fn suggest;
  void *ctx;
  exo_error *err;
  int err_pos;
  int depth;
  int nodes;
} eparser;

static exo_status fail(eparser *ep, const char *at, exo_status st, const char *fmt, const char *a1,
                       const char *a2) {
  ep->err_pos = (int)(at - ep->s);
  char tmp[EXO_ERROR_MSG_MAX];
  snprintf(tmp, sizeof tmp, fmt, a1 ? a1 : "", a2 ? a2 : "");
  return exo_error_set(ep->err, st, "%s", tmp);
}

static void skip_ws(eparser *ep) {
  while (*ep->p && isspace((unsigned char)*ep->p)) ep->p++;
}

static exo_expr *node(eparser *ep, exo_node_kind k, const char *at) {
  if (++ep->nodes > MAX_NODES) return NULL;
  exo_expr *e = exo_arena_alloc(ep->arena, sizeof *e);
  if (e) {
    e->kind = k;
    e->pos = (int)(at - ep->s);
  }
  return e;
}

static void dim_text(exo_dim d, char *buf, size_t n) { exo_dim_format(d, buf, n); }

static exo_status node_failed(eparser *ep, const char *at) {
  if (ep->nodes > MAX_NODES)
    return fail(ep, at, EXO_ERR_SYNTAX, "expression is too long (more than 2000 numbers, names and operations): split it with outputs%s%s", NULL, NULL);
  return exo_error_set(ep->err, EXO_ERR_NOMEM, "out of memory");
}

/* Checks that a and b may be added/compared; the literal 0 fits anything. */
static exo_status same_dims(eparser *ep, const exo_expr *a, const exo_expr *b, const char *what,
                            const char *at, exo_dim *out, bool *free_out) {
  if (a->dim_free) {
    *out = b->dim;
    *free_out = b->dim_free;
    return EXO_OK;
  }
  if (b->dim_free || exo_dim_eq(a->dim, b->dim)) {
    *out = a->dim;
    *free_out = false;
    return EXO_OK;
  }
  char da[64], db[64], msg[200];
  dim_text(a->dim, da, sizeof da);
  dim_text(b->dim, db, sizeof db);
  snprintf(msg, sizeof msg, "%s: left side is %s but right side is %s", what, da, db);
  return fail(ep, at, EXO_ERR_UNIT, "dimension mismatch in %s%s", msg, NULL);
}

static exo_status require_dimensionless(eparser *ep, const exo_expr *a, const char *what) {
  if (a->dim_free || exo_dim_is_none(a->dim)) return EXO_OK;
  char da[64];
  dim_text(a->dim, da, sizeof da);
  return fail(ep, ep->s + a->pos, EXO_ERR_UNIT, "%s needs a dimensionless argument, got %s", what, da);
}

static exo_status parse_expr(eparser *ep, exo_expr **out);

static const struct {
  const char *name;
  exo_func f;
  int nargs;
} funcs[] = {{"exp", EXO_FN_EXP, 1},   {"log", EXO_FN_LOG, 1},   {"ln", EXO_FN_LOG, 1},
             {"log10", EXO_FN_LOG10, 1}, {"sqrt", EXO_FN_SQRT, 1}, {"abs", EXO_FN_ABS, 1},
             {"pow", EXO_FN_POW, 2},   {"min", EXO_FN_MIN, 2},   {"max", EXO_FN_MAX, 2},
             {"hill", EXO_FN_HILL, 3}};

/* Dimension of base^expo where expo is a literal; fails if it is not an integer while base has a
 * dimension. */
static exo_status pow_dims(eparser *ep, exo_expr *e, const exo_expr *base, const exo_expr *expo) {
  if (!(expo->dim_free || exo_dim_is_none(expo->dim)))
    return require_dimensionless(ep, expo, "an exponent");
  if (base->dim_free || exo_dim_is_none(base->dim)) {
    e->dim = exo_dim_none();
    /* 0^n is 0 (any dimension) only for a positive literal n: 0^0 is 1 and 0^-1 is infinite */
    e->dim_free = base->dim_free && expo->kind == EXO_EN_NUM && expo->num > 0;
    return EXO_OK;
  }
  if (expo->kind != EXO_EN_NUM || expo->num != floor(expo->num) || fabs(expo->num) > 12) {
    char db[64];
    dim_text(base->dim, db, sizeof db);
    return fail(ep, ep->s + expo->pos, EXO_ERR_UNIT,
                "a quantity with dimension %s can only be raised to a literal integer power between -12 and 12%s", db, NULL);
  }
  e->dim = exo_dim_pow(base->dim, (int)expo->num);
  if (!exo_dim_valid(e->dim))
    return fail(ep, ep->s + expo->pos, EXO_ERR_UNIT, "a dimension exponent goes beyond +-24 here%s%s", NULL, NULL);
  return EXO_OK;
}

static exo_status parse_call(eparser *ep, const char *name, const char *at, exo_expr **out) {
  int fi = -1;
  for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++)
    if (!strcmp(funcs[i].name, name)) fi = (int)i;
  if (fi < 0) {
    const char *names[sizeof funcs / sizeof funcs[0]];
    for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++) names[i] = funcs[i].name;
    const char *sug = exo_nearest(name, names, sizeof funcs / sizeof funcs[0]);
    if (sug) return fail(ep, at, EXO_ERR_MODEL, "unknown function '%s' (did you mean '%s'?)", name, sug);
    return fail(ep, at, EXO_ERR_MODEL,
                "unknown function '%s' (known: exp, log, ln, log10, sqrt, abs, pow, min, max, hill)%s", name, NULL);
  }
  exo_expr *e = node(ep, EXO_EN_CALL, at);
  if (!e) return node_failed(ep, at);
  e->func = funcs[fi].f;
  ep->p++; /* '(' */
  skip_ws(ep);
  if (*ep->p != ')') {
    for (;;) {
      if (e->nargs == 3) return fail(ep, ep->p, EXO_ERR_SYNTAX, "too many arguments to %s()%s", name, NULL);
      exo_status st = parse_expr(ep, &e->arg[e->nargs++]);
      if (st) return st;
      skip_ws(ep);
      if (*ep->p == ',') {
        ep->p++;
        continue;
      }
      break;
    }
  }
  if (*ep->p != ')') return fail(ep, ep->p, EXO_ERR_SYNTAX, "expected ',' or ')' in call to %s()%s", name, NULL);
  ep->p++;
  if (e->nargs != funcs[fi].nargs) {
    char want[32];
    snprintf(want, sizeof want, "%d", funcs[fi].nargs);
    return fail(ep, at, EXO_ERR_SYNTAX, "%s() takes %s argument(s)", name, want);
  }
  exo_status st = EXO_OK;
  bool fr;
  switch (e->func) {
  case EXO_FN_EXP: case EXO_FN_LOG: case EXO_FN_LOG10:
    st = require_dimensionless(ep, e->arg[0], name);
    e->dim = exo_dim_none();
    break;
  case EXO_FN_SQRT: {
    exo_dim d = e->arg[0]->dim;
    for (int i = 0; i < EXO_NDIM; i++)
      if (d.e[i] % 2) return require_dimensionless(ep, e->arg[0], "sqrt() of an odd power");
    for (int i = 0; i < EXO_NDIM; i++) d.e[i] = (int8_t)(d.e[i] / 2);
    e->dim = d;
    e->dim_free = e->arg[0]->dim_free;
    break;
  }
  case EXO_FN_ABS:
    e->dim = e->arg[0]->dim;
    e->dim_free = e->arg[0]->dim_free;
    break;
  case EXO_FN_POW:
    st = pow_dims(ep, e, e->arg[0], e->arg[1]);
    break;
  case EXO_FN_MIN: case EXO_FN_MAX:
    st = same_dims(ep, e->arg[0], e->arg[1], name, at, &e->dim, &e->dim_free);
    break;
  case EXO_FN_HILL: {
    exo_dim d;
    st = same_dims(ep, e->arg[0], e->arg[1], "hill(x, K, n): x and K", at, &d, &fr);
    if (!st) st = require_dimensionless(ep, e->arg[2], "hill()'s exponent n");
    e->dim = exo_dim_none();
    break;
  }
  }
  *out = e;
  return st;
}

static exo_status parse_atom(eparser *ep, exo_expr **out) {
  skip_ws(ep);
  const char *at = ep->p;
  if (*ep->p == '(') {
    ep->p++;
    exo_status st = parse_expr(ep, out);
    if (st) return st;
    skip_ws(ep);
    if (*ep->p != ')') return fail(ep, ep->p, EXO_ERR_SYNTAX, "expected ')'%s%s", NULL, NULL);
    ep->p++;
    return EXO_OK;
  }
  if (isdigit((unsigned char)*ep->p) || (*ep->p == '.' && isdigit((unsigned char)ep->p[1]))) {
    if (ep->p[0] == '0' && (ep->p[1] == 'x' || ep->p[1] == 'X'))
      return fail(ep, at, EXO_ERR_SYNTAX, "hexadecimal numbers are not accepted%s%s", NULL, NULL);
    char *end;
    double v = strtod(ep->p, &end);
    if (!isfinite(v)) return fail(ep, at, EXO_ERR_MODEL, "number is not finite%s%s", NULL, NULL);
    if (isalpha((unsigned char)*end) || *end == '_')
      return fail(ep, end, EXO_ERR_SYNTAX,
                  "a unit or name directly after a number ('%.8s') is not allowed in an expression; "
                  "declare a parameter with that unit instead%s", end, NULL);
    /* "1e4 cells/day + ...": a unit after a number is a quantity, which an expression cannot hold */
    const char *q = end;
    while (*q == ' ' || *q == '\t') q++;
    if (isalpha((unsigned char)*q) || (*q == '/' && isalpha((unsigned char)q[1]))) {
      const char *w = q + (*q == '/');
      size_t wl = 0;
      while (isalnum((unsigned char)w[wl]) || w[wl] == '_' || w[wl] == '-') wl++;
      char word[64];
      snprintf(word, sizeof word, "%.*s", (int)(wl < 63 ? wl : 63), w);
      exo_symref tmp;
      if (exo_unit_is_known(word) && !ep->resolve(ep->ctx, word, &tmp))
        return fail(ep, w, EXO_ERR_SYNTAX,
                    "units are not allowed in an expression ('%s' after a number): declare a parameter "
                    "with that unit (e.g. 'k: 0.1 /day') and use its name%s", word, NULL);
    }
    ep->p = end;
    exo_expr *e = node(ep, EXO_EN_NUM, at);
    if (!e) return node_failed(ep, at);
    e->num = v;
    e->dim = exo_dim_none();
    e->dim_free = v == 0.0;
    *out = e;
    return EXO_OK;
  }
  if (isalpha((unsigned char)*ep->p) || *ep->p == '_') {
    char name[MAX_NAME];
    size_t n = 0;
    while (isalnum((unsigned char)*ep->p) || *ep->p == '_' || *ep->p == '.') {
      if (n + 1 >= sizeof name) return fail(ep, at, EXO_ERR_SYNTAX, "name too long%s%s", NULL, NULL);
      name[n++] = *ep->p++;
    }
    name[n] = '\0';
    const char *after = ep->p;
    skip_ws(ep);
    if (*ep->p == '(') return parse_call(ep, name, at, out);
    ep->p = after;
    exo_expr *e = node(ep, EXO_EN_SYM, at);
    if (!e) return node_failed(ep, at);
    if (!ep->resolve(ep->ctx, name, &e->sym)) {
      if (exo_unit_is_known(name))
        return fail(ep, at, EXO_ERR_SYNTAX,
                    "'%s' is a unit, and units are not allowed in an expression: declare a parameter with "
                    "that unit (e.g. 'k: 0.1 /day') and use its name%s", name, NULL);
      const char *sug = ep->suggest ? ep->suggest(ep->ctx, name) : NULL;
      if (sug) return fail(ep, at, EXO_ERR_MODEL, "undefined name '%s' (did you mean '%s'?)", name, sug);
      return fail(ep, at, EXO_ERR_MODEL, "undefined name '%s'%s", name, NULL);
    }
    e->dim = e->sym.dim;
    *out = e;
    return EXO_OK;
  }
  if (*ep->p == '\0') return fail(ep, at, EXO_ERR_SYNTAX, "expression ends where a value was expected%s%s", NULL, NULL);
  /* the whole character, not its first byte: the text is valid UTF-8 (checked on load) */
  unsigned char b = (unsigned char)*ep->p;
  size_t n = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
  char c[5] = {0};
  for (size_t i = 0; i < n && ep->p[i]; i++) c[i] = ep->p[i];
  return fail(ep, at, EXO_ERR_SYNTAX, "unexpected '%s' in expression%s", c, NULL);
}

static exo_status parse_unary(eparser *ep, exo_expr **out);

static exo_status parse_power(eparser *ep, exo_expr **out) {
  exo_status st = parse_atom(ep, out);
  if (st) return st;
  skip_ws(ep);
  if (*ep->p == '^' || (ep->p[0] == '*' && ep->p[1] == '*')) {
    const char *at = ep->p;
    ep->p += *ep->p == '^' ? 1 : 2;
    exo_expr *rhs;
    if ((st = parse_unary(ep, &rhs))) return st;
    exo_expr *e = node(ep, EXO_EN_POW, at);
    if (!e) return node_failed(ep, at);
    e->arg[0] = *out;
    e->arg[1] = rhs;
    e->nargs = 2;
    if ((st = pow_dims(ep, e, *out, rhs))) return st;
    *out = e;
  }
  return EXO_OK;
}

static exo_status parse_unary(eparser *ep, exo_expr **out) {
  if (++ep->depth > MAX_DEPTH) return fail(ep, ep->p, EXO_ERR_SYNTAX, "expression nested too deeply%s%s", NULL, NULL);
  skip_ws(ep);
  exo_status st;
  if (*ep->p == '-' || *ep->p == '+') {
    const char *at = ep->p;
    int neg = *ep->p == '-';
    ep->p++;
    exo_expr *a;
    if ((st = parse_unary(ep, &a))) return st;
    if (neg && a->kind == EXO_EN_NUM) {
      a->num = -a->num; /* a negative literal stays a literal (x^-1 is an integer power) */
      a->pos = (int)(at - ep->s);
    } else if (neg) {
      exo_expr *e = node(ep, EXO_EN_NEG, at);
      if (!e) return node_failed(ep, at);
      e->arg[0] = a;
      e->nargs = 1;
      e->dim = a->dim;
      e->dim_free = a->dim_free;
      a = e;
    }
    *out = a;
  } else {
    st = parse_power(ep, out);
    if (st) return st;
  }
  ep->depth--;
  return EXO_OK;
}

static exo_status parse_term(eparser *ep, exo_expr **out) {
  exo_status st = parse_unary(ep, out);
  if (st) return st;
  for (;;) {
    skip_ws(ep);
    char c = *ep->p;
    if (!((c == '*' && ep->p[1] != '*') || c == '/')) return EXO_OK;
    const char *at = ep->p++;
    exo_expr *rhs;
    if ((st = parse_unary(ep, &rhs))) return st;
    exo_expr *e = node(ep, c == '*' ? EXO_EN_MUL : EXO_EN_DIV, at);
    if (!e) return node_failed(ep, at);
    e->arg[0] = *out;
    e->arg[1] = rhs;
    e->nargs = 2;
    e->dim = c == '*' ? exo_dim_mul((*out)->dim, rhs->dim) : exo_dim_div((*out)->dim, rhs->dim);
    e->dim_free = false; /* only a bare 0 fits every dimension: 0*r has r's dimension */
    if (!exo_dim_valid(e->dim))
      return fail(ep, at, EXO_ERR_UNIT, "a dimension exponent goes beyond +-24 here%s%s", NULL, NULL);
    *out = e;
  }
}

static exo_status parse_expr(eparser *ep, exo_expr **out) {
  if (++ep->depth > MAX_DEPTH) return fail(ep, ep->p, EXO_ERR_SYNTAX, "expression nested too deeply%s%s", NULL, NULL);
  exo_status st = parse_term(ep, out);
  if (st) return st;
  for (;;) {
    skip_ws(ep);
    char c = *ep->p;
    if (c != '+' && c != '-') break;
    const char *at = ep->p++;
    exo_expr *rhs;
    if ((st = parse_term(ep, &rhs))) return st;
    exo_expr *e = node(ep, c == '+' ? EXO_EN_ADD : EXO_EN_SUB, at);
    if (!e) return node_failed(ep, at);
    e->arg[0] = *out;
    e->arg[1] = rhs;
    e->nargs = 2;
    if ((st = same_dims(ep, *out, rhs, c == '+' ? "'+'" : "'-'", at, &e->dim, &e->dim_free))) return st;
    *out = e;
  }
  ep->depth--;
  return EXO_OK;
}

exo_status exo_expr_parse(exo_arena *arena, const char *text, exo_resolve_fn resolve,
                          exo_suggest_fn suggest, void *ctx, exo_expr **out, int *err_pos,
                          exo_error *err) {
  eparser ep = {arena, text, text, resolve, suggest, ctx, err, 0, 0, 0};
  *err_pos = 0;
  exo_status st = parse_expr(&ep, out);
  if (!st) {
    skip_ws(&ep);
    if (*ep.p) {
      char c[2] = {*ep.p, 0};
      st = fail(&ep, ep.p, EXO_ERR_SYNTAX, "unexpected '%s' after the end of the expression%s", c, NULL);
    }
  }
  if (st) *err_pos = ep.err_pos;
  return st;
}

void exo_expr_visit_symbols(const exo_expr *e, void (*fn)(void *ctx, const exo_symref *s), void *ctx) {
  if (e->kind == EXO_EN_SYM) fn(ctx, &e->sym);
  for (int i = 0; i < e->nargs; i++) exo_expr_visit_symbols(e->arg[i], fn, ctx);
}

/* --- evaluation ------------------------------------------------------------------------------ */

double exo_expr_eval_tree(const exo_expr *e, exo_symval_fn values_of, void *ctx) {
  double a = e->nargs > 0 ? exo_expr_eval_tree(e->arg[0], values_of, ctx) : 0;
  double b = e->nargs > 1 ? exo_expr_eval_tree(e->arg[1], values_of, ctx) : 0;
  switch (e->kind) {
  case EXO_EN_NUM: return e->num;
  case EXO_EN_SYM: return values_of(ctx, &e->sym);
  case EXO_EN_NEG: return -a;
  case EXO_EN_ADD: return a + b;
  case EXO_EN_SUB: return a - b;
  case EXO_EN_MUL: return a * b;
  case EXO_EN_DIV: return a / b;
  case EXO_EN_POW: return pow(a, b);
  case EXO_EN_CALL:
    switch (e->func) {
    case EXO_FN_EXP: return exp(a);
    case EXO_FN_LOG: return log(a);
    case EXO_FN_LOG10: return log10(a);
    case EXO_FN_SQRT: return sqrt(a);
    case EXO_FN_ABS: return fabs(a);
    case EXO_FN_POW: return pow(a, b);
    case EXO_FN_MIN: return a < b ? a : b;
    case EXO_FN_MAX: return a > b ? a : b;
    case EXO_FN_HILL: return exo_hill(a, b, exo_expr_eval_tree(e->arg[2], values_of, ctx));
    }
  }
  return NAN;
}

/* --- programs ------------------------------------------------------------------------------- */

static void exo_program_thread(exo_program *p);

exo_status exo_program_init(exo_program *p, uint32_t nstate, uint32_t nparam, uint32_t noutput) {
  memset(p, 0, sizeof *p);
  p->nstate = nstate;
  p->nparam = nparam;
  p->noutput = noutput;
  p->capslots = 1 + nstate + nparam + 16;
  p->slots = exo_calloc(p->capslots, sizeof *p->slots);
  p->output_slot = exo_malloc((noutput ? noutput : 1) * sizeof *p->output_slot);
  p->capcode = 64;
  p->code = exo_malloc(p->capcode * sizeof *p->code);
  if (!p->slots || !p->output_slot || !p->code) {
    exo_program_free(p);
    return EXO_ERR_NOMEM;
  }
  for (uint32_t i = 0; i < noutput; i++) p->output_slot[i] = -1;
  p->nslots = 1 + nstate + nparam;
  return EXO_OK;
}

void exo_program_free(exo_program *p) {
  free(p->code);
  free(p->slots);
  free(p->output_slot);
  memset(p, 0, sizeof *p);
}

exo_status exo_program_emit(exo_program *p, exo_op op, uint32_t d, uint32_t a, uint32_t b, uint32_t c) {
  if (p->ncode == p->capcode) {
    exo_instr *n = exo_realloc(p->code, 2 * p->capcode * sizeof *n);
    if (!n) return EXO_ERR_NOMEM;
    p->code = n;
    p->capcode *= 2;
  }
  p->code[p->ncode++] = (exo_instr){NULL, op, d, a, b, c};
  if (op == EXO_OP_END) exo_program_thread(p);
  return EXO_OK;
}

exo_status exo_program_new_slot(exo_program *p, double init, uint32_t *slot) {
  if (p->nslots == p->capslots) {
    double *n = exo_realloc(p->slots, 2 * p->capslots * sizeof *n);
    if (!n) return EXO_ERR_NOMEM;
    p->slots = n;
    p->capslots *= 2;
  }
  p->slots[p->nslots] = init;
  *slot = p->nslots++;
  return EXO_OK;
}

static exo_status const_slot(exo_program *p, double v, uint32_t *slot) {
  /* share constants: small programs, linear search is fine */
  for (uint32_t i = 1 + p->nstate + p->nparam; i < p->nslots; i++)
    if (p->slots[i] == v && !signbit(p->slots[i]) == !signbit(v)) {
      /* only reuse slots that hold constants: temporaries start as NaN */
      *slot = i;
      return EXO_OK;
    }
  return exo_program_new_slot(p, v, slot);
}

static uint32_t sym_slot(const exo_program *p, const exo_symref *s) {
  switch (s->kind) {
  case EXO_SYM_TIME: return EXO_SLOT_TIME;
  case EXO_SYM_STATE: return EXO_SLOT_STATE0 + (uint32_t)s->index;
  case EXO_SYM_PARAM: return EXO_SLOT_STATE0 + p->nstate + (uint32_t)s->index;
  case EXO_SYM_OUTPUT: return (uint32_t)p->output_slot[s->index];
  }
  return 0;
}

static bool is_literal(const exo_expr *e, double v) { return e->kind == EXO_EN_NUM && e->num == v; }

exo_status exo_program_emit_expr(exo_program *p, const exo_expr *e, uint32_t *slot) {
  exo_status st;
  uint32_t a = 0, b = 0, c = 0, d;
  switch (e->kind) {
  case EXO_EN_NUM: return const_slot(p, e->num, slot);
  case EXO_EN_SYM:
    if (e->sym.kind == EXO_SYM_OUTPUT && p->output_slot[e->sym.index] < 0) return EXO_ERR_MODEL;
    *slot = sym_slot(p, &e->sym);
    return EXO_OK;
  default: break;
  }
  /* Fused forms: a*b + c, c - a*b, a*b*c, x^2, x^3 */
  const exo_expr *l = e->arg[0], *r = e->nargs > 1 ? e->arg[1] : NULL;
  exo_op op = EXO_OP_END;
  if (e->kind == EXO_EN_ADD && (l->kind == EXO_EN_MUL || r->kind == EXO_EN_MUL)) {
    const exo_expr *m = l->kind == EXO_EN_MUL ? l : r, *o = m == l ? r : l;
    if ((st = exo_program_emit_expr(p, m->arg[0], &a)) || (st = exo_program_emit_expr(p, m->arg[1], &b)) ||
        (st = exo_program_emit_expr(p, o, &c)))
      return st;
    op = EXO_OP_FMA;
  } else if (e->kind == EXO_EN_SUB && r->kind == EXO_EN_MUL) {
    if ((st = exo_program_emit_expr(p, r->arg[0], &a)) || (st = exo_program_emit_expr(p, r->arg[1], &b)) ||
        (st = exo_program_emit_expr(p, l, &c)))
      return st;
    op = EXO_OP_FNMA;
  } else if (e->kind == EXO_EN_MUL && l->kind == EXO_EN_MUL) {
    if ((st = exo_program_emit_expr(p, l->arg[0], &a)) || (st = exo_program_emit_expr(p, l->arg[1], &b)) ||
        (st = exo_program_emit_expr(p, r, &c)))
      return st;
    op = EXO_OP_MUL3;
  } else if (e->kind == EXO_EN_DIV && r->kind == EXO_EN_ADD) {
    /* a / (b + c): saturating terms such as p*E*T/(g + T) */
    if ((st = exo_program_emit_expr(p, l, &a)) || (st = exo_program_emit_expr(p, r->arg[0], &b)) ||
        (st = exo_program_emit_expr(p, r->arg[1], &c)))
      return st;
    op = EXO_OP_DIVADD;
  } else if (e->kind == EXO_EN_DIV && l->kind == EXO_EN_MUL) {
    if ((st = exo_program_emit_expr(p, l->arg[0], &a)) || (st = exo_program_emit_expr(p, l->arg[1], &b)) ||
        (st = exo_program_emit_expr(p, r, &c)))
      return st;
    op = EXO_OP_MULDIV;
  } else if ((e->kind == EXO_EN_POW || (e->kind == EXO_EN_CALL && e->func == EXO_FN_POW)) &&
             (is_literal(r, 2) || is_literal(r, 3) || is_literal(r, 1))) {
    if ((st = exo_program_emit_expr(p, l, &a))) return st;
    if (is_literal(r, 1)) {
      *slot = a;
      return EXO_OK;
    }
    op = is_literal(r, 2) ? EXO_OP_SQR : EXO_OP_CUBE;
  } else {
    for (int i = 0; i < e->nargs; i++) {
      uint32_t *dst = i == 0 ? &a : i == 1 ? &b : &c;
      if ((st = exo_program_emit_expr(p, e->arg[i], dst))) return st;
    }
    switch (e->kind) {
    case EXO_EN_NEG: op = EXO_OP_NEG; break;
    case EXO_EN_ADD: op = EXO_OP_ADD; break;
    case EXO_EN_SUB: op = EXO_OP_SUB; break;
    case EXO_EN_MUL: op = EXO_OP_MUL; break;
    case EXO_EN_DIV: op = EXO_OP_DIV; break;
    case EXO_EN_POW: op = EXO_OP_POW; break;
    case EXO_EN_CALL:
      switch (e->func) {
      case EXO_FN_EXP: op = EXO_OP_EXP; break;
      case EXO_FN_LOG: op = EXO_OP_LOG; break;
      case EXO_FN_LOG10: op = EXO_OP_LOG10; break;
      case EXO_FN_SQRT: op = EXO_OP_SQRT; break;
      case EXO_FN_ABS: op = EXO_OP_ABS; break;
      case EXO_FN_POW: op = EXO_OP_POW; break;
      case EXO_FN_MIN: op = EXO_OP_MIN; break;
      case EXO_FN_MAX: op = EXO_OP_MAX; break;
      case EXO_FN_HILL: op = EXO_OP_HILL; break;
      }
      break;
    default: break;
    }
  }
  /* Common subexpressions: every slot-variant instruction writes a fresh temporary exactly once
   * and the program never writes a state or parameter slot, so an earlier instruction with the
   * same operation and operands already holds this value. */
  for (uint32_t i = 0; i < p->ncode; i++) {
    const exo_instr *in = &p->code[i];
    if (in->op == (uint32_t)op && in->a == a && in->b == b && in->c == c && exo_op_is_slot_variant(in->op)) {
      *slot = in->d;
      return EXO_OK;
    }
  }
  if ((st = exo_program_new_slot(p, NAN, &d))) return st;
  if ((st = exo_program_emit(p, op, d, a, b, c))) return st;
  *slot = d;
  return EXO_OK;
}

/* Direct dispatch through a table of label addresses (a GNU C extension that gcc and clang
 * accept) where available: one indirect jump per operation, predicted per site, instead of the
 * bounds check and shared jump of a switch. acc is the register accumulator of EXO_VARIANTS. */
#define A s[ip->a]
#define B s[ip->b]
#define C s[ip->c]
#if defined(__GNUC__)
/* With labels_out set, only hands out the label table (used by exo_program_thread). */
static void program_run(const exo_program *p, double *restrict s, double *restrict out, const void *const **labels_out) {
  double acc = 0;
#define EXO_LABEL1(name, suffix, body) &&L_##name##suffix,
#define EXO_LABELS(name, value) EXO_VARIANTS(EXO_LABEL1, name, value)
  static const void *const labels[] = {&&L_END, EXO_VALUE_OPS(EXO_LABELS)};
#undef EXO_LABEL1
#undef EXO_LABELS
  if (labels_out) {
    *labels_out = labels;
    return;
  }
  const exo_instr *ip = p->code;
#define NEXT goto *(++ip)->target
  goto *ip->target;
#define EXO_BODY1(name, suffix, body)                                                           \
  L_##name##suffix : body;                                                                      \
  NEXT;
#define EXO_BODIES(name, value) EXO_VARIANTS(EXO_BODY1, name, value)
  EXO_VALUE_OPS(EXO_BODIES)
#undef EXO_BODY1
#undef EXO_BODIES
L_END:
  return;
#undef NEXT
}

static void exo_program_thread(exo_program *p) {
  const void *const *labels;
  program_run(NULL, NULL, NULL, &labels);
  for (uint32_t i = 0; i < p->ncode; i++) p->code[i].target = labels[p->code[i].op];
}

void exo_program_run(const exo_program *p, double *restrict s, double *restrict out) { program_run(p, s, out, NULL); }
#else
static void exo_program_thread(exo_program *p) { (void)p; }

void exo_program_run(const exo_program *p, double *restrict s, double *restrict out) {
  double acc = 0;
  for (const exo_instr *ip = p->code;; ip++) {
    switch ((exo_op)ip->op) {
    case EXO_OP_END: return;
#define EXO_CASE1(name, suffix, body) case EXO_OP_##name##suffix: body; break;
#define EXO_CASES(name, value) EXO_VARIANTS(EXO_CASE1, name, value)
      EXO_VALUE_OPS(EXO_CASES)
#undef EXO_CASE1
#undef EXO_CASES
    default: return;
    }
  }
}
#endif
#undef A
#undef B
#undef C
