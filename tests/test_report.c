/* The HTML report (exo_report_html): two arms of the Kuznetsov 1994 example, a summary.csv and
 * PNG plots go in; the page that comes out names the arms, renders the summary as a table,
 * inlines every PNG as a base64 data: URI that decodes back to the very bytes of the file, links
 * the SVGs, lists every process on or off, and escapes every piece of text (no '<' that does not
 * open one of the page's own tags). A missing summary or plots directory is said in the page;
 * unreadable or oversized inputs are EXO_ERR_IO naming the file, and leave no report behind.
 *
 * With EXO_REPORT_KEEP=DIR the report of the first test is written to DIR and kept, for
 * test_report.sh to open in a browser. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "exosim/model.h"
#include "exosim/report.h"
#include "exosim/systemic.h"
#include "exosim/version.h"
#include "model/model.h"

/* ------------------------------------------------------------------ files and directories */

static void make_tmpdir(char *out, size_t n) {
  const char *base = getenv("TMPDIR");
  snprintf(out, n, "%s/exosim-report-XXXXXX", base && *base ? base : "/tmp");
  if (!mkdtemp(out)) fail_msg("mkdtemp %s: %s", out, strerror(errno));
}

static void rm_rf(const char *path) {
  struct stat sb;
  if (lstat(path, &sb)) return;
  if (S_ISDIR(sb.st_mode)) {
    DIR *d = opendir(path);
    struct dirent *e;
    while (d && (e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      char sub[4096];
      snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
      rm_rf(sub);
    }
    if (d) closedir(d);
    rmdir(path);
  } else {
    unlink(path);
  }
}

static void write_file(const char *dir, const char *name, const void *data, size_t len) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  if (!f) fail_msg("write %s: %s", path, strerror(errno));
  if (len && fwrite(data, 1, len, f) != len) fail_msg("write %s failed", path);
  if (fclose(f)) fail_msg("close %s failed", path);
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) fail_msg("read %s: %s", path, strerror(errno));
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  assert_non_null(buf);
  if (fread(buf, 1, (size_t)n, f) != (size_t)n) fail_msg("short read of %s", path);
  fclose(f);
  buf[n] = '\0';
  if (len) *len = (size_t)n;
  return buf;
}

static bool exists(const char *dir, const char *name) {
  char path[4096];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return access(path, F_OK) == 0;
}

/* ------------------------------------------------------------------ a small PNG writer */
/* RGB, 8 bits, no interlace; the image data zlib-wrapped in stored (uncompressed) deflate
 * blocks: valid PNG that any decoder reads, with no compression library needed. */

typedef struct bytes {
  unsigned char *p;
  size_t n, cap;
} bytes;

static void put(bytes *b, const void *data, size_t n) {
  if (b->n + n > b->cap) {
    b->cap = (b->n + n) * 2;
    b->p = realloc(b->p, b->cap);
    assert_non_null(b->p);
  }
  memcpy(b->p + b->n, data, n);
  b->n += n;
}

static void put32(bytes *b, uint32_t v) {
  unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16), (unsigned char)(v >> 8), (unsigned char)v};
  put(b, x, 4);
}

static uint32_t crc32_of(const unsigned char *p, size_t n) {
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; i++) {
    c ^= p[i];
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
  }
  return c ^ 0xffffffffu;
}

static void chunk(bytes *png, const char *type, const unsigned char *data, size_t n) {
  put32(png, (uint32_t)n);
  size_t start = png->n;
  put(png, type, 4);
  if (n) put(png, data, n);
  put32(png, crc32_of(png->p + start, n + 4));
}

