/* Tissue snapshot writers (src/io/snapshot.c): each file is written into a fresh temporary
 * folder, read back and checked for its content (counts, names, coordinates, every voxel value in
 * voxel order, the cells a slice cuts), plus failures: unwritable paths give EXO_ERR_IO and leave
 * no PATH.tmp behind, missing arguments give EXO_ERR_USAGE. */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "exosim/fields.h"
#include "io/snapshot.h"

/* The grid: 5 x 4 x 3 voxels of 10 µm from (-50, 10, 0). Field 0 holds 1000 + k and field 1
 * -0.5 k in voxel k, so that any misplaced value is seen. */
enum { NX = 5, NY = 4, NZ = 3, NVOX = NX * NY * NZ, NCELL = 5 };
#define DX 10.0
#define FIELD1_NAME "il<2> & \"tgf\""
#define FIELD1_XML "il&lt;2&gt; &amp; &quot;tgf&quot;"

static double field_value(int field, size_t k) { return field == 0 ? 1000.0 + (double)k : -0.5 * (double)k; }

typedef struct fixture {
  char dir[64];
  exo_fields *F;
  /* the cells: 0, 1 and 2 are cut by the plane z = 15 (2 is dead), 3 and 4 are not */
  double x[NCELL], y[NCELL], z[NCELL], r[NCELL], a0[NCELL], a1[NCELL];
  int type[NCELL];
  long id[NCELL];
  unsigned char dead[NCELL];
  const char *attr_names[2];
  const double *attr[2];
  const char *type_names[3];
  exo_cells_view view;
} fixture;

static int setup(void **state) {
  fixture *fx = calloc(1, sizeof *fx);
  if (!fx) return -1;
  snprintf(fx->dir, sizeof fx->dir, "/tmp/exo_snapshot_XXXXXX");
  if (!mkdtemp(fx->dir)) return -1;

  exo_grid_spec g;
  memset(&g, 0, sizeof g);
  g.dims = 3;
  g.dx = DX;
  const double lo[3] = {-50, 10, 0};
  const int n[3] = {NX, NY, NZ};
  for (int a = 0; a < 3; a++) g.lo[a] = lo[a], g.hi[a] = lo[a] + n[a] * DX;
  exo_field_spec f[2];
  memset(f, 0, sizeof f);
  f[0].name = "vesicles";
  f[1].name = FIELD1_NAME;
  exo_error err = {0};
  if (exo_fields_create(&g, f, 2, &fx->F, &err) != EXO_OK) return -1;
  for (int i = 0; i < 2; i++)
    for (size_t k = 0; k < NVOX; k++) exo_fields_set(fx->F, i, k, field_value(i, k));

  const double pos[NCELL][4] = {
      {-45, 15, 15, 5},      /* on the plane: cut radius 5 */
      {-25.125, 25.5, 18, 6}, /* 3 µm above: cut radius sqrt(27) */
      {-10, 40, 12, 5},      /* 3 µm below, dead */
      {-30, 30, 28, 5},      /* 13 µm above: not cut */
      {-5, 45, 2, 4}};       /* 13 µm below: not cut */
  for (int i = 0; i < NCELL; i++) {
    fx->x[i] = pos[i][0], fx->y[i] = pos[i][1], fx->z[i] = pos[i][2], fx->r[i] = pos[i][3];
    fx->type[i] = i % 3;
    fx->id[i] = 100 + i;
    fx->dead[i] = i == 2;
    fx->a0[i] = 0.25 * i;
    fx->a1[i] = 1e6 + i;
  }
  fx->attr_names[0] = "pdl1";
  fx->attr_names[1] = "o2 & <co>";
  fx->attr[0] = fx->a0;
  fx->attr[1] = fx->a1;
  fx->type_names[0] = "tumour";
  fx->type_names[1] = "CD8 & NK";
  fx->type_names[2] = "dendritic";
  fx->view = (exo_cells_view){.n = NCELL, .x = fx->x, .y = fx->y, .z = fx->z, .radius = fx->r, .type = fx->type,
                              .id = fx->id, .dead = fx->dead, .nattr = 2, .attr_names = fx->attr_names,
                              .attr = fx->attr, .ntypes = 3, .type_names = fx->type_names};
  *state = fx;
  return 0;
}

static void remove_tree(const char *path) {
  DIR *d = opendir(path);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d))) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      char sub[512];
      snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
      remove_tree(sub);
    }
    closedir(d);
    rmdir(path);
  } else {
    unlink(path);
  }
}

