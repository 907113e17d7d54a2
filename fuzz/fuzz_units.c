/* libFuzzer target: exo_quantity_parse ("0.18 /day") and exo_unit_parse ("um^2/min") on the input
 * as one NUL-terminated string (copied into a buffer of exactly size + 1 bytes, so ASan sees any
 * read past the terminator). A unit that parses is also formatted with exo_dim_format.
 *
 * Seeds: fuzz/seeds/units.txt; dictionary: fuzz/dict/units.dict. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exosim/units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  exo_error err = {0};
  exo_quantity q;
  char buf[128];
  if (exo_quantity_parse(text, &q, &err) == EXO_OK) exo_dim_format(q.dim, buf, sizeof buf);
  double factor;
  exo_dim dim;
  if (exo_unit_parse(text, &factor, &dim, &err) == EXO_OK) {
    exo_dim_format(dim, buf, sizeof buf);
    (void)exo_unit_is_known(text);
  }
  free(text);
  return 0;
}
