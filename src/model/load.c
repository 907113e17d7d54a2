/* Model-file loader: YAML (libfyaml) to exo_model, with every mistake reported as
 * "FILE:LINE:COL: message". Sections are read in a fixed order whatever their order in the file:
 * simulation, compartments, species (populations, vesicles, molecules), parameters, outputs,
 * processes, events, hosts, therapies, arms, tissue (load_tissue.c), so that later sections can
 * refer to names from earlier ones. */
#include <ctype.h>
#include <errno.h>
#include <libfyaml.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fault.h"
#include "core/sha256.h"
#include "core/strutil.h"
#include "model/builtin.h"
#include "model/model.h"

#define MAX_FILE_BYTES (64L << 20)

#include "model/loader.h"

static exo_status load_text(const char *text, size_t len, const char *display_name, int depth, exo_model **out,
                            exo_error *err);
static exo_status read_whole_file(const char *path, char **buf, size_t *len, exo_error *err);

exo_status exo__lerr(loader *L, exo_pos p, exo_status st, const char *fmt, ...) {
  char msg[EXO_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (p.line > 0)
    return exo_error_set(L->err, st, "%s:%d:%d: %s", L->file, p.line, p.col, msg);
  return exo_error_set(L->err, st, "%s: %s", L->file, msg);
}

exo_status exo__nomem(loader *L) { return exo_error_set(L->err, EXO_ERR_NOMEM, "%s: out of memory", L->file); }

/* --- YAML helpers --------------------------------------------------------------------------- */

exo_pos exo__node_pos(struct fy_node *n, exo_pos fallback) {
  if (n && fy_node_get_type(n) == FYNT_SCALAR) {
    struct fy_token *t = fy_node_get_scalar_token(n);
    const struct fy_mark *mk = t ? fy_token_start_mark(t) : NULL;
    if (mk) return (exo_pos){mk->line + 1, mk->column + 1};
  }
  if (n && fy_node_get_type(n) == FYNT_MAPPING) {
    void *it = NULL;
    struct fy_node_pair *pr = fy_node_mapping_iterate(n, &it);
    if (pr) return exo__node_pos(fy_node_pair_key(pr), fallback);
  }
  if (n && fy_node_get_type(n) == FYNT_SEQUENCE) {
    void *it = NULL;
    struct fy_node *first = fy_node_sequence_iterate(n, &it);
    if (first) return exo__node_pos(first, fallback);
  }
  return fallback;
}

static const char *type_name(struct fy_node *n) {
  if (!n) return "nothing";
  switch (fy_node_get_type(n)) {
  case FYNT_SCALAR: return "a single value";
  case FYNT_SEQUENCE: return "a list";
  case FYNT_MAPPING: return "a mapping";
  }
  return "something else";
}

/* The scalar text of n copied into the arena, or an error naming what was expected. */
exo_status exo__scalar(loader *L, struct fy_node *n, exo_pos at, const char *what, const char **out) {
  if (!n || fy_node_get_type(n) != FYNT_SCALAR)
    return exo__lerr(L, exo__node_pos(n, at), EXO_ERR_MODEL, "%s must be a single value, not %s", what, type_name(n));
  size_t len;
  const char *s = fy_node_get_scalar(n, &len);
  if (!s) return exo__lerr(L, at, EXO_ERR_MODEL, "%s has no value", what);
  if (memchr(s, '\0', len)) return exo__lerr(L, exo__node_pos(n, at), EXO_ERR_SYNTAX, "%s contains a NUL byte", what);
  *out = exo_arena_strndup(&L->m->arena, s, len);
  return *out ? EXO_OK : exo__nomem(L);
}

exo_status exo__expect_type(loader *L, struct fy_node *n, exo_pos at, enum fy_node_type t, const char *what) {
  if (n && fy_node_get_type(n) == t) return EXO_OK;
  const char *want = t == FYNT_MAPPING ? "a mapping (name: value lines)" : t == FYNT_SEQUENCE ? "a list" : "a value";
  return exo__lerr(L, exo__node_pos(n, at), EXO_ERR_MODEL, "%s must be %s, not %s", what, want, type_name(n));
}

/* Checks every key of map against the allowed ones; an unknown key is reported with the nearest
 * valid key. */
exo_status exo__check_keys(loader *L, struct fy_node *map, const char *const *allowed, size_t n, const char *where) {
  void *it = NULL;
  struct fy_node_pair *pr;
  while ((pr = fy_node_mapping_iterate(map, &it))) {
    struct fy_node *k = fy_node_pair_key(pr);
    exo_pos kp = exo__node_pos(k, (exo_pos){0, 0});
    if (!k || fy_node_get_type(k) != FYNT_SCALAR) return exo__lerr(L, kp, EXO_ERR_MODEL, "keys in %s must be plain names", where);
    size_t len;
    const char *ks = fy_node_get_scalar(k, &len);
    char key[128];
    snprintf(key, sizeof key, "%.*s", (int)(len < 127 ? len : 127), ks ? ks : "");
    bool ok = false;
    for (size_t i = 0; i < n && !ok; i++) ok = !strcmp(key, allowed[i]);
    if (ok) continue;
    const char *sug = exo_nearest(key, allowed, n);
    if (sug) return exo__lerr(L, kp, EXO_ERR_MODEL, "unknown key '%s' in %s (did you mean '%s'?)", key, where, sug);
    char list[400] = "";
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
      int w = snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", allowed[i]);
      if (w < 0 || (size_t)w >= sizeof list - used) break;
      used += (size_t)w;
    }
    return exo__lerr(L, kp, EXO_ERR_MODEL, "unknown key '%s' in %s (valid keys: %s)", key, where, list);
  }
  return EXO_OK;
}

struct fy_node *exo__get(struct fy_node *map, const char *key) {
  if (!map || fy_node_get_type(map) != FYNT_MAPPING) return NULL;
  return fy_node_mapping_lookup_by_string(map, key, FY_NT);
}

/* Position of the key 'key' in map (for "missing" and whole-value messages). */
exo_pos exo__key_pos(struct fy_node *map, const char *key, exo_pos fallback) {
  void *it = NULL;
  struct fy_node_pair *pr;
  while ((pr = fy_node_mapping_iterate(map, &it))) {
    struct fy_node *k = fy_node_pair_key(pr);
    size_t len;
    const char *ks = k ? fy_node_get_scalar(k, &len) : NULL;
    if (ks && strlen(key) == len && !memcmp(ks, key, len)) return exo__node_pos(k, fallback);
  }
  return fallback;
}

static const char *pair_key(loader *L, struct fy_node_pair *pr) {
  size_t len;
  struct fy_node *k = fy_node_pair_key(pr);
  const char *s = k && fy_node_get_type(k) == FYNT_SCALAR ? fy_node_get_scalar(k, &len) : NULL;
  return s ? exo_arena_strndup(&L->m->arena, s, len) : NULL;
}

/* --- values --------------------------------------------------------------------------------- */

static void dim_str(exo_dim d, char *buf, size_t n) { exo_dim_format(d, buf, n); }

static const char *unit_example(exo_dim d) {
  static const struct {
    exo_dim d;
    const char *ex;
  } ex[] = {{{{0, -1, 0, 0}}, "0.1 /day"}, {{{0, 1, 0, 0}}, "7 days"}, {{{0, 0, 1, 0}}, "1e6 cells"},
            {{{0, -1, 1, 0}}, "1e4 cells/day"}, {{{0, -1, -1, 0}}, "1e-9 /(cell*day)"},
            {{{3, 0, 0, 0}}, "1 mL"}, {{{2, -1, 0, 0}}, "1e5 um^2/min"}};
  for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++)
    if (exo_dim_eq(d, ex[i].d)) return ex[i].ex;
  return NULL;
}


/* Reads a number with an optional unit and checks it has dimension want. */
exo_status exo__quantity(loader *L, struct fy_node *n, exo_pos at, exo_dim want, int flags,
                           const char *what, double *out, const char **written) {
  const char *text;
  exo_status st = exo__scalar(L, n, at, what, &text);
  if (st) return st;
  exo_pos p = exo__node_pos(n, at);
  exo_quantity q;
  exo_error e2;
  if ((st = exo_quantity_parse(text, &q, &e2))) return exo__lerr(L, p, st, "%s: %s", what, e2.msg);
  char dw[64], dg[64];
  dim_str(want, dw, sizeof dw);
  if (!q.has_unit && !exo_dim_is_none(want)) {
    const char *ex = unit_example(want);
    return exo__lerr(L, p, EXO_ERR_UNIT, "%s needs a unit: expected %s%s%s%s", what, dw, ex ? " (e.g. '" : "",
                ex ? ex : "", ex ? "')" : "");
  }
  if (!exo_dim_eq(q.dim, want)) {
    dim_str(q.dim, dg, sizeof dg);
    return exo__lerr(L, p, EXO_ERR_UNIT, "%s: expected %s, got %s ('%s')", what, dw, dg, text);
  }
  if (!(flags & ALLOW_NEGATIVE) && q.value < 0)
    return exo__lerr(L, p, EXO_ERR_MODEL, "%s must not be negative (got '%s')", what, text);
  if ((flags & ALLOW_ZERO_ONLY_POSITIVE) && q.value <= 0)
    return exo__lerr(L, p, EXO_ERR_MODEL, "%s must be positive (got '%s')", what, text);
  *out = q.value;
  if (written) *written = text;
  return EXO_OK;
}

/* A quantity whose unit decides its dimension (parameters). */
static exo_status free_quantity(loader *L, struct fy_node *n, exo_pos at, const char *what, exo_quantity *q,
                                const char **written) {
  const char *text;
  exo_status st = exo__scalar(L, n, at, what, &text);
  if (st) return st;
  exo_pos p = exo__node_pos(n, at);
  exo_error e2;
  if ((st = exo_quantity_parse(text, q, &e2))) return exo__lerr(L, p, st, "%s: %s", what, e2.msg);
  if (q->value < 0) return exo__lerr(L, p, EXO_ERR_MODEL, "%s must not be negative (got '%s')", what, text);
  *written = text;
  return EXO_OK;
}

exo_status exo__boolean(loader *L, struct fy_node *n, exo_pos at, const char *what, bool *out) {
  const char *t;
  exo_status st = exo__scalar(L, n, at, what, &t);
  if (st) return st;
  if (!strcmp(t, "true") || !strcmp(t, "on") || !strcmp(t, "yes")) *out = true;
  else if (!strcmp(t, "false") || !strcmp(t, "off") || !strcmp(t, "no")) *out = false;
  else return exo__lerr(L, exo__node_pos(n, at), EXO_ERR_MODEL, "%s must be true or false (or on/off), not '%s'", what, t);
  return EXO_OK;
}

exo_status exo__plain_number(loader *L, struct fy_node *n, exo_pos at, const char *what, double lo, double hi,
                               double *out) {
  double v = 0;
  exo_status st = exo__quantity(L, n, at, exo_dim_none(), ALLOW_NEGATIVE, what, &v, NULL);
  if (st) return st;
  if (v < lo || v > hi) return exo__lerr(L, exo__node_pos(n, at), EXO_ERR_MODEL, "%s must be between %g and %g (got %g)", what, lo, hi, v);
  *out = v;
  return EXO_OK;
}

/* --- names ---------------------------------------------------------------------------------- */

static const char *const reserved[] = {"time", "t", "exp", "log", "ln", "log10", "sqrt", "abs",
                                       "pow", "min", "max", "hill", "mech", "initial", "solver", "host",
                                       "time_days"};

/* Every name a model declares lives in one namespace (so an expression is never ambiguous). */
#define MAX_DECLARED_NAME 63 /* leaves room for "compartment.species" and "process.key" in expressions */

