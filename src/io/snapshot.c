/* Tissue snapshots: cells (.vtp), fields (.vti), a ParaView collection (.pvd) and a slice picture
 * (.svg). See snapshot.h.
 *
 * The VTK files are ASCII: a snapshot is small next to a run's wall time, and ASCII opens in every
 * VTK version, ParaView and meshio without caring about header sizes or compression. Values are
 * written with 10 significant digits (plenty for a picture; the run's own numbers live in the
 * run files), each line built in a buffer and written whole, because one fprintf per value is
 * what makes ASCII writers slow. */
#include "io/snapshot.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exosim/units.h"
#include "io/iohelp.h"

/* --- files: PATH.tmp, checked, synced and renamed ----------------------------------------- */

typedef struct outfile {
  FILE *f;
  const char *path;
  char *tmp; /* "PATH.tmp" */
} outfile;

static exo_status out_open(outfile *o, const char *path, exo_error *err) {
  o->f = NULL;
  o->path = path;
  size_t len = strlen(path);
  o->tmp = malloc(len + sizeof ".tmp");
  if (!o->tmp) return exo_error_set(err, EXO_ERR_NOMEM, "%s: out of memory", path);
  memcpy(o->tmp, path, len);
  memcpy(o->tmp + len, ".tmp", sizeof ".tmp");
  errno = 0;
  o->f = fopen(o->tmp, "w");
  if (!o->f) {
    int e = errno;
    free(o->tmp);
    o->tmp = NULL;
    return exo_error_set(err, EXO_ERR_IO, "%s: cannot write: %s", path, strerror(e ? e : EIO));
  }
  errno = 0; /* so that a failure found only by ferror() reports its own cause, not an old one */
  return EXO_OK;
}

/* Every step can fail on a full disk or a quota, and only the last ones are sure to notice: a
 * file under its final name must be whole, so each is checked before the rename. */
static exo_status out_close(outfile *o, exo_error *err) {
  int e = errno;
  bool bad = ferror(o->f) != 0;
  if (fflush(o->f)) bad = true, e = errno;
  if (!bad && fsync(fileno(o->f))) bad = true, e = errno;
  if (fclose(o->f)) bad = true, e = errno;
  o->f = NULL;
  exo_status st = EXO_OK;
  if (bad) {
    unlink(o->tmp);
    st = exo_error_set(err, EXO_ERR_IO, "%s: cannot write: %s", o->path, strerror(e ? e : EIO));
  } else if (rename(o->tmp, o->path)) {
    e = errno;
    unlink(o->tmp);
    st = exo_error_set(err, EXO_ERR_IO, "%s: cannot write: %s", o->path, strerror(e));
  }
  free(o->tmp);
  o->tmp = NULL;
  return st;
}

static exo_status check_path(const char *path, const char *what, exo_error *err) {
  /* an empty name would create ".tmp" in the working directory */
  if (!path || !*path) return exo_error_set(err, EXO_ERR_USAGE, "%s: no file name given", what);
  return EXO_OK;
}

/* --- text ------------------------------------------------------------------------------------ */

/* XML's five special characters; control characters are not allowed in XML 1.0 at all, even as
 * references, so they become '?' */
static bool xml_ascii(FILE *f, unsigned char c) {
  switch (c) {
  case '&': fputs("&amp;", f); return true;
  case '<': fputs("&lt;", f); return true;
  case '>': fputs("&gt;", f); return true;
  case '"': fputs("&quot;", f); return true;
  case '\'': fputs("&apos;", f); return true;
  default:
    if (c >= 0x20 || c == '\t' || c == '\n') return false;
    fputc('?', f);
    return true;
  }
}

/* s as XML text or attribute value; invalid UTF-8 becomes U+FFFD so the file stays well-formed */
static void put_xml(FILE *f, const char *s) { exo__write_escaped(f, s, xml_ascii, "\xEF\xBF\xBD"); }

/* " v" into buf (at least 32 bytes free); returns the length. + 0.0 turns -0 into 0. Non-finite
 * values are written as nan/inf/-inf rather than replaced by a number that would hide them. */
