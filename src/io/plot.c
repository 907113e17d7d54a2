/* Plots of a comparison of treatment arms (exo_plot_arms, include/exosim/report.h), drawn with
 * PLplot's Cairo driver as DIR/plots/NAME.png and DIR/plots/NAME.svg:
 *   tumour_burden - the tumour_burden column of every arm against days, log axis, and under it
 *                   a strip with a row of dose marks for each arm that has doses;
 *   immune        - one panel per cell species that is not tumour (summed over its
 *                   compartments), the 12 most abundant at the end of the first arm;
 *   vesicles      - the same for the vesicle pools;
 *   FIGURE        - for every distinct `figure:` name among the model's outputs, one panel per
 *                   output of that figure (model order, at most 12), each with the output's unit
 *                   as its y label and the arms' dose marks along its time axis.
 * Values are divided by the recorder's unit_factor, times become days; values that are not
 * finite leave a gap in the line, and values at or below the bottom of the log axis (zeros
 * included) are drawn on it. Panels of output figures use a log axis where every finite value
 * is positive and a linear one otherwise.
 * A figure with nothing to show (no tumour_burden column, a model without vesicle pools) is not
 * written. Every file is drawn to "NAME.tmp", checked to be whole (the PNG's IEND chunk, the
 * SVG's closing tag) and renamed, so a file under its final name is always whole.
 *
 * PLplot keeps global state (the current stream, the driver table): each file is drawn on a
 * fresh stream (plmkstrm ... plend1) that is ended on every path, and the caller's current
 * stream is restored afterwards; exo_plot_arms is not thread-safe, so never run two at once.
 * PLplot ends the process (plexit) when it cannot open its output file or find its device, so
 * both are checked before plinit. */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <plplot.h>

#include "exosim/report.h"
#include "io/iohelp.h"
#include "exosim/units.h"
#include "model/model.h"

#define MAX_PANELS 12   /* species panels per figure */
#define NAME_SHOWN 22   /* longest arm name shown in a legend (bytes) */
#define PATH_LEN 4200

/* cmap0: 0 background, 1 axes and text, 2.. the arms (Okabe-Ito, then Tableau), then greys */
enum { COL_BG = 0, COL_FG = 1, COL_ARM0 = 2, NARM_COL = 12, COL_GRID = COL_ARM0 + NARM_COL, COL_SOFT, NCOL0 };
static const unsigned char palette[NCOL0][3] = {
    {255, 255, 255}, {0, 0, 0},
    {0, 114, 178},   {213, 94, 0},   {0, 158, 115},  {204, 121, 167}, {230, 159, 0},  {86, 180, 233},
    {0, 0, 0},       {140, 86, 75},  {148, 103, 189}, {127, 127, 127}, {188, 189, 34}, {23, 190, 207},
    {222, 222, 222}, {90, 90, 90},
};
#define NSTYLE 4 /* PLplot's predefined line styles 1..4: solid, short dashes, long dashes, long-short */

static int arm_colour(int a) { return COL_ARM0 + a % NARM_COL; }
/* colours cycle every 12 arms and styles every 4: arms 0..11 all differ in colour, and any two
 * arms 12 apart differ in style */
static int arm_style(int a) { return 1 + (a + a / NARM_COL) % NSTYLE; }

/* ---- data ---------------------------------------------------------------------------------- */

typedef struct panel {
  char title[128];
  char ylabel[96]; /* its own y label (output figures: the unit), or "" */
  bool linear;     /* a linear y axis (output figures with a value at or below zero) */
  double **y;    /* [narm] values in display units (NaN where not finite), NULL where the arm lacks it */
  double rank;   /* value at the end of the first arm that has it (for choosing panels) */
  int order;     /* position in the model */
} panel;

typedef struct figure {
  const char *name, *title, *ylabel;
  int width, height;
  double decades; /* the most decades a panel's y axis spans below its largest value */
  bool doses;     /* draw dose marks (single-panel figures only) */
  bool marks;     /* an output figure: dose marks under every panel, each panel's own y label */
  char tbuf[128]; /* storage for an output figure's title */
  char note[512]; /* a line under the plot, or "" */
  panel *panels;
  int npanel;
} figure;

typedef struct plot_data {
  const exo_model *m;
  const exo_arm_result *arms;
  int narm;
  double **days; /* [narm] sample times in days, NULL for an arm with no recorded rows */
  size_t *nrow;  /* [narm] */
  double t0, t1; /* time axis range over every arm, days */
} plot_data;

static void figure_free(figure *f, int narm) {
  for (int p = 0; p < f->npanel; p++) {
    for (int a = 0; f->panels[p].y && a < narm; a++) free(f->panels[p].y[a]);
    free(f->panels[p].y);
  }
  free(f->panels);
  f->panels = NULL;
  f->npanel = 0;
}

static void data_free(plot_data *d) {
  for (int a = 0; d->days && a < d->narm; a++) free(d->days[a]);
  free(d->days);
  free(d->nrow);
}

/* The recorder column called name, or -1. A recorder set up without names (as tests do) is read
 * as the systemic engine lays it out: every state, then every output. */
static long find_column(const exo_recorder *rec, const exo_model *m, const char *name) {
  if (!rec || !name) return -1;
  if (rec->names) {
    for (size_t c = 0; c < rec->ncol; c++)
      if (rec->names[c] && !strcmp(rec->names[c], name)) return (long)c;
    return -1;
  }
  if (!m || rec->ncol != (size_t)m->nstate + (size_t)m->noutput) return -1;
  for (int i = 0; i < m->nstate; i++)
    if (!strcmp(m->states[i].column, name)) return i;
  for (int i = 0; i < m->noutput; i++)
    if (!strcmp(m->outputs[i].name, name)) return (long)m->nstate + i;
  return -1;
}

static double rec_value(const exo_recorder *rec, size_t r, size_t c) {
  double v = rec->values[r * rec->ncol + c];
  if (rec->unit_factor && rec->unit_factor[c] != 0 && isfinite(rec->unit_factor[c])) v /= rec->unit_factor[c];
  return isfinite(v) ? v : NAN;
}

static exo_status nomem(exo_error *err) { return exo_error_set(err, EXO_ERR_NOMEM, "plots: out of memory"); }

