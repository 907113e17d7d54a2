/* libFuzzer target: PhysiCell cell_rules.csv text through exo_rules_parse_csv, resolved against a
 * fixed tissue spec built in C (the one of tests/test_rules.c): 2 cell types (tumour, cd8),
 * 2 fields (oxygen, tev), 1 cargo (pdl1_received, riding on tev), 1 custom variable
 * (oncoprotein). The input is passed as it is, data and size, NOT NUL-terminated: the contract
 * is that no byte at or past len is read, and libFuzzer's buffer ends exactly there, so ASan
 * reports any over-read. Rules that parse are checked together with exo_rules_check. The spec and
 * the rules live in one arena per input.
 *
 * Seeds: the .csv files of tests/data and fuzz/seeds/rules.txt; dictionary: fuzz/dict/rules.dict. */
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "model/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int build_spec(exo_arena *a, exo_tissue_spec *ts) {
  *ts = (exo_tissue_spec){0};
  ts->ntypes = 2;
  ts->types = exo_arena_alloc(a, 2 * sizeof *ts->types);
  ts->nfields = 2;
  ts->fields = exo_arena_alloc(a, 2 * sizeof *ts->fields);
  ts->ncargo = 1;
  ts->cargo = exo_arena_alloc(a, sizeof *ts->cargo);
  ts->nvariables = 1;
  ts->variables = exo_arena_alloc(a, sizeof *ts->variables);
  if (!ts->types || !ts->fields || !ts->cargo || !ts->variables) return -1;
  ts->types[0].name = "tumour";
  ts->types[0].tumour = true;
  ts->types[1].name = "cd8";
  for (int t = 0; t < 2; t++) ts->types[t].population = ts->types[t].recruit_from = -1;
  ts->fields[0].spec.name = "oxygen";
  ts->fields[1].spec.name = "tev";
  for (int f = 0; f < 2; f++) {
    ts->fields[f].vesicle_class = ts->fields[f].cargo_of = ts->fields[f].drain_to = -1;
    ts->fields[f].drain_scale = exo_tvalue_const(1);
  }
  ts->fields[1].vesicle_class = 0;
  ts->cargo[0].name = "pdl1_received";
  ts->cargo[0].field = 1;
  ts->cargo[0].per_unit = exo_tvalue_const(1);
  ts->cargo[0].decay = exo_tvalue_const(0.01);
  ts->variables[0].name = "oncoprotein";
  ts->variables[0].mean = 1;
  ts->variables[0].sd = 0.25;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  exo_arena a;
  exo_arena_init(&a);
  exo_tissue_spec ts;
  if (build_spec(&a, &ts) == 0) {
    exo_rule *rules = NULL;
    int n = 0;
    exo_error err = {0};
    if (exo_rules_parse_csv(&ts, (const char *)data, size, "fuzz.csv", &a, &rules, &n, &err) == EXO_OK) {
      ts.rules = rules;
      ts.nrules = n;
      char name[64];
      for (int i = 0; i < n; i++) (void)exo_beh_name(&ts, rules[i].behaviour, name, sizeof name);
      (void)exo_rules_check(&ts, &err);
    }
  }
  exo_arena_free(&a);
  return 0;
}
