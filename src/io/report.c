/* The HTML report of a comparison of treatment arms: DIR/report.html, one self-contained page
 * (styles inline, every plot inlined as a base64 data: URI, so it opens anywhere without network
 * access) with the model, the arms and their schedules, the summary table (DIR/summary.csv),
 * every plot in DIR/plots/ and the processes that were on or off. The page carries no date, so
 * the same inputs give the same bytes. Like run.json it is written to "NAME.tmp", flushed,
 * synced and renamed. */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/iohelp.h"
#include "exosim/report.h"
#include "exosim/version.h"
#include "model/model.h"

/* Bounds on what is read back into the page. */
#define SUMMARY_MAX_BYTES (8u << 20)  /* DIR/summary.csv */
#define PLOT_MAX_BYTES (16u << 20)    /* one PNG */
#define PLOTS_MAX_TOTAL (64u << 20)   /* all PNGs together */
#define PLOTS_MAX_COUNT 256
#define DOSE_DAYS_SHOWN 60            /* dose days listed per arm before "... (N in all)" */

/* ---------------------------------------------------------------- escaping and encoding */

/* Writes s as HTML text, safe both between tags and inside a quoted attribute: & < > " ' become
 * entities; well-formed UTF-8 is copied; a malformed byte or a control character (other than
 * tab and newline) becomes U+FFFD. */
static bool html_ascii(FILE *f, unsigned char c) {
  switch (c) {
  case '&': fputs("&amp;", f); return true;
  case '<': fputs("&lt;", f); return true;
  case '>': fputs("&gt;", f); return true;
  case '"': fputs("&quot;", f); return true;
  case '\'': fputs("&#39;", f); return true;
  case '\t':
  case '\n': return false;
  default:
    if (c >= 0x20 && c != 0x7f) return false;
    fputs("\xef\xbf\xbd", f);
    return true;
  }
}

static void html(FILE *f, const char *s) { exo__write_escaped(f, s, html_ascii, "\xef\xbf\xbd"); }

/* Writes s percent-encoded for a relative URL path: only unreserved characters and '/' are kept,
 * so the result needs no further HTML escaping. */
static void url_path(FILE *f, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("-._~/", *p))
      fputc(*p, f);
    else
      fprintf(f, "%%%02X", *p);
  }
}