static exo_status data_init(plot_data *d, const exo_model *m, const exo_arm_result *arms, int narm, exo_error *err) {
  *d = (plot_data){.m = m, .arms = arms, .narm = narm, .t0 = INFINITY, .t1 = -INFINITY};
  d->days = calloc((size_t)narm + 1, sizeof *d->days);
  d->nrow = calloc((size_t)narm + 1, sizeof *d->nrow);
  if (!d->days || !d->nrow) return nomem(err);
  for (int a = 0; a < narm; a++) {
    const exo_recorder *rec = arms[a].rec;
    if (!rec || !rec->nrow || !rec->times || !rec->values) continue;
    d->days[a] = malloc(rec->nrow * sizeof *d->days[a]);
    if (!d->days[a]) return nomem(err);
    d->nrow[a] = rec->nrow;
    for (size_t r = 0; r < rec->nrow; r++) {
      double t = rec->times[r] / EXO_MINUTES_PER_DAY;
      d->days[a][r] = isfinite(t) ? t : NAN;
      if (isfinite(t)) {
        if (t < d->t0) d->t0 = t;
        if (t > d->t1) d->t1 = t;
      }
    }
  }
  if (!(d->t0 <= d->t1)) d->t0 = 0, d->t1 = 1;
  if (d->t1 - d->t0 < 1e-9) { /* one time point */
    d->t0 -= 0.5;
    d->t1 += 0.5;
  }
  double pad = 0.01 * (d->t1 - d->t0); /* lines and dose marks clear of the frame */
  d->t0 -= pad;
  d->t1 += pad;
  return EXO_OK;
}

static panel *add_panel(figure *f, int narm, exo_error *err) {
  panel *p = realloc(f->panels, (size_t)(f->npanel + 1) * sizeof *p);
  if (!p) return nomem(err), NULL;
  f->panels = p;
  p = &f->panels[f->npanel];
  *p = (panel){.rank = -INFINITY, .order = f->npanel};
  p->y = calloc((size_t)narm + 1, sizeof *p->y);
  if (!p->y) return nomem(err), NULL;
  f->npanel++;
  return p;
}

/* Fills p->y[a] with the sum of the given columns (ncols of them per arm in cols[a*ncols..]) */
static exo_status fill_panel(panel *p, const plot_data *d, const long *cols, int ncols, exo_error *err) {
  for (int a = 0; a < d->narm; a++) {
    const exo_recorder *rec = d->arms[a].rec;
    const long *ca = cols + (size_t)a * (size_t)ncols;
    bool any = false;
    for (int k = 0; k < ncols; k++) any |= ca[k] >= 0;
    if (!any || !d->days[a]) continue;
    if (!(p->y[a] = malloc(d->nrow[a] * sizeof *p->y[a]))) return nomem(err);
    for (size_t r = 0; r < d->nrow[a]; r++) {
      double s = 0;
      for (int k = 0; k < ncols; k++)
        if (ca[k] >= 0) s += rec_value(rec, r, (size_t)ca[k]);
      p->y[a][r] = isfinite(s) ? s : NAN; /* NaN when any part is, or the sum overflows */
    }
    if (p->rank == -INFINITY) {
      double last = p->y[a][d->nrow[a] - 1];
      p->rank = isfinite(last) ? last : -HUGE_VAL / 2;
    }
  }
  return EXO_OK;
}

static exo_status build_tumour(figure *f, const plot_data *d, exo_error *err) {
  long *cols = malloc(((size_t)d->narm + 1) * sizeof *cols);
  if (!cols) return nomem(err);
  bool any = false;
  for (int a = 0; a < d->narm; a++) {
    cols[a] = find_column(d->arms[a].rec, d->m, "tumour_burden");
    any |= cols[a] >= 0 && d->days[a];
  }
  exo_status st = EXO_OK;
  if (any) {
    panel *p = add_panel(f, d->narm, err);
    st = p ? fill_panel(p, d, cols, 1, err) : EXO_ERR_NOMEM;
  }
  free(cols);
  return st;
}

static int by_rank(const void *x, const void *y) {
  const panel *a = x, *b = y;
  if (a->rank != b->rank) return a->rank < b->rank ? 1 : -1;
  return a->order - b->order;
}
static int by_order(const void *x, const void *y) { return ((const panel *)x)->order - ((const panel *)y)->order; }

/* One panel per species of the given kind (cells: those that are not tumour), summed over its
 * compartments; at most MAX_PANELS, the most abundant at the end of the first arm, in model order. */
static exo_status build_species(figure *f, const plot_data *d, exo_species_kind kind, exo_error *err) {
  const exo_model *m = d->m;
  if (!m || !m->nstate) return EXO_OK;
  long *cols = malloc((size_t)m->nstate * ((size_t)d->narm + 1) * sizeof *cols);
  int *st_of = malloc((size_t)m->nstate * sizeof *st_of);
  if (!cols || !st_of) {
    free(cols), free(st_of);
    return nomem(err);
  }
  exo_status st = EXO_OK;
  for (int i = 0; i < m->nstate && !st; i++) {
    const exo_state *s = &m->states[i];
    if (s->kind != kind || (kind == EXO_KIND_CELLS && s->tumour)) continue;
    bool seen = false;
    for (int j = 0; j < i && !seen; j++)
      seen = m->states[j].kind == s->kind && !strcmp(m->states[j].species, s->species);
    if (seen) continue;
    /* every compartment of this species */
    int n = 0;
    char where[96] = "";
    size_t wl = 0;
    for (int j = i; j < m->nstate; j++) {
      if (m->states[j].kind != s->kind || strcmp(m->states[j].species, s->species)) continue;
      st_of[n++] = j;
      const char *cn = m->states[j].compartment >= 0 && m->states[j].compartment < m->ncomp
                           ? m->comps[m->states[j].compartment].name
                           : "?";
      int w = snprintf(where + wl, sizeof where - wl, "%s%s", n > 1 ? "+" : "", cn);
      wl = w > 0 && wl + (size_t)w < sizeof where ? wl + (size_t)w : sizeof where - 1;
    }
    for (int a = 0; a < d->narm; a++)
      for (int k = 0; k < n; k++)
        cols[(size_t)a * (size_t)n + (size_t)k] = find_column(d->arms[a].rec, m, m->states[st_of[k]].column);
    panel *p = add_panel(f, d->narm, err);
    if (!p) {
      st = EXO_ERR_NOMEM;
      break;
    }
    if (strlen(where) <= 20) snprintf(p->title, sizeof p->title, "%s (%s)", s->species, where);
    else snprintf(p->title, sizeof p->title, "%s (%d compartments)", s->species, n);
    st = fill_panel(p, d, cols, n, err);
    bool has = false;
    for (int a = 0; a < d->narm; a++) has |= p->y[a] != NULL;
    if (!st && !has) { /* no arm recorded it */
      free(p->y);
      f->npanel--;
    }
  }
  free(cols);
  free(st_of);
  if (st || f->npanel <= MAX_PANELS) return st;
  /* keep the most abundant; name the others under the figure */
  qsort(f->panels, (size_t)f->npanel, sizeof *f->panels, by_rank);
  size_t nl = (size_t)snprintf(f->note, sizeof f->note, "not shown (%d less abundant at the end of %s):",
                               f->npanel - MAX_PANELS,
                               d->narm && d->arms[0].name ? d->arms[0].name : "the first arm");
  for (int p = MAX_PANELS; p < f->npanel; p++) {
    const char *t = f->panels[p].title;
    size_t tl = strcspn(t, " ");
    if (nl < sizeof f->note) nl += (size_t)snprintf(f->note + nl, sizeof f->note - nl, " %.*s", (int)tl, t);
    for (int a = 0; a < d->narm; a++) free(f->panels[p].y[a]);
    free(f->panels[p].y);
  }
  f->npanel = MAX_PANELS;
  qsort(f->panels, (size_t)f->npanel, sizeof *f->panels, by_order);
  return EXO_OK;
}