exo_status exo__check_new_name(loader *L, const char *name, exo_pos p, const char *what) {
  if (strlen(name) > MAX_DECLARED_NAME)
    return exo__lerr(L, p, EXO_ERR_MODEL, "%s name '%.20s...' is longer than %d characters", what, name, MAX_DECLARED_NAME);
  if (!exo_is_identifier(name))
    return exo__lerr(L, p, EXO_ERR_MODEL,
                "%s name '%s' is not valid: use letters, digits and '_', and start with a letter "
                "or '_' (e.g. 'PD_L1' rather than 'PD-L1')", what, name);
  for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
    if (!strcmp(name, reserved[i])) return exo__lerr(L, p, EXO_ERR_MODEL, "'%s' is a reserved word and cannot name a %s", name, what);
  exo_model *m = L->m;
  for (int i = 0; i < m->ncomp; i++)
    if (!strcmp(m->comps[i].name, name))
      return exo__lerr(L, p, EXO_ERR_MODEL, "duplicate name '%s': already a compartment (line %d)", name, m->comps[i].pos.line);
  for (int i = 0; i < m->nstate; i++)
    if (!strcmp(m->states[i].species, name))
      return exo__lerr(L, p, EXO_ERR_MODEL, "duplicate name '%s': already a %s (line %d)", name,
                  exo_kind_name(m->states[i].kind), m->states[i].pos.line);
  for (int i = 0; i < m->nparam; i++)
    if (!m->params[i].owner && !strcmp(m->params[i].name, name))
      return exo__lerr(L, p, EXO_ERR_MODEL, "duplicate name '%s': already a parameter (line %d)", name, m->params[i].pos.line);
  for (int i = 0; i < m->noutput; i++)
    if (!strcmp(m->outputs[i].name, name))
      return exo__lerr(L, p, EXO_ERR_MODEL, "duplicate name '%s': already an output (line %d)", name, m->outputs[i].pos.line);
  for (int i = 0; i < m->nproc; i++)
    if (!strcmp(m->procs[i].name, name))
      return exo__lerr(L, p, EXO_ERR_MODEL, "duplicate name '%s': already a process (line %d)", name, m->procs[i].pos.line);
  return EXO_OK;
}

int exo_model_find_param(const exo_model *m, const char *name) {
  for (int i = 0; i < m->nparam; i++)
    if (!strcmp(m->params[i].name, name)) return i;
  return -1;
}

int exo_model_find_process(const exo_model *m, const char *name) {
  for (int i = 0; i < m->nproc; i++)
    if (!strcmp(m->procs[i].name, name)) return i;
  return -1;
}

int exo_model_find_state(const exo_model *m, const char *name) {
  int found = -1, count = 0;
  for (int i = 0; i < m->nstate; i++) {
    if (!strcmp(m->states[i].column, name)) return i;
    if (!strcmp(m->states[i].species, name)) {
      found = i;
      count++;
    }
  }
  return count == 1 ? found : count > 1 ? -2 : -1;
}

static int find_output(const exo_model *m, const char *name) {
  for (int i = 0; i < m->noutput; i++)
    if (!strcmp(m->outputs[i].name, name)) return i;
  return -1;
}

const char *exo_kind_name(exo_species_kind k) {
  return k == EXO_KIND_CELLS ? "population" : k == EXO_KIND_VESICLES ? "vesicle pool" : "molecule species";
}

/* Symbol resolution for expressions. Outputs are visible once parsed (m->noutput grows as they
 * are read), so an output can use earlier outputs but never itself or a later one. */
int exo__resolve_symbol(void *ctx, const char *name, exo_symref *out) {
  const exo_model *m = ctx;
  if (!strcmp(name, "time") || !strcmp(name, "t")) {
    *out = (exo_symref){EXO_SYM_TIME, 0, exo_dim_base(EXO_DIM_TIME, 1)};
    return 1;
  }
  int i = exo_model_find_state(m, name);
  if (i >= 0) {
    *out = (exo_symref){EXO_SYM_STATE, i, exo_dim_base(EXO_DIM_COUNT, 1)};
    return 1;
  }
  if ((i = exo_model_find_param(m, name)) >= 0) {
    *out = (exo_symref){EXO_SYM_PARAM, i, m->params[i].dim};
    return 1;
  }
  if ((i = find_output(m, name)) >= 0 && m->outputs[i].expr) {
    *out = (exo_symref){EXO_SYM_OUTPUT, i, m->outputs[i].expr->dim};
    return 1;
  }
  return 0;
}

const char *exo__suggest_symbol(void *ctx, const char *name) {
  const exo_model *m = ctx;
  if (exo_model_find_state(m, name) == -2) /* a species in several compartments: name one */
    for (int i = 0; i < m->nstate; i++)
      if (!strcmp(m->states[i].species, name)) return m->states[i].column;
  const char *cands[512];
  size_t n = 0;
  for (int i = 0; i < m->nstate && n < 500; i++) {
    cands[n++] = m->states[i].column;
    cands[n++] = m->states[i].species;
  }
  for (int i = 0; i < m->nparam && n < 510; i++) cands[n++] = m->params[i].name;
  for (int i = 0; i < m->noutput && n < 511; i++)
    if (m->outputs[i].expr) cands[n++] = m->outputs[i].name;
  if (n < 512) cands[n++] = "time";
  return exo_nearest(name, cands, n);
}

/* Maps byte offset off of a scalar's value to its line and column in the source. The value and
 * the source differ only in quotes, block indicators and the whitespace that YAML folds, so the
 * two are walked together over their non-space characters. Falls back to the scalar's start
 * when they disagree (escape sequences). */
exo_pos exo__scalar_offset_pos(loader *L, struct fy_node *n, const char *value, int off, exo_pos start) {
  struct fy_token *t = fy_node_get_scalar_token(n);
  const struct fy_mark *mk = t ? fy_token_start_mark(t) : NULL, *me = t ? fy_token_end_mark(t) : NULL;
  if (!mk || !me || !L->text || me->input_pos > L->len || mk->input_pos > me->input_pos) return start;
  const char *raw = L->text, *isspace_chars = " \t\r\n";
  size_t r = mk->input_pos, rend = me->input_pos;
  if (r < rend && (raw[r] == '"' || raw[r] == '\'')) r++;
  else if (r < rend && (raw[r] == '|' || raw[r] == '>'))
    while (r < rend && raw[r] != '\n') r++;
  for (int p = 0; p <= off && value[p]; p++) {
    if (strchr(isspace_chars, value[p])) continue;
    while (r < rend && strchr(isspace_chars, raw[r])) r++;
    if (r >= rend || raw[r] != value[p]) return start;
    if (p == off) break;
    r++;
  }
  exo_pos pos = {mk->line + 1, mk->column + 1};
  for (size_t i = mk->input_pos; i < r; i++) {
    if (raw[i] == '\n') {
      pos.line++;
      pos.col = 1;
    } else {
      pos.col++;
    }
  }
  return pos;
}

/* A one-line excerpt of an expression for messages: whitespace runs become one space and long
 * texts are cut to a window around the offending offset. */
static void excerpt(const char *text, int off, char *out, size_t n) {
  char flat[4096];
  size_t k = 0;
  int flat_off = 0;
  for (size_t i = 0; text[i] && k + 1 < sizeof flat; i++) {
    bool sp = strchr(" \t\r\n", text[i]) != NULL;
    if ((int)i == off) flat_off = (int)k;
    if (sp && (k == 0 || flat[k - 1] == ' ')) continue;
    flat[k++] = sp ? ' ' : text[i];
  }
  while (k && flat[k - 1] == ' ') k--;
  flat[k] = '\0';
  if (k <= 70) {
    snprintf(out, n, "%s", flat);
    return;
  }
  int from = flat_off - 40 < 0 ? 0 : flat_off - 40;
  snprintf(out, n, "%s%.60s%s", from ? "..." : "", flat + from, (size_t)from + 60 < k ? "..." : "");
}

/* Parses an expression held in node n; an error points at its exact line and column. */
static exo_status expression(loader *L, struct fy_node *n, exo_pos at, const char *what, const char **text_out,
                             exo_expr **out) {
  const char *text;
  exo_status st = exo__scalar(L, n, at, what, &text);
  if (st) return st;
  exo_pos p = exo__node_pos(n, at);
  int epos;
  exo_error e2;
  st = exo_expr_parse(&L->m->arena, text, exo__resolve_symbol, exo__suggest_symbol, L->m, out, &epos, &e2);
  if (st == EXO_ERR_NOMEM) return exo__nomem(L);
  if (st) {
    char ex[128];
    excerpt(text, epos, ex, sizeof ex);
    return exo__lerr(L, exo__scalar_offset_pos(L, n, text, epos, p), st, "%s: %s (in \"%s\")", what, e2.msg, ex);
  }
  if (text_out) *text_out = text;
  return EXO_OK;
}

/* --- sections ------------------------------------------------------------------------------- */

static exo_status read_simulation(loader *L, struct fy_node *sim, exo_pos at) {
  exo_solver_settings *s = &L->m->solver;
  if (!sim) return EXO_OK;
  exo_status st;
  if ((st = exo__expect_type(L, sim, at, FYNT_MAPPING, "'simulation'"))) return st;
  static const char *const keys[] = {"days", "end", "output_every", "output_times", "rtol", "atol", "max_steps", "linear_solver", "rhs"};
  if ((st = exo__check_keys(L, sim, keys, sizeof keys / sizeof keys[0], "'simulation'"))) return st;
  struct fy_node *n;
  if ((n = exo__get(sim, "days"))) {
    double d = 0;
    if ((st = exo__plain_number(L, n, at, "simulation.days", 0, 1e7, &d))) return st;
    s->end_time = d * EXO_MINUTES_PER_DAY;
  }
  if ((n = exo__get(sim, "end")) && exo__get(sim, "days"))
    return exo__lerr(L, exo__key_pos(sim, "end", at), EXO_ERR_MODEL, "give either simulation.days or simulation.end, not both");
  if ((n = exo__get(sim, "end")))
    if ((st = exo__quantity(L, n, at, exo_dim_base(EXO_DIM_TIME, 1), 0, "simulation.end", &s->end_time, NULL))) return st;
  if ((n = exo__get(sim, "output_every")))
    if ((st = exo__quantity(L, n, at, exo_dim_base(EXO_DIM_TIME, 1), ALLOW_ZERO_ONLY_POSITIVE, "simulation.output_every",
                       &s->output_every, NULL)))
      return st;
  if ((n = exo__get(sim, "output_times"))) {
    if (exo__get(sim, "output_every"))
      return exo__lerr(L, exo__key_pos(sim, "output_times", at), EXO_ERR_MODEL, "give either output_every or output_times, not both");
    if ((st = exo__expect_type(L, n, at, FYNT_SEQUENCE, "simulation.output_times"))) return st;
    int cnt = fy_node_sequence_item_count(n);
    s->output_times = exo_arena_alloc(&L->m->arena, (size_t)(cnt ? cnt : 1) * sizeof *s->output_times);
    if (!s->output_times) return exo__nomem(L);
    void *it = NULL;
    struct fy_node *tn;
    while ((tn = fy_node_sequence_iterate(n, &it))) {
      double v = 0;
      if ((st = exo__quantity(L, tn, at, exo_dim_base(EXO_DIM_TIME, 1), 0, "output time", &v, NULL))) return st;
      if (s->noutput_times && v <= s->output_times[s->noutput_times - 1])
        return exo__lerr(L, exo__node_pos(tn, at), EXO_ERR_MODEL, "output_times must increase");
      s->output_times[s->noutput_times++] = v;
    }
    if (!s->noutput_times) return exo__lerr(L, exo__node_pos(n, at), EXO_ERR_MODEL, "simulation.output_times is empty");
  }
  if ((n = exo__get(sim, "rtol")) && (st = exo__plain_number(L, n, at, "simulation.rtol", 1e-15, 0.5, &s->rtol))) return st;
  if ((n = exo__get(sim, "atol")) && (st = exo__plain_number(L, n, at, "simulation.atol", 1e-300, 1e12, &s->atol))) return st;
  if ((n = exo__get(sim, "atol")) && s->atol <= 0) return exo__lerr(L, exo__node_pos(n, at), EXO_ERR_MODEL, "simulation.atol must be positive");
  if ((n = exo__get(sim, "max_steps"))) {
    double v = 0;
    if ((st = exo__plain_number(L, n, at, "simulation.max_steps", 1, 1e9, &v))) return st;
    if (v != floor(v)) return exo__lerr(L, exo__node_pos(n, at), EXO_ERR_MODEL, "simulation.max_steps must be a whole number (got %g)", v);
    s->max_steps = (long)v;
  }
  if ((n = exo__get(sim, "linear_solver"))) {
    const char *t;
    if ((st = exo__scalar(L, n, at, "simulation.linear_solver", &t))) return st;
    if (!strcmp(t, "auto")) s->linsolver = EXO_LINSOL_AUTO;
    else if (!strcmp(t, "dense")) s->linsolver = EXO_LINSOL_DENSE;
    else if (!strcmp(t, "band")) s->linsolver = EXO_LINSOL_BAND;
    else return exo__lerr(L, exo__node_pos(n, at), EXO_ERR_MODEL, "simulation.linear_solver must be auto, dense or band, not '%s'", t);
  }
  if ((n = exo__get(sim, "rhs"))) {
    const char *t;
    if ((st = exo__scalar(L, n, at, "simulation.rhs", &t))) return st;
    if (exo_rhs_mode_parse(t, &s->rhs_mode))
      return exo__lerr(L, exo__node_pos(n, at), EXO_ERR_MODEL, "simulation.rhs must be auto, native or interpreter, not '%s'", t);
  }
  return EXO_OK;
}

