/* Therapies and treatment arms. Each therapy of a model file is turned, at load time, into the
 * model's own parts: dose events, pharmacokinetic states with their clearance, switch
 * parameters, processes (removal, killing, binding), and factors on the rates of the processes
 * it blocks. All of it is inert unless an arm that gives the therapy is chosen: its events are
 * skipped and its processes are off, so a switch parameter stays 0 and a drug amount stays 0,
 * which leaves every blocked rate exactly as it was.
 *
 * Schedules: at: [times] | at: "[0, 7, 14] days" | every: T, times: N, start: T |
 *            from: T, until: T (continuous); with at/every, duration: T makes each dose a window. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/strutil.h"
#include "model/loader.h"

#define MAX_DOSES 10000

typedef struct schedule {
  double *start; /* minutes */
  double *end;   /* minutes, or INFINITY (continuous to the end of the run); == start for a bolus */
  int n;
} schedule;

static exo_dim D(int l, int t, int n) { return (exo_dim){{(int8_t)l, (int8_t)t, (int8_t)n, 0}}; }

static exo_status push_window(loader *L, schedule *s, double a, double b, exo_pos p) {
  if (s->n >= MAX_DOSES) return exo__lerr(L, p, EXO_ERR_MODEL, "a schedule may hold at most %d doses", MAX_DOSES);
  double *na = exo_arena_grow(&L->m->arena, s->start, (size_t)s->n, (size_t)s->n + 1, sizeof *na);
  double *nb = na ? exo_arena_grow(&L->m->arena, s->end, (size_t)s->n, (size_t)s->n + 1, sizeof *nb) : NULL;
  if (!na || !nb) return exo__nomem(L);
  s->start = na;
  s->end = nb;
  s->start[s->n] = a;
  s->end[s->n++] = b;
  return EXO_OK;
}

/* "[0, 7, 14, 21] days": a list of bare numbers followed by one unit */
static exo_status list_with_unit(loader *L, const char *text, exo_pos p, schedule *s, double dur) {
  const char *close = strchr(text, ']');
  if (text[0] != '[' || !close) return exo__lerr(L, p, EXO_ERR_SYNTAX, "'at' must be a time, a list of times, or \"[0, 7] days\"");
  char unit[64];
  snprintf(unit, sizeof unit, "1 %s", close + 1);
  exo_quantity u;
  exo_error e2;
  if (exo_quantity_parse(unit, &u, &e2) || !u.has_unit || !exo_dim_eq(u.dim, D(0, 1, 0)))
    return exo__lerr(L, p, EXO_ERR_UNIT, "'at': after the list comes a time unit (e.g. \"[0, 7, 14] days\"), not '%s'", close + 1);
  const char *q = text + 1;
  while (q < close) {
    char *end;
    double v = strtod(q, &end);
    if (end == q || !isfinite(v) || v < 0) return exo__lerr(L, p, EXO_ERR_SYNTAX, "'at': '%.*s' is not a time >= 0", (int)(close - q), q);
    exo_status st = push_window(L, s, v * u.value, v * u.value + dur, p);
    if (st) return st;
    q = end;
    while (*q == ' ' || *q == ',') q++;
  }
  return EXO_OK;
}

