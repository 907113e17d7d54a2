/* Compiles a model's enabled processes into one program that computes dy/dt, and a second one
 * that computes the named outputs for recording. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/fault.h"
#include "model/model.h"
#include "systemic/rhs.h"

static void load_states(double *restrict slots, double t, const double *restrict y, size_t n);
static void mark_output_needs(const exo_model *m, const exo_expr *e, bool *need);

typedef struct need_ctx {
  const exo_model *m;
  bool *need;
} need_ctx;

static void need_visit(void *ctx, const exo_symref *s) {
  need_ctx *c = ctx;
  if (s->kind == EXO_SYM_OUTPUT && !c->need[s->index]) {
    c->need[s->index] = true;
    mark_output_needs(c->m, c->m->outputs[s->index].expr, c->need);
  }
}

static void mark_output_needs(const exo_model *m, const exo_expr *e, bool *need) {
  need_ctx c = {m, need};
  exo_expr_visit_symbols(e, need_visit, &c);
}

/* Emits the outputs flagged in need (all when need is NULL), in declaration order, which is a
 * dependency order because an output may only use earlier ones. */
static exo_status emit_outputs(const exo_model *m, exo_program *p, const bool *need, bool store) {
  for (int i = 0; i < m->noutput; i++) {
    if (need && !need[i]) continue;
    uint32_t slot;
    exo_status st = exo_program_emit_expr(p, m->outputs[i].expr, &slot);
    if (st) return st;
    p->output_slot[i] = (int32_t)slot;
    if (store && (st = exo_program_emit(p, EXO_OP_STORE, (uint32_t)i, slot, 0, 0))) return st;
  }
  return EXO_OK;
}

static void fill_params(const exo_model *m, exo_program *p) {
  for (int i = 0; i < m->nparam; i++) p->slots[EXO_SLOT_STATE0 + (uint32_t)m->nstate + (uint32_t)i] = m->params[i].value;
}

typedef struct dep_ctx {
  const exo_model *m;
  bool *reads;   /* nstate */
  bool *visited; /* noutput: each output's expression is walked once (outputs can share outputs) */
} dep_ctx;

static void dep_visit(void *ctx, const exo_symref *s) {
  dep_ctx *c = ctx;
  if (s->kind == EXO_SYM_STATE) c->reads[s->index] = true;
  else if (s->kind == EXO_SYM_OUTPUT && !c->visited[s->index]) {
    c->visited[s->index] = true;
    exo_expr_visit_symbols(c->m->outputs[s->index].expr, dep_visit, c);
  }
}

/* One term of one dy/dt: the value of op (an instruction of slot variant whose destination is
 * chosen later), added with sign. */
typedef struct term {
  int state;
  int sign;
  exo_instr op;
} term;

/* Emits, state by state, the sum of the state's terms through the register accumulator:
 * acc = t1; acc += t2; ...; out[i] = acc + tk. Every state is written, so ydot needs no
 * zeroing beforehand. */
static exo_status emit_sums(exo_program *p, const term *terms, int nterm, size_t nstate) {
  exo_status st = EXO_OK;
  uint32_t zero;
  bool have_zero = false;
  for (size_t i = 0; i < nstate && !st; i++) {
    int k = 0, seen = 0;
    for (int j = 0; j < nterm; j++) k += terms[j].state == (int)i;
    if (k == 0) {
      if (!have_zero && (st = exo_program_new_slot(p, 0.0, &zero))) break;
      have_zero = true;
      st = exo_program_emit(p, EXO_OP_STORE, (uint32_t)i, zero, 0, 0);
      continue;
    }
    for (int j = 0; j < nterm && !st; j++) {
      if (terms[j].state != (int)i) continue;
      bool plus = terms[j].sign > 0;
      exo_variant v;
      if (k == 1) v = plus ? EXO_V_OUT_SET : EXO_V_OUT_NSET;
      else if (seen == 0) v = plus ? EXO_V_ACC_SET : EXO_V_ACC_NSET;
      else if (seen < k - 1) v = plus ? EXO_V_ACC_ADD : EXO_V_ACC_SUB;
      else v = plus ? EXO_V_OUT_ADD : EXO_V_OUT_SUB;
      exo_instr in = terms[j].op;
      st = exo_program_emit(p, (exo_op)exo_op_variant(in.op, v), (uint32_t)i, in.a, in.b, in.c);
      seen++;
    }
  }
  return st;
}