static exo_status read_compartments(loader *L, struct fy_node *sec, exo_pos at) {
  exo_status st;
  if ((st = exo__expect_type(L, sec, at, FYNT_MAPPING, "'compartments'"))) return st;
  int n = fy_node_mapping_item_count(sec);
  if (n == 0) return exo__lerr(L, at, EXO_ERR_MODEL, "'compartments' is empty: a model needs at least one compartment");
  exo_model *m = L->m;
  m->comps = exo_arena_alloc(&m->arena, (size_t)n * sizeof *m->comps);
  if (!m->comps) return exo__nomem(L);
  void *it = NULL;
  struct fy_node_pair *pr;
  while ((pr = fy_node_mapping_iterate(sec, &it))) {
    const char *name = pair_key(L, pr);
    exo_pos kp = exo__node_pos(fy_node_pair_key(pr), at);
    if (!name) return exo__lerr(L, kp, EXO_ERR_MODEL, "compartment names must be plain names");
    if ((st = exo__check_new_name(L, name, kp, "compartment"))) return st;
    struct fy_node *v = fy_node_pair_value(pr), *vol = v;
    char what[160];
    snprintf(what, sizeof what, "volume of compartment '%s'", name);
    if (v && fy_node_get_type(v) == FYNT_MAPPING) {
      static const char *const keys[] = {"volume", "description"};
      char where[160];
      snprintf(where, sizeof where, "compartment '%s'", name);
      if ((st = exo__check_keys(L, v, keys, 2, where))) return st;
      vol = exo__get(v, "volume");
      if (!vol) return exo__lerr(L, kp, EXO_ERR_MODEL, "compartment '%s' has no 'volume'", name);
    }
    exo_compartment *c = &m->comps[m->ncomp];
    c->name = name;
    c->pos = kp;
    if ((st = exo__quantity(L, vol, kp, exo_dim_base(EXO_DIM_LENGTH, 3), ALLOW_ZERO_ONLY_POSITIVE, what, &c->volume, NULL)))
      return st;
    m->ncomp++;
  }
  return EXO_OK;
}

int exo__find_comp(const exo_model *m, const char *name) {
  for (int i = 0; i < m->ncomp; i++)
    if (!strcmp(m->comps[i].name, name)) return i;
  return -1;
}

static exo_status comp_ref(loader *L, struct fy_node *n, exo_pos at, const char *what, int *out) {
  const char *name;
  exo_status st = exo__scalar(L, n, at, what, &name);
  if (st) return st;
  *out = exo__find_comp(L->m, name);
  if (*out >= 0) return EXO_OK;
  const char *cands[256];
  size_t k = 0;
  for (int i = 0; i < L->m->ncomp && k < 256; i++) cands[k++] = L->m->comps[i].name;
  const char *sug = exo_nearest(name, cands, k);
  if (sug) return exo__lerr(L, exo__node_pos(n, at), EXO_ERR_MODEL, "unknown compartment '%s' (did you mean '%s'?)", name, sug);
  return exo__lerr(L, exo__node_pos(n, at), EXO_ERR_MODEL, "unknown compartment '%s'", name);
}

/* An initial amount: a count, or a concentration (count per volume) times the compartment's
 * volume. */
static exo_status initial_amount(loader *L, struct fy_node *n, exo_pos at, int comp, const char *what, double *out) {
  const char *text;
  exo_status st = exo__scalar(L, n, at, what, &text);
  if (st) return st;
  exo_quantity q;
  exo_error e2;
  exo_pos p = exo__node_pos(n, at);
  if ((st = exo_quantity_parse(text, &q, &e2))) return exo__lerr(L, p, st, "%s: %s", what, e2.msg);
  exo_dim conc = exo_dim_div(exo_dim_base(EXO_DIM_COUNT, 1), exo_dim_base(EXO_DIM_LENGTH, 3));
  if (q.value < 0) return exo__lerr(L, p, EXO_ERR_MODEL, "%s must not be negative (got '%s')", what, text);
  if (!q.has_unit) return exo__lerr(L, p, EXO_ERR_UNIT, "%s needs a unit: expected count (e.g. '1e6 cells') or count/length^3 (e.g. '5 nM')", what);
  if (exo_dim_eq(q.dim, exo_dim_base(EXO_DIM_COUNT, 1))) *out = q.value;
  else if (exo_dim_eq(q.dim, conc)) {
    *out = q.value * L->m->comps[comp].volume;
    if (!isfinite(*out)) return exo__lerr(L, p, EXO_ERR_MODEL, "%s: '%s' times the compartment's volume is not a finite amount", what, text);
  }
  else {
    char dg[64];
    dim_str(q.dim, dg, sizeof dg);
    return exo__lerr(L, p, EXO_ERR_UNIT, "%s: expected count or count/length^3, got %s ('%s')", what, dg, text);
  }
  return EXO_OK;
}

static exo_status read_species(loader *L, struct fy_node *sec, exo_pos at, exo_species_kind kind, const char *secname) {
  exo_status st;
  if ((st = exo__expect_type(L, sec, at, FYNT_MAPPING, secname))) return st;
  exo_model *m = L->m;
  void *it = NULL;
  struct fy_node_pair *pr;
  while ((pr = fy_node_mapping_iterate(sec, &it))) {
    const char *name = pair_key(L, pr);
    exo_pos kp = exo__node_pos(fy_node_pair_key(pr), at);
    if (!name) return exo__lerr(L, kp, EXO_ERR_MODEL, "names in %s must be plain names", secname);
    if ((st = exo__check_new_name(L, name, kp, exo_kind_name(kind)))) return st;
    struct fy_node *v = fy_node_pair_value(pr);
    char where[160];
    snprintf(where, sizeof where, "%s '%s'", exo_kind_name(kind), name);
    if ((st = exo__expect_type(L, v, kp, FYNT_MAPPING, where))) return st;
    static const char *const keys[] = {"compartment", "compartments", "initial", "role", "description"};
    if ((st = exo__check_keys(L, v, keys, sizeof keys / sizeof keys[0], where))) return st;
    struct fy_node *c1 = exo__get(v, "compartment"), *cs = exo__get(v, "compartments"), *init = exo__get(v, "initial"),
                   *role = exo__get(v, "role");
    if (!c1 == !cs)
      return exo__lerr(L, kp, EXO_ERR_MODEL, "%s needs exactly one of 'compartment: NAME' or 'compartments: [A, B]'", where);
    bool tumour = false;
    if (role) {
      const char *r;
      if ((st = exo__scalar(L, role, kp, "role", &r))) return st;
      if (!strcmp(r, "tumour") || !strcmp(r, "tumor")) tumour = true;
      else if (strcmp(r, "immune") && strcmp(r, "other"))
        return exo__lerr(L, exo__node_pos(role, kp), EXO_ERR_MODEL, "role must be tumour, immune or other, not '%s'", r);
    }
    int comps[64], nc = 0;
    if (c1) {
      if ((st = comp_ref(L, c1, kp, "compartment", &comps[0]))) return st;
      nc = 1;
    } else {
      if ((st = exo__expect_type(L, cs, kp, FYNT_SEQUENCE, "'compartments'"))) return st;
      void *it2 = NULL;
      struct fy_node *cn;
      while ((cn = fy_node_sequence_iterate(cs, &it2))) {
        if (nc == 64) return exo__lerr(L, exo__node_pos(cn, kp), EXO_ERR_MODEL, "too many compartments for one species (max 64)");
        if ((st = comp_ref(L, cn, kp, "compartment", &comps[nc]))) return st;
        for (int j = 0; j < nc; j++)
          if (comps[j] == comps[nc]) return exo__lerr(L, exo__node_pos(cn, kp), EXO_ERR_MODEL, "compartment listed twice for '%s'", name);
        nc++;
      }
      if (nc == 0) return exo__lerr(L, kp, EXO_ERR_MODEL, "'compartments' of '%s' is empty", name);
    }
    exo_state *grown = exo_arena_grow(&m->arena, m->states, (size_t)m->nstate, (size_t)(m->nstate + nc), sizeof *grown);
    if (!grown) return exo__nomem(L);
    m->states = grown;
    for (int j = 0; j < nc; j++) {
      exo_state *s = &m->states[m->nstate];
      s->species = name;
      s->compartment = comps[j];
      s->kind = kind;
      s->tumour = tumour;
      s->pos = kp;
      size_t cl = strlen(m->comps[comps[j]].name) + strlen(name) + 2;
      char *col = exo_arena_alloc(&m->arena, cl);
      if (!col) return exo__nomem(L);
      snprintf(col, cl, "%s.%s", m->comps[comps[j]].name, name);
      s->column = col;
      if (init) {
        struct fy_node *iv = init;
        char what[200];
        snprintf(what, sizeof what, "initial value of '%s'", col);
        if (fy_node_get_type(init) == FYNT_MAPPING) {
          iv = exo__get(init, m->comps[comps[j]].name);
          /* every key of the mapping must be one of the species' compartments */
          const char *cn[64];
          for (int k = 0; k < nc; k++) cn[k] = m->comps[comps[k]].name;
          if ((st = exo__check_keys(L, init, cn, (size_t)nc, "'initial' (keys are compartments)"))) return st;
        }
        if (iv && (st = initial_amount(L, iv, kp, comps[j], what, &s->initial))) return st;
      }
      m->nstate++;
    }
  }
  return EXO_OK;
}

exo_status exo__add_param(loader *L, const char *name, double v, exo_dim d, const char *written, const char *owner,
                            exo_pos p, int *index) {
  exo_model *m = L->m;
  exo_param *g = exo_arena_grow(&m->arena, m->params, (size_t)m->nparam, (size_t)m->nparam + 1, sizeof *g);
  if (!g) return exo__nomem(L);
  m->params = g;
  g[m->nparam] = (exo_param){name, v, d, written, owner, p};
  if (index) *index = m->nparam;
  m->nparam++;
  return EXO_OK;
}

static exo_status read_parameters(loader *L, struct fy_node *sec, exo_pos at) {
  exo_status st;
  if ((st = exo__expect_type(L, sec, at, FYNT_MAPPING, "'parameters'"))) return st;
  void *it = NULL;
  struct fy_node_pair *pr;
  while ((pr = fy_node_mapping_iterate(sec, &it))) {
    const char *name = pair_key(L, pr);
    exo_pos kp = exo__node_pos(fy_node_pair_key(pr), at);
    if (!name) return exo__lerr(L, kp, EXO_ERR_MODEL, "parameter names must be plain names");
    if ((st = exo__check_new_name(L, name, kp, "parameter"))) return st;
    struct fy_node *v = fy_node_pair_value(pr);
    char what[160];
    snprintf(what, sizeof what, "parameter '%s'", name);
    if (v && fy_node_get_type(v) == FYNT_MAPPING) {
      static const char *const keys[] = {"value", "description", "source", "status"};
      if ((st = exo__check_keys(L, v, keys, sizeof keys / sizeof keys[0], what))) return st;
      struct fy_node *s = exo__get(v, "status");
      if (s) {
        const char *t;
        if ((st = exo__scalar(L, s, kp, "status", &t))) return st;
        if (strcmp(t, "SEEN") && strcmp(t, "UNVERIFIED") && strcmp(t, "assumed"))
          return exo__lerr(L, exo__node_pos(s, kp), EXO_ERR_MODEL, "status of %s must be SEEN, UNVERIFIED or assumed, not '%s'", what, t);
      }
      v = exo__get(v, "value");
      if (!v) return exo__lerr(L, kp, EXO_ERR_MODEL, "%s has no 'value'", what);
    }
    exo_quantity q;
    const char *written = NULL;
    if ((st = free_quantity(L, v, kp, what, &q, &written))) return st;
    if ((st = exo__add_param(L, name, q.value, q.dim, written, NULL, kp, NULL))) return st;
  }
  return EXO_OK;
}

