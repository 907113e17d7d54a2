/* Unit parsing. Grammar (whitespace, '*', '.' and '·' all mean multiplication):
 *   unit    := ['/'] factor { ('*' | '/' | ' ') factor }
 *   factor  := NAME ['^' INT] | '(' unit ')' ['^' INT] | '1'
 * A '/' divides by the single factor (or parenthesised group) after it, so "/(cell*day)" and
 * "/cell/day" are the same. Names are looked up in a fixed table; an unknown name is an error
 * that lists a few valid ones. */
#include "exosim/units.h"

#include "core/strutil.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

exo_dim exo_dim_none(void) {
  exo_dim d = {{0}};
  return d;
}
exo_dim exo_dim_base(int which, int exponent) {
  exo_dim d = {{0}};
  d.e[which] = (int8_t)exponent;
  return d;
}
/* Exponents saturate at +-EXO_DIM_MAX_EXP + 1 instead of wrapping around (length^256 must not
 * read as dimensionless); exo_dim_valid then reports them as out of range. */
static int8_t clamp_exp(long v) {
  return (int8_t)(v > EXO_DIM_MAX_EXP ? EXO_DIM_MAX_EXP + 1 : v < -EXO_DIM_MAX_EXP ? -EXO_DIM_MAX_EXP - 1 : v);
}
exo_dim exo_dim_mul(exo_dim a, exo_dim b) {
  for (int i = 0; i < EXO_NDIM; i++) a.e[i] = clamp_exp((long)a.e[i] + b.e[i]);
  return a;
}
exo_dim exo_dim_div(exo_dim a, exo_dim b) {
  for (int i = 0; i < EXO_NDIM; i++) a.e[i] = clamp_exp((long)a.e[i] - b.e[i]);
  return a;
}
exo_dim exo_dim_pow(exo_dim a, int n) {
  for (int i = 0; i < EXO_NDIM; i++) a.e[i] = clamp_exp((long)a.e[i] * n);
  return a;
}
bool exo_dim_valid(exo_dim a) {
  for (int i = 0; i < EXO_NDIM; i++)
    if (a.e[i] > EXO_DIM_MAX_EXP || a.e[i] < -EXO_DIM_MAX_EXP) return false;
  return true;
}
bool exo_dim_eq(exo_dim a, exo_dim b) { return memcmp(a.e, b.e, sizeof a.e) == 0; }
bool exo_dim_is_none(exo_dim a) { return exo_dim_eq(a, exo_dim_none()); }

static const char *const dim_names[EXO_NDIM] = {"length", "time", "count", "mass"};

static size_t format_side(exo_dim d, int sign, char *buf, size_t n, int *terms) {
  size_t len = 0;
  *terms = 0;
  buf[0] = '\0';
  /* count and mass read better first: "count/time", "mass/length^3" */
  static const int order[EXO_NDIM] = {EXO_DIM_COUNT, EXO_DIM_MASS, EXO_DIM_LENGTH, EXO_DIM_TIME};
  for (int k = 0; k < EXO_NDIM; k++) {
    int i = order[k];
    int e = d.e[i] * sign;
    if (e <= 0) continue;
    int w = e == 1 ? snprintf(buf + len, n - len, "%s%s", *terms ? "*" : "", dim_names[i])
                   : snprintf(buf + len, n - len, "%s%s^%d", *terms ? "*" : "", dim_names[i], e);
    if (w > 0 && (size_t)w < n - len) len += (size_t)w;
    (*terms)++;
  }
  return len;
}

void exo_dim_format(exo_dim d, char *buf, size_t n) {
  if (n == 0) return;
  if (exo_dim_is_none(d)) {
    snprintf(buf, n, "dimensionless");
    return;
  }
  char num[96], den[96];
  int nt, dt;
  format_side(d, 1, num, sizeof num, &nt);
  format_side(d, -1, den, sizeof den, &dt);
  if (dt == 0)
    snprintf(buf, n, "%s", num);
  else if (dt == 1)
    snprintf(buf, n, "%s/%s", nt ? num : "1", den);
  else
    snprintf(buf, n, "%s/(%s)", nt ? num : "1", den);
}

