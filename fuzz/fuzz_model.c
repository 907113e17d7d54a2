/* libFuzzer target: a whole model file through exo_model_load_string (YAML, every section, units,
 * expressions, therapies, arms, hosts, the tissue section with its rules). A model that loads is
 * also summarised (to /dev/null) and every arm chosen once, then freed; a model that does not
 * load must leave nothing allocated. The input is passed with its length, not NUL-terminated.
 *
 * Seeds: the .yaml files under models/, tests/malformed and tests/data (fuzz/corpus.sh); dictionary:
 * fuzz/dict/model.dict. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "exosim/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  exo_model *m = NULL;
  exo_error err = {0};
  if (exo_model_load_string((const char *)data, size, "fuzz.yaml", &m, &err) != EXO_OK) return 0;
  FILE *devnull = fopen("/dev/null", "w");
  if (devnull) {
    exo_model_print_summary(m, devnull);
    fclose(devnull);
  }
  double days[64];
  for (int i = 0; i < exo_model_arm_count(m); i++) {
    (void)exo_model_arm_dose_days(m, i, days, 64);
    (void)exo_model_choose_arm(m, exo_model_arm_name(m, i), &err);
  }
  (void)exo_model_choose_arm(m, NULL, &err);
  exo_model_free(m);
  return 0;
}