static exo_status read_outputs(loader *L, struct fy_node *sec, exo_pos at) {
  exo_status st;
  if ((st = exo__expect_type(L, sec, at, FYNT_MAPPING, "'outputs'"))) return st;
  exo_model *m = L->m;
  int n = fy_node_mapping_item_count(sec);
  m->outputs = exo_arena_grow(&m->arena, NULL, 0, (size_t)(n ? n : 1), sizeof *m->outputs);
  if (!m->outputs) return exo__nomem(L);
  void *it = NULL;
  struct fy_node_pair *pr;
  while ((pr = fy_node_mapping_iterate(sec, &it))) {
    const char *name = pair_key(L, pr);
    exo_pos kp = exo__node_pos(fy_node_pair_key(pr), at);
    if (!name) return exo__lerr(L, kp, EXO_ERR_MODEL, "output names must be plain names");
    if ((st = exo__check_new_name(L, name, kp, "output"))) return st;
    exo_output *o = &m->outputs[m->noutput];
    o->name = name;
    o->pos = kp;
    char what[160];
    snprintf(what, sizeof what, "output '%s'", name);
    struct fy_node *v = fy_node_pair_value(pr), *unit = NULL;
    o->unit_factor = 1;
    if (v && fy_node_get_type(v) == FYNT_MAPPING) {
      static const char *const keys[] = {"value", "unit", "description", "figure"};
      if ((st = exo__check_keys(L, v, keys, sizeof keys / sizeof keys[0], what))) return st;
      unit = exo__get(v, "unit");
      struct fy_node *fg = exo__get(v, "figure");
      if (fg) {
        if ((st = exo__scalar(L, fg, kp, "figure", &o->figure))) return st;
        if (!strcmp(o->figure, "tumour_burden") || !strcmp(o->figure, "immune") || !strcmp(o->figure, "vesicles"))
          return exo__lerr(L, exo__node_pos(fg, kp), EXO_ERR_MODEL, "'%s' is the name of a built-in figure: choose another", o->figure);
        if (!exo_is_identifier(o->figure))
          return exo__lerr(L, exo__node_pos(fg, kp), EXO_ERR_MODEL, "figure names are plain names (e.g. cargo_exposure), not '%s'", o->figure);
      }
      v = exo__get(v, "value");
      if (!v) return exo__lerr(L, kp, EXO_ERR_MODEL, "%s has no 'value' (its expression)", what);
    }
    /* parse before counting it in, so it cannot refer to itself */
    exo_expr *e;
    if ((st = expression(L, v, kp, what, &o->text, &e))) {
      /* say why a name listed in this section is not visible yet */
      char self[160], later[160];
      snprintf(self, sizeof self, "undefined name '%s'", name);
      if (strstr(L->err->msg, self)) {
        char msg[EXO_ERROR_MSG_MAX];
        snprintf(msg, sizeof msg, "%s", L->err->msg);
        char *cut = strstr(msg, self);
        snprintf(cut, sizeof msg - (size_t)(cut - msg), "it refers to itself");
        exo_error_set(L->err, st, "%s", msg);
      } else {
        void *it2 = NULL;
        struct fy_node_pair *q;
        while ((q = fy_node_mapping_iterate(sec, &it2))) {
          const char *other = pair_key(L, q);
          snprintf(later, sizeof later, "undefined name '%s'", other ? other : "");
          if (other && strstr(L->err->msg, later)) {
            size_t len = strlen(L->err->msg);
            snprintf(L->err->msg + len, sizeof L->err->msg - len,
                     "; '%s' is an output listed after '%s', and an output can only use those listed before it", other, name);
            break;
          }
        }
      }
      return st;
    }
    o->expr = e;
    if (unit) {
      const char *ut;
      if ((st = exo__scalar(L, unit, kp, "unit", &ut))) return st;
      exo_dim d;
      exo_error e2;
      if ((st = exo_unit_parse(ut, &o->unit_factor, &d, &e2))) return exo__lerr(L, exo__node_pos(unit, kp), st, "%s: %s", what, e2.msg);
      if (!e->dim_free && !exo_dim_eq(d, e->dim)) {
        char dw[64], dg[64];
        dim_str(e->dim, dw, sizeof dw);
        dim_str(d, dg, sizeof dg);
        return exo__lerr(L, exo__node_pos(unit, kp), EXO_ERR_UNIT, "%s is %s, but its unit '%s' is %s", what, dw, ut, dg);
      }
      o->unit = ut;
    }
    m->noutput++;
  }
  return EXO_OK;
}

/* --- processes ------------------------------------------------------------------------------ */

typedef struct proc_ctx {
  loader *L;
  struct fy_node *map;
  exo_process *p;
  exo_pos pos;
  const char *text; /* the rate expression being composed */
} proc_ctx;

/* A state named by a process field ("target: T"); species in several compartments need
 * "compartment.species". */
exo_status exo__state_ref(loader *L, struct fy_node *n, exo_pos at, const char *what, int *out) {
  const char *name;
  exo_status st = exo__scalar(L, n, at, what, &name);
  if (st) return st;
  exo_pos p = exo__node_pos(n, at);
  int i = exo_model_find_state(L->m, name);
  if (i == -2)
    return exo__lerr(L, p, EXO_ERR_MODEL, "%s '%s' lives in several compartments: write COMPARTMENT.%s", what, name, name);
  if (i < 0) {
    const char *sug = exo__suggest_symbol(L->m, name);
    if (sug) return exo__lerr(L, p, EXO_ERR_MODEL, "%s: unknown population, vesicle pool or molecule '%s' (did you mean '%s'?)", what, name, sug);
    return exo__lerr(L, p, EXO_ERR_MODEL, "%s: unknown population, vesicle pool or molecule '%s'", what, name);
  }
  *out = i;
  return EXO_OK;
}

static void only_params_visit(void *ctx, const exo_symref *s) {
  if (s->kind != EXO_SYM_PARAM) *(bool *)ctx = false;
}

static double param_value(void *ctx, const exo_symref *s) {
  const exo_model *m = ctx;
  return s->kind == EXO_SYM_PARAM ? m->params[s->index].value : NAN;
}

/* A parameter field of a built-in process: a number with a unit (becomes the hidden parameter
 * "PROCESS.KEY", settable with --set) or an expression over parameters and states. Returns the
 * text to splice into the rate expression. */
static exo_status proc_param(proc_ctx *c, const char *key, exo_dim want, bool required, const char *deflt,
                             const char **frag) {
  loader *L = c->L;
  struct fy_node *n = exo__get(c->map, key);
  char what[200];
  snprintf(what, sizeof what, "'%s' of process '%s'", key, c->p->name);
  if (!n) {
    if (required) return exo__lerr(L, c->pos, EXO_ERR_MODEL, "process '%s' (kind %s) needs '%s'", c->p->name, c->p->kind, key);
    *frag = deflt;
    return EXO_OK;
  }
  const char *text;
  exo_status st = exo__scalar(L, n, c->pos, what, &text);
  if (st) return st;
  const char *s = text;
  while (isspace((unsigned char)*s)) s++;
  bool numeric = isdigit((unsigned char)*s) || *s == '.' || ((*s == '-' || *s == '+') && (isdigit((unsigned char)s[1]) || s[1] == '.'));
  if (numeric) {
    /* "0.1 /day" is a quantity; "2 * r" is an expression that starts with a number: after the
     * number, a unit begins with a letter, '/', '(' or '%' but an expression continues with an
     * operator. */
    char *end;
    (void)strtod(s, &end);
    while (*end == ' ' || *end == '\t') end++;
    if (*end && !(isalpha((unsigned char)*end) || *end == '/' || *end == '(' || *end == '%' || (unsigned char)*end >= 0x80))
      numeric = false;
  }
  if (numeric) {
    double v = 0;
    const char *written = NULL;
    if ((st = exo__quantity(L, n, c->pos, want, 0, what, &v, &written))) return st;
    size_t len = strlen(c->p->name) + strlen(key) + 2;
    char *pname = exo_arena_alloc(&L->m->arena, len);
    if (!pname) return exo__nomem(L);
    snprintf(pname, len, "%s.%s", c->p->name, key);
    if ((st = exo__add_param(L, pname, v, want, written, c->p->name, exo__node_pos(n, c->pos), NULL))) return st;
    *frag = pname;
    return EXO_OK;
  }
  exo_expr *e;
  if ((st = expression(L, n, c->pos, what, NULL, &e))) return st;
  /* an expression over parameters only has a value now: it must not be negative, as a number
   * written here must not be */
  bool params_only = true;
  exo_expr_visit_symbols(e, only_params_visit, &params_only);
  if (params_only) {
    double v = exo_expr_eval_tree(e, param_value, L->m);
    if (!(v >= 0))
      return exo__lerr(L, exo__node_pos(n, c->pos), EXO_ERR_MODEL, "%s must not be negative, but '%s' is %s", what, text,
                  v < 0 ? "negative" : "not a number");
  }
  if (!e->dim_free && !exo_dim_eq(e->dim, want)) {
    char dw[64], dg[64];
    dim_str(want, dw, sizeof dw);
    dim_str(e->dim, dg, sizeof dg);
    return exo__lerr(L, exo__node_pos(n, c->pos), EXO_ERR_UNIT, "%s: expected %s, got %s ('%s')", what, dw, dg, text);
  }
  size_t len = strlen(text) + 3;
  char *wrapped = exo_arena_alloc(&L->m->arena, len);
  if (!wrapped) return exo__nomem(L);
  /* a lone name needs no parentheses when spliced into the rate */
  snprintf(wrapped, len, e->kind == EXO_EN_SYM || e->kind == EXO_EN_NUM ? "%s" : "(%s)", text);
  *frag = wrapped;
  return EXO_OK;
}

static exo_status add_stoich(proc_ctx *c, int state, double coef) {
  exo_process *p = c->p;
  for (int i = 0; i < p->nstoich; i++)
    if (p->stoich[i].state == state) {
      p->stoich[i].coef += coef;
      return EXO_OK;
    }
  exo_stoich *g = exo_arena_grow(&c->L->m->arena, p->stoich, (size_t)p->nstoich, (size_t)p->nstoich + 1, sizeof *g);
  if (!g) return exo__nomem(c->L);
  p->stoich = g;
  g[p->nstoich++] = (exo_stoich){state, coef};
  return EXO_OK;
}

/* from/to: a name or a list of names; 'from' loses and 'to' gains one unit per unit of rate. */
static exo_status stoich_list(proc_ctx *c, const char *key, double coef) {
  struct fy_node *n = exo__get(c->map, key);
  if (!n) return EXO_OK;
  exo_status st;
  char what[160];
  snprintf(what, sizeof what, "'%s' of process '%s'", key, c->p->name);
  int s;
  if (fy_node_get_type(n) == FYNT_SEQUENCE) {
    void *it = NULL;
    struct fy_node *e;
    while ((e = fy_node_sequence_iterate(n, &it))) {
      if ((st = exo__state_ref(c->L, e, c->pos, what, &s)) || (st = add_stoich(c, s, coef))) return st;
    }
    return EXO_OK;
  }
  if ((st = exo__state_ref(c->L, n, c->pos, what, &s))) return st;
  return add_stoich(c, s, coef);
}