static int teardown(void **state) {
  fixture *fx = *state;
  remove_tree(fx->dir);
  exo_fields_free(fx->F);
  free(fx);
  return 0;
}

static void path_in(const fixture *fx, const char *name, char *out, size_t n) {
  snprintf(out, n, "%s/%s", fx->dir, name);
}

static bool exists(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0;
}

/* the whole file as a string (the caller frees it) */
static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) fail_msg("%s: cannot open", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  assert_true(n >= 0);
  rewind(f);
  char *s = malloc((size_t)n + 1);
  assert_non_null(s);
  assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
  s[n] = '\0';
  fclose(f);
  return s;
}

static size_t count(const char *s, const char *needle) {
  size_t c = 0;
  for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle)) c++;
  return c;
}

#define assert_contains(s, needle)                                                                 \
  do {                                                                                             \
    if (!strstr((s), (needle))) fail_msg("expected to find '%s'", (needle));                       \
  } while (0)

/* The content of the DataArray whose Name attribute is name: a pointer to its first value. */
static const char *array_values(const char *s, const char *name) {
  char key[128];
  snprintf(key, sizeof key, "Name=\"%s\"", name);
  const char *p = strstr(s, key);
  if (!p) fail_msg("no DataArray named '%s'", name);
  p = strchr(p, '>');
  assert_non_null(p);
  return p + 1;
}

/* Parses n numbers from p into v, then requires the array to end there. */
static void parse_values(const char *p, double *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char *end;
    v[i] = strtod(p, &end);
    if (end == p) fail_msg("value %zu of %zu missing", i, n);
    p = end;
  }
  while (*p == ' ' || *p == '\n') p++;
  assert_true(strncmp(p, "</DataArray>", 12) == 0);
}

static void write_ok(exo_status st, const exo_error *err) {
  if (st != EXO_OK) fail_msg("write failed: %s", err->msg);
}

static void test_cells_vtp(void **state) {
  fixture *fx = *state;
  char path[256];
  path_in(fx, "cells.vtp", path, sizeof path);
  exo_error err = {0};
  write_ok(exo_vtk_write_cells(path, 2880.5, &fx->view, &err), &err);
  char tmp[300];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  assert_false(exists(tmp));

  char *s = slurp(path);
  assert_true(strncmp(s, "<?xml", 5) == 0);
  assert_contains(s, "type=\"PolyData\" version=\"0.1\" byte_order=\"LittleEndian\"");
  assert_contains(s, "NumberOfPoints=\"5\"");
  assert_contains(s, "NumberOfVerts=\"5\"");
  assert_contains(s, "Name=\"pdl1\"");
  assert_contains(s, "Name=\"o2 &amp; &lt;co&gt;\"");
  assert_contains(s, " -25.125 25.5 18\n"); /* cell 1's position, one point per line */
  assert_contains(s, "</VTKFile>");

  double v[3 * NCELL];
  parse_values(array_values(s, "TIME"), v, 1);
  assert_true(v[0] == 2880.5);
  parse_values(array_values(s, "id"), v, NCELL);
  for (int i = 0; i < NCELL; i++) assert_true(v[i] == fx->id[i]);
  parse_values(array_values(s, "type"), v, NCELL);
  for (int i = 0; i < NCELL; i++) assert_true(v[i] == fx->type[i]);
  parse_values(array_values(s, "dead"), v, NCELL);
  for (int i = 0; i < NCELL; i++) assert_true(v[i] == fx->dead[i]);
  parse_values(array_values(s, "radius"), v, NCELL);
  for (int i = 0; i < NCELL; i++) assert_true(v[i] == fx->r[i]);
  parse_values(array_values(s, "o2 &amp; &lt;co&gt;"), v, NCELL);
  for (int i = 0; i < NCELL; i++) assert_true(v[i] == fx->a1[i]);
  parse_values(array_values(s, "Points"), v, 3 * NCELL);
  for (int i = 0; i < NCELL; i++) {
    assert_true(v[3 * i] == fx->x[i]);
    assert_true(v[3 * i + 1] == fx->y[i]);
    assert_true(v[3 * i + 2] == fx->z[i]);
  }
  parse_values(array_values(s, "connectivity"), v, NCELL);
  for (int i = 0; i < NCELL; i++) assert_true(v[i] == i);
  parse_values(array_values(s, "offsets"), v, NCELL);
  for (int i = 0; i < NCELL; i++) assert_true(v[i] == i + 1);
  free(s);
}