static exo_status read_schedule(loader *L, struct fy_node *t, exo_pos at, const char *who, bool continuous_ok, schedule *s) {
  exo_status st;
  memset(s, 0, sizeof *s);
  struct fy_node *an = exo__get(t, "at"), *ev = exo__get(t, "every"), *fr = exo__get(t, "from"), *un = exo__get(t, "until"),
                 *tn = exo__get(t, "times"), *sn = exo__get(t, "start"), *du = exo__get(t, "duration");
  int forms = !!an + !!ev + !!(fr || un);
  if (forms != 1)
    return exo__lerr(L, at, EXO_ERR_MODEL, "%s needs one schedule: 'at', 'every' (with 'times'), or 'from'/'until'", who);
  if ((tn || sn) && !ev) return exo__lerr(L, exo__key_pos(t, tn ? "times" : "start", at), EXO_ERR_MODEL, "'times' and 'start' go with 'every'");
  double dur = 0;
  if (du) {
    if (fr || un) return exo__lerr(L, exo__key_pos(t, "duration", at), EXO_ERR_MODEL, "'duration' goes with 'at' or 'every', not 'from'/'until'");
    if ((st = exo__quantity(L, du, at, D(0, 1, 0), ALLOW_ZERO_ONLY_POSITIVE, "duration", &dur, NULL))) return st;
  }
  if (an) {
    if (fy_node_get_type(an) == FYNT_SEQUENCE) {
      void *it = NULL;
      struct fy_node *x;
      while ((x = fy_node_sequence_iterate(an, &it))) {
        double v;
        if ((st = exo__quantity(L, x, at, D(0, 1, 0), 0, "a dose time", &v, NULL)) ||
            (st = push_window(L, s, v, v + dur, exo__node_pos(x, at))))
          return st;
      }
    } else {
      const char *text;
      if ((st = exo__scalar(L, an, at, "at", &text))) return st;
      const char *q = text;
      while (isspace((unsigned char)*q)) q++;
      if (*q == '[') {
        if ((st = list_with_unit(L, q, exo__node_pos(an, at), s, dur))) return st;
      } else {
        double v;
        if ((st = exo__quantity(L, an, at, D(0, 1, 0), 0, "a dose time", &v, NULL)) ||
            (st = push_window(L, s, v, v + dur, exo__node_pos(an, at))))
          return st;
      }
    }
    if (s->n == 0) return exo__lerr(L, exo__node_pos(an, at), EXO_ERR_MODEL, "%s: 'at' lists no times", who);
  } else if (ev) {
    double every, start = 0, times;
    if ((st = exo__quantity(L, ev, at, D(0, 1, 0), ALLOW_ZERO_ONLY_POSITIVE, "every", &every, NULL))) return st;
    if (!tn) return exo__lerr(L, exo__key_pos(t, "every", at), EXO_ERR_MODEL, "%s: 'every' needs 'times' (how many doses)", who);
    if ((st = exo__plain_number(L, tn, at, "times", 1, MAX_DOSES, &times))) return st;
    if (times != floor(times)) return exo__lerr(L, exo__node_pos(tn, at), EXO_ERR_MODEL, "'times' must be a whole number");
    if (sn && (st = exo__quantity(L, sn, at, D(0, 1, 0), 0, "start", &start, NULL))) return st;
    if (du && dur > every)
      return exo__lerr(L, exo__key_pos(t, "duration", at), EXO_ERR_MODEL, "%s: each dose lasts longer than the interval between doses", who);
    for (int i = 0; i < (int)times; i++)
      if ((st = push_window(L, s, start + i * every, start + i * every + dur, exo__node_pos(ev, at)))) return st;
  } else {
    if (!continuous_ok) return exo__lerr(L, exo__key_pos(t, fr ? "from" : "until", at), EXO_ERR_MODEL, "%s is given as doses: use 'at' or 'every'", who);
    double a = 0, b = INFINITY;
    if (fr && (st = exo__quantity(L, fr, at, D(0, 1, 0), 0, "from", &a, NULL))) return st;
    if (un && (st = exo__quantity(L, un, at, D(0, 1, 0), 0, "until", &b, NULL))) return st;
    if (b <= a) return exo__lerr(L, exo__key_pos(t, "until", at), EXO_ERR_MODEL, "%s: 'until' must come after 'from'", who);
    if ((st = push_window(L, s, a, b, exo__node_pos(fr ? fr : un, at)))) return st;
  }
  /* sorted, and windows must not overlap (an overlap would switch the therapy off early) */
  for (int i = 0; i < s->n; i++) /* sort pairs by start: small n, insertion sort */
    for (int j = i; j > 0 && s->start[j] < s->start[j - 1]; j--) {
      double a = s->start[j], b = s->end[j];
      s->start[j] = s->start[j - 1], s->end[j] = s->end[j - 1];
      s->start[j - 1] = a, s->end[j - 1] = b;
    }
  for (int i = 1; i < s->n; i++)
    if (s->end[i - 1] > s->start[i] && s->end[i - 1] > s->start[i - 1])
      return exo__lerr(L, at, EXO_ERR_MODEL, "%s: dose windows overlap (the one at day %g is still on at day %g)", who,
                       s->start[i - 1] / EXO_MINUTES_PER_DAY, s->start[i] / EXO_MINUTES_PER_DAY);
  return EXO_OK;
}

/* --- building blocks ------------------------------------------------------------------------ */

static char *fmt(loader *L, const char *f, ...) __attribute__((format(printf, 2, 3)));
static char *fmt(loader *L, const char *f, ...) {
  va_list ap, ap2;
  va_start(ap, f);
  va_copy(ap2, ap);
  int w = vsnprintf(NULL, 0, f, ap);
  va_end(ap);
  char *s = w >= 0 ? exo_arena_alloc(&L->m->arena, (size_t)w + 1) : NULL;
  if (s) vsnprintf(s, (size_t)w + 1, f, ap2);
  va_end(ap2);
  return s;
}

/* A hidden parameter "THERAPY.key". */
static exo_status tparam(loader *L, int ti, const char *key, double v, exo_dim d, const char *written, int *index) {
  const char *th = L->m->therapies[ti].name;
  char *name = fmt(L, "%s.%s", th, key);
  if (!name) return exo__nomem(L);
  return exo__add_param(L, name, v, d, written, th, L->m->therapies[ti].pos, index);
}

/* A quantity field of a therapy, stored as the hidden parameter THERAPY.KEY (so --set can change
 * it). Returns the parameter index. */
