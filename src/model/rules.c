/* PhysiCell's cell-behaviour rules (see rules.h): names resolved against a tissue spec, numbers
 * checked, and the rows of a cell_rules.csv read without trusting the text: it may be cut short,
 * lack a terminating NUL, or hold anything at all, so the reader looks at no byte past len,
 * allocates no more than O(len) and never recurses. */
#include "model/rules.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fault.h"
#include "core/strutil.h"

/* ---------------------------------------------------------------------------------------------
 * Names. Matching is on a normalised form: lower case, leading and trailing separators dropped,
 * every run of separators (blanks and underscores) read as one space. It is computed on the fly,
 * so no name needs a copy and no length limit applies when matching. */

static bool is_sep(char c) { return c == ' ' || c == '\t' || c == '_' || c == '\r' || c == '\n' || c == '\v' || c == '\f'; }

static const char *nz_start(const char *s) {
  while (is_sep(*s)) s++;
  return s;
}

/* The next normalised character of *pp (which must not start inside a leading run), or 0 at the
 * end: a run of separators gives one ' ', or 0 when it ends the string. */
static int nz_next(const char **pp) {
  const char *p = *pp;
  if (!*p) return 0;
  if (is_sep(*p)) {
    while (is_sep(*p)) p++;
    *pp = p;
    return *p ? ' ' : 0;
  }
  *pp = p + 1;
  return tolower((unsigned char)*p);
}

static bool name_eq(const char *a, const char *b) {
  if (!a || !b) return false;
  a = nz_start(a);
  b = nz_start(b);
  for (;;) {
    int x = nz_next(&a), y = nz_next(&b);
    if (x != y) return false;
    if (!x) return true;
  }
}

/* When s begins with the words of prefix, the rest of s (separators skipped), else NULL. The
 * prefix must end at a word boundary ("attack cd8" but not "attackcd8"), unless it ends in
 * punctuation ("custom:oncoprotein"). */
static const char *name_after(const char *s, const char *prefix) {
  s = nz_start(s);
  prefix = nz_start(prefix);
  int last = 0;
  for (;;) {
    int y = nz_next(&prefix);
    if (!y) break;
    if (nz_next(&s) != y) return NULL;
    last = y;
  }
  if (*s && !is_sep(*s) && isalnum(last)) return NULL;
  return nz_start(s);
}

/* s ends with the single word `word`, preceded by at least one other word ("oxygen gradient"). */
static bool name_ends_with_word(const char *s, const char *word) {
  s = nz_start(s);
  size_t n = strlen(s), w = strlen(word);
  while (n > 0 && is_sep(s[n - 1])) n--;
  if (n < w + 2 || !is_sep(s[n - w - 1])) return false;
  for (size_t i = 0; i < w; i++)
    if (tolower((unsigned char)s[n - w + i]) != tolower((unsigned char)word[i])) return false;
  return true;
}

/* The normalised form of s into buf, or false when it does not fit. */
static bool normalize(const char *s, char *buf, size_t n) {
  size_t k = 0;
  s = nz_start(s);
  for (int c; (c = nz_next(&s)) != 0;) {
    if (k + 1 >= n) return false;
    buf[k++] = (char)c;
  }
  buf[k] = '\0';
  return true;
}

/* ---------------------------------------------------------------------------------------------
 * Display names, which are also the candidates for "did you mean". */

static const char *const fixed_beh[EXO_BEH_FIXED] = {
    "cycle entry",        "apoptosis",          "necrosis",             "migration speed",      "migration persistence time",
    "migration bias",     "cell-cell adhesion", "cell-cell repulsion", "cell attachment rate", "cell detachment rate",
};

/* Signals without an argument, in the order they are offered as suggestions. */
static const struct {
  const char *name;
  exo_sig sig;
} fixed_sig[] = {
    {"contact with live cell", EXO_SIG_CONTACT_LIVE}, {"contact with dead cell", EXO_SIG_CONTACT_DEAD},
    {"pressure", EXO_SIG_PRESSURE}, {"volume", EXO_SIG_VOLUME}, {"dead", EXO_SIG_DEAD},
    {"attached cells", EXO_SIG_ATTACHED}, {"time", EXO_SIG_TIME},
};
enum { NFIXED_SIG = sizeof fixed_sig / sizeof fixed_sig[0] };