/* A w x h plot-like picture: white, two axes and a decaying curve in colour rgb. */
static bytes make_png(int w, int h, const unsigned char rgb[3]) {
  size_t row = 1 + 3 * (size_t)w, nraw = row * (size_t)h;
  unsigned char *raw = malloc(nraw);
  assert_non_null(raw);
  for (int y = 0; y < h; y++) {
    unsigned char *r = raw + (size_t)y * row;
    r[0] = 0; /* filter: none */
    for (int x = 0; x < w; x++) {
      unsigned char *px = r + 1 + 3 * x;
      int curve = (int)(h * 0.85 - (h * 0.7) * exp(-3.0 * x / w) * (1 + 0.2 * cos(12.0 * x / w)));
      bool axis = (x == w / 10 && y > h / 10 && y < h * 9 / 10) || (y == h * 9 / 10 && x > w / 10 && x < w * 19 / 20);
      if (axis) px[0] = px[1] = px[2] = 40;
      else if (x > w / 10 && abs(y - curve) <= 1) memcpy(px, rgb, 3);
      else px[0] = px[1] = px[2] = 255;
    }
  }
  bytes z = {0};
  unsigned char hdr[2] = {0x78, 0x01};
  put(&z, hdr, 2);
  uint32_t a = 1, bsum = 0;
  for (size_t i = 0; i < nraw; i++) a = (a + raw[i]) % 65521u, bsum = (bsum + a) % 65521u;
  size_t off = 0;
  do {
    size_t n = nraw - off > 65535 ? 65535 : nraw - off;
    unsigned char bh[5] = {(unsigned char)(off + n == nraw), (unsigned char)n, (unsigned char)(n >> 8),
                           (unsigned char)~n, (unsigned char)(~n >> 8)};
    put(&z, bh, 5);
    put(&z, raw + off, n);
    off += n;
  } while (off < nraw);
  put32(&z, bsum << 16 | a);
  free(raw);

  bytes png = {0};
  static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
  put(&png, sig, 8);
  unsigned char ihdr[13] = {(unsigned char)(w >> 24), (unsigned char)(w >> 16), (unsigned char)(w >> 8), (unsigned char)w,
                            (unsigned char)(h >> 24), (unsigned char)(h >> 16), (unsigned char)(h >> 8), (unsigned char)h,
                            8, 2, 0, 0, 0};
  chunk(&png, "IHDR", ihdr, sizeof ihdr);
  chunk(&png, "IDAT", z.p, z.n);
  chunk(&png, "IEND", NULL, 0);
  free(z.p);
  return png;
}

/* ------------------------------------------------------------------ base64, to check the page */

static int b64val(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/* Decodes the base64 text that starts at s and ends at the first character that is neither
 * base64 nor '='; returns the decoded length (out must hold 3/4 of the text). */
static size_t b64decode(const char *s, unsigned char *out, const char **end) {
  size_t o = 0;
  uint32_t acc = 0;
  int bits = 0;
  for (; *s && (b64val(*s) >= 0 || *s == '='); s++) {
    if (*s == '=') continue;
    acc = acc << 6 | (uint32_t)b64val(*s);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (unsigned char)(acc >> bits);
    }
  }
  *end = s;
  return o;
}

/* ------------------------------------------------------------------ the arms */

typedef struct arm_run {
  exo_model *m;
  exo_recorder rec;
  const char **names;
  double *factors;
} arm_run;

static void load_model(const char *name, exo_model **m) {
  const char *canonical;
  const char *text = exo_builtin_model_text(name, &canonical);
  if (!text) fail_msg("no built-in model '%s'", name);
  char display[256]; /* as `exosim run NAME` names it */
  snprintf(display, sizeof display, "builtin:%s", canonical);
  exo_error err = {0};
  if (exo_model_load_string(text, strlen(text), display, m, &err)) fail_msg("load %s: %s", name, err.msg);
  if (exo_model_set(*m, "solver.rhs=interpreter", &err)) fail_msg("set: %s", err.msg);
}

/* Runs kuznetsov1994 with the overrides, recording as `exosim run` does (names, unit factors). */
static void run_arm(arm_run *r, const char *const *sets) {
  exo_error err = {0};
  memset(r, 0, sizeof *r);
  load_model("kuznetsov1994", &r->m);
  for (; sets && *sets; sets++)
    if (exo_model_set(r->m, *sets, &err)) fail_msg("set %s: %s", *sets, err.msg);
  size_t ncol = exo_systemic_column_count(r->m);
  r->names = calloc(ncol + 1, sizeof *r->names);
  r->factors = calloc(ncol + 1, sizeof *r->factors);
  assert_non_null(r->names);
  assert_non_null(r->factors);
  for (size_t i = 0; i < ncol; i++) {
    r->names[i] = exo_systemic_column_name(r->m, i);
    r->factors[i] = exo_systemic_column_unit_factor(r->m, i);
  }
  exo_recorder_init(&r->rec, ncol, r->names);
  r->rec.unit_factor = r->factors;
  exo_run_settings rs = {.end_time = 60 * EXO_MINUTES_PER_DAY};
  exo_solver_stats stats = {0};
  if (exo_systemic_run(r->m, &rs, &r->rec, &stats, &err)) fail_msg("run: %s", err.msg);
  exo_solver_stats_free(&stats);
}

