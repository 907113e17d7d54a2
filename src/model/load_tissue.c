/* The 'tissue' section of a model file: the domain, its fields, the cell types and their
 * behaviours, and PhysiCell-style rules, read into an exo_tissue_spec (model/tissue_spec.h) in
 * the model's arena. Every mistake is reported as "FILE:LINE:COL: message" like the rest of the
 * loader; nothing here trusts the input (the loader is fuzzed).
 *
 * Order of reading, whatever the order in the file: domain and time steps; the names of cell
 * types, fields, cargo and variables (behaviour slots depend on how many fields and types there
 * are, and any entry may name any other); the fields; variables; cargo; the cell types; rules
 * (which resolve names against everything before). */
#include <ctype.h>
#include <errno.h>
#include <libfyaml.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fault.h"
#include "core/sha256.h"
#include "core/strutil.h"
#include "model/loader.h"
#include "model/rules.h"
#include "model/tissue_spec.h"

/* Bounds that keep a hostile file from asking for absurd memory: behaviour slots grow with
 * fields x types, and no real tissue model comes near these. */
enum { MAX_TISSUE_NAMES = 256, MAX_NAME_LEN = 63, MAX_RULE_CELLS = 16 };
#define MAX_RULES_FILE_BYTES (16L << 20)
#define MAX_VOXELS_PER_AXIS 1e7
#define DEFAULT_MAX_CELLS 5000000L
#define REL_TOL 1e-9

/* PhysiCell's documented defaults (Ghaffarizadeh et al. 2018, PLoS Comput Biol 14:e1005991, and
 * the PhysiCell user guide): time steps, mechanics and death durations. */
#define DEFAULT_DT_DIFFUSION 0.01  /* min */
#define DEFAULT_DT_MECHANICS 0.1   /* min */
#define DEFAULT_DT_PHENOTYPE 6.0   /* min */
#define DEFAULT_VOLUME_RATE 0.0045 /* 1/min: cytoplasm biomass change rate */
#define DEFAULT_ADHESION_DISTANCE 1.25
#define DEFAULT_APOPTOSIS_DURATION 516.0 /* min */
#define DEFAULT_NECROSIS_DURATION 1440.0 /* min */
#define DEFAULT_PERSISTENCE 1.0          /* min */
#define DEFAULT_ADHESION 0.4             /* um/min */
#define DEFAULT_REPULSION 10.0           /* um/min */

typedef struct tctx {
  loader *L;
  exo_tissue_spec *ts;
  exo_pos at;       /* the 'tissue' key, for messages about the section as a whole */
  const char *file; /* the model file's name, copied into the arena (rules keep it) */
  const char **vesicle_species; /* distinct vesicle species in state order */
  int nvesicle_species;
  exo_pos *cargo_pos; /* positions of the cargo names (exo_tissue_cargo has none) */
  /* per field: which keys were written (a cargo field copies the others from its vesicle field) */
  bool *given_diffusion, *given_decay, *given_boundary;
  struct fy_node **field_node, **type_node, **cargo_node, **variable_node;
} tctx;

/* --- dimensions ----------------------------------------------------------------------------- */

static exo_dim dim(int l, int t, int n) { return (exo_dim){{(int8_t)l, (int8_t)t, (int8_t)n, 0}}; }
static exo_dim per_time(void) { return dim(0, -1, 0); }
static exo_dim length(void) { return dim(1, 0, 0); }
static exo_dim time_dim(void) { return dim(0, 1, 0); }
static exo_dim conc(void) { return dim(-3, 0, 1); }
static exo_dim per_volume(void) { return dim(-3, 0, 0); }

/* A field's value is a count per volume; "38 /um^3" (a bare per-volume) reads as that too, since
 * what is counted (molecules, vesicles) is the field's business, not the unit's. */
static bool dim_fits(exo_dim got, exo_dim want) {
  return exo_dim_eq(got, want) || (exo_dim_eq(want, conc()) && exo_dim_eq(got, per_volume()));
}

/* --- small helpers -------------------------------------------------------------------------- */

static exo_pos_ts ts_pos(exo_pos p) { return (exo_pos_ts){p.line, p.col}; }

static const char *key_text(loader *L, struct fy_node_pair *pr) {
  struct fy_node *k = fy_node_pair_key(pr);
  size_t len;
  const char *s = k && fy_node_get_type(k) == FYNT_SCALAR ? fy_node_get_scalar(k, &len) : NULL;
  if (!s || memchr(s, '\0', len)) return NULL;
  return exo_arena_strndup(&L->m->arena, s, len);
}

/* "(did you mean 'x'?)" or "(known: a, b, c)" or "(there are none)" into buf. */
static void suggestion(const char *word, const char *const *cands, size_t n, const char *none, char *buf, size_t bn) {
  const char *sug = exo_nearest(word, cands, n);
  if (sug) {
    snprintf(buf, bn, " (did you mean '%s'?)", sug);
    return;
  }
  if (!n) {
    snprintf(buf, bn, " (%s)", none);
    return;
  }
  size_t used = (size_t)snprintf(buf, bn, " (known: ");
  for (size_t i = 0; i < n && used < bn; i++) {
    int w = snprintf(buf + used, bn - used, "%s%s", i ? ", " : "", cands[i]);
    if (w < 0 || (size_t)w >= bn - used) break;
    used += (size_t)w;
  }
  if (used + 2 < bn) snprintf(buf + used, bn - used, ")");
}

static const char **field_names(tctx *c, const char **buf) {
  for (int i = 0; i < c->ts->nfields; i++) buf[i] = c->ts->fields[i].spec.name;
  return buf;
}
static const char **type_names(tctx *c, const char **buf) {
  for (int i = 0; i < c->ts->ntypes; i++) buf[i] = c->ts->types[i].name;
  return buf;
}

static int find_field(const exo_tissue_spec *ts, const char *name) {
  for (int i = 0; i < ts->nfields; i++)
    if (!strcmp(ts->fields[i].spec.name, name)) return i;
  return -1;
}
static int find_type(const exo_tissue_spec *ts, const char *name) {
  for (int i = 0; i < ts->ntypes; i++)
    if (!strcmp(ts->types[i].name, name)) return i;
  return -1;
}
static int find_variable(const exo_tissue_spec *ts, const char *name) {
  for (int i = 0; i < ts->nvariables; i++)
    if (!strcmp(ts->variables[i].name, name)) return i;
  return -1;
}

/* A field named by a scalar, with a suggestion when there is none of that name. */
static exo_status field_ref(tctx *c, struct fy_node *n, exo_pos at, const char *what, int *out) {
  const char *name;
  exo_status st = exo__scalar(c->L, n, at, what, &name);
  if (st) return st;
  if ((*out = find_field(c->ts, name)) >= 0) return EXO_OK;
  const char *cands[MAX_TISSUE_NAMES];
  char sug[400];
  suggestion(name, field_names(c, cands), (size_t)c->ts->nfields, "the tissue has no fields", sug, sizeof sug);
  return exo__lerr(c->L, exo__node_pos(n, at), EXO_ERR_MODEL, "%s: unknown field '%s'%s", what, name, sug);
}

static exo_status type_ref(tctx *c, struct fy_node *n, exo_pos at, const char *what, int *out) {
  const char *name;
  exo_status st = exo__scalar(c->L, n, at, what, &name);
  if (st) return st;
  if ((*out = find_type(c->ts, name)) >= 0) return EXO_OK;
  const char *cands[MAX_TISSUE_NAMES];
  char sug[400];
  suggestion(name, type_names(c, cands), (size_t)c->ts->ntypes, "the tissue has no cell types", sug, sizeof sug);
  return exo__lerr(c->L, exo__node_pos(n, at), EXO_ERR_MODEL, "%s: unknown cell type '%s'%s", what, name, sug);
}

/* A systemic state of kind cells (a population), named as processes name states. */
static exo_status population_ref(tctx *c, struct fy_node *n, exo_pos at, const char *what, int *out) {
  exo_status st = exo__state_ref(c->L, n, at, what, out);
  if (st) return st;
  const exo_state *s = &c->L->m->states[*out];
  if (s->kind != EXO_KIND_CELLS)
    return exo__lerr(c->L, exo__node_pos(n, at), EXO_ERR_MODEL, "%s must be a population (cells), but '%s' is a %s", what,
                     s->column, exo_kind_name(s->kind));
  return EXO_OK;
}

/* --- quantities and values ------------------------------------------------------------------ */

/* A quantity of dimension want (a concentration also as a bare per-volume). */
static exo_status quantity(tctx *c, struct fy_node *n, exo_pos at, exo_dim want, int flags, const char *what, double *out) {
  if (exo_dim_eq(want, conc()) && n && fy_node_get_type(n) == FYNT_SCALAR) {
    const char *text;
    exo_status st = exo__scalar(c->L, n, at, what, &text);
    if (st) return st;
    exo_quantity q;
    exo_error e2;
    if (!exo_quantity_parse(text, &q, &e2) && exo_dim_eq(q.dim, per_volume())) want = per_volume();
  }
  return exo__quantity(c->L, n, at, want, flags, what, out, NULL);
}

static bool looks_like_name(const char *s) {
  while (*s == ' ' || *s == '\t') s++;
  return isalpha((unsigned char)*s) || *s == '_';
}

static exo_status value_scalar(tctx *c, struct fy_node *n, exo_pos at, exo_dim want, double lo, double hi, const char *what,
                               exo_tvalue *out);

static void refuse_outputs(void *ctx, const exo_symref *s) {
  if (s->kind == EXO_SYM_OUTPUT) *(bool *)ctx = true;
}