/* --- the unit table ------------------------------------------------------------------------- */

typedef struct unit_def {
  const char *name;
  double factor; /* to internal units: um, min, count, ng */
  int8_t e[EXO_NDIM];
} unit_def;

#define L_ {1, 0, 0, 0}
#define V_ {3, 0, 0, 0}
#define T_ {0, 1, 0, 0}
#define N_ {0, 0, 1, 0}
#define M_ {0, 0, 0, 1}
#define C_ {-3, 0, 1, 0} /* amount per volume (molar) */
#define D_ {0, 0, 0, 0}
#define AVOGADRO 6.02214076e23

static const unit_def unit_table[] = {
    /* length */
    {"m", 1e6, L_}, {"cm", 1e4, L_}, {"mm", 1e3, L_}, {"um", 1, L_}, {"\xc2\xb5m", 1, L_},
    {"micron", 1, L_}, {"microns", 1, L_}, {"nm", 1e-3, L_},
    /* volume */
    {"L", 1e15, V_}, {"l", 1e15, V_}, {"mL", 1e12, V_}, {"ml", 1e12, V_}, {"uL", 1e9, V_},
    {"\xc2\xb5L", 1e9, V_}, {"ul", 1e9, V_}, {"nL", 1e6, V_}, {"pL", 1e3, V_}, {"fL", 1, V_},
    /* time */
    {"s", 1.0 / 60, T_}, {"sec", 1.0 / 60, T_}, {"second", 1.0 / 60, T_},
    {"seconds", 1.0 / 60, T_}, {"min", 1, T_}, {"minute", 1, T_}, {"minutes", 1, T_},
    {"h", 60, T_}, {"hr", 60, T_}, {"hour", 60, T_}, {"hours", 60, T_}, {"d", 1440, T_},
    {"day", 1440, T_}, {"days", 1440, T_}, {"wk", 10080, T_}, {"week", 10080, T_},
    {"weeks", 10080, T_}, {"yr", 525960, T_}, {"year", 525960, T_}, {"years", 525960, T_},
    /* counts: cells, vesicles and molecules are all counted, in one dimension */
    {"cell", 1, N_}, {"cells", 1, N_}, {"vesicle", 1, N_}, {"vesicles", 1, N_},
    {"exosome", 1, N_}, {"exosomes", 1, N_}, {"EV", 1, N_}, {"EVs", 1, N_},
    {"particle", 1, N_}, {"particles", 1, N_}, {"molecule", 1, N_}, {"molecules", 1, N_},
    {"copy", 1, N_}, {"copies", 1, N_}, {"count", 1, N_}, {"counts", 1, N_},
    {"MHC-I", 1, N_}, {"MHC-II", 1, N_}, {"complexes", 1, N_},
    {"mol", AVOGADRO, N_}, {"mmol", AVOGADRO * 1e-3, N_}, {"umol", AVOGADRO * 1e-6, N_},
    {"nmol", AVOGADRO * 1e-9, N_}, {"pmol", AVOGADRO * 1e-12, N_}, {"fmol", AVOGADRO * 1e-15, N_},
    /* molar concentrations */
    {"M", AVOGADRO / 1e15, C_}, {"mM", AVOGADRO * 1e-3 / 1e15, C_},
    {"uM", AVOGADRO * 1e-6 / 1e15, C_}, {"nM", AVOGADRO * 1e-9 / 1e15, C_},
    {"pM", AVOGADRO * 1e-12 / 1e15, C_},
    /* mass */
    {"kg", 1e12, M_}, {"g", 1e9, M_}, {"mg", 1e6, M_}, {"ug", 1e3, M_}, {"\xc2\xb5g", 1e3, M_},
    {"ng", 1, M_}, {"pg", 1e-3, M_},
    /* dimensionless */
    {"%", 0.01, D_}, {"percent", 0.01, D_}, {"fraction", 1, D_},
};

static const unit_def *unit_lookup(const char *name, size_t len) {
  for (size_t i = 0; i < sizeof unit_table / sizeof unit_table[0]; i++)
    if (strlen(unit_table[i].name) == len && memcmp(unit_table[i].name, name, len) == 0)
      return &unit_table[i];
  return NULL;
}

