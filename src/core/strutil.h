#ifndef EXO_CORE_STRUTIL_H
#define EXO_CORE_STRUTIL_H
#include <stdbool.h>
#include <stddef.h>
/* Edit distance (insert, delete, substitute), capped: returns cap+1 when larger. */
int exo_edit_distance(const char *a, const char *b, int cap);
/* The candidate nearest to word, or NULL when none is close enough to be a likely typo. */
const char *exo_nearest(const char *word, const char *const *candidates, size_t n);
/* The length (1 to 4) of the well-formed UTF-8 character at s, looking at no more than avail
 * bytes, or 0 when it is not one (overlong forms, surrogates and code points above U+10FFFF
 * included). */
size_t exo_utf8_len(const unsigned char *s, size_t avail);
/* A valid name: [A-Za-z_][A-Za-z0-9_]* */
bool exo_is_identifier(const char *s);
#endif