static size_t fmt_num(char *buf, double v) {
  int len = snprintf(buf, 32, " %.10g", v + 0.0);
  return len > 0 && len < 32 ? (size_t)len : 0;
}

enum { PER_LINE = 8, SLOT = 32 }; /* values per line of a data array; bytes per value at most */

static void put_doubles(FILE *f, const double *v, size_t n) {
  char line[PER_LINE * SLOT + 1];
  for (size_t i = 0; i < n; i += PER_LINE) {
    size_t len = 0;
    for (size_t j = i; j < n && j < i + PER_LINE; j++) len += fmt_num(line + len, v[j]);
    line[len++] = '\n';
    fwrite(line, 1, len, f);
  }
}

/* integers of any of the cells' integer types, read through get(i) */
static void put_ints(FILE *f, size_t n, long long (*get)(const void *a, size_t i), const void *a) {
  char line[PER_LINE * SLOT + 1];
  for (size_t i = 0; i < n; i += PER_LINE) {
    size_t len = 0;
    for (size_t j = i; j < n && j < i + PER_LINE; j++) {
      int w = snprintf(line + len, SLOT, " %lld", get(a, j));
      len += w > 0 && w < SLOT ? (size_t)w : 0;
    }
    line[len++] = '\n';
    fwrite(line, 1, len, f);
  }
}

static long long get_long(const void *a, size_t i) { return ((const long *)a)[i]; }
static long long get_int(const void *a, size_t i) { return ((const int *)a)[i]; }
static long long get_uchar(const void *a, size_t i) { return ((const unsigned char *)a)[i]; }
static long long get_index(const void *a, size_t i) { return (long long)i + *(const long long *)a; }

static void put_time(FILE *f, const char *indent, double time_min) {
  char num[SLOT];
  fmt_num(num, time_min);
  fprintf(f, "%s<FieldData>\n%s  <DataArray type=\"Float64\" Name=\"TIME\" NumberOfTuples=\"1\" format=\"ascii\">%s</DataArray>\n%s</FieldData>\n",
          indent, indent, num, indent);
}

static void open_array(FILE *f, const char *type, const char *name, const char *extra) {
  fprintf(f, "        <DataArray type=\"%s\" Name=\"", type);
  put_xml(f, name);
  fprintf(f, "\"%s format=\"ascii\">\n", extra);
}

static void close_array(FILE *f) { fputs("        </DataArray>\n", f); }

/* --- cells ----------------------------------------------------------------------------------- */

static exo_status check_cells(const exo_cells_view *c, exo_error *err) {
  if (!c) return exo_error_set(err, EXO_ERR_USAGE, "cells: no cell view given");
  if (c->n && (!c->x || !c->y || !c->z || !c->radius || !c->type || !c->id || !c->dead))
    return exo_error_set(err, EXO_ERR_USAGE, "cells: %zu cells but a position, radius, type, id or dead array is missing",
                         c->n);
  if (c->nattr < 0) return exo_error_set(err, EXO_ERR_USAGE, "cells: negative attribute count %d", c->nattr);
  if (c->nattr && (!c->attr_names || !c->attr))
    return exo_error_set(err, EXO_ERR_USAGE, "cells: %d attributes but no names or values", c->nattr);
  for (int a = 0; a < c->nattr; a++) {
    if (!c->attr_names[a]) return exo_error_set(err, EXO_ERR_USAGE, "cells: attribute %d has no name", a);
    if (c->n && !c->attr[a])
      return exo_error_set(err, EXO_ERR_USAGE, "cells: attribute '%s' has no values", c->attr_names[a]);
  }
  if (c->ntypes < 0 || (c->ntypes && !c->type_names))
    return exo_error_set(err, EXO_ERR_USAGE, "cells: %d types but no type names", c->ntypes);
  return EXO_OK;
}