static exo_status compose(proc_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static exo_status compose(proc_ctx *c, const char *fmt, ...) {
  va_list ap, ap2;
  va_start(ap, fmt);
  va_copy(ap2, ap);
  int w = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  char *t = w >= 0 ? exo_arena_alloc(&c->L->m->arena, (size_t)w + 1) : NULL;
  if (t) vsnprintf(t, (size_t)w + 1, fmt, ap2);
  va_end(ap2);
  if (!t) return exo__nomem(c->L);
  c->text = t;
  return EXO_OK;
}

static const char *col(proc_ctx *c, int state) { return c->L->m->states[state].column; }

static exo_dim D(int l, int t, int n) { return (exo_dim){{(int8_t)l, (int8_t)t, (int8_t)n, 0}}; }

static exo_status build_process(proc_ctx *c) {
  loader *L = c->L;
  exo_process *p = c->p;
  const char *k = p->kind;
  exo_status st;
  const char *r = NULL, *K = NULL, *n = NULL;
  int tgt, src, dst;
  exo_dim per_time = D(0, -1, 0), count = D(0, 0, 1), count_per_time = D(0, -1, 1);
#define REQ_STATE(key, var)                                                                     \
  do {                                                                                          \
    struct fy_node *nn_ = exo__get(c->map, key);                                                     \
    if (!nn_) return exo__lerr(L, c->pos, EXO_ERR_MODEL, "process '%s' (kind %s) needs '%s'", p->name, k, key); \
    char w_[160];                                                                               \
    snprintf(w_, sizeof w_, "'%s' of process '%s'", key, p->name);                           \
    if ((st = exo__state_ref(L, nn_, c->pos, w_, &var))) return st;                                   \
  } while (0)

  if (!strcmp(k, "growth")) {
    REQ_STATE("target", tgt);
    const char *law = "exponential";
    struct fy_node *ln = exo__get(c->map, "law");
    if (ln && (st = exo__scalar(L, ln, c->pos, "law", &law))) return st;
    if ((st = proc_param(c, "rate", per_time, true, NULL, &r))) return st;
    if (!strcmp(law, "exponential")) {
      if (exo__get(c->map, "capacity"))
        return exo__lerr(L, exo__key_pos(c->map, "capacity", c->pos), EXO_ERR_MODEL, "exponential growth has no 'capacity' (use law: logistic or gompertz)");
      st = compose(c, "%s * %s", r, col(c, tgt));
    } else if (!strcmp(law, "logistic")) {
      if ((st = proc_param(c, "capacity", count, true, NULL, &K))) return st;
      st = compose(c, "%s * %s * (1 - %s / %s)", r, col(c, tgt), col(c, tgt), K);
    } else if (!strcmp(law, "gompertz")) {
      if ((st = proc_param(c, "capacity", count, true, NULL, &K))) return st;
      /* r X ln(K/X); X=0 is handled by the positivity clamp (0 * ln(inf) would be NaN) */
      st = compose(c, "%s * %s * log(%s / max(%s, 1e-300 * %s))", r, col(c, tgt), K, col(c, tgt), K);
    } else {
      static const char *const laws[] = {"exponential", "logistic", "gompertz"};
      const char *sug = exo_nearest(law, laws, 3);
      return exo__lerr(L, exo__node_pos(ln, c->pos), EXO_ERR_MODEL, "growth law must be exponential, logistic or gompertz, not '%s'%s%s%s",
                  law, sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
    }
    if (st || (st = add_stoich(c, tgt, 1))) return st;
  } else if (!strcmp(k, "mass_action_kill")) {
    int killer;
    REQ_STATE("killer", killer);
    REQ_STATE("target", tgt);
    if ((st = proc_param(c, "rate", D(0, -1, -1), true, NULL, &r))) return st;
    if ((st = compose(c, "%s * %s * %s", r, col(c, killer), col(c, tgt))) || (st = add_stoich(c, tgt, -1))) return st;
  } else if (!strcmp(k, "saturating_kill")) {
    int killer;
    REQ_STATE("killer", killer);
    REQ_STATE("target", tgt);
    if ((st = proc_param(c, "rate", per_time, true, NULL, &r)) ||
        (st = proc_param(c, "half_saturation", count, true, NULL, &K)))
      return st;
    if ((st = compose(c, "%s * %s * %s / (%s + %s)", r, col(c, killer), col(c, tgt), K, col(c, tgt))) ||
        (st = add_stoich(c, tgt, -1)))
      return st;
  } else if (!strcmp(k, "hill")) {
    /* rate = k [* per] * hill(signal, half_max, n)   (or 1 - hill for effect: decreases) */
    struct fy_node *sig = exo__get(c->map, "signal");
    if (!sig) return exo__lerr(L, c->pos, EXO_ERR_MODEL, "process '%s' (kind hill) needs 'signal'", p->name);
    exo_expr *se;
    const char *stext;
    char w[160];
    snprintf(w, sizeof w, "'signal' of process '%s'", p->name);
    if ((st = expression(L, sig, c->pos, w, &stext, &se))) return st;
    int per = -1;
    if (exo__get(c->map, "per")) REQ_STATE("per", per);
    if ((st = proc_param(c, "rate", per >= 0 ? per_time : count_per_time, true, NULL, &r)) ||
        (st = proc_param(c, "half_max", se->dim, true, NULL, &K)) ||
        (st = proc_param(c, "hill_power", exo_dim_none(), false, "1", &n)))
      return st;
    const char *effect = "increases";
    struct fy_node *en = exo__get(c->map, "effect");
    if (en && (st = exo__scalar(L, en, c->pos, "effect", &effect))) return st;
    bool dec = !strcmp(effect, "decreases");
    if (!dec && strcmp(effect, "increases"))
      return exo__lerr(L, exo__node_pos(en, c->pos), EXO_ERR_MODEL, "effect must be increases or decreases, not '%s'", effect);
    if ((st = compose(c, dec ? "(1 - hill((%s), %s, %s))" : "hill((%s), %s, %s)", stext, K, n))) return st;
    const char *hterm = c->text;
    if (per >= 0) st = compose(c, "%s * %s * %s", r, col(c, per), hterm);
    else st = compose(c, "%s * %s", r, hterm);
    if (st || (st = stoich_list(c, "from", -1)) || (st = stoich_list(c, "to", 1))) return st;
    if (p->nstoich == 0) return exo__lerr(L, c->pos, EXO_ERR_MODEL, "process '%s' changes nothing: give 'from' and/or 'to'", p->name);
  } else if (!strcmp(k, "secretion")) {
    REQ_STATE("by", src);
    REQ_STATE("into", dst);
    if ((st = proc_param(c, "rate", per_time, true, NULL, &r))) return st;
    if ((st = compose(c, "%s * %s", r, col(c, src))) || (st = add_stoich(c, dst, 1))) return st;
  } else if (!strcmp(k, "clearance")) {
    REQ_STATE("target", tgt);
    if ((st = proc_param(c, "rate", per_time, true, NULL, &r))) return st;
    if ((st = compose(c, "%s * %s", r, col(c, tgt))) || (st = add_stoich(c, tgt, -1))) return st;
  } else if (!strcmp(k, "transfer") || !strcmp(k, "conversion")) {
    REQ_STATE("from", src);
    REQ_STATE("to", dst);
    if (src == dst) return exo__lerr(L, exo__key_pos(c->map, "to", c->pos), EXO_ERR_MODEL, "process '%s' moves '%s' into itself", p->name, col(c, src));
    const exo_state *a = &L->m->states[src], *b = &L->m->states[dst];
    if (!strcmp(k, "transfer") && strcmp(a->species, b->species))
      return exo__lerr(L, exo__key_pos(c->map, "to", c->pos), EXO_ERR_MODEL,
                  "transfer moves one species between compartments, but '%s' and '%s' differ (use kind: conversion)",
                  a->column, b->column);
    if (!strcmp(k, "conversion") && a->compartment != b->compartment)
      return exo__lerr(L, exo__key_pos(c->map, "to", c->pos), EXO_ERR_MODEL,
                  "conversion turns one species into another within a compartment, but '%s' and '%s' are in different compartments",
                  a->column, b->column);
    if ((st = proc_param(c, "rate", per_time, true, NULL, &r))) return st;
    if ((st = compose(c, "%s * %s", r, col(c, src))) || (st = add_stoich(c, src, -1)) || (st = add_stoich(c, dst, 1)))
      return st;
  } else if (!strcmp(k, "influx")) {
    REQ_STATE("target", tgt);
    if ((st = proc_param(c, "rate", count_per_time, true, NULL, &r))) return st;
    if ((st = compose(c, "%s", r)) || (st = add_stoich(c, tgt, 1))) return st;
  } else {
    return EXO_ERR_MODEL; /* unreachable: kinds are checked before */
  }
#undef REQ_STATE
  return EXO_OK;
}

static const struct {
  const char *kind;
  const char *keys[10];
} process_kinds[] = {
    {"rate", {"rate", "from", "to", "changes"}},
    {"growth", {"target", "law", "rate", "capacity"}},
    {"mass_action_kill", {"killer", "target", "rate"}},
    {"saturating_kill", {"killer", "target", "rate", "half_saturation"}},
    {"hill", {"signal", "per", "rate", "half_max", "hill_power", "effect", "from", "to"}},
    {"secretion", {"by", "into", "rate"}},
    {"clearance", {"target", "rate"}},
    {"transfer", {"from", "to", "rate"}},
    {"conversion", {"from", "to", "rate"}},
    {"influx", {"target", "rate"}},
};

static exo_status read_process(loader *L, struct fy_node *pn, exo_pos at) {
  exo_status st;
  exo_model *m = L->m;
  if ((st = exo__expect_type(L, pn, at, FYNT_MAPPING, "each process"))) return st;
  exo_pos pos = exo__node_pos(pn, at);
  struct fy_node *nn = exo__get(pn, "name");
  if (!nn) return exo__lerr(L, pos, EXO_ERR_MODEL, "process has no 'name'");
  const char *name;
  if ((st = exo__scalar(L, nn, pos, "process name", &name))) return st;
  if ((st = exo__check_new_name(L, name, exo__node_pos(nn, pos), "process"))) return st;
  const char *kind = "rate";
  struct fy_node *kn = exo__get(pn, "kind");
  if (kn && (st = exo__scalar(L, kn, pos, "kind", &kind))) return st;
  int ki = -1;
  const char *kinds[16];
  size_t nk = sizeof process_kinds / sizeof process_kinds[0];
  for (size_t i = 0; i < nk; i++) {
    kinds[i] = process_kinds[i].kind;
    if (!strcmp(kind, kinds[i])) ki = (int)i;
  }
  if (ki < 0) {
    const char *sug = exo_nearest(kind, kinds, nk);
    return exo__lerr(L, exo__node_pos(kn, pos), EXO_ERR_MODEL,
                "unknown process kind '%s'%s%s%s (kinds: rate, growth, mass_action_kill, saturating_kill, hill, "
                "secretion, clearance, transfer, conversion, influx)",
                kind, sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
  }
  const char *allowed[16] = {"name", "kind", "description", "enabled", "source"};
  size_t na = 5;
  for (int i = 0; i < 10 && process_kinds[ki].keys[i]; i++) allowed[na++] = process_kinds[ki].keys[i];
  char where[200];
  snprintf(where, sizeof where, "process '%s' (kind %s)", name, kind);
  if ((st = exo__check_keys(L, pn, allowed, na, where))) return st;

  exo_process *g = exo_arena_grow(&m->arena, m->procs, (size_t)m->nproc, (size_t)m->nproc + 1, sizeof *g);
  if (!g) return exo__nomem(L);
  m->procs = g;
  exo_process *p = &m->procs[m->nproc];
  p->name = name;
  p->kind = kind;
  p->enabled = true;
  p->pos = exo__node_pos(nn, pos);
  struct fy_node *en = exo__get(pn, "enabled");
  if (en && (st = exo__boolean(L, en, pos, "enabled", &p->enabled))) return st;

  proc_ctx c = {.L = L, .map = pn, .p = p, .pos = p->pos};
  if (!strcmp(kind, "rate")) {
    struct fy_node *rn = exo__get(pn, "rate");
    if (!rn) return exo__lerr(L, p->pos, EXO_ERR_MODEL, "process '%s' needs 'rate' (an expression) or a built-in 'kind'", name);
    char what[200];
    snprintf(what, sizeof what, "rate of process '%s'", name);
    if ((st = expression(L, rn, p->pos, what, &p->rate_text, &p->rate))) return st;
    exo_dim want = D(0, -1, 1);
    if (!p->rate->dim_free && !exo_dim_eq(p->rate->dim, want)) {
      char dg[64];
      dim_str(p->rate->dim, dg, sizeof dg);
      return exo__lerr(L, exo__node_pos(rn, p->pos), EXO_ERR_UNIT,
                  "rate of process '%s' must be count/time (e.g. cells/day), but \"%s\" is %s", name, p->rate_text, dg);
    }
    if ((st = stoich_list(&c, "from", -1)) || (st = stoich_list(&c, "to", 1))) return st;
    struct fy_node *ch = exo__get(pn, "changes");
    if (ch) {
      if ((st = exo__expect_type(L, ch, p->pos, FYNT_MAPPING, "'changes'"))) return st;
      void *it = NULL;
      struct fy_node_pair *pr;
      while ((pr = fy_node_mapping_iterate(ch, &it))) {
        int s;
        if ((st = exo__state_ref(L, fy_node_pair_key(pr), p->pos, "'changes'", &s))) return st;
        double coef = 0;
        if ((st = exo__plain_number(L, fy_node_pair_value(pr), p->pos, "stoichiometric coefficient", -1e6, 1e6, &coef))) return st;
        if ((st = add_stoich(&c, s, coef))) return st;
      }
    }
    bool changes_any = false;
    for (int j = 0; j < p->nstoich; j++) changes_any |= p->stoich[j].coef != 0;
    if (!changes_any)
      return exo__lerr(L, p->pos, EXO_ERR_MODEL, "process '%s' changes nothing: give 'from', 'to' or 'changes' (with a non-zero net effect)", name);
  } else {
    if ((st = build_process(&c))) return st;
    p->rate_text = exo_arena_strdup(&m->arena, c.text);
    if (!p->rate_text) return exo__nomem(L);
    int epos;
    exo_error e2;
    st = exo_expr_parse(&m->arena, p->rate_text, exo__resolve_symbol, NULL, m, &p->rate, &epos, &e2);
    if (st == EXO_ERR_NOMEM) return exo__nomem(L);
    if (st) return exo__lerr(L, p->pos, st, "process '%s': %s (in \"%s\")", name, e2.msg, p->rate_text);
  }
  m->nproc++;
  return EXO_OK;
}

static exo_status read_processes(loader *L, struct fy_node *sec, exo_pos at) {
  exo_status st;
  if ((st = exo__expect_type(L, sec, at, FYNT_SEQUENCE, "'processes' (a list of '- name: ...' items)"))) return st;
  void *it = NULL;
  struct fy_node *pn;
  while ((pn = fy_node_sequence_iterate(sec, &it)))
    if ((st = read_process(L, pn, at))) return st;
  return EXO_OK;
}

/* --- events --------------------------------------------------------------------------------- */

exo_status exo__add_event(loader *L, exo_event ev) {
  exo_model *m = L->m;
  exo_event *g = exo_arena_grow(&m->arena, m->events, (size_t)m->nevent, (size_t)m->nevent + 1, sizeof *g);
  if (!g) return exo__nomem(L);
  m->events = g;
  ev.order = m->nevent;
  g[m->nevent++] = ev;
  return EXO_OK;
}

static exo_status read_event(loader *L, struct fy_node *en, exo_pos at) {
  exo_status st;
  if ((st = exo__expect_type(L, en, at, FYNT_MAPPING, "each event"))) return st;
  exo_pos pos = exo__node_pos(en, at);
  static const char *const keys[] = {"name", "at", "add", "set", "scale"};
  if ((st = exo__check_keys(L, en, keys, sizeof keys / sizeof keys[0], "an event"))) return st;
  const char *label = "event";
  struct fy_node *nn = exo__get(en, "name");
  if (nn && (st = exo__scalar(L, nn, pos, "event name", &label))) return st;
  struct fy_node *atn = exo__get(en, "at");
  if (!atn) return exo__lerr(L, pos, EXO_ERR_MODEL, "event '%s' has no 'at' (a time such as '7 days', or a list of times)", label);
  double times[1024];
  int nt = 0;
  if (fy_node_get_type(atn) == FYNT_SEQUENCE) {
    void *it = NULL;
    struct fy_node *tn;
    while ((tn = fy_node_sequence_iterate(atn, &it))) {
      if (nt == 1024) return exo__lerr(L, exo__node_pos(tn, pos), EXO_ERR_MODEL, "too many times in one event (max 1024)");
      if ((st = exo__quantity(L, tn, pos, D(0, 1, 0), 0, "event time", &times[nt++], NULL))) return st;
    }
  } else if ((st = exo__quantity(L, atn, pos, D(0, 1, 0), 0, "event time", &times[nt++], NULL))) {
    return st;
  }
  if (nt == 0) return exo__lerr(L, exo__node_pos(atn, pos), EXO_ERR_MODEL, "event '%s' has an empty list of times", label);
  int nactions = 0;
  static const char *const acts[] = {"add", "set", "scale"};
  for (int a = 0; a < 3; a++) {
    struct fy_node *map = exo__get(en, acts[a]);
    if (!map) continue;
    if ((st = exo__expect_type(L, map, pos, FYNT_MAPPING, acts[a]))) return st;
    void *it = NULL;
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(map, &it))) {
      struct fy_node *k = fy_node_pair_key(pr), *v = fy_node_pair_value(pr);
      exo_event ev = {.label = label, .value_param = -1, .divisor_param = -1};
      if (a == 1) {
        const char *pname;
        if ((st = exo__scalar(L, k, pos, "parameter name", &pname))) return st;
        int pi = exo_model_find_param(L->m, pname);
        if (pi < 0 && exo_model_find_state(L->m, pname) != -1)
          return exo__lerr(L, exo__node_pos(k, pos), EXO_ERR_MODEL,
                      "event '%s': '%s' is a population, vesicle pool or molecule, not a parameter: use 'add' or 'scale' for states",
                      label, pname);
        if (pi < 0) {
          const char *sug = exo__suggest_symbol(L->m, pname);
          return exo__lerr(L, exo__node_pos(k, pos), EXO_ERR_MODEL, "event '%s' sets unknown parameter '%s'%s%s%s", label, pname,
                      sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
        }
        char what[200];
        snprintf(what, sizeof what, "new value of '%s'", pname);
        ev.action = EXO_EVENT_SET_PARAM;
        ev.target = pi;
        if ((st = exo__quantity(L, v, pos, L->m->params[pi].dim, 0, what, &ev.value, NULL))) return st;
      } else {
        int s;
        if ((st = exo__state_ref(L, k, pos, acts[a], &s))) return st;
        ev.target = s;
        if (a == 0) {
          ev.action = EXO_EVENT_ADD;
          if ((st = initial_amount(L, v, pos, L->m->states[s].compartment, "amount added", &ev.value))) return st;
        } else {
          ev.action = EXO_EVENT_SCALE;
          if ((st = exo__plain_number(L, v, pos, "scale factor", 0, 1e12, &ev.value))) return st;
        }
      }
      for (int i = 0; i < nt; i++) {
        ev.time = times[i];
        if ((st = exo__add_event(L, ev))) return st;
      }
      nactions++;
    }
  }
  if (!nactions) return exo__lerr(L, pos, EXO_ERR_MODEL, "event '%s' does nothing: give 'add', 'set' or 'scale'", label);
  return EXO_OK;
}

static int event_cmp(const void *a, const void *b) {
  const exo_event *x = a, *y = b;
  int c = (x->time > y->time) - (x->time < y->time);
  return c ? c : (x->order > y->order) - (x->order < y->order);
}

/* by time, and in file order at equal times (the order field makes qsort's result stable) */
void exo__sort_events(exo_model *m) {
  if (m->nevent > 1) qsort(m->events, (size_t)m->nevent, sizeof *m->events, event_cmp);
}

static exo_status read_events(loader *L, struct fy_node *sec, exo_pos at) {
  exo_status st;
  if ((st = exo__expect_type(L, sec, at, FYNT_SEQUENCE, "'events' (a list of '- at: ...' items)"))) return st;
  void *it = NULL;
  struct fy_node *en;
  while ((en = fy_node_sequence_iterate(sec, &it)))
    if ((st = read_event(L, en, at))) return st;
  exo__sort_events(L->m);
  return EXO_OK;
}

/* --- source-text helpers for syntax errors ------------------------------------------------ */

/* Whether the text holds anything but blank lines and comments. */
static bool has_content(const char *t, size_t n) {
  bool line_start = true, in_comment = false;
  for (size_t i = 0; i < n; i++) {
    char c = t[i];
    if (c == '\n') {
      line_start = true;
      in_comment = false;
      continue;
    }
    if (in_comment || c == ' ' || c == '\t' || c == '\r') continue;
    if (c == '#' && line_start) {
      in_comment = true;
      continue;
    }
    if (c == '-' && line_start && i + 3 <= n && !strncmp(t + i, "---", 3)) {
      i += 2;
      continue;
    }
    return true;
  }
  return false;
}

static size_t line_col_offset(const char *t, size_t n, exo_pos p) {
  int line = 1;
  size_t i = 0;
  while (i < n && line < p.line)
    if (t[i++] == '\n') line++;
  size_t off = i + (size_t)(p.col > 0 ? p.col - 1 : 0);
  return off < n ? off : n;
}

static int word_len(const char *s, const char *end) {
  int k = 0;
  while (s + k < end && k < 64 && s[k] && !strchr(" \t\r\n:{}[],", s[k])) k++;
  return k;
}

/* The first byte that is not well-formed UTF-8 (overlong forms, surrogates and code points
 * above U+10FFFF included), or NULL. libfyaml 0.7.12 can hang on some malformed input (its
 * issue #101), so nothing reaches it unchecked. */
static const char *invalid_utf8(const char *text, size_t n) {
  const unsigned char *s = (const unsigned char *)text, *e = s + n;
  while (s < e) {
    size_t len = exo_utf8_len(s, (size_t)(e - s));
    if (!len) return (const char *)s;
    s += len;
  }
  return NULL;
}

static exo_pos offset_pos(const char *text, size_t off) {
  exo_pos p = {1, 1};
  for (size_t i = 0; i < off; i++) {
    if (text[i] == '\n') {
      p.line++;
      p.col = 1;
    } else {
      p.col++;
    }
  }
  return p;
}

/* Alias nodes (*name). Model files are small and written by hand; an alias that expands
 * exponentially ("billion laughs") would exhaust memory, so they are refused outright. */
static struct fy_node *find_alias(struct fy_node *n, int depth) {
  if (!n || depth > 200) return NULL;
  if (fy_node_is_alias(n)) return n;
  void *it = NULL;
  if (fy_node_get_type(n) == FYNT_SEQUENCE) {
    struct fy_node *c;
    while ((c = fy_node_sequence_iterate(n, &it)))
      if ((c = find_alias(c, depth + 1))) return c;
  } else if (fy_node_get_type(n) == FYNT_MAPPING) {
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(n, &it))) {
      struct fy_node *c = find_alias(fy_node_pair_key(pr), depth + 1);
      if (!c) c = find_alias(fy_node_pair_value(pr), depth + 1);
      if (c) return c;
    }
  }
  return NULL;
}

