#include "io/iohelp.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "core/strutil.h"

exo_status exo__mkdir_p(const char *dir, const char *what, exo_error *err) {
  char path[4096];
  if (!*dir) return exo_error_set(err, EXO_ERR_IO, "the %s name is empty", what);
  if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path)
    return exo_error_set(err, EXO_ERR_IO, "%s: output path too long", dir);
  for (char *p = path + 1;; p++) {
    if (*p == '/' || *p == '\0') {
      char c = *p;
      *p = '\0';
      if (mkdir(path, 0777) && errno != EEXIST)
        return exo_error_set(err, EXO_ERR_IO, "%s: cannot create the %s: %s", path, what, strerror(errno));
      *p = c;
      if (!c) break;
    }
  }
  struct stat sb;
  if (stat(dir, &sb) || !S_ISDIR(sb.st_mode))
    return exo_error_set(err, EXO_ERR_IO, "%s: cannot create the %s: not a directory", dir, what);
  return EXO_OK;
}

void exo__write_escaped(FILE *f, const char *s, bool (*ascii)(FILE *f, unsigned char c), const char *bad) {
  const unsigned char *p = (const unsigned char *)(s ? s : "");
  size_t left = strlen((const char *)p);
  while (left) {
    if (*p < 0x80) {
      if (!ascii(f, *p)) fputc(*p, f);
      p++, left--;
      continue;
    }
    size_t len = exo_utf8_len(p, left);
    if (len) fwrite(p, 1, len, f);
    else fputs(bad, f);
    len = len ? len : 1;
    p += len, left -= len;
  }
}