typedef struct uparser {
  const char *s, *p;
  exo_error *err;
} uparser;

static void skip_ws(uparser *u) {
  while (*u->p == ' ' || *u->p == '\t') u->p++;
}

static int is_name_char(const char *p) {
  unsigned char c = (unsigned char)*p;
  if (!strncmp(p, "\xc2\xb7", 2)) return 0; /* the middle dot multiplies: "cell\u00b7day" */
  return isalpha(c) || c == '%' || c == '_' || c == '-' || c >= 0x80;
}

/* Reads an optional "^INT" (also "^-1", "^(−1)" is not supported: keep it simple). */
static exo_status parse_exponent(uparser *u, int *expo) {
  *expo = 1;
  skip_ws(u);
  if (*u->p != '^') return EXO_OK;
  u->p++;
  skip_ws(u);
  char *end;
  long v = strtol(u->p, &end, 10);
  if (end == u->p || v < -12 || v > 12)
    return exo_error_set(u->err, EXO_ERR_SYNTAX, "unit '%s': expected a small integer after '^'", u->s);
  u->p = end;
  *expo = (int)v;
  return EXO_OK;
}

static exo_status parse_unit_product(uparser *u, double *f, exo_dim *d, int depth);

static exo_status parse_factor(uparser *u, double *f, exo_dim *d, int depth) {
  skip_ws(u);
  exo_status st;
  if (*u->p == '(') {
    u->p++;
    if ((st = parse_unit_product(u, f, d, depth + 1))) return st;
    skip_ws(u);
    if (*u->p != ')') return exo_error_set(u->err, EXO_ERR_SYNTAX, "unit '%s': missing ')'", u->s);
    u->p++;
  } else if (*u->p == '1' && !isdigit((unsigned char)u->p[1]) && u->p[1] != '.') {
    u->p++;
    *f = 1;
    *d = exo_dim_none();
  } else if (is_name_char(u->p)) {
    const char *start = u->p;
    while (is_name_char(u->p) || (u->p > start && isdigit((unsigned char)*u->p) &&
                                  u->p[-1] == '-')) /* MHC-I, MHC-II */
      u->p++;
    /* A trailing '-' is not part of a name. */
    while (u->p > start + 1 && u->p[-1] == '-') u->p--;
    const unit_def *ud = unit_lookup(start, (size_t)(u->p - start));
    if (!ud) {
      enum { NU = sizeof unit_table / sizeof unit_table[0] };
      const char *names[NU];
      for (size_t i = 0; i < NU; i++) names[i] = unit_table[i].name;
      char word[64];
      snprintf(word, sizeof word, "%.*s", (int)(u->p - start), start);
      const char *sug = exo_nearest(word, names, NU);
      if (sug)
        return exo_error_set(u->err, EXO_ERR_SYNTAX, "unknown unit '%s' in '%s' (did you mean '%s'?)", word, u->s, sug);
    }
    if (!ud)
      return exo_error_set(u->err, EXO_ERR_SYNTAX,
                           "unknown unit '%.*s' in '%s' (known: um, mm, mL, L, s, min, h, day, "
                           "week, cells, vesicles, molecules, mol, nM, ng, %%, ...)",
                           (int)(u->p - start), start, u->s);
    *f = ud->factor;
    memcpy(d->e, ud->e, sizeof d->e);
  } else {
    if (*u->p == '\0')
      return exo_error_set(u->err, EXO_ERR_SYNTAX, "unit '%s' ends where a unit name was expected", u->s);
    return exo_error_set(u->err, EXO_ERR_SYNTAX, "unit '%s': unexpected '%c'", u->s, *u->p);
  }
  int expo;
  if ((st = parse_exponent(u, &expo))) return st;
  if (expo != 1) {
    *f = pow(*f, expo);
    *d = exo_dim_pow(*d, expo);
  }
  return EXO_OK;
}