/* A single-quoted scalar with two escaped quotes in a row ('a''''b', ''''''). libfyaml 0.7.12
 * (Debian 12) misreads it: its text iterator yields one quote too many, so the value comes back
 * cut short ('a''''b' reads as a''') and, beyond eight pieces of text, the iterator's buffer
 * leaks. Such scalars are refused before any of their text is read. The scalar token's start
 * mark is the first byte after the opening quote. */
static struct fy_node *find_doubled_quote(struct fy_node *n, const char *text, size_t len, int depth) {
  if (!n || depth > 200) return NULL;
  void *it = NULL;
  if (fy_node_get_type(n) == FYNT_SCALAR) {
    if (fy_node_get_style(n) != FYNS_SINGLE_QUOTED) return NULL;
    struct fy_token *t = fy_node_get_scalar_token(n);
    const struct fy_mark *mk = t ? fy_token_start_mark(t) : NULL;
    for (size_t i = mk ? mk->input_pos : len; i < len; i++) {
      if (text[i] != '\'') continue;
      if (i + 1 >= len || text[i + 1] != '\'') return NULL; /* the closing quote */
      if (i + 3 < len && text[i + 2] == '\'' && text[i + 3] == '\'') return n;
      i++; /* past an escaped quote */
    }
  } else if (fy_node_get_type(n) == FYNT_SEQUENCE) {
    struct fy_node *c;
    while ((c = fy_node_sequence_iterate(n, &it)))
      if ((c = find_doubled_quote(c, text, len, depth + 1))) return c;
  } else if (fy_node_get_type(n) == FYNT_MAPPING) {
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(n, &it))) {
      struct fy_node *c = find_doubled_quote(fy_node_pair_key(pr), text, len, depth + 1);
      if (!c) c = find_doubled_quote(fy_node_pair_value(pr), text, len, depth + 1);
      if (c) return c;
    }
  }
  return NULL;
}

/* The first '{' or '[' that is never closed, skipping quoted text and comments. */
static bool unclosed_bracket(const char *t, size_t n, exo_pos *where) {
  enum { MAXD = 256 };
  exo_pos stack[MAXD];
  int depth = 0, line = 1, col = 0;
  char quote = 0;
  bool comment = false;
  for (size_t i = 0; i < n; i++) {
    char c = t[i];
    col++;
    if (c == '\n') {
      line++;
      col = 0;
      comment = false;
      continue;
    }
    if (comment) continue;
    if (quote) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '"' || c == '\'') quote = c;
    else if (c == '#' && (i == 0 || t[i - 1] == ' ' || t[i - 1] == '\t' || t[i - 1] == '\n')) comment = true;
    else if (c == '{' || c == '[') {
      if (depth < MAXD) stack[depth] = (exo_pos){line, col};
      depth++;
    } else if ((c == '}' || c == ']') && depth > 0) {
      depth--;
    }
  }
  if (depth == 0) return false;
  *where = stack[0];
  return true;
}

/* A "---" line after content starts a second document (libfyaml would quietly load only the
 * first). */