static exo_status tquantity(loader *L, struct fy_node *t, int ti, const char *key, exo_dim want, int flags, bool required,
                            double deflt, int *index) {
  struct fy_node *n = exo__get(t, key);
  char what[200];
  snprintf(what, sizeof what, "'%s' of therapy '%s'", key, L->m->therapies[ti].name);
  double v = deflt;
  const char *written = "default";
  if (!n && required) return exo__lerr(L, L->m->therapies[ti].pos, EXO_ERR_MODEL, "therapy '%s' needs '%s'", L->m->therapies[ti].name, key);
  exo_status st;
  if (n && (st = exo__quantity(L, n, L->m->therapies[ti].pos, want, flags, what, &v, &written))) return st;
  return tparam(L, ti, key, v, want, written, index);
}

static exo_status add_process(loader *L, int ti, const char *suffix, const char *rate_text, int from, int to) {
  exo_model *m = L->m;
  exo_process *g = exo_arena_grow(&m->arena, m->procs, (size_t)m->nproc, (size_t)m->nproc + 1, sizeof *g);
  if (!g) return exo__nomem(L);
  m->procs = g;
  exo_process *p = &m->procs[m->nproc];
  memset(p, 0, sizeof *p);
  p->name = fmt(L, "%s.%s", m->therapies[ti].name, suffix);
  p->kind = fmt(L, "therapy %s", m->therapies[ti].kind);
  p->rate_text = rate_text;
  p->enabled = false; /* on only in the arms that give the therapy */
  p->therapy = ti + 1;
  p->pos = m->therapies[ti].pos;
  p->stoich = exo_arena_alloc(&m->arena, 2 * sizeof *p->stoich);
  if (!p->name || !p->kind || !p->stoich) return exo__nomem(L);
  if (from >= 0) p->stoich[p->nstoich++] = (exo_stoich){from, -1};
  if (to >= 0) p->stoich[p->nstoich++] = (exo_stoich){to, 1};
  int epos;
  exo_error e2;
  exo_status st = exo_expr_parse(&m->arena, rate_text, exo__resolve_symbol, NULL, m, &p->rate, &epos, &e2);
  if (st) return st == EXO_ERR_NOMEM ? exo__nomem(L) : exo__lerr(L, p->pos, st, "therapy '%s': %s (in \"%s\")", m->therapies[ti].name, e2.msg, rate_text);
  m->nproc++;
  return EXO_OK;
}

/* The name of the i-th per-target process: "kill_T", then "kill_1_T" (two targets may share a
 * species name in different compartments). */
static const char *target_suffix(loader *L, const char *what, int i, const exo_state *target) {
  return i ? fmt(L, "%s_%d_%s", what, i, target->species) : fmt(L, "%s_%s", what, target->species);
}

/* A new amount (drug, antibody) in a compartment: a molecules species THERAPY_drug. */
static exo_status add_pk_state(loader *L, struct fy_node *t, int ti, const char *what, int *state) {
  exo_model *m = L->m;
  int comp = 0;
  struct fy_node *cn = exo__get(t, "compartment");
  if (cn) {
    const char *c;
    exo_status st = exo__scalar(L, cn, m->therapies[ti].pos, "compartment", &c);
    if (st) return st;
    if ((comp = exo__find_comp(m, c)) < 0) return exo__lerr(L, exo__node_pos(cn, m->therapies[ti].pos), EXO_ERR_MODEL, "unknown compartment '%s'", c);
  }
  exo_state *g = exo_arena_grow(&m->arena, m->states, (size_t)m->nstate, (size_t)m->nstate + 1, sizeof *g);
  if (!g) return exo__nomem(L);
  m->states = g;
  exo_state *s = &m->states[m->nstate];
  memset(s, 0, sizeof *s);
  s->species = fmt(L, "%s_%s", m->therapies[ti].name, what);
  s->column = fmt(L, "%s.%s_%s", m->comps[comp].name, m->therapies[ti].name, what);
  s->compartment = comp;
  s->kind = EXO_KIND_MOLECULES;
  s->pos = m->therapies[ti].pos;
  if (!s->species || !s->column) return exo__nomem(L);
  *state = m->nstate++;
  return EXO_OK;
}

static exo_status add_dose_events(loader *L, int ti, const schedule *s, exo_event_action action, int target, int dose_param,
                                  int divisor_param) {
  for (int i = 0; i < s->n; i++) {
    exo_event ev = {.time = s->start[i], .action = action, .target = target, .value = L->m->params[dose_param].value,
                    .label = L->m->therapies[ti].name, .therapy = ti + 1, .value_param = dose_param,
                    .divisor_param = divisor_param};
    exo_status st = exo__add_event(L, ev);
    if (st) return st;
  }
  return EXO_OK;
}

/* Switch parameter THERAPY.on: 0, set to 1 at each window's start and back to 0 at its end. */
static exo_status add_switch(loader *L, int ti, const schedule *s, const char **name_out) {
  int pi;
  exo_status st = tparam(L, ti, "on", 0, exo_dim_none(), "0 (1 while the therapy is on)", &pi);
  if (st) return st;
  for (int i = 0; i < s->n; i++) {
    exo_event on = {.time = s->start[i], .action = EXO_EVENT_SET_PARAM, .target = pi, .value = 1,
                    .label = L->m->therapies[ti].name, .therapy = ti + 1, .value_param = -1, .divisor_param = -1};
    if ((st = exo__add_event(L, on))) return st;
    if (isfinite(s->end[i]) && s->end[i] > s->start[i]) {
      exo_event off = on;
      off.time = s->end[i];
      off.value = 0;
      if ((st = exo__add_event(L, off))) return st;
    }
  }
  *name_out = L->m->params[pi].name;
  return EXO_OK;
}