exo_status exo_vtk_write_cells(const char *path, double time_min, const exo_cells_view *c, exo_error *err) {
  exo_status st = check_path(path, "cells (.vtp)", err);
  if (!st) st = check_cells(c, err);
  outfile o;
  if (!st) st = out_open(&o, path, err);
  if (st) return st;
  FILE *f = o.f;
  size_t n = c->n;
  fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<VTKFile type=\"PolyData\" version=\"0.1\" byte_order=\"LittleEndian\">\n  <PolyData>\n",
        f);
  put_time(f, "    ", time_min);
  fprintf(f,
          "    <Piece NumberOfPoints=\"%zu\" NumberOfVerts=\"%zu\" NumberOfLines=\"0\" NumberOfStrips=\"0\" "
          "NumberOfPolys=\"0\">\n      <PointData Scalars=\"type\">\n",
          n, n);
  open_array(f, "Int64", "id", "");
  put_ints(f, n, get_long, c->id);
  close_array(f);
  open_array(f, "Int32", "type", "");
  put_ints(f, n, get_int, c->type);
  close_array(f);
  open_array(f, "UInt8", "dead", "");
  put_ints(f, n, get_uchar, c->dead);
  close_array(f);
  open_array(f, "Float64", "radius", "");
  put_doubles(f, c->radius, n);
  close_array(f);
  for (int a = 0; a < c->nattr; a++) {
    open_array(f, "Float64", c->attr_names[a], "");
    put_doubles(f, c->attr[a], n);
    close_array(f);
  }
  fputs("      </PointData>\n      <Points>\n", f);
  open_array(f, "Float64", "Points", " NumberOfComponents=\"3\"");
  for (size_t i = 0; i < n; i++) {
    char line[3 * SLOT + 1];
    size_t len = fmt_num(line, c->x[i]);
    len += fmt_num(line + len, c->y[i]);
    len += fmt_num(line + len, c->z[i]);
    line[len++] = '\n';
    fwrite(line, 1, len, f);
  }
  close_array(f);
  /* one vertex cell per point: without them ParaView loads the points but draws nothing */
  fputs("      </Points>\n      <Verts>\n", f);
  long long zero = 0, one = 1;
  open_array(f, "Int64", "connectivity", "");
  put_ints(f, n, get_index, &zero);
  close_array(f);
  open_array(f, "Int64", "offsets", "");
  put_ints(f, n, get_index, &one);
  close_array(f);
  fputs("      </Verts>\n    </Piece>\n  </PolyData>\n</VTKFile>\n", f);
  return out_close(&o, err);
}

/* --- fields ---------------------------------------------------------------------------------- */

/* The domain's low corner: voxel 0's centre less half a voxel (axes beyond dims have one voxel
 * centred on 0). */
static void low_corner(const exo_fields *F, double lo[3]) {
  double dx = exo_fields_dx(F);
  exo_fields_voxel_center(F, 0, lo);
  for (int a = 0; a < 3; a++) lo[a] -= 0.5 * dx;
}

exo_status exo_vtk_write_fields(const char *path, double time_min, const exo_fields *F, exo_error *err) {
  exo_status st = check_path(path, "fields (.vti)", err);
  if (!st && !F) st = exo_error_set(err, EXO_ERR_USAGE, "%s: no fields given", path);
  if (st) return st;
  size_t nv[3], nvox;
  exo_fields_shape(F, nv);
  nvox = nv[0] * nv[1] * nv[2];
  double *buf = malloc((nvox ? nvox : 1) * sizeof *buf);
  if (!buf) return exo_error_set(err, EXO_ERR_NOMEM, "%s: out of memory for %zu voxels", path, nvox);
  outfile o;
  st = out_open(&o, path, err);
  if (st) {
    free(buf);
    return st;
  }
  FILE *f = o.f;
  double lo[3], dx = exo_fields_dx(F);
  low_corner(F, lo);
  char org[3 * SLOT], sp[SLOT];
  size_t len = fmt_num(org, lo[0]);
  len += fmt_num(org + len, lo[1]);
  fmt_num(org + len, lo[2]);
  fmt_num(sp, dx);
  fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<VTKFile type=\"ImageData\" version=\"0.1\" byte_order=\"LittleEndian\">\n",
        f);
  /* fmt_num's leading space is dropped from the first number of each attribute */
  fprintf(f, "  <ImageData WholeExtent=\"0 %zu 0 %zu 0 %zu\" Origin=\"%s\" Spacing=\"%s%s%s\">\n", nv[0], nv[1], nv[2],
          org + 1, sp + 1, sp, sp);
  put_time(f, "    ", time_min);
  fprintf(f, "    <Piece Extent=\"0 %zu 0 %zu 0 %zu\">\n      <PointData>\n      </PointData>\n      <CellData", nv[0],
          nv[1], nv[2]);
  int nf = exo_fields_count(F);
  if (nf > 0) {
    fputs(" Scalars=\"", f);
    put_xml(f, exo_fields_name(F, 0));
    fputc('"', f);
  }
  fputs(">\n", f);
  for (int i = 0; i < nf; i++) {
    open_array(f, "Float64", exo_fields_name(F, i), "");
    exo_fields_copy_out(F, i, buf);
    put_doubles(f, buf, nvox);
    close_array(f);
  }
  fputs("      </CellData>\n    </Piece>\n  </ImageData>\n</VTKFile>\n", f);
  free(buf);
  return out_close(&o, err);
}