/* The bookkeeping program: for every enabled process and every vesicle state it changes, the
 * signed flow coef * rate, classified by what the process is. */
static exo_status compile_flows(const exo_model *m, exo_rhs *r) {
  size_t n = 0;
  for (int k = 0; k < m->nproc; k++)
    for (int j = 0; m->procs[k].enabled && j < m->procs[k].nstoich; j++)
      n += m->states[m->procs[k].stoich[j].state].kind == EXO_KIND_VESICLES && m->procs[k].stoich[j].coef != 0;
  exo_status st = exo_program_init(&r->flowprog, (uint32_t)m->nstate, (uint32_t)m->nparam, (uint32_t)m->noutput);
  r->flows = exo_calloc(n + 1, sizeof *r->flows);
  if (st || !r->flows) return EXO_ERR_NOMEM;
  bool *need = exo_calloc((size_t)m->noutput + 1, sizeof *need);
  if (!need) return EXO_ERR_NOMEM;
  for (int k = 0; k < m->nproc; k++)
    if (m->procs[k].enabled) mark_output_needs(m, m->procs[k].rate, need);
  st = emit_outputs(m, &r->flowprog, need, false);
  free(need);
  for (int k = 0; k < m->nproc && !st; k++) {
    const exo_process *p = &m->procs[k];
    if (!p->enabled) continue;
    uint32_t rate = 0;
    bool have_rate = false;
    for (int j = 0; j < p->nstoich && !st; j++) {
      int v = p->stoich[j].state;
      double c = p->stoich[j].coef;
      if (m->states[v].kind != EXO_KIND_VESICLES || c == 0) continue;
      if (!have_rate && (st = exo_program_emit_expr(&r->flowprog, p->rate, &rate))) break;
      have_rate = true;
      exo_flow_kind kind;
      if (!strcmp(p->kind, "clearance")) kind = EXO_FLOW_CLEARED;
      else if (!strcmp(p->kind, "transfer")) kind = c < 0 ? EXO_FLOW_DRAINED_OUT : EXO_FLOW_DRAINED_IN;
      else kind = c < 0 ? EXO_FLOW_TAKEN_UP : EXO_FLOW_SECRETED;
      uint32_t f = (uint32_t)r->nflow;
      r->flows[r->nflow++] = (exo_flow){v, k, kind};
      if (c == 1) st = exo_program_emit(&r->flowprog, EXO_OP_MOV_O, f, rate, 0, 0);
      else if (c == -1) st = exo_program_emit(&r->flowprog, EXO_OP_MOV_ON, f, rate, 0, 0);
      else {
        uint32_t cs;
        if (!(st = exo_program_new_slot(&r->flowprog, c, &cs))) st = exo_program_emit(&r->flowprog, EXO_OP_MUL_O, f, rate, cs, 0);
      }
    }
  }
  if (!st) st = exo_program_emit(&r->flowprog, EXO_OP_END, 0, 0, 0, 0);
  if (!st) fill_params(m, &r->flowprog);
  return st;
}