static bool second_document(const char *t, size_t n, exo_pos *where, bool *after_end) {
  bool seen_content = false, ended = false;
  int line = 1;
  *after_end = false;
  for (size_t i = 0; i < n; line++) {
    size_t e = i;
    while (e < n && t[e] != '\n' && t[e] != '\r') e++;
    bool start = e - i >= 3 && !strncmp(t + i, "---", 3) && (e - i == 3 || t[i + 3] == ' ' || t[i + 3] == '\t');
    bool end = e - i >= 3 && !strncmp(t + i, "...", 3) && (e - i == 3 || t[i + 3] == ' ' || t[i + 3] == '\t');
    bool directive = e > i && t[i] == '%' && !seen_content;
    bool content = !start && !end && !directive && has_content(t + i, e - i);
    if ((start && seen_content) || (content && ended)) {
      *where = (exo_pos){line, 1};
      *after_end = content && ended;
      return true;
    }
    if (end && seen_content) ended = true;
    if (content) seen_content = true;
    i = e + 1;
    if (e < n && t[e] == '\r' && e + 1 < n && t[e + 1] == '\n') i++;
  }
  return false;
}

/* --- standard outputs, hosts, extends ------------------------------------------------------ */

/* Every model with role: tumour populations gets a 'tumour_burden' output (viable tumour cells,
 * all compartments), unless it defines one itself. */
static exo_status add_tumour_burden(loader *L) {
  exo_model *m = L->m;
  if (find_output(m, "tumour_burden") >= 0) return EXO_OK;
  size_t need = 1;
  int ntum = 0;
  for (int i = 0; i < m->nstate; i++)
    if (m->states[i].tumour) need += strlen(m->states[i].column) + 3, ntum++;
  if (!ntum) return EXO_OK;
  char *text = exo_arena_alloc(&m->arena, need);
  exo_output *g = exo_arena_grow(&m->arena, m->outputs, (size_t)m->noutput, (size_t)m->noutput + 1, sizeof *g);
  if (!text || !g) return exo__nomem(L);
  m->outputs = g;
  for (int i = 0; i < m->nstate; i++)
    if (m->states[i].tumour) {
      if (*text) strcat(text, " + ");
      strcat(text, m->states[i].column);
    }
  exo_output *o = &m->outputs[m->noutput];
  *o = (exo_output){.name = "tumour_burden", .text = text, .unit_factor = 1};
  int epos;
  exo_error e2;
  exo_status st = exo_expr_parse(&m->arena, text, exo__resolve_symbol, NULL, m, &o->expr, &epos, &e2);
  if (st) return st == EXO_ERR_NOMEM ? exo__nomem(L) : exo__lerr(L, (exo_pos){0, 0}, st, "tumour_burden: %s", e2.msg);
  m->noutput++;
  return EXO_OK;
}

/* hosts: NAME: {description: ..., set: {KEY: VALUE, ...}} where KEY=VALUE is what --set takes.
 * Each entry is checked now (so a typo is reported with its line) and applied by --set host=NAME. */
static exo_status read_hosts(loader *L, struct fy_node *sec, exo_pos at) {
  exo_status st;
  exo_model *m = L->m;
  if ((st = exo__expect_type(L, sec, at, FYNT_MAPPING, "'hosts'"))) return st;
  int n = fy_node_mapping_item_count(sec);
  m->hosts = exo_arena_alloc(&m->arena, (size_t)(n ? n : 1) * sizeof *m->hosts);
  if (!m->hosts) return exo__nomem(L);
  void *it = NULL;
  struct fy_node_pair *pr;
  while ((pr = fy_node_mapping_iterate(sec, &it))) {
    const char *name = pair_key(L, pr);
    exo_pos kp = exo__node_pos(fy_node_pair_key(pr), at);
    if (!name || !exo_is_identifier(name)) return exo__lerr(L, kp, EXO_ERR_MODEL, "host names must be plain names");
    for (int h = 0; h < m->nhost; h++)
      if (!strcmp(m->hosts[h].name, name)) return exo__lerr(L, kp, EXO_ERR_MODEL, "host '%s' is declared twice", name);
    struct fy_node *v = fy_node_pair_value(pr);
    char where[160];
    snprintf(where, sizeof where, "host '%s'", name);
    if ((st = exo__expect_type(L, v, kp, FYNT_MAPPING, where))) return st;
    static const char *const keys[] = {"description", "set"};
    if ((st = exo__check_keys(L, v, keys, 2, where))) return st;
    exo_host *h = &m->hosts[m->nhost];
    h->name = name;
    struct fy_node *d = exo__get(v, "description"), *set = exo__get(v, "set");
    if (d && (st = exo__scalar(L, d, kp, "description", &h->description))) return st;
    if (set) {
      if ((st = exo__expect_type(L, set, kp, FYNT_MAPPING, "a host's 'set'"))) return st;
      int k = fy_node_mapping_item_count(set);
      h->set_name = exo_arena_alloc(&m->arena, (size_t)(k ? k : 1) * sizeof *h->set_name);
      h->set_value = exo_arena_alloc(&m->arena, (size_t)(k ? k : 1) * sizeof *h->set_value);
      if (!h->set_name || !h->set_value) return exo__nomem(L);
      void *it2 = NULL;
      struct fy_node_pair *q;
      while ((q = fy_node_mapping_iterate(set, &it2))) {
        const char *key = pair_key(L, q), *val;
        exo_pos qp = exo__node_pos(fy_node_pair_key(q), kp);
        if (!key) return exo__lerr(L, qp, EXO_ERR_MODEL, "keys of a host's 'set' must be plain names");
        if ((st = exo__scalar(L, fy_node_pair_value(q), qp, "a host setting", &val))) return st;
        char label[400];
        snprintf(label, sizeof label, "host '%s': %s=%s", name, key, val);
        exo_error e2;
        if ((st = exo_model_override(m, key, val, label, false, &e2))) return exo__lerr(L, qp, st, "%s", e2.msg);
        h->set_name[h->nset] = key;
        h->set_value[h->nset++] = val;
      }
    }
    m->nhost++;
  }
  return EXO_OK;
}

/* A model that 'extends' another (a built-in name, or a file relative to this one) takes all of
 * it and changes only what it lists: name, description, simulation settings, parameter values
 * and initial amounts. Structure cannot change here, so the two stay the same model with two
 * parameter sets. */
static exo_status load_extending(loader *L, struct fy_node *root) {
  exo_status st;
  exo_pos top = {1, 1};
  static const char *const keys[] = {"exosim", "extends", "name", "description", "source", "simulation",
                                     "compartments", "parameters", "initial", "tissue"};
  if ((st = exo__check_keys(L, root, keys, sizeof keys / sizeof keys[0], "a model that extends another"))) return st;
  if (L->depth >= 4) return exo__lerr(L, exo__key_pos(root, "extends", top), EXO_ERR_MODEL, "'extends' goes more than 4 models deep (a loop?)");
  struct fy_node *en = exo__get(root, "extends");
  const char *base_name;
  if ((st = exo__scalar(L, en, top, "extends", &base_name))) return st;
  exo_pos ep = exo__node_pos(en, top);
  exo_model *base = NULL;
  exo_error e2;
  const char *canonical, *builtin = strchr(base_name, '/') || strstr(base_name, ".yaml") ? NULL : exo_builtin_model_text(base_name, &canonical);
  if (builtin) {
    char display[300];
    snprintf(display, sizeof display, "builtin:%s", canonical);
    st = load_text(builtin, strlen(builtin), display, L->depth + 1, &base, &e2);
  } else {
    char path[4096];
    const char *slash = strrchr(L->m->source_path, '/');
    if (base_name[0] == '/' || !slash) snprintf(path, sizeof path, "%s", base_name);
    else snprintf(path, sizeof path, "%.*s/%s", (int)(slash - L->m->source_path), L->m->source_path, base_name);
    char *buf = NULL;
    size_t blen = 0;
    st = read_whole_file(path, &buf, &blen, &e2);
    if (!st) st = load_text(buf, blen, path, L->depth + 1, &base, &e2);
    free(buf);
  }
  if (st) return exo__lerr(L, ep, st, "in the model it extends: %s", e2.msg);
  /* the extending model becomes the base model with changes; it keeps its own identity */
  char hash_in[200];
  snprintf(hash_in, sizeof hash_in, "%s+%s", L->m->hash, base->hash);
  exo_sha256_hex(hash_in, strlen(hash_in), base->hash);
  base->source_path = exo_arena_strdup(&base->arena, L->m->source_path);
  exo_model *child = L->m;
  L->m = base;
  exo_model_free(child);
  if (!base->source_path) return exo__nomem(L);
  struct fy_node *n;
  if ((n = exo__get(root, "name")) && (st = exo__scalar(L, n, top, "name", &base->name))) return st;
  if ((n = exo__get(root, "description")) && (st = exo__scalar(L, n, top, "description", &base->description))) return st;
  if ((st = read_simulation(L, exo__get(root, "simulation"), exo__key_pos(root, "simulation", top)))) return st;
  if ((n = exo__get(root, "compartments"))) {
    if ((st = exo__expect_type(L, n, top, FYNT_MAPPING, "'compartments'"))) return st;
    void *it = NULL;
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(n, &it))) {
      const char *cname = pair_key(L, pr);
      exo_pos kp = exo__node_pos(fy_node_pair_key(pr), top);
      int ci = cname ? exo__find_comp(base, cname) : -1;
      if (ci < 0) return exo__lerr(L, kp, EXO_ERR_MODEL, "'%s' is not a compartment of the model this one extends", cname ? cname : "?");
      struct fy_node *v = fy_node_pair_value(pr);
      if (v && fy_node_get_type(v) == FYNT_MAPPING) {
        static const char *const ckeys[] = {"volume", "description"};
        if ((st = exo__check_keys(L, v, ckeys, 2, "a compartment"))) return st;
        v = exo__get(v, "volume");
        if (!v) return exo__lerr(L, kp, EXO_ERR_MODEL, "compartment '%s' has no 'volume'", cname);
      }
      char what[160];
      snprintf(what, sizeof what, "volume of compartment '%s'", cname);
      if ((st = exo__quantity(L, v, kp, exo_dim_base(EXO_DIM_LENGTH, 3), ALLOW_ZERO_ONLY_POSITIVE, what, &base->comps[ci].volume, NULL)))
        return st;
    }
  }
  if ((n = exo__get(root, "parameters"))) {
    if ((st = exo__expect_type(L, n, top, FYNT_MAPPING, "'parameters'"))) return st;
    void *it = NULL;
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(n, &it))) {
      const char *pname = pair_key(L, pr);
      exo_pos kp = exo__node_pos(fy_node_pair_key(pr), top);
      int pi = pname ? exo_model_find_param(base, pname) : -1;
      if (pi < 0) {
        const char *sug = pname ? exo__suggest_symbol(base, pname) : NULL;
        return exo__lerr(L, kp, EXO_ERR_MODEL, "'%s' is not a parameter of the model this one extends%s%s%s", pname ? pname : "?",
                    sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
      }
      struct fy_node *v = fy_node_pair_value(pr);
      if (v && fy_node_get_type(v) == FYNT_MAPPING) {
        static const char *const pkeys[] = {"value", "description", "source", "status"};
        char what[160];
        snprintf(what, sizeof what, "parameter '%s'", pname);
        if ((st = exo__check_keys(L, v, pkeys, sizeof pkeys / sizeof pkeys[0], what))) return st;
        v = exo__get(v, "value");
        if (!v) return exo__lerr(L, kp, EXO_ERR_MODEL, "parameter '%s' has no 'value'", pname);
      }
      char what[160];
      snprintf(what, sizeof what, "parameter '%s'", pname);
      exo_param *par = &base->params[pi];
      if ((st = exo__quantity(L, v, kp, par->dim, 0, what, &par->value, &par->written))) return st;
    }
  }
  if ((n = exo__get(root, "initial"))) {
    if ((st = exo__expect_type(L, n, top, FYNT_MAPPING, "'initial'"))) return st;
    void *it = NULL;
    struct fy_node_pair *pr;
    while ((pr = fy_node_mapping_iterate(n, &it))) {
      int si;
      exo_pos kp = exo__node_pos(fy_node_pair_key(pr), top);
      if ((st = exo__state_ref(L, fy_node_pair_key(pr), kp, "initial", &si))) return st;
      char what[200];
      snprintf(what, sizeof what, "initial value of '%s'", base->states[si].column);
      if ((st = initial_amount(L, fy_node_pair_value(pr), kp, base->states[si].compartment, what, &base->states[si].initial)))
        return st;
    }
  }
  /* a tissue section replaces the base model's whole (read after the parameters above, so it
   * sees their new values); without one the base model's stays */
  if ((n = exo__get(root, "tissue")) && (st = exo__read_tissue(L, n, exo__key_pos(root, "tissue", top)))) return st;
  return EXO_OK;
}