/* Multiplies the rate of each named process by (1 - factor). */
static exo_status block_processes(loader *L, struct fy_node *t, int ti, const char *key, const char *factor) {
  exo_model *m = L->m;
  struct fy_node *list = exo__get(t, key);
  exo_pos at = m->therapies[ti].pos;
  if (!list) return exo__lerr(L, at, EXO_ERR_MODEL, "therapy '%s' needs '%s' (the processes it blocks)", m->therapies[ti].name, key);
  exo_status st;
  if ((st = exo__expect_type(L, list, at, FYNT_SEQUENCE, key))) return st;
  void *it = NULL;
  struct fy_node *x;
  int n = 0;
  while ((x = fy_node_sequence_iterate(list, &it))) {
    const char *pname;
    if ((st = exo__scalar(L, x, at, "a process name", &pname))) return st;
    int k = exo_model_find_process(m, pname);
    if (k < 0 || m->procs[k].therapy) {
      const char *c[2048];
      size_t nc = 0;
      for (int i = 0; i < m->nproc && nc < 2048; i++)
        if (!m->procs[i].therapy) c[nc++] = m->procs[i].name;
      const char *sug = exo_nearest(pname, c, nc);
      return exo__lerr(L, exo__node_pos(x, at), EXO_ERR_MODEL, "therapy '%s': no process '%s' to block%s%s%s", m->therapies[ti].name, pname,
                       sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
    }
    exo_process *p = &m->procs[k];
    const char *text = fmt(L, "(%s) * (1 - %s)", p->rate_text, factor);
    if (!text) return exo__nomem(L);
    /* kept apart too, so the tissue can apply the same block (blocked_like) */
    p->block_text = p->block_text ? fmt(L, "%s * (1 - %s)", p->block_text, factor) : fmt(L, "(1 - %s)", factor);
    if (!p->block_text) return exo__nomem(L);
    int epos;
    exo_error e2;
    exo_expr *e;
    st = exo_expr_parse(&m->arena, text, exo__resolve_symbol, NULL, m, &e, &epos, &e2);
    if (st) return st == EXO_ERR_NOMEM ? exo__nomem(L) : exo__lerr(L, exo__node_pos(x, at), st, "therapy '%s': %s", m->therapies[ti].name, e2.msg);
    p->rate = e;
    p->rate_text = text;
    n++;
  }
  if (!n) return exo__lerr(L, exo__node_pos(list, at), EXO_ERR_MODEL, "therapy '%s': '%s' is empty", m->therapies[ti].name, key);
  return EXO_OK;
}

static exo_status state_list(loader *L, struct fy_node *t, int ti, const char *key, exo_species_kind kind, int *out, int *n) {
  exo_pos at = L->m->therapies[ti].pos;
  struct fy_node *list = exo__get(t, key);
  *n = 0;
  if (!list) return exo__lerr(L, at, EXO_ERR_MODEL, "therapy '%s' needs '%s'", L->m->therapies[ti].name, key);
  exo_status st;
  char what[160];
  snprintf(what, sizeof what, "'%s' of therapy '%s'", key, L->m->therapies[ti].name);
  if (fy_node_get_type(list) != FYNT_SEQUENCE) {
    if ((st = exo__state_ref(L, list, at, what, &out[0]))) return st;
    *n = 1;
  } else {
    void *it = NULL;
    struct fy_node *x;
    while ((x = fy_node_sequence_iterate(list, &it))) {
      if (*n == 64) return exo__lerr(L, exo__node_pos(x, at), EXO_ERR_MODEL, "at most 64 states in '%s'", key);
      if ((st = exo__state_ref(L, x, at, what, &out[(*n)++]))) return st;
    }
  }
  for (int i = 0; i < *n; i++)
    if ((int)kind >= 0 && L->m->states[out[i]].kind != kind)
      return exo__lerr(L, exo__key_pos(t, key, at), EXO_ERR_MODEL, "therapy '%s': '%s' is a %s, not a %s", L->m->therapies[ti].name,
                       L->m->states[out[i]].column, exo_kind_name(L->m->states[out[i]].kind), exo_kind_name(kind));
  if (!*n) return exo__lerr(L, exo__key_pos(t, key, at), EXO_ERR_MODEL, "therapy '%s': '%s' is empty", L->m->therapies[ti].name, key);
  return EXO_OK;
}

/* A drug or antibody given in doses: amount D with first-order elimination ln2/half_life.
 * Returns the state and the text of its name for rate expressions. */
static exo_status pk(loader *L, struct fy_node *t, int ti, const schedule *s, const char *what, int *state) {
  int dose_i, hl_i;
  exo_status st;
  if ((st = tquantity(L, t, ti, "dose", D(0, 0, 1), ALLOW_ZERO_ONLY_POSITIVE, true, 0, &dose_i)) ||
      (st = tquantity(L, t, ti, "half_life", D(0, 1, 0), ALLOW_ZERO_ONLY_POSITIVE, true, 0, &hl_i)) ||
      (st = add_pk_state(L, t, ti, what, state)) ||
      (st = add_dose_events(L, ti, s, EXO_EVENT_ADD, *state, dose_i, -1)))
    return st;
  const char *rate = fmt(L, "0.6931471805599453 / %s * %s", L->m->params[hl_i].name, L->m->states[*state].column);
  return rate ? add_process(L, ti, "elimination", rate, *state, -1) : exo__nomem(L);
}

/* --- the kinds ------------------------------------------------------------------------------ */

static const struct {
  const char *kind;
  const char *keys[12];
  bool continuous;
} kinds[] = {
    {"vesicle_dose", {"pool", "dose", "cargo"}, false},
    {"cell_transfer", {"population", "dose"}, false},
    {"adjuvant", {"set"}, true},
    {"secretion_block", {"processes", "inhibition", "dose", "half_life", "ic50", "compartment"}, true},
    {"vesicle_removal", {"pools", "rate"}, true},
    {"antibody", {"blocks", "dose", "half_life", "kd", "compartment", "decoy_pool", "decoy_sites", "decoy_binding"}, false},
    {"chemotherapy", {"targets", "dose", "half_life", "ec50", "max_kill", "compartment"}, false},
};

static exo_status build_therapy(loader *L, struct fy_node *t, int ti, int ki, const schedule *s) {
  exo_model *m = L->m;
  exo_therapy *th = &m->therapies[ti];
  exo_status st;
  const char *k = kinds[ki].kind;
  int states[64], n;
  if (!strcmp(k, "vesicle_dose") || !strcmp(k, "cell_transfer")) {
    bool ves = k[0] == 'v';
    if ((st = state_list(L, t, ti, ves ? "pool" : "population", ves ? EXO_KIND_VESICLES : EXO_KIND_CELLS, states, &n))) return st;
    if (n != 1) return exo__lerr(L, th->pos, EXO_ERR_MODEL, "therapy '%s' doses one %s", th->name, ves ? "pool" : "population");
    int dose_i;
    if ((st = tquantity(L, t, ti, "dose", D(0, 0, 1), ALLOW_ZERO_ONLY_POSITIVE, true, 0, &dose_i))) return st;
    int divisor = -1;
    struct fy_node *cg = exo__get(t, "cargo");
    if (cg) {
      /* the dose counts cargo molecules (e.g. 0.13e14 MHC-II): divide by the copies per vesicle */
      const char *pn;
      if ((st = exo__scalar(L, cg, th->pos, "cargo", &pn))) return st;
      int pi = exo_model_find_param(m, pn);
      if (pi < 0 || !exo_dim_is_none(m->params[pi].dim) || !(m->params[pi].value > 0))
        return exo__lerr(L, exo__node_pos(cg, th->pos), EXO_ERR_MODEL,
                         "therapy '%s': 'cargo' names a positive, dimensionless parameter (copies per vesicle); '%s' is not one", th->name, pn);
      divisor = pi;
    }
    return add_dose_events(L, ti, s, EXO_EVENT_ADD, states[0], dose_i, divisor);
  }
  if (!strcmp(k, "adjuvant")) {
    struct fy_node *set = exo__get(t, "set");
    if (!set) return exo__lerr(L, th->pos, EXO_ERR_MODEL, "therapy '%s' needs 'set' (the parameters it changes while present)", th->name);
    if ((st = exo__expect_type(L, set, th->pos, FYNT_MAPPING, "'set'"))) return st;
    void *it = NULL;
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(set, &it))) {
      const char *pn = NULL;
      struct fy_node *kn = fy_node_pair_key(pr);
      if ((st = exo__scalar(L, kn, th->pos, "a parameter name", &pn))) return st;
      int pi = exo_model_find_param(m, pn);
      if (pi < 0) return exo__lerr(L, exo__node_pos(kn, th->pos), EXO_ERR_MODEL, "therapy '%s' sets unknown parameter '%s'", th->name, pn);
      double v;
      char what[200];
      snprintf(what, sizeof what, "new value of '%s'", pn);
      if ((st = exo__quantity(L, fy_node_pair_value(pr), th->pos, m->params[pi].dim, 0, what, &v, NULL))) return st;
      for (int i = 0; i < s->n; i++) {
        exo_event on = {.time = s->start[i], .action = EXO_EVENT_SET_PARAM, .target = pi, .value = v, .label = th->name,
                        .therapy = ti + 1, .value_param = -1, .divisor_param = -1};
        if ((st = exo__add_event(L, on))) return st;
        if (isfinite(s->end[i])) {
          exo_event off = on;
          off.time = s->end[i];
          off.value_param = pi; /* back to the parameter's value in this run (a --set included) */
          if ((st = exo__add_event(L, off))) return st;
        }
      }
    }
    return EXO_OK;
  }
  if (!strcmp(k, "secretion_block")) {
    int inh_i;
    if ((st = tquantity(L, t, ti, "inhibition", exo_dim_none(), 0, false, 1.0, &inh_i))) return st;
    if (m->params[inh_i].value > 1)
      return exo__lerr(L, exo__key_pos(t, "inhibition", th->pos), EXO_ERR_MODEL, "'inhibition' of therapy '%s' is a fraction (0 to 1, or %%)", th->name);
    const char *factor;
    if (exo__get(t, "half_life") || exo__get(t, "dose")) {
      /* a drug (GW4869, amiloride): inhibition * D / (ic50 + D) */
      int d, ic_i;
      if ((st = pk(L, t, ti, s, "drug", &d)) || (st = tquantity(L, t, ti, "ic50", D(0, 0, 1), ALLOW_ZERO_ONLY_POSITIVE, true, 0, &ic_i)))
        return st;
      factor = fmt(L, "%s * hill(%s, %s, 1)", m->params[inh_i].name, m->states[d].column, m->params[ic_i].name);
    } else {
      /* genetic (Rab27a, nSMase2 knockout): on from the start of its window, for good */
      const char *on;
      if ((st = add_switch(L, ti, s, &on))) return st;
      factor = fmt(L, "%s * %s", m->params[inh_i].name, on);
    }
    return factor ? block_processes(L, t, ti, "processes", factor) : exo__nomem(L);
  }
  if (!strcmp(k, "vesicle_removal")) {
    int rate_i;
    const char *on;
    if ((st = state_list(L, t, ti, "pools", EXO_KIND_VESICLES, states, &n)) ||
        (st = tquantity(L, t, ti, "rate", D(0, -1, 0), ALLOW_ZERO_ONLY_POSITIVE, true, 0, &rate_i)) || (st = add_switch(L, ti, s, &on)))
      return st;
    for (int i = 0; i < n; i++) {
      const char *rate = fmt(L, "%s * %s * %s", on, m->params[rate_i].name, m->states[states[i]].column);
      const char *suffix = target_suffix(L, "removal", i, &m->states[states[i]]);
      if (!rate || !suffix) return exo__nomem(L);
      if ((st = add_process(L, ti, suffix, rate, states[i], -1))) return st;
    }
    return EXO_OK;
  }
  if (!strcmp(k, "antibody")) {
    /* free antibody A, eliminated with its half-life; occupancy A/(A + kd) blocks the named
     * processes; exosomal decoy sites bind and use up antibody (Poggio 2019, Chen 2018) */
    int a, kd_i;
    if ((st = pk(L, t, ti, s, "antibody", &a)) || (st = tquantity(L, t, ti, "kd", D(0, 0, 1), ALLOW_ZERO_ONLY_POSITIVE, true, 0, &kd_i)))
      return st;
    const char *factor = fmt(L, "%s / (%s + %s)", m->states[a].column, m->states[a].column, m->params[kd_i].name);
    if (!factor || (st = block_processes(L, t, ti, "blocks", factor))) return st ? st : exo__nomem(L);
    if (exo__get(t, "decoy_pool")) {
      int sites_i, kb_i, pool[64], np;
      if ((st = state_list(L, t, ti, "decoy_pool", EXO_KIND_VESICLES, pool, &np)) ||
          (st = tquantity(L, t, ti, "decoy_sites", exo_dim_none(), ALLOW_ZERO_ONLY_POSITIVE, true, 0, &sites_i)) ||
          (st = tquantity(L, t, ti, "decoy_binding", D(0, -1, -1), ALLOW_ZERO_ONLY_POSITIVE, true, 0, &kb_i)))
        return st;
      const char *rate = fmt(L, "%s * %s * %s * %s", m->params[kb_i].name, m->params[sites_i].name, m->states[pool[0]].column,
                             m->states[a].column);
      return rate ? add_process(L, ti, "decoy_binding", rate, a, -1) : exo__nomem(L);
    }
    return EXO_OK;
  }
  if (!strcmp(k, "chemotherapy")) {
    int d, ec_i, kmax_i;
    if ((st = state_list(L, t, ti, "targets", EXO_KIND_CELLS, states, &n)) || (st = pk(L, t, ti, s, "drug", &d)) ||
        (st = tquantity(L, t, ti, "ec50", D(0, 0, 1), ALLOW_ZERO_ONLY_POSITIVE, true, 0, &ec_i)) ||
        (st = tquantity(L, t, ti, "max_kill", D(0, -1, 0), ALLOW_ZERO_ONLY_POSITIVE, true, 0, &kmax_i)))
      return st;
    for (int i = 0; i < n; i++) {
      const char *rate = fmt(L, "%s * hill(%s, %s, 1) * %s", m->params[kmax_i].name, m->states[d].column, m->params[ec_i].name,
                             m->states[states[i]].column);
      const char *suffix = target_suffix(L, "kill", i, &m->states[states[i]]);
      if (!rate || !suffix) return exo__nomem(L);
      if ((st = add_process(L, ti, suffix, rate, states[i], -1))) return st;
    }
    return EXO_OK;
  }
  return EXO_ERR_MODEL;
}