/* "cargo_exposure" -> "Cargo exposure" */
static void figure_title(char *out, size_t n, const char *name) {
  size_t i = 0;
  for (; name[i] && i + 1 < n; i++) out[i] = name[i] == '_' ? ' ' : name[i];
  out[i] = '\0';
  if (out[0] >= 'a' && out[0] <= 'z') out[0] = (char)(out[0] - 'a' + 'A');
}

/* One panel per output whose figure is f->name, in model order: the first MAX_PANELS that some
 * arm recorded, the others named under the figure. A panel's axis is linear when any finite
 * value is at or below zero. */
static exo_status build_outputs(figure *f, const plot_data *d, exo_error *err) {
  const exo_model *m = d->m;
  long *cols = malloc(((size_t)d->narm + 1) * sizeof *cols);
  if (!cols) return nomem(err);
  exo_status st = EXO_OK;
  int hidden = 0;
  size_t nl = 0;
  char names[sizeof f->note] = "";
  for (int i = 0; i < m->noutput && !st; i++) {
    const exo_output *o = &m->outputs[i];
    if (!o->figure || strcmp(o->figure, f->name)) continue;
    bool any = false;
    for (int a = 0; a < d->narm; a++) {
      cols[a] = find_column(d->arms[a].rec, m, o->name);
      any |= cols[a] >= 0 && d->days[a];
    }
    if (!any) continue; /* no arm recorded it */
    if (f->npanel == MAX_PANELS) {
      hidden++;
      if (nl < sizeof names) nl += (size_t)snprintf(names + nl, sizeof names - nl, " %s", o->name);
      continue;
    }
    panel *p = add_panel(f, d->narm, err);
    if (!p) {
      st = EXO_ERR_NOMEM;
      break;
    }
    snprintf(p->title, sizeof p->title, "%s", o->name);
    snprintf(p->ylabel, sizeof p->ylabel, "%s", o->unit && *o->unit ? o->unit : "internal units");
    st = fill_panel(p, d, cols, 1, err);
    for (int a = 0; a < d->narm && !st && !p->linear; a++)
      for (size_t r = 0; p->y[a] && r < d->nrow[a] && !p->linear; r++) p->linear = p->y[a][r] <= 0;
  }
  free(cols);
  if (hidden) snprintf(f->note, sizeof f->note, "not shown (%d more):%s", hidden, names);
  return st;
}

/* ---- drawing -------------------------------------------------------------------------------- */

/* PLplot text: '#' starts an escape sequence, so a literal one is written twice; names longer
 * than max bytes end in "..." */
static void pl_text(char *out, size_t n, const char *in, size_t max) {
  size_t o = 0, i = 0;
  for (; in && in[i] && i < max && o + 3 < n; i++) {
    if (in[i] == '#') out[o++] = '#';
    out[o++] = in[i];
  }
  if (in && in[i] && o + 4 < n) { /* cut, but not in the middle of a UTF-8 sequence */
    while (o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0x80) o--;
    if (o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0xc0) o--;
    memcpy(out + o, "...", 3), o += 3;
  }
  out[o] = '\0';
}

/* The y range of a panel in log10 units: its positive finite values (at most `decades` below
 * the largest) with a margin, so that no line runs along the frame, and at least 0.3 decades.
 * Smaller values, zeros included, are drawn at the bottom. */