static void test_fields_vti(void **state) {
  fixture *fx = *state;
  char path[256];
  path_in(fx, "fields.vti", path, sizeof path);
  exo_error err = {0};
  write_ok(exo_vtk_write_fields(path, 60, fx->F, &err), &err);

  char *s = slurp(path);
  assert_contains(s, "type=\"ImageData\"");
  assert_contains(s, "WholeExtent=\"0 5 0 4 0 3\"");
  assert_contains(s, "Origin=\"-50 10 0\"");
  assert_contains(s, "Spacing=\"10 10 10\"");
  assert_contains(s, "<CellData");
  double v[NVOX];
  parse_values(array_values(s, "vesicles"), v, NVOX);
  for (size_t k = 0; k < NVOX; k++)
    if (v[k] != field_value(0, k)) fail_msg("vesicles: voxel %zu is %g, expected %g", k, v[k], field_value(0, k));
  parse_values(array_values(s, FIELD1_XML), v, NVOX);
  for (size_t k = 0; k < NVOX; k++)
    if (v[k] != field_value(1, k)) fail_msg("field 1: voxel %zu is %g, expected %g", k, v[k], field_value(1, k));
  parse_values(array_values(s, "TIME"), v, 1);
  assert_true(v[0] == 60);
  free(s);
}

static void test_fields_vti_2d(void **state) {
  fixture *fx = *state;
  exo_grid_spec g;
  memset(&g, 0, sizeof g);
  g.dims = 2;
  g.dx = 5;
  g.hi[0] = 15, g.hi[1] = 10;
  exo_field_spec f;
  memset(&f, 0, sizeof f);
  f.initial = 2.5;
  exo_fields *F = NULL;
  exo_error err = {0};
  write_ok(exo_fields_create(&g, &f, 1, &F, &err), &err);
  char path[256];
  path_in(fx, "flat.vti", path, sizeof path);
  write_ok(exo_vtk_write_fields(path, 0, F, &err), &err);
  char *s = slurp(path);
  assert_contains(s, "WholeExtent=\"0 3 0 2 0 1\"");
  assert_contains(s, "Origin=\"0 0 -2.5\"");
  double v[6];
  parse_values(array_values(s, exo_fields_name(F, 0)), v, 6);
  for (int k = 0; k < 6; k++) assert_true(v[k] == 2.5);
  free(s);
  exo_fields_free(F);
}

static void test_pvd(void **state) {
  fixture *fx = *state;
  char path[256];
  path_in(fx, "run.pvd", path, sizeof path);
  const double times[3] = {0, 0, 1440};
  const char *const files[3] = {"cells_0.vtp", "fields_0.vti", "cells_1&.vtp"};
  const int part[3] = {0, 1, 0};
  exo_error err = {0};
  write_ok(exo_vtk_write_pvd(path, times, files, part, 3, &err), &err);
  char *s = slurp(path);
  assert_contains(s, "type=\"Collection\"");
  assert_contains(s, "<DataSet timestep=\"0\" group=\"\" part=\"0\" file=\"cells_0.vtp\"/>");
  assert_contains(s, "<DataSet timestep=\"0\" group=\"\" part=\"1\" file=\"fields_0.vti\"/>");
  assert_contains(s, "<DataSet timestep=\"1440\" group=\"\" part=\"0\" file=\"cells_1&amp;.vtp\"/>");
  assert_int_equal(count(s, "<DataSet"), 3);
  assert_contains(s, "</Collection>\n</VTKFile>");
  free(s);

  write_ok(exo_vtk_write_pvd(path, NULL, NULL, NULL, 0, &err), &err);
  s = slurp(path);
  assert_int_equal(count(s, "<DataSet"), 0);
  assert_contains(s, "<Collection>");
  free(s);
}