/* --- collection ------------------------------------------------------------------------------ */

exo_status exo_vtk_write_pvd(const char *path, const double *times, const char *const *files, const int *part, size_t n,
                             exo_error *err) {
  exo_status st = check_path(path, "collection (.pvd)", err);
  if (st) return st;
  if (n && (!times || !files || !part))
    return exo_error_set(err, EXO_ERR_USAGE, "%s: %zu datasets but no times, files or parts", path, n);
  for (size_t i = 0; i < n; i++)
    if (!files[i] || !*files[i]) return exo_error_set(err, EXO_ERR_USAGE, "%s: dataset %zu has no file name", path, i);
  outfile o;
  st = out_open(&o, path, err);
  if (st) return st;
  FILE *f = o.f;
  fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<VTKFile type=\"Collection\" version=\"0.1\" byte_order=\"LittleEndian\">\n  <Collection>\n",
        f);
  for (size_t i = 0; i < n; i++) {
    /* 12 digits: a year in minutes still resolves well under a second */
    fprintf(f, "    <DataSet timestep=\"%.12g\" group=\"\" part=\"%d\" file=\"", times[i] + 0.0, part[i]);
    put_xml(f, files[i]);
    fputs("\"/>\n", f);
  }
  fputs("  </Collection>\n</VTKFile>\n", f);
  return out_close(&o, err);
}

/* --- slice picture --------------------------------------------------------------------------- */

/* matplotlib's viridis sampled at 17 points; linear interpolation between them stays within a
 * unit or two of 8-bit colour of the real map, and keeps it perceptually uniform and legible in
 * grey and to colour-blind readers */
static const float VIRIDIS[17][3] = {
    {0.2670f, 0.0049f, 0.3294f}, {0.2823f, 0.0950f, 0.4173f}, {0.2788f, 0.1755f, 0.4834f}, {0.2590f, 0.2515f, 0.5247f},
    {0.2297f, 0.3224f, 0.5457f}, {0.1994f, 0.3876f, 0.5546f}, {0.1727f, 0.4488f, 0.5579f}, {0.1490f, 0.5081f, 0.5573f},
    {0.1276f, 0.5669f, 0.5506f}, {0.1206f, 0.6258f, 0.5335f}, {0.1579f, 0.6838f, 0.5017f}, {0.2461f, 0.7389f, 0.4520f},
    {0.3692f, 0.7889f, 0.3829f}, {0.5160f, 0.8312f, 0.2943f}, {0.6785f, 0.8637f, 0.1895f}, {0.8456f, 0.8873f, 0.0997f},
    {0.9932f, 0.9062f, 0.1439f}};

/* "#rrggbb" of viridis at t in [0, 1] into hex[8] */
static void viridis(double t, char hex[8]) {
  if (!(t > 0)) t = 0; /* NaN too */
  if (t > 1) t = 1;
  double s = t * 16;
  int i = (int)s;
  if (i > 15) i = 15;
  double w = s - i;
  int rgb[3];
  for (int k = 0; k < 3; k++) rgb[k] = (int)lround(255 * ((1 - w) * VIRIDIS[i][k] + w * VIRIDIS[i + 1][k]));
  snprintf(hex, 8, "#%02x%02x%02x", rgb[0] & 255, rgb[1] & 255, rgb[2] & 255);
}