static void panel_range(const panel *p, const plot_data *d, double decades, double *lo, double *hi, bool *all_zero) {
  double mn = INFINITY, mx = -INFINITY;
  for (int a = 0; a < d->narm; a++)
    for (size_t r = 0; p->y[a] && r < d->nrow[a]; r++) {
      double v = p->y[a][r];
      if (isfinite(v) && v > 0) {
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
    }
  *all_zero = !(mn <= mx); /* or not finite anywhere */
  if (*all_zero) {
    *lo = 0, *hi = 1;
    return;
  }
  double l = log10(mn), h = log10(mx);
  if (l < h - decades) l = h - decades;
  double pad = fmax(0.06 * (h - l), 0.08);
  l -= pad, h += pad;
  if (h - l < 0.3) {
    double c = 0.5 * (l + h);
    l = c - 0.15, h = c + 0.15;
  }
  *lo = l, *hi = h;
}

/* Labels of a log y axis. PLplot labels whole decades only; where fewer than two fall in
 * [lo, hi], some digits times the decade are labelled too (2, 5, 3, then the others, as many as
 * fit 2.2 character heights apart), each with a faint grid line. */
typedef struct ylabels {
  double y[32];
  int digit[32]; /* 1: a decade, which PLplot labels */
  int n;
} ylabels;

/* The least distance between labels, in decades, in the current viewport and character size */
static double label_gap(double lo, double hi) {
  PLFLT chdef, chht, sx0, sx1, sy0, sy1, vx0, vx1, vy0, vy1;
  plgchr(&chdef, &chht);
  plgspa(&sx0, &sx1, &sy0, &sy1);
  plgvpd(&vx0, &vx1, &vy0, &vy1);
  double vp_mm = (vy1 - vy0) * (sy1 - sy0);
  return vp_mm > 0 ? 2.2 * chht / vp_mm * (hi - lo) : hi - lo;
}

static void plan_labels(double lo, double hi, ylabels *L) {
  L->n = 0;
  for (double k = ceil(lo); k <= hi && L->n < 32; k++) L->y[L->n] = k, L->digit[L->n++] = 1;
  if (L->n >= 2) return;
  double gap = label_gap(lo, hi);
  static const int digits[] = {2, 5, 3, 4, 6, 7, 8, 9};
  for (int i = 0; i < 8; i++)
    for (double k = floor(lo); k <= ceil(hi) && L->n < 32; k++) {
      double y = k + log10(digits[i]);
      bool fits = y - lo >= 0.5 * gap && hi - y >= 0.5 * gap;
      for (int j = 0; j < L->n && fits; j++) fits = fabs(y - L->y[j]) >= gap;
      if (fits) L->y[L->n] = y, L->digit[L->n++] = digits[i];
    }
}

/* Lowers lo until the axis has two labels (a short axis between two labelled values may have
 * only one): to just under the next digit-times-decade below. */
static void ensure_two_labels(double *lo, double hi, ylabels *L) {
  plan_labels(*lo, hi, L);
  for (int tries = 0; L->n < 2 && tries < 4; tries++) {
    double below = -INFINITY;
    for (double k = floor(*lo); k >= floor(*lo) - 1 && below == -INFINITY; k--)
      for (int m = 9; m >= 1 && below == -INFINITY; m--)
        if (k + log10(m) < *lo - 1e-9) below = k + log10(m);
    *lo = below - 0.04 * (hi - below);
    plan_labels(*lo, hi, L);
  }
}

static void draw_minor_labels(const ylabels *L, double t0, double t1, double lo, double hi, bool grid) {
  for (int i = 0; i < L->n; i++) {
    if (L->digit[i] == 1) continue;
    if (grid) {
      PLFLT gx[2] = {t0, t1}, gy[2] = {L->y[i], L->y[i]};
      plline(2, gx, gy);
    } else {
      char t[48];
      snprintf(t, sizeof t, "%d×10#u%d#d", L->digit[i], (int)floor(L->y[i]));
      plmtex("lv", 0.5, (L->y[i] - lo) / (hi - lo), 1.0, t);
    }
  }
}

/* A round tick spacing (1, 2 or 5 times a power of ten) giving at most about `target` ticks. */
static double nice_step(double range, int target) {
  double raw = range / target, p = pow(10, floor(log10(raw))), f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

/* ylo: the bottom of a log axis (values are drawn as log10, none below it), or NAN: linear */
static void draw_series(const double *x, const double *y, size_t n, double ylo, double *bx, double *by) {
  size_t k = 0;
  for (size_t r = 0; r <= n; r++) {
    if (r < n && isfinite(x[r]) && isfinite(y[r])) {
      bx[k] = x[r];
      by[k] = isnan(ylo) ? y[r] : y[r] > 0 ? fmax(log10(y[r]), ylo) : ylo;
      k++;
      continue;
    }
    if (k == 1) plpoin(1, bx, by, 17); /* a lone sample: a dot */
    else if (k > 1) plline((PLINT)k, bx, by);
    k = 0;
  }
}

/* The y range of a panel with a linear axis: its finite values with a margin; none finite: [0, 1]
 * and *none set. A constant is shown in the middle of a range around it. */
static void linear_range(const panel *p, const plot_data *d, double *lo, double *hi, bool *none) {
  double mn = INFINITY, mx = -INFINITY;
  for (int a = 0; a < d->narm; a++)
    for (size_t r = 0; p->y[a] && r < d->nrow[a]; r++) {
      double v = p->y[a][r];
      if (isfinite(v)) {
        if (v < mn) mn = v;
        if (v > mx) mx = v;
      }
    }
  *none = !(mn <= mx);
  if (*none) {
    *lo = 0, *hi = 1;
    return;
  }
  double span = mx - mn;
  if (!(span > 1e-12 * fmax(fabs(mn), fabs(mx)))) { /* a constant */
    span = mx != 0 ? 0.2 * fabs(mx) : 1;
    *lo = mn - 0.5 * span, *hi = mx + 0.5 * span;
    return;
  }
  *lo = mn - 0.05 * span, *hi = mx + 0.06 * span;
}

/* A linear axis's labels: values divided by 10^exp (a power shared by the axis and shown in its
 * y label), with as many decimals as the tick step needs. */
typedef struct linear_axis {
  double step;
  int exp;
} linear_axis;

/* The shared power of ten of a linear axis from lo to hi: 0 where the largest magnitude is
 * from 0.01 to 10^4, else its decade. */
static int linear_exp(double lo, double hi) {
  double a = fmax(fabs(lo), fabs(hi));
  return a > 0 && isfinite(a) && (a < 1e-2 || a >= 1e4) ? (int)floor(log10(a * (1 + 1e-9))) : 0;
}

static void linear_label(PLINT axis, PLFLT value, char *out, PLINT n, PLPointer data) {
  (void)axis;
  const linear_axis *ax = data;
  double scale = pow(10, ax->exp), step = ax->step / scale, v = value / scale;
  if (step > 0) v = round(v / step) * step;
  if (fabs(v) < 1e-9 * step) v = 0;
  int dec = step > 0 && step < 1 ? (int)ceil(-log10(step) - 1e-9) : 0;
  if (dec > 6) dec = 6;
  snprintf(out, (size_t)n, "%.*f", dec, v);
}

/* The step, in decades, between labelled decades of a log axis from lo to hi: 1, or as much
 * more as keeps the labels 2.2 character heights apart in the current viewport. */
static double decade_step(double lo, double hi) {
  double gap = label_gap(lo, hi), ndec = floor(hi) - ceil(lo) + 1;
  static const double steps[] = {1, 2, 3, 4, 5, 10, 20};
  for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
    if (ceil(ndec / steps[i]) * gap <= hi - lo) return steps[i];
  return 20;
}

/* One panel in the current viewport: grid, frame, a line per arm, and its title above. Panels
 * with their own y label (p->ylabel) get it in ylab, with the power of ten of a linear axis's
 * labels in front ("×10#u5#d /day"). */
static void draw_panel(const figure *f, const panel *p, const plot_data *d, double chr, double xstep, bool xnum,
                       double *bx, double *by, char *ylab, size_t nylab) {
  double lo, hi;
  bool all_zero;
  plschr(0, chr);
  pllsty(1);
  if (ylab && nylab) pl_text(ylab, nylab, p->ylabel, nylab / 2 - 4);
  if (p->linear) {
    linear_range(p, d, &lo, &hi, &all_zero);
    plwind(d->t0, d->t1, lo, hi);
    /* as many labels as fit 2.2 character heights apart, from 2 to 6 */
    double gap = label_gap(lo, hi), nfit = gap > 0 ? (hi - lo) / gap : 2;
    linear_axis ax = {.step = nice_step(hi - lo, (int)fmin(fmax(nfit, 2), 6)), .exp = linear_exp(lo, hi)};
    plcol0(COL_GRID);
    plwidth(0.8);
    plbox("g", xstep, 0, "g", ax.step, 0);
    plcol0(COL_FG);
    plwidth(1.0);
    plslabelfunc(linear_label, &ax);
    plbox(xnum ? "bcnst" : "bcst", xstep, 0, "bcnstvo", ax.step, 0);
    plslabelfunc(NULL, NULL);
    if (ax.exp && ylab && nylab) {
      char t[256];
      snprintf(t, sizeof t, "×10#u%d#d %s", ax.exp, ylab);
      snprintf(ylab, nylab, "%s", t);
    }
  } else {
    panel_range(p, d, f->decades, &lo, &hi, &all_zero);
    ylabels L;
    ensure_two_labels(&lo, hi, &L);
    plwind(d->t0, d->t1, lo, hi);
    /* output figures: no more decades labelled than fit (PLplot labels every decade of a log
     * axis, so these are labelled here) */
    double every = f->marks && L.n > 2 && L.digit[0] == 1 ? decade_step(lo, hi) : 1;
    plcol0(COL_GRID);
    plwidth(0.8);
    plbox("g", xstep, 0, "gl", 0, 0);
    draw_minor_labels(&L, d->t0, d->t1, lo, hi, true);
    plcol0(COL_FG);
    plwidth(1.0);
    plbox(xnum ? "bcnst" : "bcst", xstep, 0, every > 1 ? "bcstl" : "bcnstlv", 0, 0);
    draw_minor_labels(&L, d->t0, d->t1, lo, hi, false);
    for (double k = ceil(lo); every > 1 && k <= hi; k++)
      if (fmod(k, every) == 0) {
        char t[32];
        snprintf(t, sizeof t, "10#u%d#d", (int)k);
        plmtex("lv", 0.5, (k - lo) / (hi - lo), 1.0, t);
      }
  }
  plwidth(2.4);
  for (int a = 0; a < d->narm; a++) {
    if (!p->y[a] || !d->days[a]) continue;
    plcol0(arm_colour(a));
    pllsty(arm_style(a));
    draw_series(d->days[a], p->y[a], d->nrow[a], p->linear ? NAN : lo, bx, by);
  }
  pllsty(1);
  plwidth(1.0);
  if (all_zero) {
    bool finite = false;
    for (int a = 0; a < d->narm && !finite; a++)
      for (size_t r = 0; p->y[a] && r < d->nrow[a] && !finite; r++) finite = isfinite(p->y[a][r]);
    plcol0(COL_SOFT);
    plptex(0.5 * (d->t0 + d->t1), 0.5 * (lo + hi), 1, 0, 0.5, finite ? "zero throughout" : "no finite values");
  }
  plcol0(COL_FG);
  if (*p->title && !f->doses) {
    char t[160];
    pl_text(t, sizeof t, p->title, 120);
    plschr(0, chr * 1.1);
    plmtex("t", 1.7, 0.5, 0.5, t);
  }
}

static int dose_rows(const plot_data *d) {
  int rows = 0;
  for (int a = 0; a < d->narm; a++) rows += d->arms[a].ndose > 0 && d->arms[a].dose_days;
  return rows;
}

/* The dose strip under the time course, in the current viewport: a row of triangles per arm
 * that has doses (first arm on top), and the time axis. */
static void draw_doses(const plot_data *d, double chr, double xstep) {
  int rows = dose_rows(d);
  plwind(d->t0, d->t1, 0, rows);
  plschr(0, chr);
  plcol0(COL_GRID);
  plwidth(0.8);
  plbox("g", xstep, 0, "", 0, 0);
  double w = 0.006 * (d->t1 - d->t0);
  int row = 0;
  for (int a = 0; a < d->narm; a++) {
    const exo_arm_result *arm = &d->arms[a];
    if (arm->ndose <= 0 || !arm->dose_days) continue;
    double y0 = rows - 1 - row + 0.15;
    plcol0(arm_colour(a));
    for (int k = 0; k < arm->ndose; k++) {
      double t = arm->dose_days[k];
      if (!isfinite(t) || t < d->t0 || t > d->t1) continue;
      PLFLT tx[3] = {t - w, t + w, t}, ty[3] = {y0, y0, y0 + 0.7};
      plfill(3, tx, ty);
    }
    row++;
  }
  plcol0(COL_FG);
  plwidth(1.0);
  plbox("bnsti", xstep, 0, "b", 0, 0); /* ticks outward, clear of the marks */
  plbox("c", 0, 0, "c", 0, 0); /* no ticks from the top edge across the narrow strip */
  plmtex("lv", 0.8, 0.5, 1.0, "doses");
}

/* The dose marks under one panel of a grid, in the current viewport: a thin row of small
 * triangles per arm that has doses (first arm on top), in the arm's colour, and the time axis
 * (numbered when xnum). width_px: the page's width. */
static void draw_marks(const plot_data *d, double chr, double xstep, bool xnum, double width_px) {
  int rows = dose_rows(d);
  PLFLT vx0, vx1, vy0, vy1;
  plgvpd(&vx0, &vx1, &vy0, &vy1);
  double vp_px = (vx1 - vx0) * width_px;
  double w = vp_px > 0 ? 2.6 / vp_px * (d->t1 - d->t0) : 0.006 * (d->t1 - d->t0); /* half a mark: 2.6 px */
  plwind(d->t0, d->t1, 0, rows);
  plschr(0, chr);
  plcol0(COL_GRID);
  plwidth(0.8);
  plbox("g", xstep, 0, "", 0, 0);
  int row = 0;
  for (int a = 0; a < d->narm; a++) {
    const exo_arm_result *arm = &d->arms[a];
    if (arm->ndose <= 0 || !arm->dose_days) continue;
    double y0 = rows - 1 - row + 0.08;
    plcol0(arm_colour(a));
    for (int k = 0; k < arm->ndose; k++) {
      double t = arm->dose_days[k];
      if (!isfinite(t) || t < d->t0 || t > d->t1) continue;
      PLFLT tx[3] = {t - w, t + w, t}, ty[3] = {y0, y0, y0 + 0.84};
      plfill(3, tx, ty);
    }
    row++;
  }
  plcol0(COL_FG);
  plwidth(1.0);
  plbox(xnum ? "bnsti" : "bsti", xstep, 0, "b", 0, 0); /* ticks outward, clear of the marks */
  plbox("", 0, 0, "c", 0, 0);
}

/* The height of the dose strip under each panel of an output figure's grid, in pixels (0: none) */
static double marks_px(const figure *f, const plot_data *d) {
  int rows = f->marks && f->npanel > 1 ? dose_rows(d) : 0;
  return rows ? fmin(4 + 5.0 * rows, 64) : 0; /* 5 px a row, thinner beyond 12 arms with doses */
}

/* Whether arm a has data in any panel of f */
static bool arm_shown(const figure *f, int a) {
  for (int p = 0; p < f->npanel; p++)
    if (f->panels[p].y[a]) return true;
  return false;
}

/* The legend, top left in the current viewport, which is width_px wide; the text shrinks (down
 * to about 12 px) to let the longest name fit. fs: the page's text scale. */
static void draw_legend(const figure *f, const plot_data *d, bool dose_entry, double fs, double width_px) {
  int n = d->narm + (dose_entry ? 1 : 0);
  if (n <= 0) return;
  enum { TEXT = 4 * NAME_SHOWN + 32 };
  PLINT *opt = calloc((size_t)n, sizeof *opt), *tcol = calloc((size_t)n, sizeof *tcol),
        *lcol = calloc((size_t)n, sizeof *lcol), *lsty = calloc((size_t)n, sizeof *lsty),
        *scol = calloc((size_t)n, sizeof *scol), *snum = calloc((size_t)n, sizeof *snum);
  PLFLT *lw = calloc((size_t)n, sizeof *lw), *ssc = calloc((size_t)n, sizeof *ssc);
  const char **text = calloc((size_t)n, sizeof *text), **sym = calloc((size_t)n, sizeof *sym);
  char *store = calloc((size_t)n, TEXT);
  if (opt && tcol && lcol && lsty && scol && snum && lw && ssc && text && sym && store) {
    size_t longest = 4;
    for (int i = 0; i < n; i++) {
      char *t = store + (size_t)i * TEXT;
      text[i] = t;
      sym[i] = "";
      tcol[i] = COL_FG;
      if (i < d->narm) {
        char fallback[32];
        snprintf(fallback, sizeof fallback, "arm %d", i + 1);
        pl_text(t, TEXT, d->arms[i].name && *d->arms[i].name ? d->arms[i].name : fallback, NAME_SHOWN);
        if (!arm_shown(f, i)) {
          strcat(t, " (no data)");
          tcol[i] = COL_SOFT;
        }
        opt[i] = PL_LEGEND_LINE;
        lcol[i] = arm_colour(i);
        lsty[i] = arm_style(i);
        lw[i] = 2.4;
      } else {
        snprintf(t, TEXT, "dose");
        opt[i] = PL_LEGEND_SYMBOL;
        scol[i] = COL_SOFT;
        ssc[i] = 1.0;
        snum[i] = 1;
        sym[i] = "▲";
      }
      size_t len = 0; /* characters, not bytes */
      for (const char *c = t; *c; c++) len += ((unsigned char)*c & 0xc0) != 0x80;
      if (len > longest) longest = len;
    }
    /* about 11.8 px a character at scale 1 (DejaVu Sans); the line sample and margins take
     * 0.16 of the width and 30 px */
    double scale = (0.84 * width_px - 30) / (11.8 * (double)longest);
    scale = scale > 0.9 ? 0.9 : scale < 0.65 ? 0.65 : scale;
    PLFLT lgw, lgh;
    plschr(0, scale * fs);
    pllegend(&lgw, &lgh, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
             PL_POSITION_LEFT | PL_POSITION_TOP | PL_POSITION_INSIDE | PL_POSITION_VIEWPORT, 0.0, 0.0, 0.16, COL_BG,
             COL_SOFT, 1, 0, 0, n, opt, 0.6, scale * fs, 2.0, 0.0, tcol, text, NULL, NULL, NULL, NULL, lcol, lsty, lw,
             scol, ssc, snum, sym);
  }
  free(opt), free(tcol), free(lcol), free(lsty), free(scol), free(snum), free(lw), free(ssc);
  free(text), free(sym), free(store);
}

/* Panel grid: columns x rows for n panels */
static void grid_shape(int n, int *nc, int *nr) {
  static const int cols[] = {1, 1, 2, 3, 2, 3, 3, 4, 4, 3, 4, 4, 4};
  *nc = n >= 1 && n <= 12 ? cols[n] : 4;
  *nr = (n + *nc - 1) / *nc;
}

#define LEGEND_PX 270 /* the legend's column at the right of the page */

/* The page: 1000 x 650 px for one panel; wider for more columns, and as tall as panels about
 * 1.35 times as wide as high (and the dose strips under them) need. */
static void page_size(figure *f, const plot_data *d) {
  int nc, nr;
  f->width = 1000, f->height = 650;
  if (f->npanel <= 1) return;
  grid_shape(f->npanel, &nc, &nr);
  f->width = nc <= 2 ? 1000 : nc == 3 ? 1200 : 1400;
  double panel_w = (f->width - 95.0 - LEGEND_PX) / nc - 70, panel_h = panel_w / 1.35;
  int h = (int)(nr * (panel_h + 75 + marks_px(f, d)) + 70 + 50);
  f->height = h < 550 ? 550 : h > 1000 ? 1000 : h;
}

/* Draws figure f on the current (initialised) stream. Layout in pixels, converted to normalised
 * page coordinates: the plots on the left, the legend in a column on the right. PLplot's Cairo
 * driver scales text with the page, so every size is multiplied by fs to keep text the size it
 * has on a 1000 px page. */
static void draw_figure(const figure *f, const plot_data *d, double *bx, double *by) {
  bool grid = f->npanel > 1, note = *f->note != '\0';
  double W = f->width, H = f->height, fs = 1000.0 / W;
  int nc = 1, nr = 1;
  if (grid) grid_shape(f->npanel, &nc, &nr);
  /* plotting region; with a grid each cell also holds its panel's tick labels and title */
  bool units = f->marks && grid; /* each panel's own y label, left of its tick labels */
  /* a single output's tick labels may be wide (7×10^5): more room for them */
  double gx0 = (units ? 20 : grid ? 40 : f->marks ? 125 : 100) / W, gx1 = 1 - (LEGEND_PX + 15) / W;
  double gy0 = (grid ? (note ? 70 : 45) : (note ? 95 : 75)) / H, gy1 = 1 - (grid || f->doses ? 78 : 100) / H;
  double xlab = gy0 - (grid ? 20 : 52) / H; /* centre of "time (days)" */
  double chr = (grid ? 0.78 : 0.95) * fs;
  char ylab[256] = ""; /* a panel's own y label */
  pladv(0);
  plsmaj(0, grid ? 0.6 * fs : 0.8 * fs);
  plsmin(0, grid ? 0.6 * fs : 0.8 * fs);
  plsfont(PL_FCI_SANS, PL_FCI_UPRIGHT, PL_FCI_MEDIUM);
  if (!grid) {
    int rows = f->doses || f->marks ? dose_rows(d) : 0;
    double xstep = nice_step(d->t1 - d->t0, 8);
    double sh = rows ? fmin(14 + 14.0 * rows, 110) / H : 0, top = gy0 + (rows ? sh + 8 / H : 0);
    plvpor(gx0, gx1, top, gy1);
    draw_panel(f, &f->panels[0], d, chr, xstep, !rows, bx, by, f->marks ? ylab : NULL, sizeof ylab);
    if (rows) {
      plvpor(gx0, gx1, gy0, gy0 + sh);
      draw_doses(d, chr, xstep);
    }
  } else {
    double cw = (gx1 - gx0) / nc, ch = (gy1 - gy0) / nr, xstep = nice_step(d->t1 - d->t0, 4);
    double left = (units ? 84 : 58) / W, sp = marks_px(f, d) / H;
    for (int i = 0; i < f->npanel; i++) {
      double x0 = gx0 + (i % nc) * cw, y1 = gy1 - (i / nc) * ch, yb = y1 - ch + 30 / H;
      bool xnum = i + nc >= f->npanel;
      plvpor(x0 + left, x0 + cw - 12 / W, yb + sp, y1 - 45 / H);
      draw_panel(f, &f->panels[i], d, chr, xstep, xnum && !sp, bx, by, units ? ylab : NULL, sizeof ylab);
      if (sp > 0) {
        plvpor(x0 + left, x0 + cw - 12 / W, yb, yb + sp);
        draw_marks(d, chr, xstep, xnum, W);
      }
      if (units && *ylab) {
        plvpor(0, 1, 0, 1);
        plwind(0, 1, 0, 1);
        plcol0(COL_FG);
        plschr(0, chr);
        plptex(x0 + 14 / W, 0.5 * (yb + sp + y1 - 45 / H), 0, 1, 0.5, ylab);
      }
    }
  }
  plvpor(gx1 + 15 / W, 1 - 5 / W, gy0, gy1 - (grid ? 30 / H : 0));
  plwind(0, 1, 0, 1);
  draw_legend(f, d, (f->doses || f->marks) && dose_rows(d) > 0, fs, LEGEND_PX - 5);
  /* title and shared axis labels */
  plvpor(0, 1, 0, 1);
  plwind(0, 1, 0, 1);
  plcol0(COL_FG);
  plsfont(-1, -1, PL_FCI_BOLD);
  plschr(0, 1.3 * fs);
  plptex(0.5 * (gx0 + gx1), 1 - 35 / H, 1, 0, 0.5, f->title);
  plsfont(-1, -1, PL_FCI_MEDIUM);
  plschr(0, 1.05 * fs);
  plptex(0.5 * (gx0 + gx1), xlab, 1, 0, 0.5, "time (days)");
  if (!grid && f->marks) { /* the panel's own label, as draw_panel made it */
    plptex(25 / W, 0.5 * (gy0 + gy1), 0, 1, 0.5, ylab);
  } else if (f->ylabel && *f->ylabel) {
    char t[200];
    pl_text(t, sizeof t, f->ylabel, 80);
    plptex(25 / W, 0.5 * (gy0 + gy1), 0, 1, 0.5, t);
  }
  if (note) {
    char t[600];
    pl_text(t, sizeof t, f->note, sizeof t / 2 - 4);
    plschr(0, 0.8 * fs);
    plcol0(COL_SOFT);
    plptex(0.5 * (gx0 + gx1), 14 / H, 1, 0, 0.5, t);
  }
}

/* Fontconfig, under Pango under PLplot's Cairo driver, loses some of its font-matching patterns
 * (about 200 KB once per process, a few bytes a plot after that); LeakSanitizer reports them, and
 * nothing outside fontconfig can free them. Every one of those reports has a fontconfig frame,
 * none of ours do: builds with AddressSanitizer that plot skip exactly those. */
#if defined(__SANITIZE_ADDRESS__)
#define EXO_PLOT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EXO_PLOT_ASAN 1
#endif
#endif
#ifdef EXO_PLOT_ASAN
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void) { return "leak:libfontconfig.so\n"; }
#endif

/* ---- files ---------------------------------------------------------------------------------- */

/* true when the file is a whole PNG (ends with the IEND chunk) or SVG (ends with </svg>) */
static bool file_whole(const char *path, bool png, long *size) {
  FILE *fp = fopen(path, "rb");
  *size = 0;
  if (!fp) return false;
  unsigned char tail[64] = {0};
  bool ok = false;
  if (!fseek(fp, 0, SEEK_END) && (*size = ftell(fp)) > 64 && !fseek(fp, -64, SEEK_END) &&
      fread(tail, 1, sizeof tail, fp) == sizeof tail) {
    if (png) {
      ok = !memcmp(tail + 52, "\0\0\0\0IEND\xae\x42\x60\x82", 12);
    } else {
      char s[65];
      memcpy(s, tail, 64);
      s[64] = '\0';
      for (size_t i = 0; i < 64; i++) if (!s[i]) s[i] = ' ';
      ok = strstr(s, "</svg>") != NULL;
    }
  }
  fclose(fp);
  return ok;
}

static bool have_device(const char *name) {
  const char *menu[128], *devs[128];
  const char **pm = menu, **pd = devs;
  int n = 128;
  plgDevs(&pm, &pd, &n);
  for (int i = 0; i < n; i++)
    if (devs[i] && !strcmp(devs[i], name)) return true;
  return false;
}

static exo_status render(const figure *f, const plot_data *d, const char *dir, const char *ext, const char *device,
                         double *bx, double *by, exo_error *err) {
  char tmp[PATH_LEN], final[PATH_LEN];
  snprintf(final, sizeof final, "%s/%s.%s", dir, f->name, ext);
  if (snprintf(tmp, sizeof tmp, "%s.tmp", final) >= (int)sizeof tmp)
    return exo_error_set(err, EXO_ERR_IO, "%s: output path too long", dir);
  /* PLplot would retry and then exit the process if it could not open the file: check first */
  FILE *probe = fopen(tmp, "wb");
  if (!probe) return exo_error_set(err, EXO_ERR_IO, "%s: cannot write: %s", tmp, strerror(errno));
  fclose(probe);

  PLINT prev, strm;
  plgstrm(&prev);
  plmkstrm(&strm);
  if (strm < 0) {
    unlink(tmp);
    return exo_error_set(err, EXO_ERR_IO, "%s: PLplot has no free stream", final);
  }
  plsdev(device);
  plsfnam(tmp);
  plspage(0, 0, f->width, f->height, 0, 0);
  PLINT r[NCOL0], g[NCOL0], b[NCOL0];
  for (int i = 0; i < NCOL0; i++) r[i] = palette[i][0], g[i] = palette[i][1], b[i] = palette[i][2];
  plscmap0(r, g, b, NCOL0);
  plscolbg(255, 255, 255);
  plinit();
  draw_figure(f, d, bx, by);
  plend1(); /* ends this stream only: closes the file, frees the stream */
  plsstrm(prev);

  long size;
  if (!file_whole(tmp, !strcmp(ext, "png"), &size)) {
    unlink(tmp);
    return exo_error_set(err, EXO_ERR_IO, "%s: PLplot (%s) did not write a whole file (%ld bytes)", final, device, size);
  }
  if (rename(tmp, final)) {
    int e = errno;
    unlink(tmp);
    return exo_error_set(err, EXO_ERR_IO, "%s: cannot rename into place: %s", final, strerror(e));
  }
  return EXO_OK;
}

static exo_status write_figure(const figure *f, const plot_data *d, const char *dir, exo_error *err) {
  if (!f->npanel) return EXO_OK;
  size_t nmax = 2;
  for (int a = 0; a < d->narm; a++)
    if (d->nrow[a] > nmax) nmax = d->nrow[a];
  double *bx = malloc(nmax * sizeof *bx), *by = malloc(nmax * sizeof *by);
  exo_status st = bx && by ? EXO_OK : nomem(err);
  if (!st) st = render(f, d, dir, "png", "pngcairo", bx, by, err);
  if (!st) st = render(f, d, dir, "svg", "svgcairo", bx, by, err);
  free(bx);
  free(by);
  return st;
}

/* The output figure named like output i's, when output i is the first of it; else NULL */
static const char *first_of_figure(const exo_model *m, int i) {
  const char *name = m->outputs[i].figure;
  if (!name || !*name) return NULL;
  for (int j = 0; j < i; j++)
    if (m->outputs[j].figure && !strcmp(m->outputs[j].figure, name)) return NULL;
  return name;
}

#define NBUILTIN 3
static const char *const builtin_names[NBUILTIN] = {"tumour_burden", "immune", "vesicles"};

exo_status exo_plot_arms(const char *dir, const exo_model *m, const exo_arm_result *arms, int narm, exo_error *err) {
  if (!dir || !*dir) return exo_error_set(err, EXO_ERR_IO, "plots: the output directory name is empty");
  if (narm < 0 || (narm > 0 && !arms)) return exo_error_set(err, EXO_ERR_USAGE, "plots: no arms given");
  /* the figures: the built-in ones, then one per distinct figure name of the outputs */
  int nout = 0;
  for (int i = 0; m && i < m->noutput; i++) {
    const char *name = first_of_figure(m, i);
    if (!name) continue;
    for (int k = 0; k < NBUILTIN; k++)
      if (!strcmp(name, builtin_names[k]))
        return exo_error_set(err, EXO_ERR_MODEL,
                             "output %s: figure '%s' is the name of a built-in plot of exosim compare; choose another",
                             m->outputs[i].name, name);
    nout++;
  }
  char pdir[PATH_LEN];
  if (snprintf(pdir, sizeof pdir, "%s/plots", dir) >= (int)sizeof pdir)
    return exo_error_set(err, EXO_ERR_IO, "%s: output path too long", dir);
  exo_status st = exo__mkdir_p(pdir, "plot directory", err);
  if (st) return st;
  int nfig = NBUILTIN + nout;
  figure *figs = calloc((size_t)nfig, sizeof *figs);
  if (!figs) return nomem(err);
  figs[0] = (figure){.name = "tumour_burden", .title = "Tumour burden", .ylabel = "tumour burden (cells)",
                     .decades = 10, .doses = true};
  figs[1] = (figure){.name = "immune", .title = "Immune and other non-tumour cells",
                     .ylabel = "cells (sum over compartments)", .decades = 8};
  figs[2] = (figure){.name = "vesicles", .title = "Vesicle pools", .ylabel = "vesicles (sum over compartments)",
                     .decades = 8};
  for (int i = 0, k = NBUILTIN; m && i < m->noutput; i++) {
    const char *name = first_of_figure(m, i);
    if (!name) continue;
    figure *f = &figs[k++];
    *f = (figure){.name = name, .decades = 8, .marks = true};
    figure_title(f->tbuf, sizeof f->tbuf, name);
    f->title = f->tbuf;
  }
  /* plots of an earlier comparison in the same directory must not pass for this one's */
  for (int i = 0; i < nfig && !st; i++)
    for (int k = 0; k < 2; k++) {
      char path[PATH_LEN + 32];
      if (snprintf(path, sizeof path, "%s/%s.%s", pdir, figs[i].name, k ? "svg" : "png") >= (int)sizeof path) {
        st = exo_error_set(err, EXO_ERR_IO, "%s: output path too long", pdir);
        break;
      }
      if (unlink(path) && errno != ENOENT) {
        st = exo_error_set(err, EXO_ERR_IO, "%s: cannot remove the previous plot: %s", path, strerror(errno));
        break;
      }
    }
  if (!st && (!have_device("pngcairo") || !have_device("svgcairo")))
    st = exo_error_set(err, EXO_ERR_IO,
                       "plots: PLplot has no pngcairo/svgcairo device (install its Cairo driver: plplot-driver-cairo)");
  if (st) {
    free(figs);
    return st;
  }

  plot_data d;
  st = data_init(&d, m, arms, narm, err);
  if (!st) st = build_tumour(&figs[0], &d, err);
  if (!st) st = build_species(&figs[1], &d, EXO_KIND_CELLS, err);
  if (!st) st = build_species(&figs[2], &d, EXO_KIND_VESICLES, err);
  for (int i = NBUILTIN; i < nfig && !st; i++) st = build_outputs(&figs[i], &d, err);
  for (int i = 0; i < nfig && !st; i++) {
    page_size(&figs[i], &d);
    st = write_figure(&figs[i], &d, pdir, err);
  }
  for (int i = 0; i < nfig; i++) figure_free(&figs[i], narm);
  free(figs);
  data_free(&d);
  return st;
}