static const char *str_or_empty(const char *s) { return s ? s : ""; }

static void field_name(const exo_tissue_spec *ts, int f, char *buf, size_t n) {
  const char *s = ts->fields[f].spec.name;
  if (s) snprintf(buf, n, "%s", s);
  else snprintf(buf, n, "field%d", f); /* the name exo_fields gives an unnamed field */
}

const char *exo_beh_name(const exo_tissue_spec *ts, int slot, char *buf, size_t n) {
  if (!buf || n == 0) return "";
  int nf = ts->nfields, nt = ts->ntypes;
  if (slot >= 0 && slot < EXO_BEH_FIXED) {
    snprintf(buf, n, "%s", fixed_beh[slot]);
  } else if (slot >= EXO_BEH_FIXED && slot < exo_beh_count(nf, 0)) {
    int f = (slot - EXO_BEH_FIXED) / EXO_BEH_PER_FIELD, k = (slot - EXO_BEH_FIXED) % EXO_BEH_PER_FIELD;
    char fname[256];
    field_name(ts, f, fname, sizeof fname);
    if (k == 3) snprintf(buf, n, "chemotactic response to %s", fname);
    else snprintf(buf, n, "%s %s", fname, k == 0 ? "secretion" : k == 1 ? "secretion target" : "uptake");
  } else if (slot >= exo_beh_count(nf, 0) && slot < exo_beh_count(nf, nt)) {
    int t = (slot - exo_beh_count(nf, 0)) / EXO_BEH_PER_TYPE, k = (slot - exo_beh_count(nf, 0)) % EXO_BEH_PER_TYPE;
    snprintf(buf, n, "%s %s", k == 0 ? "attack" : "transform to", str_or_empty(ts->types[t].name));
  } else {
    snprintf(buf, n, "behaviour %d", slot);
  }
  return buf;
}

typedef void (*cand_fn)(const exo_tissue_spec *ts, int i, char *buf, size_t n);

static void type_cand(const exo_tissue_spec *ts, int i, char *buf, size_t n) {
  snprintf(buf, n, "%s", str_or_empty(ts->types[i].name));
}

static void beh_cand(const exo_tissue_spec *ts, int i, char *buf, size_t n) { exo_beh_name(ts, i, buf, n); }

static int sig_cand_count(const exo_tissue_spec *ts) { return ts->nfields + ts->ncargo + ts->nvariables + ts->ntypes + NFIXED_SIG; }

static void sig_cand(const exo_tissue_spec *ts, int i, char *buf, size_t n) {
  if (i < ts->nfields) {
    field_name(ts, i, buf, n);
    return;
  }
  i -= ts->nfields;
  if (i < ts->ncargo) {
    snprintf(buf, n, "%s", str_or_empty(ts->cargo[i].name));
    return;
  }
  i -= ts->ncargo;
  if (i < ts->nvariables) {
    snprintf(buf, n, "custom:%s", str_or_empty(ts->variables[i].name));
    return;
  }
  i -= ts->nvariables;
  if (i < ts->ntypes) {
    snprintf(buf, n, "contact with %s", str_or_empty(ts->types[i].name));
    return;
  }
  i -= ts->ntypes;
  snprintf(buf, n, "%s", i < NFIXED_SIG ? fixed_sig[i].name : "");
}

enum { SLOT = 96 }; /* longer names are never suggested: exo_edit_distance gives up past 64 */

/* The display name of the candidate nearest to word into out, or false when none is near (or
 * the scratch memory is not there: a missing suggestion must not hide the message itself). */
