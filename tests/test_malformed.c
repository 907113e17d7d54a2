/* Every file in tests/malformed/ must be rejected with the message its first line promises:
 *   # expect: LINE:COL: SUBSTRING
 * i.e. the error reads "PATH:LINE:COL: ..." and contains SUBSTRING. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "exosim/model.h"

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void test_corpus(void **state) {
  (void)state;
  const char *dir = EXO_SOURCE_DIR "/tests/malformed";
  DIR *d = opendir(dir);
  assert_non_null(d);
  char *names[512];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 512) {
    size_t len = strlen(e->d_name);
    if (len > 5 && !strcmp(e->d_name + len - 5, ".yaml")) names[n++] = strdup(e->d_name);
  }
  closedir(d);
  qsort(names, (size_t)n, sizeof *names, by_name);
  if (n < 30) fail_msg("only %d malformed files; the corpus needs at least 30", n);
  int failures = 0;
  for (int i = 0; i < n; i++) {
    char path[1024], line[512], pos[64], want[1024];
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    if (!fgets(line, sizeof line, f) || sscanf(line, "# expect: %63[0-9:]", pos) != 1) fail_msg("%s: no '# expect: LINE:COL: ...' line", names[i]);
    fclose(f);
    const char *sub = strstr(line, pos) + strlen(pos);
    while (*sub == ' ') sub++;
    snprintf(want, sizeof want, "%s", sub);
    want[strcspn(want, "\n")] = '\0';
    exo_model *m = NULL;
    exo_error err = {0};
    exo_status st = exo_model_load_file(path, &m, &err);
    char prefix[1200];
    snprintf(prefix, sizeof prefix, "%s:%s", path, pos);
    if (pos[strlen(pos) - 1] == ':') prefix[strlen(prefix) - 1] = '\0';
    if (st == EXO_OK) {
      print_error("%s: loaded without error\n", names[i]);
      failures++;
      exo_model_free(m);
    } else if (strncmp(err.msg, prefix, strlen(prefix)) || err.msg[strlen(prefix)] != ':' || !strstr(err.msg, want)) {
      print_error("%s:\n  got:  %s\n  want: %s: ...%s...\n", names[i], err.msg, prefix, want);
      failures++;
    }
    free(names[i]);
  }
  if (failures) fail_msg("%d of %d malformed files did not give their expected message", failures, n);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_corpus)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
