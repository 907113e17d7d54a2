/* Allocation through one door, so tests can make the n-th allocation fail (fault injection in the
 * manner of SQLite) and check that every caller reports EXO_ERR_NOMEM instead of crashing.
 * The countdown is per thread, so tests running in parallel do not disturb each other. */
#ifndef EXO_CORE_FAULT_H
#define EXO_CORE_FAULT_H

#include <stddef.h>

void *exo_malloc(size_t size);
void *exo_calloc(size_t n, size_t size);
void *exo_realloc(void *p, size_t size);
/* Fail the n-th allocation from now (1 = the next); 0 switches injection off. */
void exo_fault_fail_alloc_after(long n);

#endif