static bool suggest(const exo_tissue_spec *ts, const char *word, int ncand, cand_fn fn, char *out, size_t outn) {
  char w[SLOT];
  if (ncand <= 0 || !normalize(word, w, sizeof w) || !w[0]) return false;
  size_t nc = (size_t)ncand;
  if (nc > SIZE_MAX / SLOT) return false;
  char *store = exo_malloc(nc * SLOT);
  const char **c = exo_malloc(nc * sizeof *c);
  bool found = false;
  if (store && c) {
    char disp[256];
    for (size_t i = 0; i < nc; i++) {
      fn(ts, (int)i, disp, sizeof disp);
      c[i] = disp[0] && normalize(disp, store + i * SLOT, SLOT) ? store + i * SLOT : NULL;
    }
    const char *best = exo_nearest(w, c, nc);
    if (best) {
      fn(ts, (int)((size_t)(best - store) / SLOT), out, outn);
      found = true;
    }
  }
  free(store);
  free(c);
  return found;
}

/* ---------------------------------------------------------------------------------------------
 * Messages */

/* "FILE:LINE:COL: " (or "FILE: " without a position) before a message */
#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static exo_status
fail_at(exo_error *err, exo_status st, const char *file, const exo_pos_ts *pos, const char *fmt, ...) {
  char msg[EXO_ERROR_MSG_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  bool has_pos = pos && pos->line > 0;
  if (file && has_pos) return exo_error_set(err, st, "%s:%d:%d: %s", file, pos->line, pos->col, msg);
  if (file) return exo_error_set(err, st, "%s: %s", file, msg);
  if (has_pos) return exo_error_set(err, st, "%d:%d: %s", pos->line, pos->col, msg);
  return exo_error_set(err, st, "%s", msg);
}

/* A cell as written, blanks trimmed and cut to a length that keeps a message on one screen. */
typedef struct {
  const char *p;
  int n;
} cell_view;

static cell_view view(const char *s) {
  while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') s++;
  size_t n = strlen(s);
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) n--;
  return (cell_view){s, n > 120 ? 120 : (int)n};
}

static exo_status count_error(exo_error *err, const char *file, const exo_pos_ts *pos, long n) {
  return fail_at(err, EXO_ERR_MODEL, file, pos,
                 "a rule has 8 cells (cell type, signal, direction, behaviour, saturation, half-max, hill power, "
                 "applies to dead), this one has %ld",
                 n);
}

/* ---------------------------------------------------------------------------------------------
 * Resolving names */

static int find_type(const exo_tissue_spec *ts, const char *s) {
  for (int i = 0; i < ts->ntypes; i++)
    if (name_eq(s, ts->types[i].name)) return i;
  return -1;
}

static int find_field(const exo_tissue_spec *ts, const char *s) {
  for (int i = 0; i < ts->nfields; i++)
    if (name_eq(s, ts->fields[i].spec.name)) return i;
  return -1;
}

enum { FOUND = 1, UNKNOWN = 0, UNSUPPORTED = -1 };

static bool matches_any(const char *s, const char *const *exact, size_t nexact, const char *const *prefixes,
                        size_t nprefix) {
  for (size_t i = 0; i < nexact; i++)
    if (name_eq(s, exact[i])) return true;
  for (size_t i = 0; i < nprefix; i++)
    if (name_after(s, prefixes[i])) return true;
  return false;
}

