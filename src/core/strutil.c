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

size_t exo_utf8_len(const unsigned char *s, size_t avail) {
  if (!avail) return 0;
  unsigned c = s[0];
  if (c < 0x80) return 1;
  size_t len = c >= 0xf0 && c <= 0xf4 ? 4 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xc2 && c <= 0xdf ? 2 : 0;
  if (!len || avail < len) return 0;
  unsigned cp = c & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07);
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (s[i] & 0x3f);
  }
  if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff))) return 0;
  return len;
}