exo_status exo__read_therapies(loader *L, struct fy_node *sec, exo_pos at) {
  exo_status st;
  exo_model *m = L->m;
  if ((st = exo__expect_type(L, sec, at, FYNT_MAPPING, "'therapies'"))) return st;
  int n = fy_node_mapping_item_count(sec);
  m->therapies = exo_arena_alloc(&m->arena, (size_t)(n ? n : 1) * sizeof *m->therapies);
  m->therapy_on = exo_arena_alloc(&m->arena, (size_t)(n ? n : 1) * sizeof *m->therapy_on);
  if (!m->therapies || !m->therapy_on) return exo__nomem(L);
  void *it = NULL;
  struct fy_node_pair *pr;
  while ((pr = fy_node_mapping_iterate(sec, &it))) {
    const char *name = NULL;
    struct fy_node *kn = fy_node_pair_key(pr), *t = fy_node_pair_value(pr);
    exo_pos kp = exo__node_pos(kn, at);
    if ((st = exo__scalar(L, kn, at, "a therapy name", &name)) || (st = exo__check_new_name(L, name, kp, "therapy"))) return st;
    for (int i = 0; i < m->ntherapy; i++)
      if (!strcmp(m->therapies[i].name, name)) return exo__lerr(L, kp, EXO_ERR_MODEL, "therapy '%s' is declared twice", name);
    char where[160];
    snprintf(where, sizeof where, "therapy '%s'", name);
    if ((st = exo__expect_type(L, t, kp, FYNT_MAPPING, where))) return st;
    const char *kind;
    struct fy_node *kd = exo__get(t, "kind");
    if (!kd) return exo__lerr(L, kp, EXO_ERR_MODEL, "therapy '%s' has no 'kind'", name);
    if ((st = exo__scalar(L, kd, kp, "kind", &kind))) return st;
    int ki = -1;
    const char *names[16];
    size_t nk = sizeof kinds / sizeof kinds[0];
    for (size_t i = 0; i < nk; i++) {
      names[i] = kinds[i].kind;
      if (!strcmp(kind, kinds[i].kind)) ki = (int)i;
    }
    if (ki < 0) {
      const char *sug = exo_nearest(kind, names, nk);
      return exo__lerr(L, exo__node_pos(kd, kp), EXO_ERR_MODEL,
                       "unknown therapy kind '%s'%s%s%s (kinds: vesicle_dose, cell_transfer, adjuvant, secretion_block, "
                       "vesicle_removal, antibody, chemotherapy)",
                       kind, sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
    }
    const char *allowed[24] = {"kind", "description", "source", "at", "every", "times", "start", "from", "until", "duration"};
    size_t na = 10;
    for (int i = 0; i < 12 && kinds[ki].keys[i]; i++) allowed[na++] = kinds[ki].keys[i];
    snprintf(where, sizeof where, "therapy '%s' (kind %s)", name, kind);
    if ((st = exo__check_keys(L, t, allowed, na, where))) return st;
    int ti = m->ntherapy++;
    exo_therapy *th = &m->therapies[ti];
    th->name = name;
    th->kind = kind;
    th->pos = kp;
    struct fy_node *dn = exo__get(t, "description");
    if (dn && (st = exo__scalar(L, dn, kp, "description", &th->description))) return st;
    schedule s;
    bool continuous = kinds[ki].continuous && !(ki == 3 && (exo__get(t, "dose") || exo__get(t, "half_life")));
    if ((st = read_schedule(L, t, kp, where, continuous, &s))) return st;
    th->dose_times = s.start;
    th->ndose = s.n;
    if ((st = build_therapy(L, t, ti, ki, &s))) return st;
  }
  exo__sort_events(m);
  return EXO_OK;
}

exo_status exo__read_arms(loader *L, struct fy_node *sec, exo_pos at) {
  exo_status st;
  exo_model *m = L->m;
  if ((st = exo__expect_type(L, sec, at, FYNT_MAPPING, "'arms'"))) return st;
  int n = fy_node_mapping_item_count(sec);
  m->arms = exo_arena_alloc(&m->arena, (size_t)(n ? n : 1) * sizeof *m->arms);
  if (!m->arms) return exo__nomem(L);
  void *it = NULL;
  struct fy_node_pair *pr;
  while ((pr = fy_node_mapping_iterate(sec, &it))) {
    const char *name = NULL;
    struct fy_node *kn = fy_node_pair_key(pr), *v = fy_node_pair_value(pr);
    exo_pos kp = exo__node_pos(kn, at);
    if ((st = exo__scalar(L, kn, at, "an arm name", &name))) return st;
    if (!exo_is_identifier(name)) return exo__lerr(L, kp, EXO_ERR_MODEL, "arm name '%s' is not valid", name);
    for (int i = 0; i < m->narm; i++)
      if (!strcmp(m->arms[i].name, name)) return exo__lerr(L, kp, EXO_ERR_MODEL, "arm '%s' is declared twice", name);
    exo_arm *arm = &m->arms[m->narm];
    arm->name = name;
    struct fy_node *list = v;
    if (v && fy_node_get_type(v) == FYNT_MAPPING) {
      static const char *const keys[] = {"therapies", "description"};
      char where[160];
      snprintf(where, sizeof where, "arm '%s'", name);
      if ((st = exo__check_keys(L, v, keys, 2, where))) return st;
      struct fy_node *dn = exo__get(v, "description");
      if (dn && (st = exo__scalar(L, dn, kp, "description", &arm->description))) return st;
      list = exo__get(v, "therapies");
    }
    int cnt = list && fy_node_get_type(list) == FYNT_SEQUENCE ? fy_node_sequence_item_count(list) : 0;
    if (list && fy_node_get_type(list) != FYNT_SEQUENCE)
      return exo__lerr(L, exo__node_pos(list, kp), EXO_ERR_MODEL, "arm '%s': therapies are a list ([a, b] or [] for none)", name);
    arm->therapies = exo_arena_alloc(&m->arena, (size_t)(cnt ? cnt : 1) * sizeof *arm->therapies);
    if (!arm->therapies) return exo__nomem(L);
    void *it2 = NULL;
    struct fy_node *x;
    while (list && (x = fy_node_sequence_iterate(list, &it2))) {
      const char *tn;
      if ((st = exo__scalar(L, x, kp, "a therapy name", &tn))) return st;
      int ti = -1;
      const char *names[1024];
      size_t nn = 0;
      for (int i = 0; i < m->ntherapy; i++) {
        if (!strcmp(m->therapies[i].name, tn)) ti = i;
        if (nn < 1024) names[nn++] = m->therapies[i].name;
      }
      if (ti < 0) {
        const char *sug = exo_nearest(tn, names, nn);
        return exo__lerr(L, exo__node_pos(x, kp), EXO_ERR_MODEL, "arm '%s': no therapy '%s'%s%s%s", name, tn,
                         sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
      }
      for (int i = 0; i < arm->ntherapy; i++)
        if (arm->therapies[i] == ti) return exo__lerr(L, exo__node_pos(x, kp), EXO_ERR_MODEL, "arm '%s' lists '%s' twice", name, tn);
      arm->therapies[arm->ntherapy++] = ti;
    }
    m->narm++;
  }
  return EXO_OK;
}

exo_status exo_model_choose_arm(exo_model *m, const char *arm, exo_error *err) {
  int ai = -1;
  if (arm && *arm) {
    for (int i = 0; i < m->narm; i++)
      if (!strcmp(m->arms[i].name, arm)) ai = i;
    if (ai < 0) {
      const char *names[1024];
      size_t nn = 0;
      for (int i = 0; i < m->narm && nn < 1024; i++) names[nn++] = m->arms[i].name;
      const char *sug = exo_nearest(arm, names, nn);
      return exo_error_set(err, EXO_ERR_USAGE, "the model has no arm '%s'%s%s%s", arm, sug ? " (did you mean '" : "",
                           sug ? sug : "", sug ? "'?)" : (m->narm ? "" : " (it declares no arms)"));
    }
  }
  for (int t = 0; t < m->ntherapy; t++) m->therapy_on[t] = false;
  if (ai >= 0)
    for (int i = 0; i < m->arms[ai].ntherapy; i++) m->therapy_on[m->arms[ai].therapies[i]] = true;
  for (int k = 0; k < m->nproc; k++)
    if (m->procs[k].therapy) m->procs[k].enabled = m->therapy_on[m->procs[k].therapy - 1] && !m->procs[k].switched_off;
  m->arm = ai >= 0 ? m->arms[ai].name : NULL;
  return EXO_OK;
}

int exo_model_arm_count(const exo_model *m) { return m->narm; }
const char *exo_model_arm_name(const exo_model *m, int i) { return i >= 0 && i < m->narm ? m->arms[i].name : NULL; }
const char *exo_model_arm_description(const exo_model *m, int i) {
  return i >= 0 && i < m->narm ? m->arms[i].description : NULL;
}

static int cmp_days(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int exo_model_arm_dose_days(const exo_model *m, int i, double *days, int max) {
  if (i < 0 || i >= m->narm) return 0;
  int n = 0;
  for (int k = 0; k < m->arms[i].ntherapy; k++) {
    const exo_therapy *t = &m->therapies[m->arms[i].therapies[k]];
    for (int d = 0; d < t->ndose; d++, n++)
      if (n < max) days[n] = t->dose_times[d] / EXO_MINUTES_PER_DAY;
  }
  int k = n < max ? n : max, u = 0;
  qsort(days, (size_t)k, sizeof *days, cmp_days);
  for (int j = 0; j < k; j++) /* one mark per day, however many therapies dose on it */
    if (u == 0 || days[j] != days[u - 1]) days[u++] = days[j];
  return n <= max ? u : n;
}