static int find_signal(const exo_tissue_spec *ts, const char *s, exo_sig *sig, int *index) {
  const char *rest;
  *index = -1;
  /* a field before a cargo of the same name: the field is what the cell senses around it */
  if ((*index = find_field(ts, s)) >= 0) return *sig = EXO_SIG_FIELD, FOUND;
  for (int i = 0; i < ts->ncargo; i++)
    if (name_eq(s, ts->cargo[i].name)) return *sig = EXO_SIG_CARGO, *index = i, FOUND;
  /* PhysiCell writes "custom:NAME" and accepts "custom NAME" */
  if ((rest = name_after(s, "custom:")) || (rest = name_after(s, "custom")))
    for (int i = 0; i < ts->nvariables; i++)
      if (name_eq(rest, ts->variables[i].name)) return *sig = EXO_SIG_VARIABLE, *index = i, FOUND;
  if ((rest = name_after(s, "contact with"))) {
    for (int i = 0; i < ts->ntypes; i++)
      if (name_eq(rest, ts->types[i].name)) return *sig = EXO_SIG_CONTACT_TYPE, *index = i, FOUND;
    if (name_eq(rest, "live cell") || name_eq(rest, "live cells")) return *sig = EXO_SIG_CONTACT_LIVE, FOUND;
    if (name_eq(rest, "dead cell") || name_eq(rest, "dead cells")) return *sig = EXO_SIG_CONTACT_DEAD, FOUND;
  }
  for (int i = 0; i < NFIXED_SIG; i++)
    if (name_eq(s, fixed_sig[i].name)) return *sig = fixed_sig[i].sig, FOUND;
  if (name_eq(s, "attached")) return *sig = EXO_SIG_ATTACHED, FOUND;

  static const char *const exact[] = {"damage", "total attack time", "apoptotic", "necrotic",
                                      "contact with basement membrane", "contact with bm"};
  static const char *const prefixes[] = {"intracellular", "gradient of", "grad("};
  if (matches_any(s, exact, sizeof exact / sizeof *exact, prefixes, sizeof prefixes / sizeof *prefixes) ||
      name_ends_with_word(s, "gradient"))
    return UNSUPPORTED;
  return UNKNOWN;
}

static int find_behaviour(const exo_tissue_spec *ts, const char *s, int *slot) {
  const char *rest;
  int nf = ts->nfields;
  for (int i = 0; i < EXO_BEH_FIXED; i++)
    if (name_eq(s, fixed_beh[i])) return *slot = i, FOUND;
  for (int f = 0; f < nf; f++) {
    const char *name = ts->fields[f].spec.name;
    if (!name) continue;
    if ((rest = name_after(s, name))) {
      if (name_eq(rest, "secretion")) return *slot = exo_beh_secretion(f), FOUND;
      if (name_eq(rest, "secretion target")) return *slot = exo_beh_target(f), FOUND;
      if (name_eq(rest, "uptake")) return *slot = exo_beh_uptake(f), FOUND;
    }
  }
  if ((rest = name_after(s, "chemotactic response to")) && (*slot = find_field(ts, rest)) >= 0)
    return *slot = exo_beh_chemotaxis(*slot), FOUND;
  int t;
  if ((rest = name_after(s, "attack")) && (t = find_type(ts, rest)) >= 0) return *slot = exo_beh_attack(nf, t), FOUND;
  if (((rest = name_after(s, "transform to")) || (rest = name_after(s, "transition to"))) && (t = find_type(ts, rest)) >= 0)
    return *slot = exo_beh_transform(nf, t), FOUND;

  static const char *const exact[] = {"damage rate",
                                      "damage repair rate",
                                      "is movable",
                                      "maximum number of cell attachments",
                                      "attack damage rate",
                                      "attack duration",
                                      "cell-cell adhesion elastic constant",
                                      "relative maximum adhesion distance",
                                      "cell-bm adhesion",
                                      "cell-bm repulsion"};
  static const char *const prefixes[] = {"phagocytose",        "fuse to", "immunogenicity to", "asymmetric division to",
                                         "adhesive affinity to", "exit from cycle phase", "custom:", "custom"};
  if (matches_any(s, exact, sizeof exact / sizeof *exact, prefixes, sizeof prefixes / sizeof *prefixes) ||
      name_ends_with_word(s, "export"))
    return UNSUPPORTED;
  return UNKNOWN;
}

/* ---------------------------------------------------------------------------------------------
 * Numbers */

/* A finite number filling the whole cell (blanks around it allowed). */
static bool parse_number(const char *s, double *v) {
  char *end;
  *v = strtod(s, &end);
  if (end == s) return false;
  while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n') end++;
  return *end == '\0' && isfinite(*v);
}

static bool is_rate(int slot, int nfields) {
  if (slot == EXO_BEH_BIAS) return false;
  if (slot >= EXO_BEH_FIXED && slot < exo_beh_count(nfields, 0)) return (slot - EXO_BEH_FIXED) % EXO_BEH_PER_FIELD != 3;
  return true;
}

/* ---------------------------------------------------------------------------------------------
 * One rule */