/* Writes n bytes as base64 (RFC 4648, padded, one line). */
static void base64(FILE *f, const unsigned char *b, size_t n) {
  static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  char out[4 * 1024];
  size_t o = 0;
  for (size_t i = 0; i < n; i += 3) {
    unsigned v = (unsigned)b[i] << 16;
    if (i + 1 < n) v |= (unsigned)b[i + 1] << 8;
    if (i + 2 < n) v |= b[i + 2];
    out[o++] = tab[(v >> 18) & 63];
    out[o++] = tab[(v >> 12) & 63];
    out[o++] = i + 1 < n ? tab[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < n ? tab[v & 63] : '=';
    if (o == sizeof out) {
      fwrite(out, 1, o, f);
      o = 0;
    }
  }
  fwrite(out, 1, o, f);
}

/* ---------------------------------------------------------------- files */

/* Reads a whole file of at most max bytes into a NUL-terminated buffer. Returns EXO_OK, or
 * EXO_ERR_IO naming the file (*missing is set, and err left alone, when it does not exist and
 * missing is not NULL). */
static exo_status read_bounded(const char *path, size_t max, unsigned char **out, size_t *len, bool *missing,
                               exo_error *err) {
  *out = NULL;
  *len = 0;
  if (missing) *missing = false;
  FILE *f = fopen(path, "rb");
  if (!f) {
    if (missing && errno == ENOENT) {
      *missing = true;
      return EXO_ERR_IO;
    }
    return exo_error_set(err, EXO_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
  }
  struct stat sb;
  if (fstat(fileno(f), &sb) || !S_ISREG(sb.st_mode)) {
    fclose(f);
    return exo_error_set(err, EXO_ERR_IO, "%s: not a regular file", path);
  }
  if ((unsigned long long)sb.st_size > max) {
    fclose(f);
    return exo_error_set(err, EXO_ERR_IO, "%s: too large for the report (%lld bytes; the limit is %zu)", path,
                         (long long)sb.st_size, max);
  }
  unsigned char *buf = malloc(max + 2);
  if (!buf) {
    fclose(f);
    return exo_error_set(err, EXO_ERR_NOMEM, "%s: out of memory reading it", path);
  }
  /* read up to max + 1 bytes: a file that grew past the limit since fstat is caught too */
  size_t n = fread(buf, 1, max + 1, f);
  int bad = ferror(f);
  fclose(f);
  if (bad) {
    free(buf);
    return exo_error_set(err, EXO_ERR_IO, "%s: read failed", path);
  }
  if (n > max) {
    free(buf);
    return exo_error_set(err, EXO_ERR_IO, "%s: too large for the report (over %zu bytes)", path, max);
  }
  buf[n] = '\0';
  *out = buf;
  *len = n;
  return EXO_OK;
}

static bool is_regular(const char *path) {
  struct stat sb;
  return !stat(path, &sb) && S_ISREG(sb.st_mode);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

typedef struct plot_list {
  char **stem; /* file names without ".png", sorted */
  size_t n;
} plot_list;

static void plot_list_free(plot_list *pl) {
  for (size_t i = 0; i < pl->n; i++) free(pl->stem[i]);
  free(pl->stem);
  pl->stem = NULL;
  pl->n = 0;
}

/* The PNGs in DIR/plots (sorted); no directory is no plots. */
static exo_status list_plots(const char *plotdir, plot_list *pl, exo_error *err) {
  pl->stem = NULL;
  pl->n = 0;
  DIR *d = opendir(plotdir);
  if (!d) {
    if (errno == ENOENT) return EXO_OK;
    return exo_error_set(err, EXO_ERR_IO, "%s: cannot list the plots: %s", plotdir, strerror(errno));
  }
  size_t cap = 0;
  exo_status st = EXO_OK;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t len = strlen(e->d_name);
    if (e->d_name[0] == '.' || len <= 4 || strcmp(e->d_name + len - 4, ".png")) continue;
    char path[4200];
    if (snprintf(path, sizeof path, "%s/%s", plotdir, e->d_name) >= (int)sizeof path || !is_regular(path)) continue;
    if (pl->n == PLOTS_MAX_COUNT) {
      st = exo_error_set(err, EXO_ERR_IO, "%s: more than %d PNG files; the report takes at most that many", plotdir,
                         PLOTS_MAX_COUNT);
      break;
    }
    if (pl->n == cap) {
      size_t nc = cap ? 2 * cap : 8;
      char **g = realloc(pl->stem, nc * sizeof *g);
      if (!g) {
        st = exo_error_set(err, EXO_ERR_NOMEM, "out of memory listing %s", plotdir);
        break;
      }
      pl->stem = g;
      cap = nc;
    }
    char *s = malloc(len - 3);
    if (!s) {
      st = exo_error_set(err, EXO_ERR_NOMEM, "out of memory listing %s", plotdir);
      break;
    }
    memcpy(s, e->d_name, len - 4);
    s[len - 4] = '\0';
    pl->stem[pl->n++] = s;
  }
  closedir(d);
  if (st) {
    plot_list_free(pl);
    return st;
  }
  if (pl->n) qsort(pl->stem, pl->n, sizeof *pl->stem, cmp_str);
  return EXO_OK;
}

/* ---------------------------------------------------------------- the page */

static const char css[] =
    ":root{--ink:#1f2328;--muted:#59636e;--line:#d1d9e0;--zebra:#f6f8fa;--accent:#0b5cad;--on:#1a7f37;"
    "--on-bg:#dafbe1;--off:#8c959f;--off-bg:#eff1f3}\n"
    "*{box-sizing:border-box}\n"
    "html{-webkit-text-size-adjust:100%}\n"
    "body{margin:0 auto;max-width:72rem;padding:2rem 1.5rem 4rem;color:var(--ink);background:#fff;"
    "font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",\"Noto Sans\",\"Liberation Sans\","
    "\"DejaVu Sans\",Arial,sans-serif;font-size:16px;line-height:1.5}\n"
    "h1{font-size:1.9rem;line-height:1.25;margin:0 0 .35rem}\n"
    "h2{font-size:1.35rem;margin:2.5rem 0 .75rem;padding-bottom:.3rem;border-bottom:1px solid var(--line)}\n"
    "h1 .kicker{display:block;font-size:.8rem;font-weight:600;letter-spacing:.08em;text-transform:uppercase;"
    "color:var(--muted);margin-bottom:.2rem}\n"
    "p{margin:.5rem 0}\n"
    ".desc{font-size:1.1rem;color:var(--ink);margin:.25rem 0 1rem}\n"
    ".note{color:var(--muted)}\n"
    "code,.mono{font-family:ui-monospace,SFMono-Regular,\"DejaVu Sans Mono\",Menlo,Consolas,monospace;font-size:.86em}\n"
    "a{color:var(--accent)}\n"
    "header{border-bottom:3px solid var(--ink);padding-bottom:1rem}\n"
    "dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1.25rem;margin:0;font-size:.92rem}\n"
    "dl.meta dt{color:var(--muted)}\n"
    "dl.meta dd{margin:0;overflow-wrap:anywhere}\n"
    "nav.toc{margin:1rem 0 0;font-size:.92rem}\n"
    "nav.toc a{margin-right:1.1rem;text-decoration:none}\n"
    ".scroll{overflow-x:auto}\n"
    "table{border-collapse:collapse;width:100%;font-size:.92rem;margin:.5rem 0}\n"
    "th,td{text-align:left;vertical-align:top;padding:.4rem .65rem;border-bottom:1px solid var(--line)}\n"
    "thead th{background:#eaeef2;border-bottom:2px solid #afb8c1;white-space:nowrap}\n"
    "tbody tr:nth-child(even){background:var(--zebra)}\n"
    "td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "td.name{font-weight:600;white-space:nowrap}\n"
    "table.mechanisms td.name,table.mechanisms .state{width:1%;white-space:nowrap}\n"
    "table.mechanisms td code{overflow-wrap:anywhere}\n"
    "tbody.group tr.grouphead th{background:#fff;border-bottom:1px solid #afb8c1;padding-top:1.1rem;"
    "font-size:.95rem}\n"
    "tbody.group tr.grouphead th .count{font-weight:400;color:var(--muted);margin-left:.5rem}\n"
    "tr.off td{color:var(--off)}\n"
    "tr.off td code{text-decoration:line-through}\n"
    ".badge{display:inline-block;min-width:2.6rem;text-align:center;border-radius:1rem;padding:0 .55rem;"
    "font-size:.78rem;font-weight:700;letter-spacing:.04em;text-transform:uppercase}\n"
    ".badge.on{color:var(--on);background:var(--on-bg)}\n"
    ".badge.off{color:var(--off);background:var(--off-bg)}\n"
    "figure{margin:1.5rem 0 2rem;padding:0;break-inside:avoid;page-break-inside:avoid}\n"
    "figure img{display:block;max-width:100%;height:auto;margin:0 auto;border:1px solid var(--line);"
    "border-radius:4px;background:#fff}\n"
    "figcaption{margin-top:.5rem;font-size:.95rem;text-align:center}\n"
    "figcaption .file{color:var(--muted);font-size:.85rem}\n"
    "footer{margin-top:3rem;padding-top:.75rem;border-top:1px solid var(--line);color:var(--muted);"
    "font-size:.85rem}\n"
    "@media print{body{max-width:none;padding:0;font-size:11pt}nav.toc{display:none}"
    ".scroll{overflow:visible}h2{break-after:avoid;page-break-after:avoid}"
    "tr{break-inside:avoid;page-break-inside:avoid}thead{display:table-header-group}"
    "a{color:inherit;text-decoration:none}figure img{border:none}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n";

/* The caption of a plot from its file name. */
static void caption(FILE *f, const char *stem) {
  static const struct {
    const char *stem, *text;
  } known[] = {
      {"tumour_burden", "Tumour burden per arm"},
      {"immune", "Immune populations"},
      {"vesicles", "Vesicle pools and cargo carriers"},
  };
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (!strcmp(stem, known[i].stem)) {
      fputs(known[i].text, f);
      return;
    }
  /* "cd8_exhaustion" -> "Cd8 exhaustion": underscores and dashes become spaces, the first
   * letter a capital */
  size_t n = strlen(stem);
  char *s = malloc(n + 1);
  if (!s) {
    html(f, stem);
    return;
  }
  for (size_t i = 0; i <= n; i++) s[i] = stem[i] == '_' || stem[i] == '-' ? ' ' : stem[i];
  if (s[0] >= 'a' && s[0] <= 'z') s[0] = (char)(s[0] - 'a' + 'A');
  html(f, s);
  free(s);
}

static void section_header(FILE *f, const exo_model *m) {
  fputs("<header>\n<h1><span class=\"kicker\">exosim report</span>", f);
  html(f, m->name && *m->name ? m->name : "(unnamed model)");
  fputs("</h1>\n", f);
  if (m->description && *m->description) {
    fputs("<p class=\"desc\">", f);
    html(f, m->description);
    fputs("</p>\n", f);
  }
  fputs("<dl class=\"meta\">\n<dt>Model source</dt><dd><code>", f);
  html(f, exo_model_source_path(m));
  fputs("</code></dd>\n<dt>SHA-256</dt><dd><code>", f);
  html(f, exo_model_hash(m));
  fputs("</code></dd>\n", f);
  if (exo_model_host(m)) {
    fputs("<dt>Host</dt><dd>", f);
    html(f, exo_model_host(m));
    fputs("</dd>\n", f);
  }
  fputs("<dt>exosim</dt><dd>" EXO_VERSION_STRING "</dd>\n</dl>\n", f);
  fputs("<nav class=\"toc\"><a href=\"#arms\">Arms</a><a href=\"#summary\">Summary</a><a href=\"#plots\">Plots</a>"
        "<a href=\"#mechanisms\">Mechanisms on</a></nav>\n</header>\n",
        f);
}

static void section_arms(FILE *f, const exo_arm_result *arms, int narm) {
  fputs("<section id=\"arms\">\n<h2>Arms</h2>\n", f);
  if (narm <= 0) {
    fputs("<p class=\"note\">No arms were given.</p>\n</section>\n", f);
    return;
  }
  fputs("<div class=\"scroll\"><table class=\"arms\">\n<thead><tr><th>Arm</th><th>Description and schedule</th>"
        "<th class=\"num\">Doses</th><th>Dose days</th></tr></thead>\n<tbody>\n",
        f);
  for (int i = 0; i < narm; i++) {
    const exo_arm_result *a = &arms[i];
    fputs("<tr><td class=\"name\">", f);
    html(f, a->name && *a->name ? a->name : "(unnamed)");
    fputs("</td><td>", f);
    if (a->description && *a->description) html(f, a->description);
    else fputs("<span class=\"note\">&mdash;</span>", f);
    int nd = a->dose_days ? (a->ndose > 0 ? a->ndose : 0) : 0;
    fprintf(f, "</td><td class=\"num\">%d</td><td>", nd);
    if (!nd) fputs("<span class=\"note\">none</span>", f);
    for (int k = 0; k < nd && k < DOSE_DAYS_SHOWN; k++) fprintf(f, "%s%g", k ? ", " : "", a->dose_days[k]);
    if (nd > DOSE_DAYS_SHOWN) fprintf(f, ", &hellip; (%d in all)", nd);
    fputs("</td></tr>\n", f);
  }
  fputs("</tbody>\n</table></div>\n</section>\n", f);
}

/* One CSV field from *p (RFC 4180: quoted fields may hold commas, quotes as "" and line
 * breaks); the field is written NUL-terminated into out (at most the field's own length, so a
 * buffer as long as the text always suffices). Returns false at the end of the record. */
static bool csv_field(const char **p, const char *end, char *out) {
  const char *s = *p;
  size_t o = 0;
  if (s < end && *s == '"') {
    s++;
    while (s < end) {
      if (*s == '"') {
        if (s + 1 < end && s[1] == '"') {
          out[o++] = '"';
          s += 2;
        } else {
          s++;
          break;
        }
      } else {
        out[o++] = *s++;
      }
    }
    /* anything between the closing quote and the separator is kept as written */
    while (s < end && *s != ',' && *s != '\n' && *s != '\r') out[o++] = *s++;
  } else {
    while (s < end && *s != ',' && *s != '\n' && *s != '\r') out[o++] = *s++;
  }
  out[o] = '\0';
  bool more = s < end && *s == ',';
  if (more) s++;
  else {
    if (s < end && *s == '\r') s++;
    if (s < end && *s == '\n') s++;
  }
  *p = s;
  return more;
}

static bool is_number(const char *s) {
  while (*s == ' ') s++;
  if (!*s) return false;
  char *e;
  (void)strtod(s, &e);
  while (*e == ' ') e++;
  return e != s && !*e;
}

/* The CSV as a table: the first record is the header; a column whose cells are all numbers (or
 * empty) is right-aligned, header included. */
static exo_status csv_table(FILE *f, const char *text, size_t len, char *field) {
  const char *start = text, *end = text + len, *p;
  if (len >= 3 && !memcmp(start, "\xef\xbb\xbf", 3)) start += 3; /* a byte-order mark */
  size_t ncol = 0;
  for (p = start; p < end && csv_field(&p, end, field);) ncol++;
  ncol++;
  const char *body = p;
  bool *numeric = malloc(ncol * sizeof *numeric);
  if (!numeric) return EXO_ERR_NOMEM;
  for (size_t c = 0; c < ncol; c++) numeric[c] = true;
  bool *seen = calloc(ncol, sizeof *seen);
  if (!seen) {
    free(numeric);
    return EXO_ERR_NOMEM;
  }
  for (p = body; p < end;) {
    if (*p == '\n' || *p == '\r') { /* blank line */
      p++;
      continue;
    }
    bool more = true;
    for (size_t c = 0; more; c++) {
      more = csv_field(&p, end, field);
      if (c >= ncol || !field[strspn(field, " ")]) continue;
      seen[c] = true;
      numeric[c] = numeric[c] && is_number(field);
    }
  }
  for (size_t c = 0; c < ncol; c++) numeric[c] = numeric[c] && seen[c];
  free(seen);

  fputs("<div class=\"scroll\"><table class=\"summary\">\n<thead><tr>", f);
  p = start;
  for (size_t c = 0; c < ncol; c++) {
    csv_field(&p, end, field);
    fputs(numeric[c] ? "<th class=\"num\">" : "<th>", f);
    html(f, field);
    fputs("</th>", f);
  }
  fputs("</tr></thead>\n<tbody>\n", f);
  for (p = body; p < end;) {
    if (*p == '\n' || *p == '\r') {
      p++;
      continue;
    }
    fputs("<tr>", f);
    size_t c = 0;
    for (bool more = true; more; c++) {
      more = csv_field(&p, end, field);
      fputs(c < ncol && numeric[c] ? "<td class=\"num\">" : "<td>", f);
      html(f, field);
      fputs("</td>", f);
    }
    for (; c < ncol; c++) fputs("<td></td>", f);
    fputs("</tr>\n", f);
  }
  fputs("</tbody>\n</table></div>\n", f);
  free(numeric);
  return EXO_OK;
}

static exo_status section_summary(FILE *f, const char *dir, exo_error *err) {
  char path[4200];
  snprintf(path, sizeof path, "%s/summary.csv", dir);
  unsigned char *text;
  size_t len;
  bool missing;
  exo_status st = read_bounded(path, SUMMARY_MAX_BYTES, &text, &len, &missing, err);
  fputs("<section id=\"summary\">\n<h2>Summary</h2>\n", f);
  if (st && missing) {
    fputs("<p class=\"note\">No summary table: <code>summary.csv</code> was not found in the output directory.</p>\n"
          "</section>\n",
          f);
    return EXO_OK;
  }
  if (st) return st;
  if (!len || strspn((const char *)text, " \t\r\n") == len) {
    fputs("<p class=\"note\"><code>summary.csv</code> is empty.</p>\n", f);
  } else if (memchr(text, '\0', len)) {
    free(text);
    return exo_error_set(err, EXO_ERR_IO, "%s: not a CSV text file (it holds a NUL byte)", path);
  } else {
    char *field = malloc(len + 1);
    if (!field) {
      free(text);
      return exo_error_set(err, EXO_ERR_NOMEM, "%s: out of memory reading it", path);
    }
    st = csv_table(f, (const char *)text, len, field);
    free(field);
    if (st) {
      free(text);
      return exo_error_set(err, st, "%s: out of memory reading it", path);
    }
  }
  free(text);
  fputs("</section>\n", f);
  return EXO_OK;
}

static exo_status section_plots(FILE *f, const char *dir, exo_error *err) {
  char plotdir[4200];
  if (snprintf(plotdir, sizeof plotdir, "%s/plots", dir) >= (int)sizeof plotdir)
    return exo_error_set(err, EXO_ERR_IO, "%s: output path too long", dir);
  plot_list pl;
  exo_status st = list_plots(plotdir, &pl, err);
  if (st) return st;
  fputs("<section id=\"plots\">\n<h2>Plots</h2>\n", f);
  if (!pl.n) fputs("<p class=\"note\">No plots: there are no PNG files in <code>plots/</code>.</p>\n", f);
  size_t total = 0;
  for (size_t i = 0; i < pl.n && !st; i++) {
    char path[4400];
    snprintf(path, sizeof path, "%s/%s.png", plotdir, pl.stem[i]);
    unsigned char *png;
    size_t len;
    if ((st = read_bounded(path, PLOT_MAX_BYTES, &png, &len, NULL, err))) break;
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    if (len < 24 || memcmp(png, sig, 8) || memcmp(png + 12, "IHDR", 4)) {
      free(png);
      st = exo_error_set(err, EXO_ERR_IO, "%s: not a PNG image", path);
      break;
    }
    total += len;
    if (total > PLOTS_MAX_TOTAL) {
      free(png);
      st = exo_error_set(err, EXO_ERR_IO, "%s: the plots together are too large for the report (over %u bytes)",
                         plotdir, (unsigned)PLOTS_MAX_TOTAL);
      break;
    }
    unsigned long w = (unsigned long)png[16] << 24 | (unsigned long)png[17] << 16 | (unsigned long)png[18] << 8 | png[19];
    unsigned long h = (unsigned long)png[20] << 24 | (unsigned long)png[21] << 16 | (unsigned long)png[22] << 8 | png[23];
    fputs("<figure id=\"plot-", f);
    url_path(f, pl.stem[i]);
    fputs("\">\n<img alt=\"", f);
    caption(f, pl.stem[i]);
    fputs("\"", f);
    if (w && h && w <= 100000 && h <= 100000) fprintf(f, " width=\"%lu\" height=\"%lu\"", w, h);
    fputs(" src=\"data:image/png;base64,", f);
    base64(f, png, len);
    free(png);
    fputs("\">\n<figcaption>", f);
    caption(f, pl.stem[i]);
    fputs(" <span class=\"file\">&middot; <code>", f);
    html(f, pl.stem[i]);
    fputs(".png</code>", f);
    snprintf(path, sizeof path, "%s/%s.svg", plotdir, pl.stem[i]);
    if (is_regular(path)) {
      fputs(" &middot; <a href=\"plots/", f);
      url_path(f, pl.stem[i]);
      fputs(".svg\" download>SVG</a>", f);
    }
    fputs("</span></figcaption>\n</figure>\n", f);
  }
  plot_list_free(&pl);
  if (st) return st;
  fputs("</section>\n", f);
  return EXO_OK;
}

/* The processes, grouped by kind (groups in the order a kind first appears in the model). */
static exo_status section_mechanisms(FILE *f, const exo_model *m, exo_error *err) {
  int non = 0;
  for (int i = 0; i < m->nproc; i++) non += m->procs[i].enabled;
  fputs("<section id=\"mechanisms\">\n<h2>Mechanisms on</h2>\n", f);
  if (!m->nproc) {
    fputs("<p class=\"note\">The model has no processes.</p>\n</section>\n", f);
    return EXO_OK;
  }
  fprintf(f, "<p>%d of %d processes on", non, m->nproc);
  if (non < m->nproc) {
    fputs("; off: ", f);
    for (int i = 0, k = 0; i < m->nproc; i++)
      if (!m->procs[i].enabled) {
        fputs(k++ ? ", " : "", f);
        fputs("<code>", f);
        html(f, m->procs[i].name);
        fputs("</code>", f);
      }
  }
  fputs(".</p>\n", f);
  bool *done = calloc((size_t)m->nproc, sizeof *done);
  if (!done) return exo_error_set(err, EXO_ERR_NOMEM, "out of memory writing the report");
  fputs("<div class=\"scroll\"><table class=\"mechanisms\">\n<thead><tr><th>Process</th><th>Rate</th>"
        "<th class=\"state\">State</th></tr></thead>\n",
        f);
  for (int g = 0; g < m->nproc; g++) {
    if (done[g]) continue;
    const char *kind = m->procs[g].kind ? m->procs[g].kind : "rate";
    int n = 0, on = 0;
    for (int i = g; i < m->nproc; i++)
      if (!done[i] && !strcmp(m->procs[i].kind ? m->procs[i].kind : "rate", kind)) n++, on += m->procs[i].enabled;
    fputs("<tbody class=\"group\"><tr class=\"grouphead\"><th colspan=\"3\">", f);
    html(f, kind);
    fprintf(f, "<span class=\"count\">%d process%s, %d on</span></th></tr></tbody>\n<tbody>\n", n, n == 1 ? "" : "es",
            on);
    for (int i = g; i < m->nproc; i++) {
      const exo_process *p = &m->procs[i];
      if (done[i] || strcmp(p->kind ? p->kind : "rate", kind)) continue;
      done[i] = true;
      fprintf(f, "<tr class=\"%s\" data-kind=\"", p->enabled ? "on" : "off");
      html(f, kind);
      fputs("\"><td class=\"name\"><code>", f);
      html(f, p->name);
      fputs("</code></td><td><code>", f);
      html(f, p->rate_text);
      fprintf(f, "</code></td><td class=\"state\"><span class=\"badge %s\">%s</span></td></tr>\n", p->enabled ? "on" : "off",
              p->enabled ? "on" : "off");
    }
    fputs("</tbody>\n", f);
  }
  fputs("</table></div>\n</section>\n", f);
  free(done);
  return EXO_OK;
}

exo_status exo_report_html(const char *dir, const exo_model *m, const exo_arm_result *arms, int narm, exo_error *err) {
  if (!dir || !*dir) return exo_error_set(err, EXO_ERR_USAGE, "report: no output directory given");
  if (!m) return exo_error_set(err, EXO_ERR_USAGE, "report: no model given");
  if (narm > 0 && !arms) return exo_error_set(err, EXO_ERR_USAGE, "report: %d arms but no arm results", narm);
  char tmp[4200], final[4200];
  if (snprintf(final, sizeof final, "%s/report.html", dir) >= (int)sizeof final)
    return exo_error_set(err, EXO_ERR_IO, "%s: output path too long", dir);
  snprintf(tmp, sizeof tmp, "%s/report.html.tmp", dir);
  FILE *f = fopen(tmp, "w");
  if (!f) return exo_error_set(err, EXO_ERR_IO, "%s: cannot write: %s", tmp, strerror(errno));

  fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"generator\" content=\"exosim " EXO_VERSION_STRING "\">\n<title>",
        f);
  html(f, m->name && *m->name ? m->name : "(unnamed model)");
  fputs(" &middot; exosim report</title>\n<style>\n", f);
  fputs(css, f);
  fputs("</style>\n</head>\n<body>\n", f);
  section_header(f, m);
  section_arms(f, arms, narm);
  exo_status st = section_summary(f, dir, err);
  if (!st) st = section_plots(f, dir, err);
  if (!st) st = section_mechanisms(f, m, err);
  if (st) {
    fclose(f);
    unlink(tmp);
    return st;
  }
  fputs("<footer>Made by exosim " EXO_VERSION_STRING " from model <code>", f);
  html(f, m->name);
  fputs("</code> (sha256 <code>", f);
  html(f, exo_model_hash(m));
  fputs("</code>). Self-contained: the plots are embedded in this file.</footer>\n</body>\n</html>\n", f);

  int bad = ferror(f);
  if (fflush(f)) bad = 1;
  if (!bad && fsync(fileno(f))) bad = 1;
  int e = errno;
  if (fclose(f)) bad = 1, e = errno;
  if (bad) {
    unlink(tmp);
    return exo_error_set(err, EXO_ERR_IO, "%s: write failed: %s", final, strerror(e ? e : EIO));
  }
  if (rename(tmp, final)) {
    e = errno;
    unlink(tmp);
    return exo_error_set(err, EXO_ERR_IO, "%s: cannot rename into place: %s", final, strerror(e));
  }
  return EXO_OK;
}