static void arm_free(arm_run *r) {
  exo_recorder_free(&r->rec);
  free(r->names);
  free(r->factors);
  exo_model_free(r->m);
}

static double final_burden(const arm_run *r) {
  for (size_t c = 0; c < r->rec.ncol; c++)
    if (!strcmp(r->names[c], "tumour_burden")) return r->rec.values[(r->rec.nrow - 1) * r->rec.ncol + c] / r->factors[c];
  fail_msg("no tumour_burden column");
  return NAN;
}

/* ------------------------------------------------------------------ page checks */

static void has(const char *page, const char *what) {
  if (!strstr(page, what)) fail_msg("the report lacks '%s'", what);
}

static size_t count(const char *page, const char *what) {
  size_t n = 0;
  for (const char *p = page; (p = strstr(p, what)); p += strlen(what)) n++;
  return n;
}

/* Every '<' in the page opens (or closes) one of the tags the report writes itself, or is the
 * doctype: a '<' from the model, the arms or the CSV would have to be written as &lt;. */
static void only_own_tags(const char *page) {
  static const char *const tags[] = {"html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "span",
                                     "p", "dl", "dt", "dd", "code", "nav", "a", "section", "div", "table", "thead",
                                     "tbody", "tr", "th", "td", "figure", "img", "figcaption", "footer"};
  if (strncmp(page, "<!DOCTYPE html>\n", 16)) fail_msg("the report does not start with <!DOCTYPE html>");
  for (const char *p = strchr(page + 1, '<'); p; p = strchr(p + 1, '<')) {
    const char *t = p + 1 + (p[1] == '/');
    size_t n = strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789");
    bool ok = false;
    for (size_t i = 0; i < sizeof tags / sizeof tags[0]; i++)
      ok |= strlen(tags[i]) == n && !strncmp(t, tags[i], n) && (t[n] == ' ' || t[n] == '>');
    if (!ok) fail_msg("unexpected '<' in the report: \"%.60s\"", p);
  }
}

/* Checks that every <img> is a PNG data: URI whose bytes are those of one of the files. */
static void images_match(const char *page, const bytes *pngs, size_t npng) {
  size_t seen = 0;
  for (const char *p = strstr(page, "<img "); p; p = strstr(p + 1, "<img ")) {
    const char *src = strstr(p, " src=\"data:image/png;base64,");
    const char *close = strchr(p, '>');
    if (!src || src > close) fail_msg("an <img> without a PNG data: URI: \"%.80s\"", p);
    src += strlen(" src=\"data:image/png;base64,");
    unsigned char *dec = malloc(strlen(src) / 4 * 3 + 4);
    assert_non_null(dec);
    const char *end;
    size_t n = b64decode(src, dec, &end);
    if (*end != '"') fail_msg("the data: URI ends in '%c', not a quote", *end);
    if ((end - src) % 4) fail_msg("base64 text of %td characters (not a multiple of 4)", end - src);
    bool found = false;
    for (size_t i = 0; i < npng; i++) found |= pngs[i].n == n && !memcmp(pngs[i].p, dec, n);
    free(dec);
    if (!found) fail_msg("an inlined image does not decode to any of the PNG files (%zu bytes)", n);
    seen++;
  }
  assert_int_equal(seen, npng);
}

static exo_status report(const char *dir, const exo_model *m, const exo_arm_result *arms, int narm, exo_error *err) {
  exo_status st = exo_report_html(dir, m, arms, narm, err);
  if (exists(dir, "report.html.tmp")) fail_msg("the temporary report file was left behind");
  return st;
}

/* ------------------------------------------------------------------ tests */

