/* libFuzzer target: therapy schedules (read_schedule and list_with_unit, static in
 * src/model/therapy.c), reached through exo_model_load_string.
 *
 * The input is spliced into a fixed, valid model as the schedule part of one therapy's flow
 * mapping, after its other keys:
 *
 *     therapies:
 *       x: {kind: vesicle_removal, pools: [blood.TEX], rate: 0.5 /h, <INPUT>}
 *
 * so that an input such as
 *     at: "[0, 7, 14] days", duration: 4 h
 *     every: 7 days, times: 4, start: 1 day
 *     from: 0 days, until: 28 days
 *     at: [0 days, 7 days]
 * is a whole schedule. vesicle_removal is a window kind: every schedule form is allowed (at,
 * every, from/until, duration). An input that starts with '!' is spliced, without the '!', into
 * a therapy of a kind that only gives doses, where from/until and duration are refused:
 *
 *       x: {kind: cell_transfer, population: T, dose: 1e6 cells, <INPUT>}
 *
 * Each newline of the input is followed by four spaces, so that a schedule written over several
 * lines stays inside the flow mapping instead of ending the document's indentation. The model
 * has an arm giving the therapy; a model that loads has its arm's dose days read and the arm
 * chosen, then it is freed. Inputs that break out of the mapping ('}') are fine: they test the
 * loader around it.
 *
 * Seeds: fuzz/seeds/schedule.txt; dictionary: fuzz/dict/schedule.dict. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exosim/model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char head[] = "exosim: 1\n"
                           "name: schedule\n"
                           "compartments: {tumour: 1 mL, blood: 5 L}\n"
                           "populations:\n"
                           "  T: {compartment: tumour, initial: 1e8 cells, role: tumour}\n"
                           "vesicles:\n"
                           "  TEX: {compartments: [tumour, blood], initial: 0 vesicles}\n"
                           "processes:\n"
                           "  - {name: grow, kind: growth, target: T, rate: 0.1 /day}\n"
                           "  - {name: shed, kind: secretion, by: T, into: tumour.TEX, rate: 1e3 /day}\n"
                           "  - {name: drain, kind: transfer, from: tumour.TEX, to: blood.TEX, rate: 2 /day}\n"
                           "arms:\n"
                           "  control: []\n"
                           "  treated: [x]\n"
                           "therapies:\n";
static const char window_kind[] = "  x: {kind: vesicle_removal, pools: [blood.TEX], rate: 0.5 /h, ";
static const char dose_kind[] = "  x: {kind: cell_transfer, population: T, dose: 1e6 cells, ";
static const char tail[] = "}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *kind = window_kind;
  if (size > 0 && data[0] == '!') {
    kind = dose_kind;
    data++;
    size--;
  }
  size_t newlines = 0;
  for (size_t i = 0; i < size; i++) newlines += data[i] == '\n';
  size_t hl = sizeof head - 1, kl = strlen(kind), tl = sizeof tail - 1;
  size_t len = hl + kl + size + 4 * newlines + tl;
  char *text = malloc(len);
  if (!text) return 0;
  char *w = text;
  memcpy(w, head, hl);
  w += hl;
  memcpy(w, kind, kl);
  w += kl;
  for (size_t i = 0; i < size; i++) {
    *w++ = (char)data[i];
    if (data[i] == '\n') {
      memcpy(w, "    ", 4);
      w += 4;
    }
  }
  memcpy(w, tail, tl);
  exo_model *m = NULL;
  exo_error err = {0};
  if (exo_model_load_string(text, len, "schedule.yaml", &m, &err) == EXO_OK) {
    double days[64];
    for (int i = 0; i < exo_model_arm_count(m); i++) {
      (void)exo_model_arm_dose_days(m, i, days, 64);
      (void)exo_model_choose_arm(m, exo_model_arm_name(m, i), &err);
    }
    exo_model_free(m);
  }
  free(text);
  return 0;
}