exo_status exo_rhs_compile(const exo_model *m, exo_rhs **out, exo_error *err) {
  *out = NULL;
  exo_rhs *r = exo_calloc(1, sizeof *r);
  if (!r) return exo_error_set(err, EXO_ERR_NOMEM, "out of memory compiling the model");
  r->m = m;
  r->n = (size_t)m->nstate;
  exo_status st = EXO_OK;
  int nterm = 0, capterm = 0;
  for (int k = 0; k < m->nproc; k++) capterm += m->procs[k].nstoich;
  bool *need = exo_calloc((size_t)m->noutput + 1, sizeof *need);
  bool *reads = exo_calloc(r->n + 1, sizeof *reads);
  bool *visited = exo_calloc((size_t)m->noutput + 1, sizeof *visited);
  term *terms = exo_calloc((size_t)capterm + 1, sizeof *terms);
  if (!need || !reads || !terms || !visited) st = EXO_ERR_NOMEM;
  if (!st) st = exo_program_init(&r->prog, (uint32_t)m->nstate, (uint32_t)m->nparam, (uint32_t)m->noutput);
  if (!st) st = exo_program_init(&r->outprog, (uint32_t)m->nstate, (uint32_t)m->nparam, (uint32_t)m->noutput);
  if (!st) {
    for (int k = 0; k < m->nproc; k++)
      if (m->procs[k].enabled) mark_output_needs(m, m->procs[k].rate, need);
    st = emit_outputs(m, &r->prog, need, false);
  }
  r->band_lower = r->band_upper = 0;
  for (int k = 0; k < m->nproc && !st; k++) {
    const exo_process *p = &m->procs[k];
    if (!p->enabled) continue;
    uint32_t rate, first_new_slot = r->prog.nslots, first_new_code = r->prog.ncode;
    if ((st = exo_program_emit_expr(&r->prog, p->rate, &rate))) break;
    exo_instr *last = r->prog.ncode > first_new_code ? &r->prog.code[r->prog.ncode - 1] : NULL;
    if (p->nstoich == 1 && fabs(p->stoich[0].coef) == 1 && last && last->d == rate && rate >= first_new_slot &&
        exo_op_is_slot_variant(last->op)) {
      /* the rate's last operation becomes the term itself: its temporary is used nowhere else */
      terms[nterm++] = (term){p->stoich[0].state, p->stoich[0].coef > 0 ? 1 : -1, *last};
      r->prog.ncode--;
    } else {
      for (int j = 0; j < p->nstoich && !st; j++) {
        double c = p->stoich[j].coef;
        if (c == 1 || c == -1) {
          terms[nterm++] = (term){p->stoich[j].state, c > 0 ? 1 : -1, {NULL, EXO_OP_MOV, 0, rate, 0, 0}};
        } else if (c != 0) {
          uint32_t cs;
          if (!(st = exo_program_new_slot(&r->prog, fabs(c), &cs)))
            terms[nterm++] = (term){p->stoich[j].state, c > 0 ? 1 : -1, {NULL, EXO_OP_MUL, 0, rate, cs, 0}};
        }
      }
    }
    /* Jacobian bandwidth: state i (changed) depends on state j (read) */
    memset(reads, 0, r->n * sizeof *reads);
    memset(visited, 0, (size_t)m->noutput * sizeof *visited);
    dep_ctx dc = {m, reads, visited};
    exo_expr_visit_symbols(p->rate, dep_visit, &dc);
    for (int j = 0; j < p->nstoich; j++)
      for (size_t s = 0; s < r->n; s++)
        if (reads[s]) {
          int diff = p->stoich[j].state - (int)s;
          if (diff > r->band_lower) r->band_lower = diff;
          if (-diff > r->band_upper) r->band_upper = -diff;
        }
  }
  if (!st) st = emit_sums(&r->prog, terms, nterm, r->n);
  if (!st) st = compile_flows(m, r);
  free(terms);
  free(visited);
  if (!st) st = exo_program_emit(&r->prog, EXO_OP_END, 0, 0, 0, 0);
  if (!st) st = emit_outputs(m, &r->outprog, NULL, true);
  if (!st) st = exo_program_emit(&r->outprog, EXO_OP_END, 0, 0, 0, 0);
  free(need);
  free(reads);
  if (st) {
    exo_rhs_free(r);
    if (st == EXO_ERR_NOMEM) return exo_error_set(err, EXO_ERR_NOMEM, "out of memory compiling the model");
    return exo_error_set(err, st, "internal error compiling the model (%s)", exo_status_name(st));
  }
  /* Each program gets its own working copy of its slots; parameters live there and events
   * change them in place. */
  fill_params(m, &r->prog);
  fill_params(m, &r->outprog);
  snprintf(r->how, sizeof r->how, "interpreter");
  if (m->solver.rhs_mode != EXO_RHS_INTERPRETER) {
    if (exo_native_build(&r->prog, r->n, &r->native, r->why, sizeof r->why) == 0) {
      snprintf(r->how, sizeof r->how, "native");
    } else if (m->solver.rhs_mode == EXO_RHS_NATIVE) {
      exo_status es = exo_error_set(err, EXO_ERR_SOLVER, "solver.rhs is native, but %s", r->why);
      exo_rhs_free(r);
      return es;
    }
  }
  *out = r;
  return EXO_OK;
}

void exo_rhs_free(exo_rhs *r) {
  if (!r) return;
  exo_native_free(&r->native);
  exo_program_free(&r->prog);
  exo_program_free(&r->flowprog);
  free(r->flows);
  exo_program_free(&r->outprog);
  free(r);
}

size_t exo_rhs_size(const exo_rhs *r) { return r->n; }

void exo_rhs_reset(exo_rhs *r) {
  fill_params(r->m, &r->prog);
  fill_params(r->m, &r->outprog);
  fill_params(r->m, &r->flowprog);
}

void exo_rhs_flows(exo_rhs *r, double t, const double *y, double *qdot) {
  load_states(r->flowprog.slots, t, y, r->n);
  exo_program_run(&r->flowprog, r->flowprog.slots, qdot);
}