static void test_report_of_two_arms(void **state) {
  (void)state;
  const char *keep = getenv("EXO_REPORT_KEEP");
  char dir[4096], plots[4200];
  if (keep && *keep) {
    snprintf(dir, sizeof dir, "%s", keep);
    mkdir(dir, 0777);
  } else {
    make_tmpdir(dir, sizeof dir);
  }
  snprintf(plots, sizeof plots, "%s/plots", dir);
  mkdir(plots, 0777);

  static const char *const control_sets[] = {NULL};
  static const char *const boost_sets[] = {"n=2.2e-7 /(cell*day)", "s=2.6e4 cells/day", NULL};
  arm_run ctl, boost;
  run_arm(&ctl, control_sets);
  run_arm(&boost, boost_sets);
  static const double boost_days[] = {0, 7, 14, 21, 28};
  exo_arm_result arms[2] = {
      {.name = "control", .description = "no treatment", .rec = &ctl.rec},
      {.name = "effector_boost",
       .description = "effector influx doubled and killing rate doubled from day 0; weekly booster",
       .rec = &boost.rec, .dose_days = boost_days, .ndose = 5},
  };

  /* the summary the comparison would write: a quoted field with a comma, and a number column */
  char csv[1024];
  snprintf(csv, sizeof csv,
           "arm,final_tumour_burden_cells,doses,note\n"
           "control,%.6g,0,\"untreated, as in Kuznetsov 1994\"\n"
           "effector_boost,%.6g,5,weekly\n",
           final_burden(&ctl), final_burden(&boost));
  write_file(dir, "summary.csv", csv, strlen(csv));

  static const unsigned char red[3] = {200, 40, 40}, blue[3] = {30, 100, 200}, purple[3] = {130, 80, 180};
  bytes pngs[3] = {make_png(480, 300, red), make_png(480, 300, blue), make_png(480, 300, purple)};
  write_file(plots, "tumour_burden.png", pngs[0].p, pngs[0].n);
  write_file(plots, "immune.png", pngs[1].p, pngs[1].n);
  write_file(plots, "vesicles.png", pngs[2].p, pngs[2].n);
  static const char svg[] = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"/>\n";
  write_file(plots, "tumour_burden.svg", svg, strlen(svg));
  write_file(plots, "notes.txt", "not a plot\n", 11);

  /* the model the report describes: one process switched off */
  exo_model *m;
  load_model("kuznetsov1994", &m);
  exo_error err = {0};
  if (exo_model_set(m, "mech.effector_inactivation=off", &err)) fail_msg("set: %s", err.msg);

  if (report(dir, m, arms, 2, &err)) fail_msg("report: %s", err.msg);
  char path[4200];
  snprintf(path, sizeof path, "%s/report.html", dir);
  char *page = read_file(path, NULL);

  only_own_tags(page);
  has(page, "<meta charset=\"utf-8\">");
  has(page, "<style>");
  if (strstr(page, "http://") || strstr(page, "https://") || strstr(page, "<script") || strstr(page, "<link"))
    fail_msg("the report refers to something outside itself");
  /* header */
  has(page, "kuznetsov1994</h1>");
  has(page, "Kuznetsov 1994 effector-tumour model (BCL1 lymphoma; dormancy and sneaking-through)");
  has(page, "builtin:examples/kuznetsov1994");
  has(page, exo_model_hash(m));
  has(page, "<dd>" EXO_VERSION_STRING "</dd>");
  /* arms */
  has(page, "<h2>Arms</h2>");
  has(page, "<td class=\"name\">control</td><td>no treatment</td><td class=\"num\">0</td>");
  has(page, "<td class=\"name\">effector_boost</td>");
  has(page, "<td class=\"num\">5</td><td>0, 7, 14, 21, 28</td>");
  /* summary */
  has(page, "<h2>Summary</h2>");
  has(page, "<table class=\"summary\">");
  has(page, "<thead><tr><th>arm</th><th class=\"num\">final_tumour_burden_cells</th><th class=\"num\">doses</th>"
           "<th>note</th></tr></thead>");
  has(page, "<tr><td>control</td><td class=\"num\">");
  has(page, "<td>untreated, as in Kuznetsov 1994</td></tr>");
  has(page, "<tr><td>effector_boost</td>");
  /* plots: sorted, captioned, inlined, the SVG linked, the .txt ignored */
  has(page, "<h2>Plots</h2>");
  assert_int_equal(count(page, "<figure "), 3);
  assert_int_equal(count(page, "<img "), 3);
  images_match(page, pngs, 3);
  const char *im = strstr(page, "Immune populations"), *tb = strstr(page, "Tumour burden per arm"),
             *ve = strstr(page, "Vesicle pools and cargo carriers");
  assert_non_null(im);
  assert_non_null(tb);
  assert_non_null(ve);
  assert_true(im < tb && tb < ve);
  has(page, " width=\"480\" height=\"300\"");
  has(page, "<a href=\"plots/tumour_burden.svg\" download>SVG</a>");
  assert_int_equal(count(page, ".svg\" download>"), 1);
  assert_null(strstr(page, "notes"));
  /* mechanisms */
  has(page, "<h2>Mechanisms on</h2>");
  has(page, "5 of 6 processes on; off: <code>effector_inactivation</code>.");
  const exo_process *procs = m->procs;
  for (int i = 0; i < m->nproc; i++) {
    char want[512];
    snprintf(want, sizeof want, "<tr class=\"%s\" data-kind=\"%s\"><td class=\"name\"><code>%s</code></td>",
             procs[i].enabled ? "on" : "off", procs[i].kind, procs[i].name);
    has(page, want);
  }
  has(page, "<code>n * spleen.E * spleen.T</code>");
  has(page, "mass_action_kill<span class=\"count\">1 process, 1 on</span>");
  has(page, "rate<span class=\"count\">3 processes, 2 on</span>");
  has(page, "<span class=\"badge off\">off</span>");

  /* a second report over the first: replaced whole, and the same inputs give the same bytes */
  size_t n1, n2;
  free(page);
  page = read_file(path, &n1);
  if (report(dir, m, arms, 2, &err)) fail_msg("report: %s", err.msg);
  char *again = read_file(path, &n2);
  assert_true(n1 == n2 && !memcmp(page, again, n1));
  free(again);

  free(page);
  for (int i = 0; i < 3; i++) free(pngs[i].p);
  exo_model_free(m);
  arm_free(&ctl);
  arm_free(&boost);
  if (!(keep && *keep)) rm_rf(dir);
}