/* Tableau 10 without its grey (kept for dead cells), then Tableau 20's other tones without its
 * greys: 19 colours that read on top of viridis with a dark outline, so a model with many cell
 * types (the default model's tissue form has 11) gives each its own; beyond 19 they repeat */
static const char *const TYPE_COLOURS[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
                                           "#ff9da7", "#9c755f", "#a0cbe8", "#ffbe7d", "#ff9d9a", "#8cd17d", "#f1ce63",
                                           "#499894", "#d4a6c8", "#d37295", "#b6992d", "#86bcb6"};
#define NTYPE_COLOURS (sizeof TYPE_COLOURS / sizeof TYPE_COLOURS[0])
static const char DEAD_COLOUR[] = "#9a9a9a";
static const char UNKNOWN_COLOUR[] = "#000000"; /* a negative type: a bug to show, not to hide */

static const char *type_colour(int type) {
  return type < 0 ? UNKNOWN_COLOUR : TYPE_COLOURS[(size_t)type % NTYPE_COLOURS];
}

/* The picture's geometry: the domain's x-y extent in µm mapped to pixels, y pointing up. */
typedef struct svg_frame {
  double x0, y0, w, h; /* domain in µm */
  double s;            /* pixels per µm */
  double left, top;    /* plot area's corner in pixels */
} svg_frame;

static double px_x(const svg_frame *g, double x) { return g->left + (x - g->x0) * g->s; }
static double px_y(const svg_frame *g, double y) { return g->top + (g->y0 + g->h - y) * g->s; }

/* The x-y extent: the grid's when there is one, else the cells' bounding box. */
static void domain_xy(const exo_cells_view *c, const exo_fields *F, double *x0, double *y0, double *w, double *h) {
  if (F) {
    size_t nv[3];
    double lo[3], dx = exo_fields_dx(F);
    exo_fields_shape(F, nv);
    low_corner(F, lo);
    *x0 = lo[0], *y0 = lo[1], *w = (double)nv[0] * dx, *h = (double)nv[1] * dx;
    return;
  }
  double xl = INFINITY, xh = -INFINITY, yl = INFINITY, yh = -INFINITY;
  for (size_t i = 0; i < c->n; i++) {
    double r = isfinite(c->radius[i]) ? fabs(c->radius[i]) : 0;
    if (!isfinite(c->x[i]) || !isfinite(c->y[i])) continue;
    xl = fmin(xl, c->x[i] - r), xh = fmax(xh, c->x[i] + r);
    yl = fmin(yl, c->y[i] - r), yh = fmax(yh, c->y[i] + r);
  }
  if (!(xh > xl)) xl = 0, xh = 100;
  if (!(yh > yl)) yl = 0, yh = 100;
  *x0 = xl, *y0 = yl, *w = xh - xl, *h = yh - yl;
}

/* The voxel layer holding z (nearest one when z is outside the grid). */
static size_t slice_layer(const exo_fields *F, double z) {
  size_t nv[3];
  double lo[3];
  exo_fields_shape(F, nv);
  low_corner(F, lo);
  double k = floor((z - lo[2]) / exo_fields_dx(F));
  if (!(k > 0)) return 0;
  return k >= (double)nv[2] ? nv[2] - 1 : (size_t)k;
}