void exo_rhs_set_param(exo_rhs *r, int index, double value) {
  uint32_t s = EXO_SLOT_STATE0 + (uint32_t)r->n + (uint32_t)index;
  r->prog.slots[s] = value;
  r->outprog.slots[s] = value;
  if (r->flowprog.slots) r->flowprog.slots[s] = value;
}

double exo_rhs_get_param(const exo_rhs *r, int index) {
  return r->prog.slots[EXO_SLOT_STATE0 + (uint32_t)r->n + (uint32_t)index];
}

/* States are read through max(y, 0): the integrator may probe slightly negative values inside a
 * step, and rates such as log(K/X) or (L/T)^lambda must never see them.
 * These loops are kept scalar on purpose: the program writes ydot (and callers write y) one
 * double at a time, and a vector load straight after scalar stores to the same bytes cannot be
 * store-forwarded; for the few states of a systemic model that stall cost more than the whole
 * program (measured: 34 ns per call vectorised, see docs/performance.md). */
#if defined(__clang__)
#define EXO_SCALAR_LOOP _Pragma("clang loop vectorize(disable) interleave(disable)")
#define EXO_NO_VECTORIZE
#elif defined(__GNUC__)
#define EXO_SCALAR_LOOP
#define EXO_NO_VECTORIZE __attribute__((optimize("no-tree-vectorize", "no-tree-loop-distribute-patterns")))
#else
#define EXO_SCALAR_LOOP
#define EXO_NO_VECTORIZE
#endif

EXO_NO_VECTORIZE static void load_states(double *restrict slots, double t, const double *restrict y, size_t n) {
  slots[EXO_SLOT_TIME] = t;
  EXO_SCALAR_LOOP
  for (size_t i = 0; i < n; i++) slots[EXO_SLOT_STATE0 + i] = y[i] > 0 ? y[i] : 0;
}

EXO_NO_VECTORIZE bool exo_rhs_eval(exo_rhs *r, double t, const double *y, double *ydot) {
  size_t n = r->n;
  if (r->native.fn) {
    r->native.fn(t, y, r->prog.slots, ydot); /* reads y through max(y, 0) itself */
  } else {
    load_states(r->prog.slots, t, y, n);
    exo_program_run(&r->prog, r->prog.slots, ydot); /* writes every ydot[i] */
  }
  /* x - x is 0 for finite x and NaN otherwise: one test for the whole vector */
  double probe = 0;
  EXO_SCALAR_LOOP
  for (size_t i = 0; i < n; i++) probe += ydot[i] - ydot[i];
  return probe == 0;
}

void exo_rhs_outputs(exo_rhs *r, double t, const double *y, double *out) {
  load_states(r->outprog.slots, t, y, r->n);
  exo_program_run(&r->outprog, r->outprog.slots, out);
}

/* Finds the first enabled process whose rate is not finite at (t, y), for error messages. */
typedef struct diag_ctx {
  const exo_rhs *r;
  double t;
  const double *y;
  double *outv; /* output values, computed once each */
  bool *have;
} diag_ctx;

static double diag_value(void *ctx, const exo_symref *s) {
  diag_ctx *c = ctx;
  switch (s->kind) {
  case EXO_SYM_TIME: return c->t;
  case EXO_SYM_STATE: return c->y[s->index] > 0 ? c->y[s->index] : 0;
  case EXO_SYM_PARAM: return exo_rhs_get_param(c->r, s->index);
  case EXO_SYM_OUTPUT:
    if (!c->have[s->index]) {
      c->outv[s->index] = exo_expr_eval_tree(c->r->m->outputs[s->index].expr, diag_value, ctx);
      c->have[s->index] = true;
    }
    return c->outv[s->index];
  }
  return NAN;
}

const char *exo_rhs_failing_process(const exo_rhs *r, double t, const double *y) {
  size_t no = (size_t)r->m->noutput + 1;
  diag_ctx c = {r, t, y, exo_calloc(no, sizeof(double)), exo_calloc(no, sizeof(bool))};
  const char *found = NULL;
  for (int k = 0; c.outv && c.have && k < r->m->nproc && !found; k++) {
    const exo_process *p = &r->m->procs[k];
    if (p->enabled && !isfinite(exo_expr_eval_tree(p->rate, diag_value, &c))) found = p->name;
  }
  free(c.outv);
  free(c.have);
  return found;
}