/* factor (a dimensionless expression) into *out, multiplied with what is there */
static exo_status add_factor(tctx *c, const char *text, exo_pos p, const char *what, const struct exo_expr **out) {
  loader *L = c->L;
  exo_expr *e = NULL;
  int epos = 0;
  exo_error e2;
  exo_status st = exo_expr_parse(&L->m->arena, text, exo__resolve_symbol, exo__suggest_symbol, L->m, &e, &epos, &e2);
  if (st) return st == EXO_ERR_NOMEM ? exo__nomem(L) : exo__lerr(L, p, st, "%s: %s", what, e2.msg);
  bool has_output = false;
  exo_expr_visit_symbols(e, refuse_outputs, &has_output);
  if (has_output) return exo__lerr(L, p, EXO_ERR_MODEL, "%s: a factor may read parameters and states, not outputs", what);
  if (!exo_dim_is_none(e->dim) && !e->dim_free) {
    char d[64];
    exo_dim_format(e->dim, d, sizeof d);
    return exo__lerr(L, p, EXO_ERR_UNIT, "%s: a factor must be dimensionless, '%s' is %s", what, text, d);
  }
  if (*out) {
    exo_expr *prod = exo_arena_alloc(&L->m->arena, sizeof *prod);
    if (!prod) return exo__nomem(L);
    *prod = (exo_expr){.kind = EXO_EN_MUL, .arg = {(exo_expr *)*out, e}, .nargs = 2, .dim = exo_dim_none()};
    *out = prod;
  } else {
    *out = e;
  }
  return EXO_OK;
}

/* A "value": a quantity, or the name of a model parameter of the same dimension (read when the
 * run needs it, so --set reaches the tissue too), or a mapping
 *     {value: V, blocked_like: PROCESS or [PROCESS, ...], factor: "EXPRESSION"}
 * whose value is V times the blocks the model's therapies put on those processes times the
 * dimensionless expression (over parameters and systemic states), evaluated as the run goes.
 * Constants must lie in [lo, hi]; a parameter's present value is checked against the same
 * bounds. */
