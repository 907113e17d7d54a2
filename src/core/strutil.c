#include "core/strutil.h"

#include <ctype.h>
#include <string.h>

int exo_edit_distance(const char *a, const char *b, int cap) {
  size_t la = strlen(a), lb = strlen(b);
  if (la > 64 || lb > 64) return cap + 1;
  int row[65];
  for (size_t j = 0; j <= lb; j++) row[j] = (int)j;
  for (size_t i = 1; i <= la; i++) {
    int prev = row[0], best = row[0] = (int)i;
    for (size_t j = 1; j <= lb; j++) {
      int cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
      int v = prev + cost;
      if (row[j] + 1 < v) v = row[j] + 1;
      if (row[j - 1] + 1 < v) v = row[j - 1] + 1;
      prev = row[j];
      row[j] = v;
      if (v < best) best = v;
    }
    if (best > cap) return cap + 1;
  }
  return row[lb] > cap ? cap + 1 : row[lb];
}

const char *exo_nearest(const char *word, const char *const *candidates, size_t n) {
  size_t len = strlen(word);
  int cap = len <= 3 ? 1 : len <= 6 ? 2 : 3;
  const char *best = NULL;
  int bestd = cap + 1;
  for (size_t i = 0; i < n; i++) {
    if (!candidates[i]) continue;
    int d = exo_edit_distance(word, candidates[i], cap);
    if (d < bestd) {
      bestd = d;
      best = candidates[i];
    }
  }
  return best;
}

bool exo_is_identifier(const char *s) {
  if (!(isalpha((unsigned char)*s) || *s == '_')) return false;
  for (s++; *s; s++)
    if (!(isalnum((unsigned char)*s) || *s == '_')) return false;
  return true;
}