static void test_slice_svg(void **state) {
  fixture *fx = *state;
  char path[256];
  path_in(fx, "slice.svg", path, sizeof path);
  exo_error err = {0};
  write_ok(exo_slice_write_svg(path, 2 * 1440 + 90, &fx->view, fx->F, 0, 15, &err), &err);
  char *s = slurp(path);
  assert_true(strncmp(s, "<?xml", 5) == 0 || strncmp(s, "<svg", 4) == 0);
  size_t len = strlen(s);
  assert_true(len > 7 && strcmp(s + len - 7, "</svg>\n") == 0);
  assert_int_equal(count(s, "<svg"), 1);

  /* the three cells the plane cuts, not the two above and below it */
  assert_int_equal(count(s, "<circle"), 3);
  assert_contains(s, "<title>cell 100</title>");
  assert_contains(s, "<title>cell 101</title>");
  assert_contains(s, "<title>cell 102</title>");
  assert_null(strstr(s, "cell 103"));
  assert_null(strstr(s, "cell 104"));
  /* cut radii in pixels: the grid is 50 µm wide, drawn 640 pixels wide */
  char want[64];
  snprintf(want, sizeof want, "r=\"%.2f\"", 5 * 640 / 50.0);
  assert_contains(s, want);
  snprintf(want, sizeof want, "r=\"%.2f\"", sqrt(27.0) * 640 / 50.0);
  assert_contains(s, want);
  assert_contains(s, "fill=\"#9a9a9a\""); /* the dead cell is grey */

  /* heat map: one square per voxel of the layer 10 <= z < 20 (k = 1), coloured from 1020 to 1039 */
  const char *heat = strstr(s, "<g shape-rendering=\"crispEdges\">");
  assert_non_null(heat);
  const char *heat_end = strstr(heat, "</g>");
  assert_non_null(heat_end);
  size_t rects = 0;
  for (const char *p = strstr(heat, "<rect"); p && p < heat_end; p = strstr(p + 1, "<rect")) rects++;
  assert_int_equal(rects, NX * NY);
  assert_contains(s, "min 1020");
  assert_contains(s, "max 1039");
  assert_contains(s, ">vesicles</text>");
  assert_contains(s, "fill=\"#440154\""); /* viridis' ends, at the layer's min and max */
  assert_contains(s, "fill=\"#fde725\"");

  /* legend, time and scale bar */
  assert_contains(s, ">tumour</text>");
  assert_contains(s, ">CD8 &amp; NK</text>");
  assert_contains(s, ">dead</text>");
  assert_contains(s, "t = 2 d 1.5 h");
  assert_contains(s, "slice z = 15 \xC2\xB5m");
  assert_contains(s, "\xC2\xB5m</text>"); /* scale bar label (50 µm for this 50 µm grid) */
  free(s);

  /* the field whose name needs escaping, and no field at all */
  write_ok(exo_slice_write_svg(path, 0, &fx->view, fx->F, 1, 15, &err), &err);
  s = slurp(path);
  assert_contains(s, ">" FIELD1_XML "</text>");
  free(s);
  write_ok(exo_slice_write_svg(path, 0, &fx->view, fx->F, -1, 15, &err), &err);
  s = slurp(path);
  assert_null(strstr(s, "crispEdges"));
  assert_int_equal(count(s, "<circle"), 3);
  free(s);
  write_ok(exo_slice_write_svg(path, 0, &fx->view, NULL, -1, 15, &err), &err);
  s = slurp(path);
  assert_int_equal(count(s, "<circle"), 3);
  free(s);
}

static void test_no_cells(void **state) {
  fixture *fx = *state;
  exo_cells_view none = {0};
  char path[256];
  exo_error err = {0};
  path_in(fx, "empty.vtp", path, sizeof path);
  write_ok(exo_vtk_write_cells(path, 0, &none, &err), &err);
  char *s = slurp(path);
  assert_contains(s, "NumberOfPoints=\"0\"");
  assert_contains(s, "NumberOfVerts=\"0\"");
  assert_contains(s, "</VTKFile>");
  free(s);
  path_in(fx, "empty.svg", path, sizeof path);
  write_ok(exo_slice_write_svg(path, 0, &none, fx->F, 0, 15, &err), &err);
  s = slurp(path);
  assert_int_equal(count(s, "<circle"), 0);
  assert_contains(s, "</svg>");
  free(s);
  write_ok(exo_slice_write_svg(path, 0, &none, NULL, -1, 0, &err), &err);
}