/* Text from the model, the arms and the CSV is escaped: a description with markup stays text. */
static void test_escaping(void **state) {
  (void)state;
  static const char yaml[] =
      "exosim: 1\n"
      "name: esc\n"
      "description: \"a < b && c > d: <script>alert('x')</script> \\\"quoted\\\"\"\n"
      "simulation: {end: 2 days, output_every: 1 day}\n"
      "compartments: {site: 1 mL}\n"
      "populations: {T: {compartment: site, initial: 1e6 cells, role: tumour}}\n"
      "parameters: {k: 0.1 /day, K: 1e9 cells}\n"
      "processes:\n"
      "  - {name: grow, rate: 'k * T * (1 - T / K) / 1', to: T}\n"
      "  - {name: die, kind: clearance, target: T, rate: 0.01 /day}\n";
  exo_model *m;
  exo_error err = {0};
  if (exo_model_load_string(yaml, strlen(yaml), "<esc>.yaml", &m, &err)) fail_msg("load: %s", err.msg);
  char dir[4096];
  make_tmpdir(dir, sizeof dir);
  static const char csv[] = "arm,\"<b>value</b>\"\n<i>x</i>,1 & 2\n\"a \"\"q\"\" '\",\"line\nbreak\"\n";
  write_file(dir, "summary.csv", csv, strlen(csv));
  static const double days[] = {1.5};
  exo_arm_result arms[1] = {{.name = "<arm>", .description = "dose \"A\" & 'B' <1 mg>", .dose_days = days, .ndose = 1}};
  if (report(dir, m, arms, 1, &err)) fail_msg("report: %s", err.msg);
  char path[4200];
  snprintf(path, sizeof path, "%s/report.html", dir);
  char *page = read_file(path, NULL);
  only_own_tags(page);
  has(page, "a &lt; b &amp;&amp; c &gt; d: &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &quot;quoted&quot;");
  has(page, "<title>esc &middot; exosim report</title>");
  has(page, "<code>&lt;esc&gt;.yaml</code>");
  has(page, "<td class=\"name\">&lt;arm&gt;</td><td>dose &quot;A&quot; &amp; &#39;B&#39; &lt;1 mg&gt;</td>");
  has(page, "<td>1.5</td>");
  has(page, "<th>&lt;b&gt;value&lt;/b&gt;</th>");
  has(page, "<tr><td>&lt;i&gt;x&lt;/i&gt;</td><td>1 &amp; 2</td></tr>");
  has(page, "<tr><td>a &quot;q&quot; &#39;</td><td>line\nbreak</td></tr>");
  has(page, "<code>k * T * (1 - T / K) / 1</code>");
  /* nothing to show is said, not left blank */
  has(page, "No plots");
  free(page);
  exo_model_free(m);
  rm_rf(dir);
}