/* --- the document --------------------------------------------------------------------------- */

static void quiet_output(struct fy_diag *d, void *user, const char *buf, size_t len) {
  (void)d, (void)user, (void)buf, (void)len;
}

static exo_status load_document(loader *L, const char *text, size_t len) {
  exo_status st;
  struct fy_diag_cfg dcfg;
  fy_diag_cfg_default(&dcfg);
  dcfg.fp = NULL;
  dcfg.output_fn = quiet_output;
  dcfg.colorize = false;
  struct fy_diag *diag = fy_diag_create(&dcfg);
  if (!diag) return exo__nomem(L);
  fy_diag_set_collect_errors(diag, true);
  struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET | FYPCF_COLLECT_DIAG, .diag = diag}; /* aliases unresolved: see find_alias */
  exo_pos top = {1, 1};
  const char *bad = invalid_utf8(text, len);
  if (bad) {
    fy_diag_destroy(diag);
    return exo__lerr(L, offset_pos(text, (size_t)(bad - text)), EXO_ERR_SYNTAX, "the file is not valid UTF-8 text (byte 0x%02x)",
                (unsigned)(unsigned char)*bad);
  }
  if (!has_content(text, len)) {
    fy_diag_destroy(diag);
    return exo__lerr(L, top, EXO_ERR_MODEL, "the file is empty: it holds no model (only comments or blank lines)");
  }
  struct fy_document *doc = fy_document_build_from_string(&cfg, text, len);
  if (!doc) {
    void *it = NULL;
    struct fy_diag_error *de = fy_diag_errors_iterate(diag, &it);
    exo_pos open;
    if (de && strstr(de->msg, "flow") && unclosed_bracket(text, len, &open))
      st = exo__lerr(L, open, EXO_ERR_SYNTAX, "YAML syntax error: this '%c' is never closed (libfyaml: %s at %d:%d)",
                text[line_col_offset(text, len, open)], de->msg, de->line, de->column);
    else if (de && !strcmp(de->msg, "duplicate key"))
      st = exo__lerr(L, (exo_pos){de->line, de->column}, EXO_ERR_SYNTAX, "YAML syntax error: duplicate key '%.*s'",
                word_len(text + line_col_offset(text, len, (exo_pos){de->line, de->column}), text + len),
                text + line_col_offset(text, len, (exo_pos){de->line, de->column}));
    else if (de)
      /* collected errors carry 1-based positions, unlike fy_mark */
      st = exo__lerr(L, (exo_pos){de->line, de->column}, EXO_ERR_SYNTAX, "YAML syntax error: %s", de->msg);
    else
      st = exo__lerr(L, top, EXO_ERR_SYNTAX, "YAML syntax error");
    fy_diag_destroy(diag);
    return st;
  }
  exo_pos second;
  bool after_end;
  if (second_document(text, len, &second, &after_end)) {
    fy_document_destroy(doc);
    fy_diag_destroy(diag);
    return exo__lerr(L, second, EXO_ERR_SYNTAX, after_end ? "text after the end-of-document marker '...': a model file holds exactly one document"
                                                  : "a second YAML document starts here: a model file holds exactly one");
  }
  struct fy_node *alias = find_alias(fy_document_root(doc), 0);
  if (alias) {
    exo_pos ap = exo__node_pos(alias, top);
    fy_document_destroy(doc);
    fy_diag_destroy(diag);
    return exo__lerr(L, ap, EXO_ERR_SYNTAX, "YAML aliases (*name) are not accepted in model files: write the value out");
  }
  struct fy_node *quoted = find_doubled_quote(fy_document_root(doc), text, len, 0);
  if (quoted) {
    exo_pos qp = exo__node_pos(quoted, top);
    fy_document_destroy(doc);
    fy_diag_destroy(diag);
    return exo__lerr(L, qp, EXO_ERR_SYNTAX,
                     "a single-quoted value with two escaped quotes in a row ('''') is misread by the YAML library "
                     "(libfyaml 0.7.12): write this value in double quotes");
  }
  struct fy_node *root = fy_document_root(doc);
  if (!root || fy_node_get_type(root) != FYNT_MAPPING) {
    st = exo__lerr(L, exo__node_pos(root, top), EXO_ERR_MODEL, "a model file must be a mapping of sections (compartments:, populations:, ...), not %s",
              type_name(root));
    goto done;
  }
  if (exo__get(root, "extends")) {
    st = load_extending(L, root);
    goto done;
  }
  static const char *const sections[] = {"exosim", "name", "description", "source", "simulation", "compartments",
                                         "populations", "vesicles", "molecules", "parameters", "outputs",
                                         "processes", "events", "hosts", "extends", "therapies", "arms", "tissue"};
  if ((st = exo__check_keys(L, root, sections, sizeof sections / sizeof sections[0], "the model file"))) goto done;
  struct fy_node *n;
  if ((n = exo__get(root, "exosim"))) {
    double v = 0;
    if ((st = exo__plain_number(L, n, top, "exosim (format version)", 1, 1, &v))) goto done;
  }
  if ((n = exo__get(root, "name")) && (st = exo__scalar(L, n, top, "name", &L->m->name))) goto done;
  if ((n = exo__get(root, "description")) && (st = exo__scalar(L, n, top, "description", &L->m->description))) goto done;
  if ((st = read_simulation(L, exo__get(root, "simulation"), exo__key_pos(root, "simulation", top)))) goto done;
  if (!(n = exo__get(root, "compartments"))) {
    st = exo__lerr(L, top, EXO_ERR_MODEL, "the model has no 'compartments' section");
    goto done;
  }
  if ((st = read_compartments(L, n, exo__key_pos(root, "compartments", top)))) goto done;
  static const char *const spec_sections[] = {"populations", "vesicles", "molecules"};
  static const exo_species_kind spec_kinds[] = {EXO_KIND_CELLS, EXO_KIND_VESICLES, EXO_KIND_MOLECULES};
  for (int i = 0; i < 3; i++)
    if ((n = exo__get(root, spec_sections[i])) &&
        (st = read_species(L, n, exo__key_pos(root, spec_sections[i], top), spec_kinds[i], spec_sections[i])))
      goto done;
  if (L->m->nstate == 0) {
    st = exo__lerr(L, top, EXO_ERR_MODEL, "the model declares no populations, vesicles or molecules");
    goto done;
  }
  if ((n = exo__get(root, "parameters")) && (st = read_parameters(L, n, exo__key_pos(root, "parameters", top)))) goto done;
  if ((n = exo__get(root, "outputs")) && (st = read_outputs(L, n, exo__key_pos(root, "outputs", top)))) goto done;
  if ((st = add_tumour_burden(L))) goto done;
  if (!(n = exo__get(root, "processes"))) {
    st = exo__lerr(L, top, EXO_ERR_MODEL, "the model has no 'processes' section");
    goto done;
  }
  if ((st = read_processes(L, n, exo__key_pos(root, "processes", top)))) goto done;
  if ((n = exo__get(root, "events")) && (st = read_events(L, n, exo__key_pos(root, "events", top)))) goto done;
  if ((n = exo__get(root, "hosts")) && (st = read_hosts(L, n, exo__key_pos(root, "hosts", top)))) goto done;
  if ((n = exo__get(root, "therapies")) && (st = exo__read_therapies(L, n, exo__key_pos(root, "therapies", top)))) goto done;
  if ((n = exo__get(root, "arms")) && (st = exo__read_arms(L, n, exo__key_pos(root, "arms", top)))) goto done;
  /* last: the tissue refers to parameters, states and vesicle species of every section above */
  if ((n = exo__get(root, "tissue")) && (st = exo__read_tissue(L, n, exo__key_pos(root, "tissue", top)))) goto done;
  st = EXO_OK;
done:
  fy_document_destroy(doc);
  fy_diag_destroy(diag);
  return st;
}

static exo_status load_text(const char *text, size_t len, const char *display_name, int depth, exo_model **out,
                            exo_error *err) {
  *out = NULL;
  exo_error scratch;
  if (!err) err = &scratch; /* the loader reads its own messages back */
  exo_model *m = exo_calloc(1, sizeof *m);
  if (!m) return exo_error_set(err, EXO_ERR_NOMEM, "out of memory");
  exo_arena_init(&m->arena);
  loader L = {m, display_name, err, text, len, depth};
  m->solver = (exo_solver_settings){.end_time = 100 * EXO_MINUTES_PER_DAY, .output_every = EXO_MINUTES_PER_DAY,
                                    .rtol = 1e-6, .atol = 1e-6, .max_steps = 100000, .linsolver = EXO_LINSOL_AUTO};
  exo_status st = EXO_OK;
  m->source_path = exo_arena_strdup(&m->arena, display_name);
  if (!m->source_path) st = exo__nomem(&L);
  exo_sha256_hex(text, len, m->hash);
  if (!st) st = load_document(&L, text, len);
  m = L.m; /* 'extends' replaces the model with the one it extends */
  if (!st && !m->name) m->name = "model";
  if (st) {
    exo_model_free(m);
    return st;
  }
  *out = m;
  return EXO_OK;
}

exo_status exo_model_load_string(const char *text, size_t len, const char *display_name, exo_model **out,
                                 exo_error *err) {
  return load_text(text, len, display_name, 0, out, err);
}

static exo_status read_whole_file(const char *path, char **out, size_t *out_len, exo_error *err) {
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return exo_error_set(err, EXO_ERR_IO, "%s: cannot open model file: %s", path, strerror(errno));
  char *buf = NULL;
  size_t len = 0, cap = 0;
  exo_status st = EXO_OK;
  for (;;) {
    if (len == cap) {
      cap = cap ? 2 * cap : 65536;
      if ((long)cap > MAX_FILE_BYTES) {
        st = exo_error_set(err, EXO_ERR_IO, "%s: model file is larger than %ld MiB", path, MAX_FILE_BYTES >> 20);
        break;
      }
      char *nb = exo_realloc(buf, cap + 1);
      if (!nb) {
        st = exo_error_set(err, EXO_ERR_NOMEM, "%s: out of memory reading the file", path);
        break;
      }
      buf = nb;
    }
    size_t r = fread(buf + len, 1, cap - len, f);
    len += r;
    if (r == 0) {
      if (ferror(f)) st = exo_error_set(err, EXO_ERR_IO, "%s: read error: %s", path, strerror(errno));
      break;
    }
  }
  fclose(f);
  if (!st && len == 0) st = exo_error_set(err, EXO_ERR_MODEL, "%s: the model file is empty", path);
  if (!st && memchr(buf, '\0', len)) st = exo_error_set(err, EXO_ERR_SYNTAX, "%s: the file contains NUL bytes (not a YAML text file?)", path);
  if (st) {
    free(buf);
    return st;
  }
  *out = buf;
  *out_len = len;
  return EXO_OK;
}

exo_status exo_model_load_file(const char *path, exo_model **out, exo_error *err) {
  *out = NULL;
  char *buf;
  size_t len;
  exo_status st = read_whole_file(path, &buf, &len, err);
  if (st) return st;
  st = load_text(buf, len, path, 0, out, err);
  free(buf);
  return st;
}

void exo_model_free(exo_model *m) {
  if (!m) return;
  exo_arena_free(&m->arena);
  free(m);
}

const char *exo_model_name(const exo_model *m) { return m->name; }
const char *exo_model_description(const exo_model *m) { return m->description; }
const char *exo_model_host(const exo_model *m) { return m->host; }
const char *exo_model_source_path(const exo_model *m) { return m->source_path; }
const char *exo_model_hash(const exo_model *m) { return m->hash; }

/* --- built-in models ------------------------------------------------------------------------ */

size_t exo_builtin_model_count(void) {
  size_t n = 0;
  while (exo__builtin_models[n].name) n++;
  return n;
}

const char *exo_builtin_model_name(size_t i) { return i < exo_builtin_model_count() ? exo__builtin_models[i].name : NULL; }

const char *exo_builtin_model_text(const char *name, const char **canonical) {
  for (size_t i = 0; exo__builtin_models[i].name; i++) {
    const char *n = exo__builtin_models[i].name, *slash = strrchr(n, '/');
    if (!strcmp(n, name) || (slash && !strcmp(slash + 1, name))) {
      if (canonical) *canonical = n;
      return exo__builtin_models[i].text;
    }
  }
  return NULL;
}