static void put_heatmap(FILE *f, const svg_frame *g, const exo_fields *F, int field, size_t k, double *vmin,
                        double *vmax) {
  size_t nv[3];
  exo_fields_shape(F, nv);
  double lo[3], dx = exo_fields_dx(F);
  low_corner(F, lo);
  double lmin = INFINITY, lmax = -INFINITY;
  for (size_t j = 0; j < nv[1]; j++)
    for (size_t i = 0; i < nv[0]; i++) {
      double v = exo_fields_get(F, field, exo_fields_index(F, i, j, k));
      if (isfinite(v)) lmin = fmin(lmin, v), lmax = fmax(lmax, v);
    }
  *vmin = lmin, *vmax = lmax;
  double range = lmax - lmin;
  /* crisp edges: anti-aliased abutting rectangles show hairline seams */
  fputs("<g shape-rendering=\"crispEdges\">\n", f);
  double side = dx * g->s;
  for (size_t j = 0; j < nv[1]; j++) {
    double y = px_y(g, lo[1] + (double)(j + 1) * dx);
    for (size_t i = 0; i < nv[0]; i++) {
      double v = exo_fields_get(F, field, exo_fields_index(F, i, j, k));
      if (!isfinite(v)) continue; /* a hole shows the background: no colour would be honest */
      char hex[8], line[160];
      viridis(range > 0 ? (v - lmin) / range : 0.5, hex);
      int len = snprintf(line, sizeof line, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>\n",
                         px_x(g, lo[0] + (double)i * dx), y, side, side, hex);
      if (len > 0 && len < (int)sizeof line) fwrite(line, 1, (size_t)len, f);
    }
  }
  fputs("</g>\n", f);
}

static void put_colourbar(FILE *f, double x, double y, double height, const char *name, double vmin, double vmax) {
  fputs("<defs><linearGradient id=\"cbar\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\">", f);
  for (int i = 0; i <= 16; i++) {
    char hex[8];
    viridis(i / 16.0, hex);
    fprintf(f, "<stop offset=\"%.4f\" stop-color=\"%s\"/>", i / 16.0, hex);
  }
  fputs("</linearGradient></defs>\n", f);
  fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"13\">", x, y - 8);
  put_xml(f, name);
  fputs("</text>\n", f);
  fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"18\" height=\"%.1f\" fill=\"url(#cbar)\" stroke=\"#333\"/>\n", x, y,
          height);
  if (!(vmax >= vmin)) { /* every value non-finite */
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">no finite values</text>\n", x + 24, y + 12);
    return;
  }
  fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">max %.4g</text>\n", x + 24, y + 10, vmax + 0.0);
  fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">min %.4g</text>\n", x + 24, y + height, vmin + 0.0);
}

static void put_cells_cut(FILE *f, const svg_frame *g, const exo_cells_view *c, double z) {
  fputs("<g clip-path=\"url(#plot)\" stroke=\"#222\" stroke-width=\"0.8\" fill-opacity=\"0.9\">\n", f);
  for (size_t i = 0; i < c->n; i++) {
    double dz = c->z[i] - z, r = c->radius[i];
    if (!(fabs(dz) < r)) continue; /* not cut by the plane (NaN too) */
    double rc = sqrt(r * r - dz * dz);
    const char *fill = c->dead[i] ? DEAD_COLOUR : type_colour(c->type[i]);
    char line[200];
    int len = snprintf(line, sizeof line, "<circle cx=\"%.2f\" cy=\"%.2f\" r=\"%.2f\" fill=\"%s\"><title>cell %ld</title></circle>\n",
                       px_x(g, c->x[i]), px_y(g, c->y[i]), rc * g->s, fill, c->id[i]);
    if (len > 0 && len < (int)sizeof line) fwrite(line, 1, (size_t)len, f);
  }
  fputs("</g>\n", f);
}

/* One row per type and one for dead cells (18 pixels each). Swatches are squares, so that every
 * <circle> in the picture is a cell. */
static void put_legend(FILE *f, double x, double y, const exo_cells_view *c) {
  double row = 18;
  int nrow = 0;
  for (int t = 0; t <= c->ntypes; t++, nrow++) {
    bool dead = t == c->ntypes;
    double yy = y + nrow * row;
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\" stroke=\"#222\" stroke-width=\"0.8\"/>",
            x, yy, dead ? DEAD_COLOUR : type_colour(t));
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" font-size=\"12\">", x + 18, yy + 10.5);
    if (dead) fputs("dead", f);
    else if (c->type_names[t]) put_xml(f, c->type_names[t]);
    else fprintf(f, "type %d", t);
    fputs("</text>\n", f);
  }
}