/* Unwritable paths: EXO_ERR_IO naming the path, and no PATH.tmp left anywhere. */
static void test_io_errors(void **state) {
  fixture *fx = *state;
  exo_error err = {0};
  char path[256], tmp[300];

  path_in(fx, "no/such/dir/cells.vtp", path, sizeof path);
  assert_int_equal(exo_vtk_write_cells(path, 0, &fx->view, &err), EXO_ERR_IO);
  assert_int_equal(err.status, EXO_ERR_IO);
  assert_true(strncmp(err.msg, path, strlen(path)) == 0);
  assert_contains(err.msg, ": cannot write: ");
  assert_int_equal(exo_vtk_write_fields("/proc/nonexistent/x.vti", 0, fx->F, &err), EXO_ERR_IO);
  assert_contains(err.msg, "/proc/nonexistent/x.vti: cannot write: ");

  /* the .tmp is written, then the rename fails: the final name is a non-empty folder */
  path_in(fx, "busy.svg", path, sizeof path);
  assert_int_equal(mkdir(path, 0700), 0);
  char inner[300];
  snprintf(inner, sizeof inner, "%s/keep", path);
  FILE *f = fopen(inner, "w");
  assert_non_null(f);
  fclose(f);
  assert_int_equal(exo_slice_write_svg(path, 0, &fx->view, fx->F, 0, 15, &err), EXO_ERR_IO);
  assert_contains(err.msg, ": cannot write: ");
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  assert_false(exists(tmp));
  assert_true(exists(inner));

  /* a full disk, where the system has one: every byte is refused at flush time */
  if (exists("/dev/full")) {
    /* PATH.tmp cannot be /dev/full itself; a symlink named PATH.tmp to it makes the writes fail */
    path_in(fx, "full.vtp", path, sizeof path);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (symlink("/dev/full", tmp) == 0) {
      assert_int_equal(exo_vtk_write_cells(path, 0, &fx->view, &err), EXO_ERR_IO);
      assert_contains(err.msg, ": cannot write: ");
      assert_false(exists(path));
      struct stat sb;
      assert_true(lstat(tmp, &sb) != 0); /* the symlink named .tmp was removed too */
    }
  }
}

static void test_usage_errors(void **state) {
  fixture *fx = *state;
  exo_error err = {0};
  char path[256];
  path_in(fx, "x.vtp", path, sizeof path);
  assert_int_equal(exo_vtk_write_cells(NULL, 0, &fx->view, &err), EXO_ERR_USAGE);
  assert_int_equal(exo_vtk_write_cells("", 0, &fx->view, &err), EXO_ERR_USAGE);
  assert_int_equal(exo_vtk_write_cells(path, 0, NULL, &err), EXO_ERR_USAGE);
  exo_cells_view bad = fx->view;
  bad.x = NULL;
  assert_int_equal(exo_vtk_write_cells(path, 0, &bad, &err), EXO_ERR_USAGE);
  bad = fx->view;
  bad.attr_names = NULL;
  assert_int_equal(exo_vtk_write_cells(path, 0, &bad, &err), EXO_ERR_USAGE);
  bad = fx->view;
  bad.type_names = NULL;
  assert_int_equal(exo_slice_write_svg(path, 0, &bad, fx->F, 0, 0, &err), EXO_ERR_USAGE);
  assert_int_equal(exo_vtk_write_fields(path, 0, NULL, &err), EXO_ERR_USAGE);
  assert_int_equal(exo_vtk_write_pvd(path, NULL, NULL, NULL, 2, &err), EXO_ERR_USAGE);
  assert_int_equal(exo_slice_write_svg(path, 0, &fx->view, fx->F, 2, 0, &err), EXO_ERR_USAGE);
  assert_contains(err.msg, "no field 2");
  assert_int_equal(exo_slice_write_svg(path, 0, &fx->view, NULL, 0, 0, &err), EXO_ERR_USAGE);
  assert_int_equal(exo_slice_write_svg(path, 0, NULL, fx->F, 0, 0, &err), EXO_ERR_USAGE);
  assert_int_equal(exo_slice_write_svg(path, 0, &fx->view, fx->F, 0, NAN, &err), EXO_ERR_USAGE);
  assert_int_equal(exo_vtk_write_cells(path, 0, &fx->view, NULL), EXO_OK); /* err may be NULL */
  assert_int_equal(exo_vtk_write_cells(NULL, 0, &fx->view, NULL), EXO_ERR_USAGE);
  /* nothing was written by the refused calls */
  char tmp[300];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  assert_false(exists(tmp));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_cells_vtp, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fields_vti, setup, teardown),
      cmocka_unit_test_setup_teardown(test_fields_vti_2d, setup, teardown),
      cmocka_unit_test_setup_teardown(test_pvd, setup, teardown),
      cmocka_unit_test_setup_teardown(test_slice_svg, setup, teardown),
      cmocka_unit_test_setup_teardown(test_no_cells, setup, teardown),
      cmocka_unit_test_setup_teardown(test_io_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_usage_errors, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