exo_status exo_rule_parse(const exo_tissue_spec *ts, const char *const *cells, int ncells, const exo_pos_ts *cell_pos,
                          const char *file, exo_rule *out, exo_error *err) {
#define POS(k) (cell_pos && (k) < ncells ? &cell_pos[k] : NULL)
  if (ncells != 8 && ncells != 9) return count_error(err, file, ncells > 0 ? POS(0) : NULL, ncells);
  const char *c[9];
  for (int k = 0; k < ncells; k++) c[k] = cells[k] ? cells[k] : "";
  int v1 = ncells == 9; /* PhysiCell v1: the base value follows the behaviour */

  exo_rule r;
  memset(&r, 0, sizeof r);
  char sug[256];
  cell_view cv;

  /* cell type */
  cv = view(c[0]);
  if (!cv.n) return fail_at(err, EXO_ERR_MODEL, file, POS(0), "the cell type of a rule is empty");
  if ((r.cell_type = find_type(ts, c[0])) < 0) {
    bool s = suggest(ts, c[0], ts->ntypes, type_cand, sug, sizeof sug);
    return fail_at(err, EXO_ERR_MODEL, file, POS(0), "unknown cell type '%.*s'%s%s%s", cv.n, cv.p,
                   s ? " (did you mean '" : "", s ? sug : "", s ? "'?)" : "");
  }
  const char *tname = str_or_empty(ts->types[r.cell_type].name);

  /* signal */
  cv = view(c[1]);
  if (!cv.n) return fail_at(err, EXO_ERR_MODEL, file, POS(1), "the signal of a rule for '%s' is empty", tname);
  int found = find_signal(ts, c[1], &r.signal, &r.signal_index);
  if (found == UNSUPPORTED)
    return fail_at(err, EXO_ERR_MODEL, file, POS(1), "'%.*s' is a PhysiCell signal exosim does not model yet", cv.n, cv.p);
  if (found == UNKNOWN) {
    bool s = suggest(ts, c[1], sig_cand_count(ts), sig_cand, sug, sizeof sug);
    return fail_at(err, EXO_ERR_MODEL, file, POS(1), "unknown signal '%.*s' in a rule for '%s'%s%s%s", cv.n, cv.p, tname,
                   s ? " (did you mean '" : "", s ? sug : "", s ? "'?)" : "");
  }

  /* direction */
  if (name_eq(c[2], "increases")) r.increases = true;
  else if (name_eq(c[2], "decreases")) r.increases = false;
  else {
    cv = view(c[2]);
    const char *dirs[] = {"increases", "decreases"};
    const char *s = cv.n ? exo_nearest(c[2], dirs, 2) : NULL;
    return fail_at(err, EXO_ERR_MODEL, file, POS(2), "the direction of a rule must be 'increases' or 'decreases', not '%.*s'%s%s%s",
                   cv.n, cv.p, s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
  }

  /* behaviour */
  cv = view(c[3]);
  if (!cv.n) return fail_at(err, EXO_ERR_MODEL, file, POS(3), "the behaviour of a rule for '%s' is empty", tname);
  found = find_behaviour(ts, c[3], &r.behaviour);
  if (found == UNSUPPORTED)
    return fail_at(err, EXO_ERR_MODEL, file, POS(3), "'%.*s' is a PhysiCell behaviour exosim does not model yet", cv.n, cv.p);
  if (found == UNKNOWN) {
    bool s = suggest(ts, c[3], exo_beh_count(ts->nfields, ts->ntypes), beh_cand, sug, sizeof sug);
    return fail_at(err, EXO_ERR_MODEL, file, POS(3), "unknown behaviour '%.*s' in a rule for '%s'%s%s%s", cv.n, cv.p, tname,
                   s ? " (did you mean '" : "", s ? sug : "", s ? "'?)" : "");
  }

  /* numbers */
  double base;
  if (v1 && !parse_number(c[4], &base)) {
    cv = view(c[4]);
    return fail_at(err, EXO_ERR_MODEL, file, POS(4), "the base value of a rule must be a number, not '%.*s'", cv.n, cv.p);
  }
  int k = 4 + v1;
  char bname[256];
  exo_beh_name(ts, r.behaviour, bname, sizeof bname);
  bool ok = parse_number(c[k], &r.saturation);
  cv = view(c[k]);
  if (r.behaviour == EXO_BEH_BIAS) {
    if (!ok || r.saturation < 0 || r.saturation > 1)
      return fail_at(err, EXO_ERR_MODEL, file, POS(k), "the saturation of a rule for '%s' must be a number from 0 to 1, not '%.*s'",
                     bname, cv.n, cv.p);
  } else if (is_rate(r.behaviour, ts->nfields)) {
    if (!ok || r.saturation < 0)
      return fail_at(err, EXO_ERR_MODEL, file, POS(k), "the saturation of a rule for '%s' must be a number >= 0, not '%.*s'", bname,
                     cv.n, cv.p);
  } else if (!ok) {
    return fail_at(err, EXO_ERR_MODEL, file, POS(k), "the saturation of a rule for '%s' must be a number, not '%.*s'", bname, cv.n,
                   cv.p);
  }
  k++;
  if (!parse_number(c[k], &r.half_max) || !(r.half_max > 0)) {
    cv = view(c[k]);
    return fail_at(err, EXO_ERR_MODEL, file, POS(k), "the half-max of a rule must be a number > 0, not '%.*s'", cv.n, cv.p);
  }
  k++;
  if (!parse_number(c[k], &r.hill) || !(r.hill > 0)) {
    cv = view(c[k]);
    return fail_at(err, EXO_ERR_MODEL, file, POS(k), "the hill power of a rule must be a number > 0, not '%.*s'", cv.n, cv.p);
  }
  k++;
  double dead;
  if (name_eq(c[k], "true")) r.applies_to_dead = true;
  else if (name_eq(c[k], "false")) r.applies_to_dead = false;
  else if (parse_number(c[k], &dead) && (dead == 0 || dead == 1)) r.applies_to_dead = dead == 1;
  else {
    cv = view(c[k]);
    return fail_at(err, EXO_ERR_MODEL, file, POS(k), "the 'applies to dead' cell of a rule must be 0 or 1 (or true/false), not '%.*s'",
                   cv.n, cv.p);
  }

  r.file = file;
  if (cell_pos && cell_pos[0].line > 0) r.pos = cell_pos[0];
  *out = r;
  return EXO_OK;
#undef POS
}

/* ---------------------------------------------------------------------------------------------
 * A cell_rules.csv */

enum { MAX_CELLS = 9 }; /* cells beyond are counted for the message, not kept */

static bool is_blank(char c) { return c == ' ' || c == '\t'; }

static int clamp_int(long v) { return v > INT_MAX ? INT_MAX : (int)v; }

/* Columns count characters, not bytes (UTF-8 continuation bytes are skipped), and are advanced
 * incrementally so that a line of a million cells costs O(its length). */
typedef struct {
  const char *text;
  size_t at;
  long col;
} col_counter;

static int column(col_counter *cc, size_t p) {
  for (; cc->at < p; cc->at++)
    if (((unsigned char)cc->text[cc->at] & 0xc0) != 0x80) cc->col++;
  return clamp_int(cc->col);
}

exo_status exo_rules_parse_csv(const exo_tissue_spec *ts, const char *text, size_t len, const char *file, exo_arena *a,
                               exo_rule **rules, int *nrules, exo_error *err) {
  exo_rule *arr = *rules;
  int n = *nrules;
  const char *file_copy = NULL;
  char *scratch = NULL; /* the current line's kept cells, unquoted and NUL-terminated */
  size_t scratch_cap = 0;
  exo_status st = EXO_OK;
  size_t pos = 0;
  long line = 0;

  if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) pos = 3; /* a byte-order mark from a spreadsheet */
  while (pos < len) {
    line++;
    size_t start = pos;
    const char *nl = memchr(text + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - text) : len;
    pos = nl ? end + 1 : len;
    if (end > start && text[end - 1] == '\r') end--;

    size_t b = start;
    while (b < end && is_blank(text[b])) b++;
    if (b == end || text[b] == '#' || (b + 1 < end && text[b] == '/' && text[b + 1] == '/')) continue;

    col_counter cc = {text, start, 1};
    exo_pos_ts lpos = {clamp_int(line), 1};
    const char *nul = memchr(text + start, '\0', end - start);
    if (nul) {
      lpos.col = column(&cc, (size_t)(nul - text));
      st = fail_at(err, EXO_ERR_SYNTAX, file, &lpos, "a NUL byte in a rule");
      goto done;
    }

    /* each kept cell needs at most its bytes and a NUL */
    size_t need = end - start + MAX_CELLS;
    if (need > scratch_cap) {
      char *p = exo_realloc(scratch, need);
      if (!p) {
        st = exo_error_set(err, EXO_ERR_NOMEM, "out of memory reading the rules in %s", str_or_empty(file));
        goto done;
      }
      scratch = p;
      scratch_cap = need;
    }

    const char *cells[MAX_CELLS];
    exo_pos_ts cpos[MAX_CELLS];
    long ncells = 0;
    size_t w = 0, p = start;
    for (;;) {
      while (p < end && is_blank(text[p])) p++;
      bool keep = ncells < MAX_CELLS;
      exo_pos_ts here = {clamp_int(line), column(&cc, p)};
      if (keep) {
        cells[ncells] = scratch + w;
        cpos[ncells] = here;
      }
      if (p < end && text[p] == '"') {
        for (p++;; p++) {
          if (p >= end) {
            st = fail_at(err, EXO_ERR_SYNTAX, file, &here, "a quoted cell has no closing quote");
            goto done;
          }
          if (text[p] == '"') {
            if (p + 1 < end && text[p + 1] == '"') p++; /* "" stands for one quote */
            else break;
          }
          if (keep) scratch[w++] = text[p];
        }
        p++; /* past the closing quote */
        while (p < end && is_blank(text[p])) p++;
        if (p < end && text[p] != ',') {
          exo_pos_ts at = {clamp_int(line), column(&cc, p)};
          st = fail_at(err, EXO_ERR_SYNTAX, file, &at, "unexpected text after the closing quote of a cell (a comma must follow)");
          goto done;
        }
      } else {
        size_t q = p;
        while (q < end && text[q] != ',') q++;
        size_t r = q;
        while (r > p && is_blank(text[r - 1])) r--;
        if (keep) {
          memcpy(scratch + w, text + p, r - p);
          w += r - p;
        }
        p = q;
      }
      if (keep) scratch[w++] = '\0';
      ncells++;
      if (p < end && text[p] == ',') {
        p++;
        continue;
      }
      break;
    }

    if (ncells != 8 && ncells != 9) {
      st = count_error(err, file, &cpos[0], ncells);
      goto done;
    }
    exo_rule r;
    if ((st = exo_rule_parse(ts, cells, (int)ncells, cpos, file, &r, err)) != EXO_OK) goto done;
    if (n == INT_MAX) {
      st = fail_at(err, EXO_ERR_MODEL, file, &cpos[0], "too many rules");
      goto done;
    }
    if (file && !file_copy && !(file_copy = exo_arena_strdup(a, file))) goto nomem;
    r.file = file_copy;
    exo_rule *grown = exo_arena_grow(a, arr, (size_t)n, (size_t)n + 1, sizeof *arr);
    if (!grown) goto nomem;
    arr = grown;
    arr[n++] = r;
  }
  /* only now, so that a failed read leaves the caller's rules as they were */
  *rules = arr;
  *nrules = n;
  goto done;
nomem:
  st = exo_error_set(err, EXO_ERR_NOMEM, "out of memory reading the rules in %s", str_or_empty(file));
done:
  free(scratch);
  return st;
}