/* "t = 2 d 3.5 h" */
static void fmt_time(char *buf, size_t n, double time_min) {
  if (!isfinite(time_min)) {
    snprintf(buf, n, "t = %g min", time_min);
    return;
  }
  double a = fabs(time_min);
  double days = floor(a / EXO_MINUTES_PER_DAY);
  double hours = (a - days * EXO_MINUTES_PER_DAY) / 60;
  snprintf(buf, n, "t = %s%.0f d %.4g h", time_min < 0 ? "-" : "", days, hours);
}

exo_status exo_slice_write_svg(const char *path, double time_min, const exo_cells_view *c, const exo_fields *F, int field,
                               double z_um, exo_error *err) {
  exo_status st = check_path(path, "slice picture (.svg)", err);
  if (!st) st = check_cells(c, err);
  if (st) return st;
  if (field >= 0 && !F)
    return exo_error_set(err, EXO_ERR_USAGE, "%s: field %d asked for but no fields given", path, field);
  if (F && field >= exo_fields_count(F))
    return exo_error_set(err, EXO_ERR_USAGE, "%s: no field %d (the grid has %d)", path, field, exo_fields_count(F));
  if (!isfinite(z_um)) return exo_error_set(err, EXO_ERR_USAGE, "%s: slice height z = %g is not a number", path, z_um);

  svg_frame g;
  domain_xy(c, F, &g.x0, &g.y0, &g.w, &g.h);
  /* the longer side 640 pixels; a 1-D grid is a strip at least 20 pixels high */
  g.s = 640 / fmax(g.w, g.h);
  g.left = 20, g.top = 50;
  double pw = g.w * g.s, ph = fmax(g.h * g.s, 20);
  double side_x = g.left + pw + 30; /* colour bar and legend */
  double legend_h = 18.0 * (c->ntypes + 1);
  double cbar_h = field >= 0 ? fmin(fmax(ph * 0.5, 120), 300) : 0;
  double legend_y = g.top + (field >= 0 ? cbar_h + 40 : 0);
  double width = side_x + 190, height = fmax(g.top + ph, legend_y + legend_h) + 60;

  outfile o;
  st = out_open(&o, path, err);
  if (st) return st;
  FILE *f = o.f;
  fprintf(f,
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" "
          "font-family=\"sans-serif\">\n",
          width, height, width, height);
  fprintf(f, "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
  fprintf(f, "<defs><clipPath id=\"plot\"><rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\"/></clipPath></defs>\n",
          g.left, g.top, pw, ph);
  char when[80];
  fmt_time(when, sizeof when, time_min);
  fprintf(f, "<text x=\"%.1f\" y=\"28\" font-size=\"16\">%s, slice z = %.4g \xC2\xB5m</text>\n", g.left, when, z_um + 0.0);
  /* the domain's background shows voxels without a finite value */
  fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"#f4f4f4\" stroke=\"none\"/>\n", g.left, g.top,
          pw, ph);
  double vmin = 0, vmax = 0;
  if (field >= 0) put_heatmap(f, &g, F, field, slice_layer(F, z_um), &vmin, &vmax);
  put_cells_cut(f, &g, c, z_um);
  fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"none\" stroke=\"#333\"/>\n", g.left, g.top,
          pw, ph);
  if (field >= 0) put_colourbar(f, side_x, g.top + 10, cbar_h, exo_fields_name(F, field), vmin, vmax);
  put_legend(f, side_x, legend_y, c);

  /* 100 µm, or the largest round length that fits a smaller domain */
  static const double bars[] = {100, 50, 20, 10, 5, 2, 1};
  double bar = bars[0];
  for (size_t i = 0; i < sizeof bars / sizeof bars[0] && bar > g.w; i++) bar = bars[i];
  double by = g.top + ph + 30;
  fprintf(f, "<line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"black\" stroke-width=\"3\"/>\n", g.left, by,
          g.left + bar * g.s, by);
  fprintf(f, "<text x=\"%.2f\" y=\"%.2f\" font-size=\"12\">%g \xC2\xB5m</text>\n", g.left, by + 16, bar);
  fputs("</svg>\n", f);
  return out_close(&o, err);
}