static exo_status parse_unit_product(uparser *u, double *f, exo_dim *d, int depth) {
  if (depth > 8) return exo_error_set(u->err, EXO_ERR_SYNTAX, "unit '%s' is nested too deeply", u->s);
  *f = 1;
  *d = exo_dim_none();
  int first = 1;
  for (;;) {
    skip_ws(u);
    int divide = 0;
    if (*u->p == '/') {
      divide = 1;
      u->p++;
    } else if (*u->p == '*' || *u->p == '.') {
      if (first) return exo_error_set(u->err, EXO_ERR_SYNTAX, "unit '%s' starts with '%c'", u->s, *u->p);
      u->p++;
    } else if (!strncmp(u->p, "\xc2\xb7", 2)) {
      u->p += 2;
    } else if (*u->p == '\0' || *u->p == ')') {
      if (first) return exo_error_set(u->err, EXO_ERR_SYNTAX, "empty unit in '%s'", u->s);
      return EXO_OK;
    } else if (!first && !is_name_char(u->p) && *u->p != '(' && *u->p != '1') {
      return exo_error_set(u->err, EXO_ERR_SYNTAX, "unit '%s': unexpected '%c'", u->s, *u->p);
    }
    double ff;
    exo_dim dd;
    exo_status st = parse_factor(u, &ff, &dd, depth);
    if (st) return st;
    if (divide) {
      *f /= ff;
      *d = exo_dim_div(*d, dd);
    } else {
      *f *= ff;
      *d = exo_dim_mul(*d, dd);
    }
    first = 0;
  }
}

exo_status exo_unit_parse(const char *unit, double *factor, exo_dim *dim, exo_error *err) {
  uparser u = {unit, unit, err};
  exo_status st = parse_unit_product(&u, factor, dim, 0);
  if (st) return st;
  skip_ws(&u);
  if (*u.p != '\0') return exo_error_set(err, EXO_ERR_SYNTAX, "unit '%s': unexpected '%c'", unit, *u.p);
  if (!exo_dim_valid(*dim)) return exo_error_set(err, EXO_ERR_UNIT, "unit '%s': a dimension exponent is beyond +-%d", unit, EXO_DIM_MAX_EXP);
  if (!(isfinite(*factor) && *factor > 0))
    return exo_error_set(err, EXO_ERR_UNIT, "unit '%s' is too large or too small to convert to internal units", unit);
  return EXO_OK;
}

exo_status exo_quantity_parse(const char *text, exo_quantity *q, exo_error *err) {
  const char *p = text;
  while (*p == ' ' || *p == '\t') p++;
  /* strtod would accept "nan", "inf" and hex floats: a model file has no use for them. */
  const char *digits = p;
  if (*digits == '+' || *digits == '-') digits++;
  if (!(isdigit((unsigned char)*digits) || (*digits == '.' && isdigit((unsigned char)digits[1]))))
    return exo_error_set(err, EXO_ERR_SYNTAX, "'%s' is not a number (expected e.g. '0.18 /day')", text);
  if (digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X'))
    return exo_error_set(err, EXO_ERR_SYNTAX, "'%s': hexadecimal numbers are not accepted", text);
  char *end;
  double v = strtod(p, &end);
  if (!isfinite(v))
    return exo_error_set(err, EXO_ERR_MODEL, "'%s' is not a finite number", text);
  double factor = 1;
  exo_dim dim = exo_dim_none();
  const char *rest = end;
  while (*rest == ' ' || *rest == '\t') rest++;
  q->has_unit = false;
  if (*rest) {
    exo_status st = exo_unit_parse(rest, &factor, &dim, err);
    if (st) return st;
    q->has_unit = true;
  }
  q->value = v * factor;
  q->dim = dim;
  if (!isfinite(q->value))
    return exo_error_set(err, EXO_ERR_MODEL, "'%s' overflows when converted to internal units", text);
  if (v != 0 && q->value == 0)
    return exo_error_set(err, EXO_ERR_MODEL, "'%s' underflows to 0 when converted to internal units", text);
  return EXO_OK;
}

bool exo_unit_is_known(const char *name) { return unit_lookup(name, strlen(name)) != NULL; }