/* ---------------------------------------------------------------------------------------------
 * The rules of a spec together */

/* "the rule at FILE:LINE:COL", or the rule's number when it has no position (built in C) */
static void rule_where(const exo_rule *r, int i, char *buf, size_t n) {
  if (r->pos.line > 0 && r->file) snprintf(buf, n, "the rule at %s:%d:%d", r->file, r->pos.line, r->pos.col);
  else if (r->pos.line > 0) snprintf(buf, n, "the rule at %d:%d", r->pos.line, r->pos.col);
  else if (r->file) snprintf(buf, n, "rule %d (%s)", i + 1, r->file);
  else snprintf(buf, n, "rule %d", i + 1);
}

static const exo_pos_ts *rule_pos(const exo_rule *r) { return r->pos.line > 0 ? &r->pos : NULL; }

exo_status exo_rules_check(const exo_tissue_spec *ts, exo_error *err) {
  int n = ts->nrules, nbeh = exo_beh_count(ts->nfields, ts->ntypes);
  if (n <= 0) return EXO_OK;
  if (!ts->rules) return exo_error_set(err, EXO_ERR_MODEL, "the spec counts %d rules but has none", n);

  /* rules built in C skip the parser's checks: catch what would index out of bounds later */
  for (int i = 0; i < n; i++) {
    const exo_rule *r = &ts->rules[i];
    int lim = r->signal == EXO_SIG_FIELD          ? ts->nfields
              : r->signal == EXO_SIG_CARGO        ? ts->ncargo
              : r->signal == EXO_SIG_VARIABLE     ? ts->nvariables
              : r->signal == EXO_SIG_CONTACT_TYPE ? ts->ntypes
                                                  : -1;
    const char *what = NULL;
    if (r->cell_type < 0 || r->cell_type >= ts->ntypes) what = "a cell type";
    else if (r->behaviour < 0 || r->behaviour >= nbeh) what = "a behaviour";
    else if ((int)r->signal < 0 || r->signal > EXO_SIG_TIME || (lim >= 0 && (r->signal_index < 0 || r->signal_index >= lim)))
      what = "a signal";
    else if (!isfinite(r->saturation) || !(r->half_max > 0) || !isfinite(r->half_max) || !(r->hill > 0) || !isfinite(r->hill))
      what = "a saturation, half-max or hill power";
    if (what) {
      char where[512];
      rule_where(r, i, where, sizeof where);
      return exo_error_set(err, EXO_ERR_MODEL, "%s has %s out of range", where, what);
    }
  }

  /* one pass with a hash table keyed by (type, behaviour, direction) holding the first rule of
   * each: O(n), where comparing all pairs would be quadratic */
  size_t cap = 16;
  while (cap < 2 * (size_t)n) cap *= 2;
  int *tab = exo_malloc(cap * sizeof *tab);
  if (!tab) return exo_error_set(err, EXO_ERR_NOMEM, "out of memory checking the rules");
  for (size_t i = 0; i < cap; i++) tab[i] = -1;
  exo_status st = EXO_OK;
  for (int i = 0; i < n && st == EXO_OK; i++) {
    const exo_rule *r = &ts->rules[i];
    uint64_t key = ((uint64_t)(unsigned)r->cell_type * (uint64_t)nbeh + (uint64_t)(unsigned)r->behaviour) * 2u + r->increases;
    size_t h = (size_t)((key * 0x9e3779b97f4a7c15u) >> 20) & (cap - 1);
    for (;; h = (h + 1) & (cap - 1)) {
      if (tab[h] < 0) {
        tab[h] = i;
        break;
      }
      const exo_rule *o = &ts->rules[tab[h]];
      if (o->cell_type != r->cell_type || o->behaviour != r->behaviour || o->increases != r->increases) continue;
      if (o->saturation != r->saturation) {
        char where[512], bname[256];
        rule_where(o, tab[h], where, sizeof where);
        exo_beh_name(ts, r->behaviour, bname, sizeof bname);
        st = fail_at(err, EXO_ERR_MODEL, r->file, rule_pos(r),
                     "the %s rules of '%s' in '%s' must share their saturation value: %g here, %g in %s",
                     r->increases ? "increasing" : "decreasing", bname, str_or_empty(ts->types[r->cell_type].name),
                     r->saturation, o->saturation, where);
      }
      break;
    }
  }
  free(tab);
  return st;
}