static exo_status value(tctx *c, struct fy_node *n, exo_pos at, exo_dim want, double lo, double hi, const char *what,
                        exo_tvalue *out) {
  loader *L = c->L;
  if (!n || fy_node_get_type(n) != FYNT_MAPPING) return value_scalar(c, n, at, want, lo, hi, what, out);
  static const char *const keys[] = {"value", "blocked_like", "factor"};
  exo_pos p = exo__node_pos(n, at);
  exo_status st = exo__check_keys(L, n, keys, 3, what);
  if (st) return st;
  struct fy_node *v = exo__get(n, "value");
  if (!v) return exo__lerr(L, p, EXO_ERR_MODEL, "%s: a mapping value needs 'value'", what);
  if ((st = value_scalar(c, v, p, want, lo, hi, what, out))) return st;
  const struct exo_expr *factor = NULL;
  struct fy_node *bl = exo__get(n, "blocked_like");
  if (bl) {
    exo_pos bp = exo__node_pos(bl, p);
    struct fy_node *one[1] = {bl};
    struct fy_node **items = one;
    int count = 1;
    struct fy_node *list[64];
    if (fy_node_get_type(bl) == FYNT_SEQUENCE) {
      void *it = NULL;
      struct fy_node *x;
      count = 0;
      while ((x = fy_node_sequence_iterate(bl, &it)))
        if (count < 64) list[count++] = x;
        else return exo__lerr(L, bp, EXO_ERR_MODEL, "%s: at most 64 processes in blocked_like", what);
      items = list;
    }
    for (int i = 0; i < count; i++) {
      const char *pname;
      if ((st = exo__scalar(L, items[i], bp, "a process name", &pname))) return st;
      int k = exo_model_find_process(L->m, pname);
      if (k < 0) {
        const char *cands[2048];
        size_t nc = 0;
        for (int j = 0; j < L->m->nproc && nc < 2048; j++) cands[nc++] = L->m->procs[j].name;
        const char *sug = exo_nearest(pname, cands, nc);
        return exo__lerr(L, exo__node_pos(items[i], bp), EXO_ERR_MODEL, "%s: blocked_like: no process '%s'%s%s%s", what, pname,
                         sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
      }
      /* a process no therapy blocks: nothing to multiply (every arm treats it alike) */
      if (L->m->procs[k].block_text && (st = add_factor(c, L->m->procs[k].block_text, exo__node_pos(items[i], bp), what, &factor)))
        return st;
    }
  }
  struct fy_node *fx = exo__get(n, "factor");
  if (fx) {
    const char *text;
    if ((st = exo__scalar(L, fx, p, "a factor", &text))) return st;
    if ((st = add_factor(c, text, exo__node_pos(fx, p), what, &factor))) return st;
  }
  out->factor = factor;
  return EXO_OK;
}

static exo_status value_scalar(tctx *c, struct fy_node *n, exo_pos at, exo_dim want, double lo, double hi, const char *what,
                               exo_tvalue *out) {
  loader *L = c->L;
  const char *text;
  exo_status st = exo__scalar(L, n, at, what, &text);
  if (st) return st;
  exo_pos p = exo__node_pos(n, at);
  char dw[64], dg[64];
  exo_dim_format(want, dw, sizeof dw);
  if (looks_like_name(text)) {
    const char *name = text;
    while (*name == ' ' || *name == '\t') name++;
    int pi = exo_model_find_param(L->m, name);
    if (pi < 0) {
      const char *cands[1024];
      size_t nc = 0;
      for (int i = 0; i < L->m->nparam && nc < 1024; i++) cands[nc++] = L->m->params[i].name;
      const char *sug = exo_nearest(name, cands, nc);
      return exo__lerr(L, p, EXO_ERR_MODEL, "%s: '%s' is neither a number (e.g. '0.1 /min') nor a parameter of the model%s%s%s",
                       what, name, sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
    }
    const exo_param *par = &L->m->params[pi];
    if (!dim_fits(par->dim, want)) {
      exo_dim_format(par->dim, dg, sizeof dg);
      return exo__lerr(L, p, EXO_ERR_UNIT, "%s: expected %s, but parameter '%s' is %s", what, dw, name, dg);
    }
    if (!(par->value >= lo && par->value <= hi))
      return exo__lerr(L, p, EXO_ERR_MODEL, "%s: parameter '%s' is %g, outside [%g, %g]", what, name, par->value, lo, hi);
    *out = (exo_tvalue){0, pi, 1.0, NULL};
    return EXO_OK;
  }
  double v = 0;
  if ((st = quantity(c, n, at, want, lo < 0 ? ALLOW_NEGATIVE : 0, what, &v))) return st;
  if (!(v >= lo && v <= hi)) return exo__lerr(L, p, EXO_ERR_MODEL, "%s must be between %g and %g (got '%s')", what, lo, hi, text);
  *out = exo_tvalue_const(v);
  return EXO_OK;
}

/* An optional quantity under key of map (out keeps its default when absent). */
static exo_status opt_quantity(tctx *c, struct fy_node *map, const char *key, exo_pos at, exo_dim want, int flags,
                               const char *owner, double *out) {
  struct fy_node *n = exo__get(map, key);
  if (!n) return EXO_OK;
  char what[200];
  snprintf(what, sizeof what, "'%s' of %s", key, owner);
  return quantity(c, n, exo__key_pos(map, key, at), want, flags, what, out);
}

static exo_status opt_plain(tctx *c, struct fy_node *map, const char *key, exo_pos at, double lo, double hi, const char *owner,
                            double *out) {
  struct fy_node *n = exo__get(map, key);
  if (!n) return EXO_OK;
  char what[200];
  snprintf(what, sizeof what, "'%s' of %s", key, owner);
  return exo__plain_number(c->L, n, exo__key_pos(map, key, at), what, lo, hi, out);
}

/* The position to blame for a relation between keys: the first of them that is written. */
static exo_pos blame(struct fy_node *map, const char *k1, const char *k2, exo_pos fallback) {
  struct fy_node *n = exo__get(map, k1);
  if (!n && k2) n = exo__get(map, k2);
  return n ? exo__node_pos(n, fallback) : fallback;
}

/* Whether big is a whole multiple of small, within REL_TOL. */
static bool whole_multiple(double big, double small, double *ratio) {
  double r = big / small, k = rint(r);
  *ratio = r;
  return isfinite(r) && k >= 1 && fabs(r - k) <= REL_TOL * k;
}

/* --- domain and time ------------------------------------------------------------------------ */

static const char axis_name[3] = {'x', 'y', 'z'};

static exo_status coordinates(tctx *c, struct fy_node *n, exo_pos at, const char *what, int *count, double out[3]) {
  exo_status st;
  if ((st = exo__expect_type(c->L, n, at, FYNT_SEQUENCE, what))) return st;
  int k = fy_node_sequence_item_count(n);
  if (k < 1 || k > 3)
    return exo__lerr(c->L, exo__node_pos(n, at), EXO_ERR_MODEL, "%s must list 1, 2 or 3 coordinates (one per dimension), not %d", what,
                     k);
  void *it = NULL;
  struct fy_node *e;
  int i = 0;
  while ((e = fy_node_sequence_iterate(n, &it)) && i < 3) {
    char w[160];
    snprintf(w, sizeof w, "%s (%c)", what, axis_name[i]);
    if ((st = exo__quantity(c->L, e, at, length(), ALLOW_NEGATIVE, w, &out[i], NULL))) return st;
    i++;
  }
  *count = k;
  return EXO_OK;
}

static exo_status read_domain(tctx *c, struct fy_node *sec) {
  loader *L = c->L;
  exo_status st;
  struct fy_node *d = exo__get(sec, "domain");
  exo_pos at = exo__key_pos(sec, "domain", c->at);
  if (!d) return exo__lerr(L, c->at, EXO_ERR_MODEL, "'tissue' needs a 'domain' ({lo: [...], hi: [...], dx: 20 um})");
  if ((st = exo__expect_type(L, d, at, FYNT_MAPPING, "tissue.domain"))) return st;
  static const char *const keys[] = {"lo", "hi", "dx"};
  if ((st = exo__check_keys(L, d, keys, 3, "tissue.domain"))) return st;
  struct fy_node *lo = exo__get(d, "lo"), *hi = exo__get(d, "hi");
  if (!lo || !hi) return exo__lerr(L, at, EXO_ERR_MODEL, "tissue.domain needs 'lo' and 'hi' (the corners of the box, e.g. [-500 um, -500 um])");
  exo_grid_spec *g = &c->ts->grid;
  int nlo = 0, nhi = 0;
  if ((st = coordinates(c, lo, at, "tissue.domain.lo", &nlo, g->lo))) return st;
  if ((st = coordinates(c, hi, at, "tissue.domain.hi", &nhi, g->hi))) return st;
  if (nhi != nlo)
    return exo__lerr(L, exo__node_pos(hi, at), EXO_ERR_MODEL, "tissue.domain.hi has %d coordinates but lo has %d: give one per dimension",
                     nhi, nlo);
  g->dims = nlo;
  g->dx = EXO_FIELDS_DEFAULT_DX;
  struct fy_node *dxn = exo__get(d, "dx");
  if (dxn && (st = exo__quantity(L, dxn, at, length(), ALLOW_ZERO_ONLY_POSITIVE, "tissue.domain.dx", &g->dx, NULL))) return st;
  for (int i = 0; i < g->dims; i++) {
    struct fy_node *hn = fy_node_sequence_get_by_index(hi, i);
    exo_pos hp = exo__node_pos(hn, at);
    double side = g->hi[i] - g->lo[i], ratio;
    if (!(side > 0))
      return exo__lerr(L, hp, EXO_ERR_MODEL, "tissue.domain: hi must be above lo along every axis, but along %c hi = %g um and lo = %g um",
                       axis_name[i], g->hi[i], g->lo[i]);
    if (!(side / g->dx <= MAX_VOXELS_PER_AXIS))
      return exo__lerr(L, dxn ? exo__node_pos(dxn, at) : hp, EXO_ERR_MODEL,
                       "tissue.domain: %g voxels along %c is more than %g: use a larger dx or a smaller domain", side / g->dx,
                       axis_name[i], MAX_VOXELS_PER_AXIS);
    if (!whole_multiple(side, g->dx, &ratio))
      return exo__lerr(L, dxn ? exo__node_pos(dxn, at) : hp, EXO_ERR_MODEL,
                       "tissue.domain: the side along %c (%g um) is not a whole number of voxels of dx = %g um (%g voxels): "
                       "change lo, hi or dx",
                       axis_name[i], side, g->dx, ratio);
  }
  return EXO_OK;
}

static exo_status read_time(tctx *c, struct fy_node *sec) {
  loader *L = c->L;
  exo_tissue_spec *ts = c->ts;
  exo_status st;
  ts->dt_diffusion = DEFAULT_DT_DIFFUSION;
  ts->dt_mechanics = DEFAULT_DT_MECHANICS;
  ts->dt_phenotype = DEFAULT_DT_PHENOTYPE;
  struct fy_node *t = exo__get(sec, "time_steps");
  exo_pos at = exo__key_pos(sec, "time_steps", c->at);
  if (t) {
    if ((st = exo__expect_type(L, t, at, FYNT_MAPPING, "tissue.time_steps"))) return st;
    static const char *const keys[] = {"diffusion", "mechanics", "phenotype"};
    if ((st = exo__check_keys(L, t, keys, 3, "tissue.time_steps"))) return st;
    const char *owner = "tissue.time_steps";
    if ((st = opt_quantity(c, t, "diffusion", at, time_dim(), ALLOW_ZERO_ONLY_POSITIVE, owner, &ts->dt_diffusion)) ||
        (st = opt_quantity(c, t, "mechanics", at, time_dim(), ALLOW_ZERO_ONLY_POSITIVE, owner, &ts->dt_mechanics)) ||
        (st = opt_quantity(c, t, "phenotype", at, time_dim(), ALLOW_ZERO_ONLY_POSITIVE, owner, &ts->dt_phenotype)))
      return st;
  }
  double r;
  if (!whole_multiple(ts->dt_mechanics, ts->dt_diffusion, &r))
    return exo__lerr(L, blame(t, "mechanics", "diffusion", at), EXO_ERR_MODEL,
                     "tissue.time_steps: the mechanics step (%g min) must be a whole multiple (at least 1x) of the diffusion "
                     "step (%g min), but is %g times it",
                     ts->dt_mechanics, ts->dt_diffusion, r);
  if (!whole_multiple(ts->dt_phenotype, ts->dt_mechanics, &r))
    return exo__lerr(L, blame(t, "phenotype", "mechanics", at), EXO_ERR_MODEL,
                     "tissue.time_steps: the phenotype step (%g min) must be a whole multiple (at least 1x) of the mechanics "
                     "step (%g min), but is %g times it",
                     ts->dt_phenotype, ts->dt_mechanics, r);
  ts->sort_every = ts->dt_phenotype;
  if ((st = opt_quantity(c, sec, "sort_every", c->at, time_dim(), ALLOW_ZERO_ONLY_POSITIVE, "the tissue", &ts->sort_every))) return st;
  struct fy_node *sn = exo__get(sec, "snapshots");
  ts->snapshot_every = 0;
  if (sn) {
    size_t len;
    const char *s = fy_node_get_type(sn) == FYNT_SCALAR ? fy_node_get_scalar(sn, &len) : NULL;
    bool off = s && len == 3 && !memcmp(s, "off", 3);
    if (!off && (st = quantity(c, sn, c->at, time_dim(), 0, "tissue.snapshots (a time between snapshots, or off)", &ts->snapshot_every)))
      return st;
  }
  /* a tissue run's own length: tissue runs cost far more than the systemic model's year */
  ts->end_time = 0;
  if ((st = opt_quantity(c, sec, "end", c->at, time_dim(), ALLOW_ZERO_ONLY_POSITIVE, "the tissue", &ts->end_time))) return st;
  ts->output_every = 0;
  if ((st = opt_quantity(c, sec, "output_every", c->at, time_dim(), ALLOW_ZERO_ONLY_POSITIVE, "the tissue", &ts->output_every)))
    return st;
  ts->max_cells = DEFAULT_MAX_CELLS;
  struct fy_node *mc = exo__get(sec, "max_cells");
  if (mc) {
    double v = 0;
    if ((st = exo__plain_number(L, mc, c->at, "tissue.max_cells", 1, 1e12, &v))) return st;
    if (v != floor(v)) return exo__lerr(L, exo__node_pos(mc, c->at), EXO_ERR_MODEL, "tissue.max_cells must be a whole number (got %g)", v);
    ts->max_cells = (long)v;
  }
  return EXO_OK;
}

/* --- names ---------------------------------------------------------------------------------- */

/* Cell types, fields and cargo share one namespace: a rule names any of them bare. */
static exo_status check_name(tctx *c, const char *name, exo_pos p, const char *what) {
  loader *L = c->L;
  exo_tissue_spec *ts = c->ts;
  if (strlen(name) > MAX_NAME_LEN)
    return exo__lerr(L, p, EXO_ERR_MODEL, "%s name '%.20s...' is longer than %d characters", what, name, MAX_NAME_LEN);
  if (!exo_is_identifier(name))
    return exo__lerr(L, p, EXO_ERR_MODEL,
                     "%s name '%s' is not valid: use letters, digits and '_', and start with a letter or '_'", what, name);
  for (int i = 0; i < ts->ntypes; i++)
    if (!strcmp(ts->types[i].name, name))
      return exo__lerr(L, p, EXO_ERR_MODEL, "duplicate name '%s': already a cell type (line %d)", name, ts->types[i].pos.line);
  for (int i = 0; i < ts->nfields; i++)
    if (!strcmp(ts->fields[i].spec.name, name))
      return exo__lerr(L, p, EXO_ERR_MODEL, "duplicate name '%s': already a field (line %d)", name, ts->fields[i].pos.line);
  for (int i = 0; i < ts->ncargo; i++)
    if (!strcmp(ts->cargo[i].name, name))
      return exo__lerr(L, p, EXO_ERR_MODEL, "duplicate name '%s': already a cargo variable (line %d)", name, c->cargo_pos[i].line);
  return EXO_OK;
}

/* The names of one mapping section (keys), into names/pos/nodes; count 0 when absent. */
static exo_status section_names(tctx *c, struct fy_node *sec, const char *key, const char *what, int *count,
                                const char ***names, exo_pos **pos, struct fy_node ***nodes) {
  loader *L = c->L;
  exo_status st;
  struct fy_node *s = exo__get(sec, key);
  *count = 0;
  int n = 0;
  if (s) {
    char where[64];
    snprintf(where, sizeof where, "tissue.%s", key);
    if ((st = exo__expect_type(L, s, exo__key_pos(sec, key, c->at), FYNT_MAPPING, where))) return st;
    n = fy_node_mapping_item_count(s);
    if (n > MAX_TISSUE_NAMES)
      return exo__lerr(L, exo__key_pos(sec, key, c->at), EXO_ERR_MODEL, "tissue.%s has %d entries; at most %d are allowed", key, n,
                       MAX_TISSUE_NAMES);
  }
  size_t cap = (size_t)(n ? n : 1);
  *names = exo_arena_alloc(&L->m->arena, cap * sizeof **names);
  *pos = exo_arena_alloc(&L->m->arena, cap * sizeof **pos);
  *nodes = exo_arena_alloc(&L->m->arena, cap * sizeof **nodes);
  if (!*names || !*pos || !*nodes) return exo__nomem(L);
  void *it = NULL;
  struct fy_node_pair *pr;
  while (s && (pr = fy_node_mapping_iterate(s, &it)) && *count < n) {
    exo_pos kp = exo__node_pos(fy_node_pair_key(pr), c->at);
    const char *name = key_text(L, pr);
    if (!name) return exo__lerr(L, kp, EXO_ERR_MODEL, "%s names must be plain names", what);
    (*names)[*count] = name;
    (*pos)[*count] = kp;
    (*nodes)[*count] = fy_node_pair_value(pr);
    (*count)++;
  }
  return EXO_OK;
}

static exo_status read_names(tctx *c, struct fy_node *sec) {
  loader *L = c->L;
  exo_tissue_spec *ts = c->ts;
  exo_status st;
  const char **names;
  exo_pos *pos;
  int n;
  /* cell types first: a field must not take a cell type's name */
  if ((st = section_names(c, sec, "cell_types", "cell type", &n, &names, &pos, &c->type_node))) return st;
  ts->types = exo_arena_alloc(&L->m->arena, (size_t)(n ? n : 1) * sizeof *ts->types);
  if (!ts->types) return exo__nomem(L);
  for (int i = 0; i < n; i++) {
    if ((st = check_name(c, names[i], pos[i], "cell type"))) return st;
    ts->types[ts->ntypes++] = (exo_cell_type){.name = names[i], .pos = ts_pos(pos[i])};
  }
  if ((st = section_names(c, sec, "fields", "field", &n, &names, &pos, &c->field_node))) return st;
  ts->fields = exo_arena_alloc(&L->m->arena, (size_t)(n ? n : 1) * sizeof *ts->fields);
  c->given_diffusion = exo_arena_alloc(&L->m->arena, (size_t)(n ? n : 1) * sizeof *c->given_diffusion);
  c->given_decay = exo_arena_alloc(&L->m->arena, (size_t)(n ? n : 1) * sizeof *c->given_decay);
  c->given_boundary = exo_arena_alloc(&L->m->arena, (size_t)(n ? n : 1) * sizeof *c->given_boundary);
  if (!ts->fields || !c->given_diffusion || !c->given_decay || !c->given_boundary) return exo__nomem(L);
  for (int i = 0; i < n; i++) {
    if ((st = check_name(c, names[i], pos[i], "field"))) return st;
    exo_tissue_field *f = &ts->fields[ts->nfields++];
    f->spec.name = names[i];
    f->pos = ts_pos(pos[i]);
    f->vesicle_class = f->cargo_of = f->drain_to = -1;
    f->drain_scale = exo_tvalue_const(1);
  }
  if ((st = section_names(c, sec, "cargo", "cargo", &n, &names, &c->cargo_pos, &c->cargo_node))) return st;
  ts->cargo = exo_arena_alloc(&L->m->arena, (size_t)(n ? n : 1) * sizeof *ts->cargo);
  if (!ts->cargo) return exo__nomem(L);
  for (int i = 0; i < n; i++) {
    if ((st = check_name(c, names[i], c->cargo_pos[i], "cargo variable"))) return st;
    ts->cargo[ts->ncargo++] = (exo_tissue_cargo){.name = names[i], .field = -1, .per_unit = exo_tvalue_const(1), .decay = exo_tvalue_const(0)};
  }
  /* custom variables are written "custom:NAME" in rules: their own namespace */
  if ((st = section_names(c, sec, "variables", "variable", &n, &names, &pos, &c->variable_node))) return st;
  ts->variables = exo_arena_alloc(&L->m->arena, (size_t)(n ? n : 1) * sizeof *ts->variables);
  if (!ts->variables) return exo__nomem(L);
  for (int i = 0; i < n; i++) {
    if (strlen(names[i]) > MAX_NAME_LEN || !exo_is_identifier(names[i]))
      return exo__lerr(L, pos[i], EXO_ERR_MODEL, "variable name '%.40s' is not valid: use letters, digits and '_' (at most %d)",
                       names[i], MAX_NAME_LEN);
    if (find_variable(ts, names[i]) >= 0) return exo__lerr(L, pos[i], EXO_ERR_MODEL, "variable '%s' is declared twice", names[i]);
    ts->variables[ts->nvariables++] = (exo_tissue_variable){.name = names[i]};
  }
  return EXO_OK;
}

/* --- fields --------------------------------------------------------------------------------- */

static const char *const face_names[EXO_FACE_COUNT] = {"xlo", "xhi", "ylo", "yhi", "zlo", "zhi"};

static bool is_noflux(struct fy_node *n) {
  size_t len;
  const char *s = n && fy_node_get_type(n) == FYNT_SCALAR ? fy_node_get_scalar(n, &len) : NULL;
  return s && len == 7 && !memcmp(s, "no-flux", 7);
}

static exo_status face_value(tctx *c, struct fy_node *n, exo_pos at, const char *what, exo_bc *bc) {
  if (is_noflux(n)) {
    *bc = (exo_bc){EXO_BC_NOFLUX, 0};
    return EXO_OK;
  }
  double v = 0;
  exo_status st = quantity(c, n, at, conc(), 0, what, &v);
  if (st) return st;
  *bc = (exo_bc){EXO_BC_DIRICHLET, v};
  return EXO_OK;
}

static exo_status read_boundary(tctx *c, struct fy_node *n, exo_pos at, const char *fname, exo_bc bc[EXO_FACE_COUNT]) {
  loader *L = c->L;
  exo_status st;
  char what[200];
  snprintf(what, sizeof what, "boundary of field '%s' (a value, no-flux, or a mapping of faces)", fname);
  if (!n || fy_node_get_type(n) != FYNT_MAPPING) {
    exo_bc one;
    if ((st = face_value(c, n, at, what, &one))) return st;
    for (int f = 0; f < EXO_FACE_COUNT; f++) bc[f] = one;
    return EXO_OK;
  }
  int dims = c->ts->grid.dims;
  void *it = NULL;
  struct fy_node_pair *pr;
  /* a face of an axis the domain does not have is a mistake worth its own message */
  while ((pr = fy_node_mapping_iterate(n, &it))) {
    size_t len;
    struct fy_node *k = fy_node_pair_key(pr);
    const char *ks = k && fy_node_get_type(k) == FYNT_SCALAR ? fy_node_get_scalar(k, &len) : NULL;
    for (int f = 2 * dims; ks && f < EXO_FACE_COUNT; f++)
      if (len == 3 && !memcmp(ks, face_names[f], 3))
        return exo__lerr(L, exo__node_pos(k, at), EXO_ERR_MODEL, "boundary of field '%s': face '%s' is beyond the domain's %d dimension%s",
                         fname, face_names[f], dims, dims == 1 ? "" : "s");
  }
  char where[160];
  snprintf(where, sizeof where, "the boundary of field '%s'", fname);
  if ((st = exo__check_keys(L, n, face_names, (size_t)(2 * dims), where))) return st;
  for (int f = 0; f < EXO_FACE_COUNT; f++) {
    bc[f] = (exo_bc){EXO_BC_NOFLUX, 0};
    struct fy_node *v = exo__get(n, face_names[f]);
    snprintf(what, sizeof what, "boundary %s of field '%s'", face_names[f], fname);
    if (v && (st = face_value(c, v, exo__key_pos(n, face_names[f], at), what, &bc[f]))) return st;
  }
  return EXO_OK;
}

static exo_status vesicle_ref(tctx *c, struct fy_node *n, exo_pos at, const char *what, int *out) {
  loader *L = c->L;
  const char *name;
  exo_status st = exo__scalar(L, n, at, what, &name);
  if (st) return st;
  for (int i = 0; i < c->nvesicle_species; i++)
    if (!strcmp(c->vesicle_species[i], name)) {
      *out = i;
      return EXO_OK;
    }
  exo_pos p = exo__node_pos(n, at);
  for (int i = 0; i < L->m->nstate; i++) {
    const exo_state *s = &L->m->states[i];
    if (s->kind == EXO_KIND_VESICLES && !strcmp(s->column, name))
      return exo__lerr(L, p, EXO_ERR_MODEL, "%s: '%s' is a vesicle pool in one compartment: name the species, '%s'", what, name,
                       s->species);
    if (!strcmp(s->species, name) || !strcmp(s->column, name))
      return exo__lerr(L, p, EXO_ERR_MODEL, "%s: '%s' is a %s, not a vesicle species (of the 'vesicles' section)", what, name,
                       exo_kind_name(s->kind));
  }
  char sug[400];
  suggestion(name, c->vesicle_species, (size_t)c->nvesicle_species, "the model declares no vesicles", sug, sizeof sug);
  return exo__lerr(L, p, EXO_ERR_MODEL, "%s: unknown vesicle species '%s'%s", what, name, sug);
}

static exo_status read_field(tctx *c, int i) {
  loader *L = c->L;
  exo_tissue_field *f = &c->ts->fields[i];
  struct fy_node *v = c->field_node[i];
  exo_pos kp = {f->pos.line, f->pos.col};
  exo_status st;
  char owner[160];
  snprintf(owner, sizeof owner, "field '%s'", f->spec.name);
  if ((st = exo__expect_type(L, v, kp, FYNT_MAPPING, owner))) return st;
  static const char *const keys[] = {"diffusion", "decay",   "initial",     "boundary",   "vesicle",
                                     "cargo_of",  "drain_to", "drain_scale", "description"};
  if ((st = exo__check_keys(L, v, keys, sizeof keys / sizeof keys[0], owner))) return st;
  c->given_diffusion[i] = exo__get(v, "diffusion") != NULL;
  c->given_decay[i] = exo__get(v, "decay") != NULL;
  c->given_boundary[i] = exo__get(v, "boundary") != NULL;
  if ((st = opt_quantity(c, v, "diffusion", kp, dim(2, -1, 0), 0, owner, &f->spec.diffusion)) ||
      (st = opt_quantity(c, v, "decay", kp, per_time(), 0, owner, &f->spec.decay)) ||
      (st = opt_quantity(c, v, "initial", kp, conc(), 0, owner, &f->spec.initial)))
    return st;
  struct fy_node *n;
  if ((n = exo__get(v, "boundary")) && (st = read_boundary(c, n, exo__key_pos(v, "boundary", kp), f->spec.name, f->spec.bc)))
    return st;
  if ((n = exo__get(v, "vesicle"))) {
    char what[200];
    snprintf(what, sizeof what, "'vesicle' of %s", owner);
    if ((st = vesicle_ref(c, n, kp, what, &f->vesicle_class))) return st;
  }
  struct fy_node *dt = exo__get(v, "drain_to"), *ds = exo__get(v, "drain_scale");
  if (ds && !dt)
    return exo__lerr(L, exo__key_pos(v, "drain_scale", kp), EXO_ERR_MODEL, "%s has 'drain_scale' but no 'drain_to' (the systemic state it drains into)",
                     owner);
  if (dt) {
    char what[200];
    snprintf(what, sizeof what, "'drain_to' of %s", owner);
    if ((st = exo__state_ref(L, dt, kp, what, &f->drain_to))) return st;
    /* what drains is an amount of the field's substance: vesicles stay vesicles, and no field
     * turns into cells */
    const exo_state *s = &L->m->states[f->drain_to];
    if (s->kind == EXO_KIND_CELLS || (f->vesicle_class >= 0 && s->kind != EXO_KIND_VESICLES))
      return exo__lerr(L, exo__node_pos(dt, kp), EXO_ERR_MODEL, "%s: '%s' is a %s, but %s drains into a %s", what, s->column,
                       exo_kind_name(s->kind), f->vesicle_class >= 0 ? "a vesicle field" : "a field",
                       f->vesicle_class >= 0 ? "vesicle pool" : "vesicle pool or molecule species");
  }
  if (ds) {
    char what[200];
    snprintf(what, sizeof what, "'drain_scale' of %s", owner);
    if ((st = value(c, ds, kp, exo_dim_none(), 0, INFINITY, what, &f->drain_scale))) return st;
  }
  if (!exo__get(v, "cargo_of") && !c->given_diffusion[i])
    return exo__lerr(L, kp, EXO_ERR_MODEL, "%s needs 'diffusion' (e.g. '1e5 um^2/min')", owner);
  return EXO_OK;
}

static bool same(double a, double b) { return fabs(a - b) <= 1e-12 * fmax(fabs(a), fabs(b)); }

/* A cargo field rides with its vesicle field: it takes what it does not state from it, and what
 * it states must agree (exo_fields_create would refuse the pair otherwise, far from the file). */
static exo_status read_cargo_field(tctx *c, int i) {
  loader *L = c->L;
  exo_tissue_spec *ts = c->ts;
  exo_tissue_field *f = &ts->fields[i];
  struct fy_node *v = c->field_node[i], *n = exo__get(v, "cargo_of");
  exo_pos kp = {f->pos.line, f->pos.col};
  if (!n) return EXO_OK;
  exo_status st;
  char what[200];
  snprintf(what, sizeof what, "'cargo_of' of field '%s'", f->spec.name);
  int vf;
  if ((st = field_ref(c, n, kp, what, &vf))) return st;
  exo_pos np = exo__node_pos(n, kp);
  if (f->vesicle_class >= 0)
    return exo__lerr(L, exo__key_pos(v, "vesicle", kp), EXO_ERR_MODEL,
                     "field '%s' has both 'vesicle' and 'cargo_of': a field holds either vesicles or the cargo of a vesicle field",
                     f->spec.name);
  const exo_tissue_field *ves = &ts->fields[vf];
  if (ves->vesicle_class < 0)
    return exo__lerr(L, np, EXO_ERR_MODEL, "%s: '%s' is not a vesicle field (a field with 'vesicle: SPECIES'), so it carries no cargo", what,
                     ves->spec.name);
  f->cargo_of = vf;
  if (!c->given_diffusion[i]) f->spec.diffusion = ves->spec.diffusion;
  else if (!same(f->spec.diffusion, ves->spec.diffusion))
    return exo__lerr(L, exo__node_pos(exo__get(v, "diffusion"), kp), EXO_ERR_MODEL,
                     "cargo field '%s' must diffuse as its vesicle field '%s' does (%g um^2/min), not at %g um^2/min: leave "
                     "'diffusion' out to copy it",
                     f->spec.name, ves->spec.name, ves->spec.diffusion, f->spec.diffusion);
  if (!c->given_decay[i]) f->spec.decay = ves->spec.decay;
  else if (!same(f->spec.decay, ves->spec.decay))
    return exo__lerr(L, exo__node_pos(exo__get(v, "decay"), kp), EXO_ERR_MODEL,
                     "cargo field '%s' must decay as its vesicle field '%s' does (%g /min), not at %g /min: leave 'decay' out "
                     "to copy it",
                     f->spec.name, ves->spec.name, ves->spec.decay, f->spec.decay);
  for (int k = 0; k < EXO_FACE_COUNT; k++) {
    /* copied kinds hold no cargo at a Dirichlet face: the vesicles entering there carry none
     * unless the file says how much */
    if (!c->given_boundary[i]) f->spec.bc[k] = (exo_bc){ves->spec.bc[k].kind, 0};
    else if (k < 2 * ts->grid.dims && f->spec.bc[k].kind != ves->spec.bc[k].kind)
      return exo__lerr(L, exo__key_pos(v, "boundary", kp), EXO_ERR_MODEL,
                       "cargo field '%s' must have the boundary kinds of its vesicle field '%s', but face %s is %s here and %s "
                       "there",
                       f->spec.name, ves->spec.name, face_names[k], f->spec.bc[k].kind == EXO_BC_NOFLUX ? "no-flux" : "a value",
                       ves->spec.bc[k].kind == EXO_BC_NOFLUX ? "no-flux" : "a value");
  }
  return EXO_OK;
}

static exo_status read_fields(tctx *c) {
  loader *L = c->L;
  exo_tissue_spec *ts = c->ts;
  exo_status st;
  /* vesicle species in the order of the model's states: the index a field's vesicle_class holds */
  c->vesicle_species = exo_arena_alloc(&L->m->arena, (size_t)(L->m->nstate ? L->m->nstate : 1) * sizeof *c->vesicle_species);
  if (!c->vesicle_species) return exo__nomem(L);
  for (int i = 0; i < L->m->nstate; i++) {
    const exo_state *s = &L->m->states[i];
    if (s->kind != EXO_KIND_VESICLES) continue;
    bool seen = false;
    for (int j = 0; j < c->nvesicle_species && !seen; j++) seen = !strcmp(c->vesicle_species[j], s->species);
    if (!seen) c->vesicle_species[c->nvesicle_species++] = s->species;
  }
  for (int i = 0; i < ts->nfields; i++)
    if ((st = read_field(c, i))) return st;
  /* cargo after all fields: a cargo field may be listed before its vesicle field */
  for (int i = 0; i < ts->nfields; i++)
    if ((st = read_cargo_field(c, i))) return st;
  for (int vf = 0; vf < ts->nfields; vf++) {
    int k = 0;
    for (int i = 0; i < ts->nfields; i++) k += ts->fields[i].cargo_of == vf;
    if (!k) continue;
    int *list = exo_arena_alloc(&L->m->arena, (size_t)k * sizeof *list);
    if (!list) return exo__nomem(L);
    k = 0;
    for (int i = 0; i < ts->nfields; i++)
      if (ts->fields[i].cargo_of == vf) list[k++] = i;
    ts->fields[vf].spec.cargo = list;
    ts->fields[vf].spec.ncargo = k;
  }
  return EXO_OK;
}

/* --- variables and cargo -------------------------------------------------------------------- */

static exo_status read_variables(tctx *c) {
  loader *L = c->L;
  exo_status st;
  for (int i = 0; i < c->ts->nvariables; i++) {
    exo_tissue_variable *var = &c->ts->variables[i];
    struct fy_node *v = c->variable_node[i];
    exo_pos kp = exo__node_pos(v, c->at);
    char owner[160];
    snprintf(owner, sizeof owner, "variable '%s'", var->name);
    if ((st = exo__expect_type(L, v, kp, FYNT_MAPPING, owner))) return st;
    static const char *const keys[] = {"mean", "sd", "description"};
    if ((st = exo__check_keys(L, v, keys, 3, owner))) return st;
    if (!exo__get(v, "mean")) return exo__lerr(L, kp, EXO_ERR_MODEL, "%s needs 'mean' (and 'sd', default 0)", owner);
    if ((st = opt_plain(c, v, "mean", kp, -1e300, 1e300, owner, &var->mean)) || (st = opt_plain(c, v, "sd", kp, 0, 1e300, owner, &var->sd)))
      return st;
  }
  return EXO_OK;
}

static exo_status read_cargo(tctx *c) {
  loader *L = c->L;
  exo_status st;
  for (int i = 0; i < c->ts->ncargo; i++) {
    exo_tissue_cargo *cg = &c->ts->cargo[i];
    struct fy_node *v = c->cargo_node[i];
    exo_pos kp = c->cargo_pos[i];
    char owner[160];
    snprintf(owner, sizeof owner, "cargo variable '%s'", cg->name);
    if ((st = exo__expect_type(L, v, kp, FYNT_MAPPING, owner))) return st;
    static const char *const keys[] = {"field", "per_unit", "decay", "description"};
    if ((st = exo__check_keys(L, v, keys, 4, owner))) return st;
    struct fy_node *fn = exo__get(v, "field"), *dn = exo__get(v, "decay");
    if (!fn) return exo__lerr(L, kp, EXO_ERR_MODEL, "%s needs 'field' (the field whose uptake delivers it)", owner);
    char what[200];
    snprintf(what, sizeof what, "'field' of %s", owner);
    if ((st = field_ref(c, fn, kp, what, &cg->field))) return st;
    struct fy_node *pu = exo__get(v, "per_unit");
    snprintf(what, sizeof what, "'per_unit' of %s", owner);
    if (pu && (st = value(c, pu, kp, exo_dim_none(), 0, 1e300, what, &cg->per_unit))) return st;
    snprintf(what, sizeof what, "'decay' of %s", owner);
    if (dn && (st = value(c, dn, kp, per_time(), 0, INFINITY, what, &cg->decay))) return st;
  }
  return EXO_OK;
}

/* --- cell types ----------------------------------------------------------------------------- */

static const struct {
  const char *key;
  int slot;
  exo_dim want;
  double hi;
} fixed_behaviours[] = {
    {"cycle_entry", EXO_BEH_CYCLE_ENTRY, {{0, -1, 0, 0}}, INFINITY},
    {"apoptosis", EXO_BEH_APOPTOSIS, {{0, -1, 0, 0}}, INFINITY},
    {"necrosis", EXO_BEH_NECROSIS, {{0, -1, 0, 0}}, INFINITY},
    {"speed", EXO_BEH_SPEED, {{1, -1, 0, 0}}, INFINITY},
    {"persistence", EXO_BEH_PERSISTENCE, {{0, 1, 0, 0}}, INFINITY},
    {"bias", EXO_BEH_BIAS, {{0, 0, 0, 0}}, 1},
    {"adhesion", EXO_BEH_ADHESION, {{1, -1, 0, 0}}, INFINITY},
    {"repulsion", EXO_BEH_REPULSION, {{1, -1, 0, 0}}, INFINITY},
    {"attach_rate", EXO_BEH_ATTACH_RATE, {{0, -1, 0, 0}}, INFINITY},
    {"detach_rate", EXO_BEH_DETACH_RATE, {{0, -1, 0, 0}}, INFINITY},
};

enum { PER_FIELD_SECRETION, PER_FIELD_TARGET, PER_FIELD_UPTAKE, PER_FIELD_CHEMOTAXIS };
static const struct {
  const char *key;
  int which;
} per_field_keys[] = {{"secretion", PER_FIELD_SECRETION},
                      {"secretion_target", PER_FIELD_TARGET},
                      {"uptake", PER_FIELD_UPTAKE},
                      {"chemotaxis", PER_FIELD_CHEMOTAXIS}};

static exo_status per_field(tctx *c, exo_cell_type *t, struct fy_node *map, const char *key, int which, exo_pos at) {
  loader *L = c->L;
  exo_status st;
  struct fy_node *n = exo__get(map, key);
  if (!n) return EXO_OK;
  exo_pos kp = exo__key_pos(map, key, at);
  char what[200];
  snprintf(what, sizeof what, "'%s' of cell type '%s' (a mapping from field to value)", key, t->name);
  if ((st = exo__expect_type(L, n, kp, FYNT_MAPPING, what))) return st;
  void *it = NULL;
  struct fy_node_pair *pr;
  while ((pr = fy_node_mapping_iterate(n, &it))) {
    int f;
    snprintf(what, sizeof what, "'%s' of cell type '%s'", key, t->name);
    if ((st = field_ref(c, fy_node_pair_key(pr), kp, what, &f))) return st;
    exo_pos fp = exo__node_pos(fy_node_pair_key(pr), kp);
    const exo_tissue_field *fld = &c->ts->fields[f];
    snprintf(what, sizeof what, "'%s' of cell type '%s' for field '%s'", key, t->name, fld->spec.name);
    int slot;
    exo_dim want = per_time();
    double lo = 0;
    switch (which) {
    case PER_FIELD_SECRETION: slot = exo_beh_secretion(f); break;
    case PER_FIELD_TARGET:
      slot = exo_beh_target(f);
      want = conc();
      break;
    case PER_FIELD_UPTAKE: slot = exo_beh_uptake(f); break;
    default:
      /* a negative response moves cells down the gradient */
      slot = exo_beh_chemotaxis(f);
      want = exo_dim_none();
      lo = -1e300;
      break;
    }
    if ((st = value(c, fy_node_pair_value(pr), fp, want, lo, INFINITY, what, &t->base[slot]))) return st;
    if (which == PER_FIELD_UPTAKE && fld->cargo_of >= 0 && !(t->base[slot].param < 0 && t->base[slot].value == 0))
      return exo__lerr(L, fp, EXO_ERR_MODEL,
                       "cell type '%s': cargo field '%s' is taken up with its vesicle field: give the uptake of '%s' instead", t->name,
                       fld->spec.name, c->ts->fields[fld->cargo_of].spec.name);
  }
  return EXO_OK;
}

static exo_status per_type(tctx *c, exo_cell_type *t, int self, struct fy_node *map, const char *key, bool attack, exo_pos at) {
  loader *L = c->L;
  exo_status st;
  struct fy_node *n = exo__get(map, key);
  if (!n) return EXO_OK;
  exo_pos kp = exo__key_pos(map, key, at);
  char what[200];
  snprintf(what, sizeof what, "'%s' of cell type '%s' (a mapping from cell type to rate)", key, t->name);
  if ((st = exo__expect_type(L, n, kp, FYNT_MAPPING, what))) return st;
  void *it = NULL;
  struct fy_node_pair *pr;
  while ((pr = fy_node_mapping_iterate(n, &it))) {
    int u;
    snprintf(what, sizeof what, "'%s' of cell type '%s'", key, t->name);
    if ((st = type_ref(c, fy_node_pair_key(pr), kp, what, &u))) return st;
    exo_pos up = exo__node_pos(fy_node_pair_key(pr), kp);
    if (!attack && u == self) return exo__lerr(L, up, EXO_ERR_MODEL, "cell type '%s' cannot transform into itself", t->name);
    snprintf(what, sizeof what, "'%s' of cell type '%s' for '%s'", key, t->name, c->ts->types[u].name);
    int slot = attack ? exo_beh_attack(c->ts->nfields, u) : exo_beh_transform(c->ts->nfields, u);
    if ((st = value(c, fy_node_pair_value(pr), up, per_time(), 0, INFINITY, what, &t->base[slot]))) return st;
  }
  return EXO_OK;
}

static exo_status read_immunogenicity(tctx *c, exo_cell_type *t, struct fy_node *n, exo_pos at) {
  loader *L = c->L;
  exo_status st;
  char owner[160];
  snprintf(owner, sizeof owner, "the immunogenicity of cell type '%s'", t->name);
  if ((st = exo__expect_type(L, n, at, FYNT_MAPPING, owner))) return st;
  static const char *const keys[] = {"variable", "threshold", "saturation"};
  if ((st = exo__check_keys(L, n, keys, 3, owner))) return st;
  struct fy_node *vn = exo__get(n, "variable");
  if (!vn) return exo__lerr(L, at, EXO_ERR_MODEL, "%s needs 'variable' (a custom variable of the tissue)", owner);
  const char *name;
  if ((st = exo__scalar(L, vn, at, "variable", &name))) return st;
  if ((t->immunogenicity_variable = find_variable(c->ts, name)) < 0) {
    const char *cands[MAX_TISSUE_NAMES];
    for (int i = 0; i < c->ts->nvariables; i++) cands[i] = c->ts->variables[i].name;
    char sug[400];
    suggestion(name, cands, (size_t)c->ts->nvariables, "tissue.variables declares none", sug, sizeof sug);
    return exo__lerr(L, exo__node_pos(vn, at), EXO_ERR_MODEL, "%s: unknown variable '%s'%s", owner, name, sug);
  }
  t->immunogenicity_threshold = 0;
  t->immunogenicity_saturation = 1;
  if ((st = opt_plain(c, n, "threshold", at, -1e300, 1e300, owner, &t->immunogenicity_threshold)) ||
      (st = opt_plain(c, n, "saturation", at, -1e300, 1e300, owner, &t->immunogenicity_saturation)))
    return st;
  if (!(t->immunogenicity_saturation > t->immunogenicity_threshold))
    return exo__lerr(L, blame(n, "saturation", "threshold", at), EXO_ERR_MODEL, "%s: saturation (%g) must be above threshold (%g)", owner,
                     t->immunogenicity_saturation, t->immunogenicity_threshold);
  return EXO_OK;
}

static exo_status read_initial(tctx *c, exo_cell_type *t, struct fy_node *n, exo_pos at, long *total) {
  loader *L = c->L;
  exo_status st;
  const exo_grid_spec *g = &c->ts->grid;
  char owner[160];
  snprintf(owner, sizeof owner, "the initial cells of cell type '%s'", t->name);
  if ((st = exo__expect_type(L, n, at, FYNT_MAPPING, owner))) return st;
  static const char *const keys[] = {"count", "placement", "radius", "inner_radius", "center"};
  if ((st = exo__check_keys(L, n, keys, 5, owner))) return st;
  t->placement = EXO_PLACE_NONE;
  struct fy_node *pn = exo__get(n, "placement"), *cn = exo__get(n, "count");
  if (pn) {
    static const char *const words[] = {"none", "sphere", "shell", "box"};
    const char *w;
    if ((st = exo__scalar(L, pn, at, "placement", &w))) return st;
    int k = -1;
    for (int i = 0; i < 4; i++)
      if (!strcmp(w, words[i])) k = i;
    if (k < 0) {
      const char *sug = exo_nearest(w, words, 4);
      return exo__lerr(L, exo__node_pos(pn, at), EXO_ERR_MODEL, "placement of cell type '%s' must be sphere, shell, box or none, not '%s'%s%s%s",
                       t->name, w, sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
    }
    t->placement = (exo_placement)k; /* words[] is in the enum's order */
  }
  double count = 0;
  if (cn) {
    if ((st = exo__plain_number(L, cn, at, "initial count", 0, 1e15, &count))) return st;
    exo_pos cp = exo__node_pos(cn, at);
    if (count != floor(count)) return exo__lerr(L, cp, EXO_ERR_MODEL, "initial count of cell type '%s' must be a whole number (got %g)", t->name, count);
    if (count > (double)c->ts->max_cells)
      return exo__lerr(L, cp, EXO_ERR_MODEL, "initial count of cell type '%s' (%g) is above tissue.max_cells (%ld)", t->name, count,
                       c->ts->max_cells);
    if ((double)*total + count > (double)c->ts->max_cells)
      return exo__lerr(L, cp, EXO_ERR_MODEL, "the initial cells of all types (%.0f) are more than tissue.max_cells (%ld)",
                       (double)*total + count, c->ts->max_cells);
    if (count > 0 && t->placement == EXO_PLACE_NONE)
      return exo__lerr(L, cp, EXO_ERR_MODEL, "cell type '%s' starts with %g cells but no placement: give placement sphere, shell or box",
                       t->name, count);
  }
  t->initial_count = (long)count;
  *total += t->initial_count;
  bool round = t->placement == EXO_PLACE_SPHERE || t->placement == EXO_PLACE_SHELL;
  if (!round) {
    static const char *const shape_keys[] = {"radius", "inner_radius", "center"};
    for (int i = 0; i < 3; i++)
      if (exo__get(n, shape_keys[i]))
        return exo__lerr(L, exo__key_pos(n, shape_keys[i], at), EXO_ERR_MODEL, "'%s' belongs to placement sphere or shell, not %s",
                         shape_keys[i], t->placement == EXO_PLACE_BOX ? "box (the whole domain)" : "none");
    return EXO_OK;
  }
  if (!exo__get(n, "radius"))
    return exo__lerr(L, pn ? exo__node_pos(pn, at) : at, EXO_ERR_MODEL, "placement %s of cell type '%s' needs 'radius'",
                     t->placement == EXO_PLACE_SPHERE ? "sphere" : "shell", t->name);
  if ((st = opt_quantity(c, n, "radius", at, length(), ALLOW_ZERO_ONLY_POSITIVE, owner, &t->r_outer))) return st;
  if (exo__get(n, "inner_radius") && t->placement == EXO_PLACE_SPHERE)
    return exo__lerr(L, exo__key_pos(n, "inner_radius", at), EXO_ERR_MODEL, "'inner_radius' belongs to placement shell, not sphere");
  if ((st = opt_quantity(c, n, "inner_radius", at, length(), 0, owner, &t->r_inner))) return st;
  if (!(t->r_inner < t->r_outer))
    return exo__lerr(L, exo__key_pos(n, "inner_radius", at), EXO_ERR_MODEL, "inner_radius (%g um) of cell type '%s' must be below its radius (%g um)",
                     t->r_inner, t->name, t->r_outer);
  struct fy_node *ce = exo__get(n, "center");
  exo_pos cep = exo__key_pos(n, "center", at);
  if (ce) {
    int k = 0;
    char what[200];
    snprintf(what, sizeof what, "'center' of %s", owner);
    if ((st = coordinates(c, ce, cep, what, &k, t->center))) return st;
    if (k != g->dims)
      return exo__lerr(L, exo__node_pos(ce, cep), EXO_ERR_MODEL, "'center' of cell type '%s' has %d coordinates, but the domain has %d dimensions",
                       t->name, k, g->dims);
  }
  /* cells placed outside the domain would have no voxel: refuse rather than lose them */
  for (int d = 0; d < g->dims; d++)
    if (t->center[d] - t->r_outer < g->lo[d] - 1e-9 * g->dx || t->center[d] + t->r_outer > g->hi[d] + 1e-9 * g->dx)
      return exo__lerr(L, ce ? exo__node_pos(ce, cep) : exo__key_pos(n, "radius", at), EXO_ERR_MODEL,
                       "the %s of radius %g um around the center of cell type '%s' reaches outside the domain along %c",
                       t->placement == EXO_PLACE_SPHERE ? "sphere" : "shell", t->r_outer, t->name, axis_name[d]);
  return EXO_OK;
}

static exo_status read_recruit(tctx *c, exo_cell_type *t, struct fy_node *n, exo_pos at) {
  loader *L = c->L;
  exo_status st;
  char owner[160];
  snprintf(owner, sizeof owner, "the recruitment of cell type '%s'", t->name);
  if ((st = exo__expect_type(L, n, at, FYNT_MAPPING, owner))) return st;
  static const char *const keys[] = {"from", "rate"};
  if ((st = exo__check_keys(L, n, keys, 2, owner))) return st;
  struct fy_node *fn = exo__get(n, "from"), *rn = exo__get(n, "rate");
  if (!fn || !rn) return exo__lerr(L, at, EXO_ERR_MODEL, "%s needs 'from' (a systemic population) and 'rate' (1/time)", owner);
  char what[200];
  snprintf(what, sizeof what, "'from' of %s", owner);
  if ((st = population_ref(c, fn, at, what, &t->recruit_from))) return st;
  snprintf(what, sizeof what, "'rate' of %s", owner);
  return value(c, rn, at, per_time(), 0, INFINITY, what, &t->recruit);
}

/* cycle_phases: [{duration: 5 h}, {duration: 8 h}, {rate: 0.1 /h}, ...]; phase 0 may be {} (or
 * give neither key) to be left at the cell's cycle entry rate, which rules can change. */
static exo_status read_phases(tctx *c, exo_cell_type *t, struct fy_node *n, exo_pos at) {
  loader *L = c->L;
  char what[200];
  snprintf(what, sizeof what, "'cycle_phases' of cell type '%s' (a list of {duration: TIME} or {rate: 1/TIME})", t->name);
  exo_status st = exo__expect_type(L, n, at, FYNT_SEQUENCE, what);
  if (st) return st;
  int count = fy_node_sequence_item_count(n);
  if (count < 1 || count > 16) return exo__lerr(L, at, EXO_ERR_MODEL, "%s: give 1 to 16 phases, not %d", what, count);
  t->phase_duration = exo_arena_alloc(&L->m->arena, (size_t)count * sizeof *t->phase_duration);
  t->phase_rate = exo_arena_alloc(&L->m->arena, (size_t)count * sizeof *t->phase_rate);
  if (!t->phase_duration || !t->phase_rate) return exo__nomem(L);
  void *it = NULL;
  struct fy_node *ph;
  int k = 0;
  static const char *const keys[] = {"duration", "rate", "name"};
  while ((ph = fy_node_sequence_iterate(n, &it))) {
    exo_pos pp = exo__node_pos(ph, at);
    snprintf(what, sizeof what, "phase %d of cell type '%s'", k + 1, t->name);
    if ((st = exo__expect_type(L, ph, pp, FYNT_MAPPING, what)) || (st = exo__check_keys(L, ph, keys, 3, what))) return st;
    struct fy_node *d = exo__get(ph, "duration"), *r = exo__get(ph, "rate");
    if (d && r) return exo__lerr(L, pp, EXO_ERR_MODEL, "%s: give 'duration' or 'rate', not both", what);
    if (!d && !r && k > 0)
      return exo__lerr(L, pp, EXO_ERR_MODEL, "%s needs 'duration' or 'rate' (only the first phase may use the cycle entry rate)", what);
    t->phase_duration[k] = t->phase_rate[k] = 0;
    if (d && (st = exo__quantity(L, d, pp, time_dim(), ALLOW_ZERO_ONLY_POSITIVE, what, &t->phase_duration[k], NULL))) return st;
    if (r && (st = exo__quantity(L, r, pp, per_time(), 0, what, &t->phase_rate[k], NULL))) return st;
    k++;
  }
  t->nphases = k;
  return EXO_OK;
}

static exo_status read_type(tctx *c, int ti, long *total) {
  loader *L = c->L;
  exo_tissue_spec *ts = c->ts;
  exo_cell_type *t = &ts->types[ti];
  struct fy_node *v = c->type_node[ti];
  exo_pos kp = {t->pos.line, t->pos.col};
  exo_status st;
  char owner[160];
  snprintf(owner, sizeof owner, "cell type '%s'", t->name);
  if ((st = exo__expect_type(L, v, kp, FYNT_MAPPING, owner))) return st;
  static const char *const keys[] = {
      "population", "tumour",  "volume",     "volume_rate", "adhesion_distance", "apoptosis_duration", "necrosis_duration",
      "cycle_entry", "apoptosis", "necrosis", "speed",       "persistence",       "bias",               "adhesion",
      "repulsion",  "attach_rate", "detach_rate", "secretion", "secretion_target", "uptake",            "chemotaxis",
      "attack",     "transform", "attach_distance", "immunogenicity", "initial",   "recruit",            "description",
      "cycle_phases"};
  if ((st = exo__check_keys(L, v, keys, sizeof keys / sizeof keys[0], owner))) return st;

  int nbeh = exo_beh_count(ts->nfields, ts->ntypes);
  t->base = exo_arena_alloc(&L->m->arena, (size_t)nbeh * sizeof *t->base);
  if (!t->base) return exo__nomem(L);
  for (int s = 0; s < nbeh; s++) t->base[s] = exo_tvalue_const(0);
  t->base[EXO_BEH_PERSISTENCE] = exo_tvalue_const(DEFAULT_PERSISTENCE);
  t->base[EXO_BEH_ADHESION] = exo_tvalue_const(DEFAULT_ADHESION);
  t->base[EXO_BEH_REPULSION] = exo_tvalue_const(DEFAULT_REPULSION);
  t->population = t->recruit_from = t->immunogenicity_variable = -1;
  t->recruit = exo_tvalue_const(0);
  t->volume_rate = DEFAULT_VOLUME_RATE;
  t->adhesion_distance = DEFAULT_ADHESION_DISTANCE;
  t->apoptosis_duration = DEFAULT_APOPTOSIS_DURATION;
  t->necrosis_duration = DEFAULT_NECROSIS_DURATION;

  struct fy_node *n;
  char what[200];
  if ((n = exo__get(v, "population"))) {
    snprintf(what, sizeof what, "'population' of %s", owner);
    if ((st = population_ref(c, n, kp, what, &t->population))) return st;
    t->tumour = L->m->states[t->population].tumour;
  }
  if ((n = exo__get(v, "tumour")) && (st = exo__boolean(L, n, kp, "'tumour' of a cell type", &t->tumour))) return st;
  if (!exo__get(v, "volume")) return exo__lerr(L, kp, EXO_ERR_MODEL, "%s needs 'volume' (e.g. '2494 um^3')", owner);
  if ((st = opt_quantity(c, v, "volume", kp, dim(3, 0, 0), ALLOW_ZERO_ONLY_POSITIVE, owner, &t->volume)) ||
      (st = opt_quantity(c, v, "volume_rate", kp, per_time(), 0, owner, &t->volume_rate)) ||
      (st = opt_plain(c, v, "adhesion_distance", kp, 1, 100, owner, &t->adhesion_distance)) ||
      (st = opt_quantity(c, v, "apoptosis_duration", kp, time_dim(), 0, owner, &t->apoptosis_duration)) ||
      (st = opt_quantity(c, v, "necrosis_duration", kp, time_dim(), 0, owner, &t->necrosis_duration)) ||
      (st = opt_quantity(c, v, "attach_distance", kp, length(), 0, owner, &t->attach_distance)))
    return st;
  for (size_t i = 0; i < sizeof fixed_behaviours / sizeof fixed_behaviours[0]; i++) {
    if (!(n = exo__get(v, fixed_behaviours[i].key))) continue;
    snprintf(what, sizeof what, "'%s' of %s", fixed_behaviours[i].key, owner);
    if ((st = value(c, n, exo__key_pos(v, fixed_behaviours[i].key, kp), fixed_behaviours[i].want, 0, fixed_behaviours[i].hi, what,
                    &t->base[fixed_behaviours[i].slot])))
      return st;
  }
  for (size_t i = 0; i < sizeof per_field_keys / sizeof per_field_keys[0]; i++)
    if ((st = per_field(c, t, v, per_field_keys[i].key, per_field_keys[i].which, kp))) return st;
  if ((st = per_type(c, t, ti, v, "attack", true, kp)) || (st = per_type(c, t, ti, v, "transform", false, kp))) return st;
  if ((n = exo__get(v, "cycle_phases")) && (st = read_phases(c, t, n, exo__key_pos(v, "cycle_phases", kp)))) return st;
  if ((n = exo__get(v, "immunogenicity")) && (st = read_immunogenicity(c, t, n, exo__key_pos(v, "immunogenicity", kp)))) return st;
  if ((n = exo__get(v, "initial")) && (st = read_initial(c, t, n, exo__key_pos(v, "initial", kp), total))) return st;
  if ((n = exo__get(v, "recruit")) && (st = read_recruit(c, t, n, exo__key_pos(v, "recruit", kp)))) return st;
  return EXO_OK;
}

/* --- rules ---------------------------------------------------------------------------------- */

static exo_status grow_rules(tctx *c) {
  exo_tissue_spec *ts = c->ts;
  exo_rule *g = exo_arena_grow(&c->L->m->arena, ts->rules, (size_t)ts->nrules, (size_t)ts->nrules + 1, sizeof *g);
  if (!g) return exo__nomem(c->L);
  ts->rules = g;
  return EXO_OK;
}

/* Splits one CSV row held in a YAML string into cells (commas outside double quotes; "" is a
 * quote inside quotes; blanks around a cell dropped), each with its position in the file. */
static exo_status split_row(tctx *c, struct fy_node *n, const char *text, exo_pos start, const char **cells, exo_pos_ts *pos,
                            int *ncells) {
  loader *L = c->L;
  size_t len = strlen(text);
  char *buf = exo_arena_alloc(&L->m->arena, len + 1);
  if (!buf) return exo__nomem(L);
  int k = 0;
  size_t i = 0;
  for (;;) {
    while (i < len && (text[i] == ' ' || text[i] == '\t')) i++;
    if (k == MAX_RULE_CELLS)
      return exo__lerr(L, exo__scalar_offset_pos(L, n, text, (int)i, start), EXO_ERR_MODEL,
                       "a rule has 8 cells (or 9, PhysiCell v1), not more than %d", MAX_RULE_CELLS);
    pos[k] = ts_pos(exo__scalar_offset_pos(L, n, text, (int)i, start));
    char *out = buf;
    cells[k] = buf;
    bool quoted = false;
    size_t last_text = 0; /* length of out without trailing blanks outside quotes */
    for (; i < len; i++) {
      char ch = text[i];
      if (quoted) {
        if (ch == '"' && i + 1 < len && text[i + 1] == '"') *out++ = text[++i];
        else if (ch == '"') quoted = false;
        else *out++ = ch;
        last_text = (size_t)(out - buf);
      } else if (ch == '"') {
        quoted = true;
      } else if (ch == ',') {
        break;
      } else {
        *out++ = ch;
        if (ch != ' ' && ch != '\t') last_text = (size_t)(out - buf);
      }
    }
    if (quoted)
      return exo__lerr(L, exo__scalar_offset_pos(L, n, text, (int)(i ? i - 1 : 0), start), EXO_ERR_SYNTAX,
                       "a rule has a '\"' that is never closed");
    buf[last_text] = '\0';
    buf += last_text + 1;
    k++;
    if (i >= len) break;
    i++; /* the comma */
  }
  *ncells = k;
  return EXO_OK;
}

static exo_status read_rule_item(tctx *c, struct fy_node *item, exo_pos at) {
  loader *L = c->L;
  exo_status st;
  const char *cells[MAX_RULE_CELLS];
  exo_pos_ts pos[MAX_RULE_CELLS];
  int ncells = 0;
  exo_pos ip = exo__node_pos(item, at);
  if (item && fy_node_get_type(item) == FYNT_SCALAR) {
    const char *text;
    if ((st = exo__scalar(L, item, at, "a rule", &text))) return st;
    if ((st = split_row(c, item, text, ip, cells, pos, &ncells))) return st;
  } else if (item && fy_node_get_type(item) == FYNT_SEQUENCE) {
    void *it = NULL;
    struct fy_node *e;
    while ((e = fy_node_sequence_iterate(item, &it))) {
      if (ncells == MAX_RULE_CELLS)
        return exo__lerr(L, exo__node_pos(e, at), EXO_ERR_MODEL, "a rule has 8 cells (or 9, PhysiCell v1), not more than %d",
                         MAX_RULE_CELLS);
      if ((st = exo__scalar(L, e, ip, "a cell of a rule", &cells[ncells]))) return st;
      pos[ncells++] = ts_pos(exo__node_pos(e, ip));
    }
  } else {
    return exo__lerr(L, ip, EXO_ERR_MODEL,
                     "each rule is a CSV row in one string (\"tumour, oxygen, decreases, necrosis, 0, 3.75, 8, 0\") or a list of its 8 cells");
  }
  if (ncells != 8 && ncells != 9)
    return exo__lerr(L, ip, EXO_ERR_MODEL,
                     "a rule has 8 cells (cell type, signal, increases|decreases, behaviour, saturation, half-max, hill power, "
                     "applies to dead) or 9 (PhysiCell v1), not %d",
                     ncells);
  if ((st = grow_rules(c))) return st;
  exo_tissue_spec *ts = c->ts;
  if ((st = exo_rule_parse(ts, cells, ncells, pos, c->file, &ts->rules[ts->nrules], L->err))) return st;
  ts->nrules++;
  return EXO_OK;
}

/* The whole of a rules file, bounded (a model's rules are kilobytes). */
static exo_status read_file(tctx *c, const char *path, exo_pos at, const char *written, char **out, size_t *out_len) {
  loader *L = c->L;
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return exo__lerr(L, at, EXO_ERR_IO, "rules_file '%s': cannot open '%s': %s", written, path, strerror(errno));
  char *buf = NULL;
  size_t len = 0, cap = 0;
  exo_status st = EXO_OK;
  for (;;) {
    if (len == cap) {
      cap = cap ? 2 * cap : 16384;
      if ((long)cap > MAX_RULES_FILE_BYTES) {
        st = exo__lerr(L, at, EXO_ERR_IO, "rules_file '%s' is larger than %ld MiB", written, MAX_RULES_FILE_BYTES >> 20);
        break;
      }
      char *nb = exo_realloc(buf, cap + 1);
      if (!nb) {
        st = exo__nomem(L);
        break;
      }
      buf = nb;
    }
    size_t r = fread(buf + len, 1, cap - len, f);
    len += r;
    if (r == 0) {
      if (ferror(f)) st = exo__lerr(L, at, EXO_ERR_IO, "rules_file '%s': read error: %s", written, strerror(errno));
      break;
    }
  }
  fclose(f);
  if (!st && memchr(buf, '\0', len)) st = exo__lerr(L, at, EXO_ERR_SYNTAX, "rules_file '%s' contains NUL bytes (not a CSV text file?)", written);
  if (st) {
    free(buf);
    return st;
  }
  buf[len] = '\0';
  *out = buf;
  *out_len = len;
  return EXO_OK;
}

static exo_status read_rules_file(tctx *c, struct fy_node *n, exo_pos at) {
  loader *L = c->L;
  exo_tissue_spec *ts = c->ts;
  const char *written;
  exo_status st = exo__scalar(L, n, at, "tissue.rules_file", &written);
  if (st) return st;
  exo_pos p = exo__node_pos(n, at);
  if (!*written) return exo__lerr(L, p, EXO_ERR_MODEL, "tissue.rules_file is empty");
  /* relative to the model file's directory; a built-in model has none, so the current one */
  const char *file = L->file, *slash = strrchr(file, '/');
  bool builtin = !strncmp(file, "builtin:", 8);
  size_t need = strlen(file) + strlen(written) + 2;
  char *path = exo_arena_alloc(&L->m->arena, need);
  if (!path) return exo__nomem(L);
  if (written[0] == '/' || !slash || builtin) snprintf(path, need, "%s", written);
  else snprintf(path, need, "%.*s/%s", (int)(slash - file), file, written);
  char *text = NULL;
  size_t len = 0;
  if ((st = read_file(c, path, p, written, &text, &len))) return st;
  /* the rules are part of the model: a changed rules file must change the model's hash */
  char h[65], both[200];
  exo_sha256_hex(text, len, h);
  snprintf(both, sizeof both, "%s+rules:%s", L->m->hash, h);
  exo_sha256_hex(both, strlen(both), L->m->hash);
  st = exo_rules_parse_csv(ts, text, len, path, &L->m->arena, &ts->rules, &ts->nrules, L->err);
  free(text);
  if (st) return st;
  ts->rules_file = path;
  return EXO_OK;
}

static exo_status read_rules(tctx *c, struct fy_node *sec) {
  loader *L = c->L;
  exo_status st;
  struct fy_node *n = exo__get(sec, "rules");
  if (n) {
    exo_pos at = exo__key_pos(sec, "rules", c->at);
    if ((st = exo__expect_type(L, n, at, FYNT_SEQUENCE, "tissue.rules (a list of rows)"))) return st;
    void *it = NULL;
    struct fy_node *item;
    while ((item = fy_node_sequence_iterate(n, &it)))
      if ((st = read_rule_item(c, item, at))) return st;
  }
  if ((n = exo__get(sec, "rules_file")) && (st = read_rules_file(c, n, exo__key_pos(sec, "rules_file", c->at)))) return st;
  if (c->ts->nrules) return exo_rules_check(c->ts, L->err);
  return EXO_OK;
}

/* --- the section ---------------------------------------------------------------------------- */

exo_status exo__read_tissue(loader *L, struct fy_node *sec, exo_pos at) {
  exo_status st;
  if ((st = exo__expect_type(L, sec, at, FYNT_MAPPING, "'tissue'"))) return st;
  static const char *const keys[] = {"domain",   "time_steps", "sort_every", "snapshots", "max_cells",  "fields",
                                     "variables", "cargo",     "cell_types", "rules",     "rules_file", "description",
                                     "end",      "output_every"};
  if ((st = exo__check_keys(L, sec, keys, sizeof keys / sizeof keys[0], "'tissue'"))) return st;
  tctx c = {.L = L, .at = at};
  c.ts = exo_arena_alloc(&L->m->arena, sizeof *c.ts);
  c.file = exo_arena_strdup(&L->m->arena, L->file);
  if (!c.ts || !c.file) return exo__nomem(L);
  if ((st = read_domain(&c, sec)) || (st = read_time(&c, sec)) || (st = read_names(&c, sec)) || (st = read_fields(&c)) ||
      (st = read_variables(&c)) || (st = read_cargo(&c)))
    return st;
  long total = 0;
  for (int i = 0; i < c.ts->ntypes; i++)
    if ((st = read_type(&c, i, &total))) return st;
  if ((st = read_rules(&c, sec))) return st;
  L->m->tissue = c.ts;
  return EXO_OK;
}
