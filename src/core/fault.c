#include "core/fault.h"

#include <stdlib.h>

static _Thread_local long fail_countdown; /* 0: off */

void exo_fault_fail_alloc_after(long n) { fail_countdown = n; }

static int should_fail(void) {
  if (fail_countdown <= 0) return 0;
  return --fail_countdown == 0;
}

void *exo_malloc(size_t size) { return should_fail() ? NULL : malloc(size); }
void *exo_calloc(size_t n, size_t size) { return should_fail() ? NULL : calloc(n, size); }
void *exo_realloc(void *p, size_t size) { return should_fail() ? NULL : realloc(p, size); }