static void test_missing_inputs_are_said(void **state) {
  (void)state;
  exo_model *m;
  load_model("kuznetsov1994", &m);
  char dir[4096];
  make_tmpdir(dir, sizeof dir);
  exo_error err = {0};
  if (report(dir, m, NULL, 0, &err)) fail_msg("report: %s", err.msg);
  char path[4200];
  snprintf(path, sizeof path, "%s/report.html", dir);
  char *page = read_file(path, NULL);
  only_own_tags(page);
  has(page, "No arms were given.");
  has(page, "<code>summary.csv</code> was not found");
  has(page, "No plots");
  has(page, "6 of 6 processes on.");
  assert_null(strstr(page, "<img"));
  free(page);
  /* an empty summary and an empty plots directory */
  write_file(dir, "summary.csv", "", 0);
  snprintf(path, sizeof path, "%s/plots", dir);
  mkdir(path, 0777);
  if (report(dir, m, NULL, 0, &err)) fail_msg("report: %s", err.msg);
  snprintf(path, sizeof path, "%s/report.html", dir);
  page = read_file(path, NULL);
  has(page, "<code>summary.csv</code> is empty.");
  has(page, "No plots");
  free(page);
  exo_model_free(m);
  rm_rf(dir);
}

/* Failures name the file and leave no report (nor its temporary file) behind. */
static void test_errors_name_the_file(void **state) {
  (void)state;
  exo_model *m;
  load_model("kuznetsov1994", &m);
  exo_error err = {0};
  char dir[4096], sub[4200], path[4400];
  make_tmpdir(dir, sizeof dir);

  /* the directory does not exist */
  snprintf(sub, sizeof sub, "%s/no/such/dir", dir);
  assert_int_equal(exo_report_html(sub, m, NULL, 0, &err), EXO_ERR_IO);
  if (!strstr(err.msg, "no/such/dir/report.html.tmp")) fail_msg("message: %s", err.msg);

  /* a file named .png that is no PNG */
  snprintf(sub, sizeof sub, "%s/plots", dir);
  mkdir(sub, 0777);
  write_file(sub, "broken.png", "GIF89a not a png at all", 23);
  assert_int_equal(report(dir, m, NULL, 0, &err), EXO_ERR_IO);
  if (!strstr(err.msg, "plots/broken.png: not a PNG image")) fail_msg("message: %s", err.msg);
  assert_false(exists(dir, "report.html"));

  /* a PNG over the size bound (a sparse file: nothing is written) */
  snprintf(path, sizeof path, "%s/broken.png", sub);
  unlink(path);
  snprintf(path, sizeof path, "%s/huge.png", sub);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(ftruncate(fileno(f), 17L << 20), 0);
  fclose(f);
  assert_int_equal(report(dir, m, NULL, 0, &err), EXO_ERR_IO);
  if (!strstr(err.msg, "plots/huge.png: too large for the report")) fail_msg("message: %s", err.msg);
  unlink(path);

  /* summary.csv that cannot be read as a file */
  snprintf(path, sizeof path, "%s/summary.csv", dir);
  mkdir(path, 0777);
  assert_int_equal(report(dir, m, NULL, 0, &err), EXO_ERR_IO);
  if (!strstr(err.msg, "summary.csv")) fail_msg("message: %s", err.msg);
  assert_false(exists(dir, "report.html"));
  rmdir(path);

  /* plots that is a file, not a directory */
  rm_rf(sub);
  write_file(dir, "plots", "x", 1);
  assert_int_equal(report(dir, m, NULL, 0, &err), EXO_ERR_IO);
  if (!strstr(err.msg, "/plots: cannot list the plots")) fail_msg("message: %s", err.msg);
  assert_false(exists(dir, "report.html"));

  /* arguments */
  assert_int_equal(exo_report_html(dir, NULL, NULL, 0, &err), EXO_ERR_USAGE);
  assert_int_equal(exo_report_html(dir, m, NULL, 2, &err), EXO_ERR_USAGE);
  exo_model_free(m);
  rm_rf(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_report_of_two_arms),
      cmocka_unit_test(test_escaping),
      cmocka_unit_test(test_missing_inputs_are_said),
      cmocka_unit_test(test_errors_name_the_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
