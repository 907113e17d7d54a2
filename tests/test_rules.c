/* PhysiCell's cell rules (src/model/rules.c): every signal and behaviour resolved to its kind
 * and slot, PhysiCell v1 and v3 CSV text, exact messages with positions for bad rows, texts that
 * are not NUL-terminated (read from buffers of exactly their length, so that ASan sees any
 * over-read), a small deterministic mutation run as a stand-in for the fuzzer, and the check
 * that increasing rules of one behaviour share their saturation. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/arena.h"
#include "model/rules.h"

enum { TUMOUR, CD8 };
enum { OXYGEN, TEV };

/* 2 types (tumour, cd8), 2 fields (oxygen, tev), 1 cargo (pdl1_received), 1 variable
 * (oncoprotein), all in one arena. */
typedef struct fixture {
  exo_arena a;
  exo_tissue_spec ts;
} fixture;

static int setup(void **state) {
  fixture *fx = calloc(1, sizeof *fx);
  if (!fx) return -1;
  exo_arena_init(&fx->a);
  exo_arena *a = &fx->a;
  exo_tissue_spec *ts = &fx->ts;
  ts->ntypes = 2;
  ts->types = exo_arena_alloc(a, 2 * sizeof *ts->types);
  ts->nfields = 2;
  ts->fields = exo_arena_alloc(a, 2 * sizeof *ts->fields);
  ts->ncargo = 1;
  ts->cargo = exo_arena_alloc(a, sizeof *ts->cargo);
  ts->nvariables = 1;
  ts->variables = exo_arena_alloc(a, sizeof *ts->variables);
  if (!ts->types || !ts->fields || !ts->cargo || !ts->variables) return -1;
  ts->types[TUMOUR].name = exo_arena_strdup(a, "tumour");
  ts->types[TUMOUR].tumour = true;
  ts->types[CD8].name = exo_arena_strdup(a, "cd8");
  for (int t = 0; t < 2; t++) ts->types[t].population = ts->types[t].recruit_from = -1;
  ts->fields[OXYGEN].spec.name = exo_arena_strdup(a, "oxygen");
  ts->fields[TEV].spec.name = exo_arena_strdup(a, "tev");
  for (int f = 0; f < 2; f++) {
    ts->fields[f].vesicle_class = ts->fields[f].cargo_of = ts->fields[f].drain_to = -1;
    ts->fields[f].drain_scale = exo_tvalue_const(1);
  }
  ts->fields[TEV].vesicle_class = 0;
  ts->cargo[0].name = exo_arena_strdup(a, "pdl1_received");
  ts->cargo[0].field = TEV;
  ts->cargo[0].per_unit = exo_tvalue_const(1);
  ts->cargo[0].decay = exo_tvalue_const(0.01);
  ts->variables[0].name = exo_arena_strdup(a, "oncoprotein");
  ts->variables[0].mean = 1;
  ts->variables[0].sd = 0.25;
  *state = fx;
  return 0;
}

static int teardown(void **state) {
  fixture *fx = *state;
  exo_arena_free(&fx->a);
  free(fx);
  return 0;
}

/* Parses text (copied to a buffer of exactly its length, no NUL after it) as rules.csv,
 * appending to *rules. */
static exo_status parse_csv(fixture *fx, const char *text, exo_rule **rules, int *n, exo_error *err) {
  size_t len = strlen(text);
  char *copy = malloc(len ? len : 1);
  assert_non_null(copy);
  memcpy(copy, text, len);
  exo_status st = exo_rules_parse_csv(&fx->ts, copy, len, "rules.csv", &fx->a, rules, n, err);
  free(copy);
  return st;
}

/* One row that must parse. */
static exo_rule one(fixture *fx, const char *row) {
  exo_rule *rules = NULL;
  int n = 0;
  exo_error err = {0};
  if (parse_csv(fx, row, &rules, &n, &err) != EXO_OK) fail_msg("'%s': %s", row, err.msg);
  assert_int_equal(n, 1);
  return rules[0];
}

/* One row that must fail with status st and exactly message msg. */
static void bad(fixture *fx, const char *text, exo_status st, const char *msg) {
  exo_rule *rules = NULL;
  int n = 0;
  exo_error err = {0};
  exo_status got = parse_csv(fx, text, &rules, &n, &err);
  if (got != st || strcmp(err.msg, msg))
    fail_msg("'%s'\n  gave %s: %s\n  expected %s: %s", text, exo_status_name(got), err.msg, exo_status_name(st), msg);
  assert_int_equal(n, 0);
}

static void test_signals(void **state) {
  fixture *fx = *state;
  static const struct {
    const char *cell;
    exo_sig sig;
    int index;
  } cases[] = {
      {"oxygen", EXO_SIG_FIELD, OXYGEN},
      {"OXYGEN", EXO_SIG_FIELD, OXYGEN},
      {"tev", EXO_SIG_FIELD, TEV},
      {"pdl1_received", EXO_SIG_CARGO, 0},
      {"pdl1  received", EXO_SIG_CARGO, 0},
      {"custom:oncoprotein", EXO_SIG_VARIABLE, 0},
      {"custom: oncoprotein", EXO_SIG_VARIABLE, 0},
      {"contact with cd8", EXO_SIG_CONTACT_TYPE, CD8},
      {"contact_with_Tumour", EXO_SIG_CONTACT_TYPE, TUMOUR},
      {"contact with live cell", EXO_SIG_CONTACT_LIVE, -1},
      {"contact with dead cell", EXO_SIG_CONTACT_DEAD, -1},
      {"pressure", EXO_SIG_PRESSURE, -1},
      {"volume", EXO_SIG_VOLUME, -1},
      {"dead", EXO_SIG_DEAD, -1},
      {"attached cells", EXO_SIG_ATTACHED, -1},
      {"attached", EXO_SIG_ATTACHED, -1},
      {"time", EXO_SIG_TIME, -1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char row[256];
    snprintf(row, sizeof row, "tumour,%s,increases,apoptosis,0.01,0.5,4,1\n", cases[i].cell);
    exo_rule r = one(fx, row);
    if (r.signal != cases[i].sig || r.signal_index != cases[i].index)
      fail_msg("'%s': signal %d index %d, expected %d %d", cases[i].cell, r.signal, r.signal_index, cases[i].sig,
               cases[i].index);
    assert_int_equal(r.cell_type, TUMOUR);
    assert_true(r.increases);
    assert_int_equal(r.behaviour, EXO_BEH_APOPTOSIS);
    assert_true(r.saturation == 0.01 && r.half_max == 0.5 && r.hill == 4);
    assert_true(r.applies_to_dead);
    assert_string_equal(r.file, "rules.csv");
    assert_int_equal(r.pos.line, 1);
    assert_int_equal(r.pos.col, 1);
  }

  /* a name that is both a field and a cargo is the field */
  const char *cargo = fx->ts.cargo[0].name;
  fx->ts.cargo[0].name = "tev";
  exo_rule r = one(fx, "cd8,tev,decreases,migration speed,0,1,1,0");
  assert_int_equal(r.signal, EXO_SIG_FIELD);
  assert_int_equal(r.signal_index, TEV);
  fx->ts.cargo[0].name = cargo;
}

static void test_behaviours(void **state) {
  fixture *fx = *state;
  const int nf = 2;
  static const struct {
    const char *cell;
    int slot;
  } fixed[] = {
      {"cycle entry", EXO_BEH_CYCLE_ENTRY},
      {"Cycle_Entry", EXO_BEH_CYCLE_ENTRY},
      {"apoptosis", EXO_BEH_APOPTOSIS},
      {"necrosis", EXO_BEH_NECROSIS},
      {"migration speed", EXO_BEH_SPEED},
      {"migration persistence time", EXO_BEH_PERSISTENCE},
      {"migration bias", EXO_BEH_BIAS},
      {"cell-cell adhesion", EXO_BEH_ADHESION},
      {"cell-cell repulsion", EXO_BEH_REPULSION},
      {"cell attachment rate", EXO_BEH_ATTACH_RATE},
      {"cell detachment rate", EXO_BEH_DETACH_RATE},
  };
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
    char row[256];
    snprintf(row, sizeof row, "cd8,oxygen,decreases,%s,0.5,2,1,0", fixed[i].cell);
    exo_rule r = one(fx, row);
    if (r.behaviour != fixed[i].slot) fail_msg("'%s': slot %d, expected %d", fixed[i].cell, r.behaviour, fixed[i].slot);
    assert_int_equal(r.cell_type, CD8);
    assert_false(r.increases);
    assert_false(r.applies_to_dead);
  }

  struct {
    const char *cell;
    int slot;
  } per[] = {
      {"oxygen secretion", exo_beh_secretion(OXYGEN)},
      {"oxygen secretion target", exo_beh_target(OXYGEN)},
      {"oxygen_secretion_target", exo_beh_target(OXYGEN)},
      {"oxygen uptake", exo_beh_uptake(OXYGEN)},
      {"tev secretion", exo_beh_secretion(TEV)},
      {"TEV uptake", exo_beh_uptake(TEV)},
      {"chemotactic response to tev", exo_beh_chemotaxis(TEV)},
      {"chemotactic response to oxygen", exo_beh_chemotaxis(OXYGEN)},
      {"attack tumour", exo_beh_attack(nf, TUMOUR)},
      {"attack cd8", exo_beh_attack(nf, CD8)},
      {"transform to cd8", exo_beh_transform(nf, CD8)},
      {"transition to tumour", exo_beh_transform(nf, TUMOUR)},
  };
  for (size_t i = 0; i < sizeof per / sizeof per[0]; i++) {
    char row[256];
    snprintf(row, sizeof row, "cd8,contact with tumour,increases,%s,0.5,2,1,0", per[i].cell);
    exo_rule r = one(fx, row);
    if (r.behaviour != per[i].slot) fail_msg("'%s': slot %d, expected %d", per[i].cell, r.behaviour, per[i].slot);
    assert_int_equal(r.signal, EXO_SIG_CONTACT_TYPE);
    assert_int_equal(r.signal_index, TUMOUR);
  }

  /* every display name is a spelling the parser accepts, for the same slot */
  const char *expect[] = {"cycle entry",
                          "apoptosis",
                          "necrosis",
                          "migration speed",
                          "migration persistence time",
                          "migration bias",
                          "cell-cell adhesion",
                          "cell-cell repulsion",
                          "cell attachment rate",
                          "cell detachment rate",
                          "oxygen secretion",
                          "oxygen secretion target",
                          "oxygen uptake",
                          "chemotactic response to oxygen",
                          "tev secretion",
                          "tev secretion target",
                          "tev uptake",
                          "chemotactic response to tev",
                          "attack tumour",
                          "transform to tumour",
                          "attack cd8",
                          "transform to cd8"};
  int nslots = exo_beh_count(fx->ts.nfields, fx->ts.ntypes);
  assert_int_equal(nslots, (int)(sizeof expect / sizeof expect[0]));
  for (int s = 0; s < nslots; s++) {
    char name[128], row[256];
    assert_string_equal(exo_beh_name(&fx->ts, s, name, sizeof name), expect[s]);
    snprintf(row, sizeof row, "tumour,time,increases,%s,0.5,100,2,0", name);
    assert_int_equal(one(fx, row).behaviour, s);
  }
  char small[8];
  assert_string_equal(exo_beh_name(&fx->ts, exo_beh_secretion(OXYGEN), small, sizeof small), "oxygen ");
}

static void test_numbers(void **state) {
  fixture *fx = *state;
  exo_rule r = one(fx, "tumour,oxygen,decreases,cycle entry,0,21.5,4,false");
  assert_true(r.saturation == 0 && r.half_max == 21.5 && r.hill == 4 && !r.applies_to_dead);
  r = one(fx, "tumour,oxygen,increases,necrosis,2.8e-3,3.75,8,true");
  assert_true(r.saturation == 2.8e-3 && r.applies_to_dead);
  /* chemotaxis may be negative (away from the field); bias is a fraction */
  r = one(fx, "cd8,contact with tumour,increases,chemotactic response to tev,-2.5,1,1,0");
  assert_true(r.saturation == -2.5);
  r = one(fx, "cd8,tev,increases,migration bias,1,1,1,1.0");
  assert_true(r.saturation == 1 && r.applies_to_dead);

  bad(fx, "tumour,oxygen,increases,cycle entry,-1,1,1,0", EXO_ERR_MODEL,
      "rules.csv:1:37: the saturation of a rule for 'cycle entry' must be a number >= 0, not '-1'");
  bad(fx, "tumour,oxygen,increases,attack cd8,-0.1,1,1,0", EXO_ERR_MODEL,
      "rules.csv:1:36: the saturation of a rule for 'attack cd8' must be a number >= 0, not '-0.1'");
  bad(fx, "tumour,oxygen,increases,migration bias,1.5,1,1,0", EXO_ERR_MODEL,
      "rules.csv:1:40: the saturation of a rule for 'migration bias' must be a number from 0 to 1, not '1.5'");
  bad(fx, "tumour,oxygen,increases,chemotactic response to oxygen,x,1,1,0", EXO_ERR_MODEL,
      "rules.csv:1:56: the saturation of a rule for 'chemotactic response to oxygen' must be a number, not 'x'");
  bad(fx, "tumour,oxygen,increases,chemotactic response to oxygen,nan,1,1,0", EXO_ERR_MODEL,
      "rules.csv:1:56: the saturation of a rule for 'chemotactic response to oxygen' must be a number, not 'nan'");
  bad(fx, "tumour,oxygen,increases,apoptosis,inf,1,1,0", EXO_ERR_MODEL,
      "rules.csv:1:35: the saturation of a rule for 'apoptosis' must be a number >= 0, not 'inf'");
  bad(fx, "tumour,oxygen,increases,apoptosis,1,1e999,1,0", EXO_ERR_MODEL,
      "rules.csv:1:37: the half-max of a rule must be a number > 0, not '1e999'");
  bad(fx, "tumour,oxygen,increases,apoptosis,1,0,1,0", EXO_ERR_MODEL,
      "rules.csv:1:37: the half-max of a rule must be a number > 0, not '0'");
  bad(fx, "tumour,oxygen,increases,apoptosis,1,1,0,0", EXO_ERR_MODEL,
      "rules.csv:1:39: the hill power of a rule must be a number > 0, not '0'");
  bad(fx, "tumour,oxygen,increases,apoptosis,1,1,4 x,0", EXO_ERR_MODEL,
      "rules.csv:1:39: the hill power of a rule must be a number > 0, not '4 x'");
  bad(fx, "tumour,oxygen,increases,apoptosis,1,1,1,2", EXO_ERR_MODEL,
      "rules.csv:1:41: the 'applies to dead' cell of a rule must be 0 or 1 (or true/false), not '2'");
  bad(fx, "tumour,oxygen,increase,apoptosis,1,1,1,0", EXO_ERR_MODEL,
      "rules.csv:1:15: the direction of a rule must be 'increases' or 'decreases', not 'increase' (did you mean "
      "'increases'?)");
}

/* A PhysiCell v3 file: comment, blank line, CRLF, quoted cells, a last line without newline. */
static const char *v3_sample = "// cell rules, PhysiCell v3\r\n"
                               "\r\n"
                               "tumour,oxygen,decreases,necrosis,0.0028,3.75,8,0\r\n"
                               "tumour,pressure,decreases,cycle entry,0,1,4,0\r\n"
                               "\"tumour\",contact with cd8,increases,apoptosis,0.01,1,2,0\r\n"
                               "   # indented comment, with commas\r\n"
                               "cd8,tev,increases,\"attack tumour\",0.1,0.5,2,0\r\n"
                               "  cd8 , \"pdl1_received\" ,decreases,attack tumour,0,2,4,0\n"
                               "\t\n"
                               "tumour,custom:oncoprotein,increases,transform to cd8,1e-4,1.5,4,0";

static void test_csv_v3(void **state) {
  fixture *fx = *state;
  exo_rule *rules = NULL;
  int n = 0;
  exo_error err = {0};
  if (parse_csv(fx, v3_sample, &rules, &n, &err) != EXO_OK) fail_msg("%s", err.msg);
  assert_int_equal(n, 6);
  assert_int_equal(rules[0].behaviour, EXO_BEH_NECROSIS);
  assert_true(rules[0].saturation == 0.0028 && rules[0].half_max == 3.75 && rules[0].hill == 8);
  assert_int_equal(rules[0].pos.line, 3);
  assert_int_equal(rules[1].signal, EXO_SIG_PRESSURE);
  assert_int_equal(rules[1].behaviour, EXO_BEH_CYCLE_ENTRY);
  assert_int_equal(rules[2].cell_type, TUMOUR);
  assert_int_equal(rules[2].signal, EXO_SIG_CONTACT_TYPE);
  assert_int_equal(rules[2].pos.line, 5);
  assert_int_equal(rules[3].behaviour, exo_beh_attack(2, TUMOUR));
  assert_int_equal(rules[3].pos.line, 7);
  assert_int_equal(rules[4].cell_type, CD8);
  assert_int_equal(rules[4].signal, EXO_SIG_CARGO);
  assert_false(rules[4].increases);
  assert_int_equal(rules[4].pos.line, 8);
  assert_int_equal(rules[4].pos.col, 3);
  assert_int_equal(rules[5].signal, EXO_SIG_VARIABLE);
  assert_int_equal(rules[5].behaviour, exo_beh_transform(2, CD8));
  assert_true(rules[5].saturation == 1e-4);
  assert_int_equal(rules[5].pos.line, 10);
  assert_string_equal(rules[5].file, "rules.csv");

  /* a second text appends; a text with an error leaves the rules as they were */
  if (parse_csv(fx, "cd8,dead,increases,cell detachment rate,1,1,1,1\n", &rules, &n, &err) != EXO_OK) fail_msg("%s", err.msg);
  assert_int_equal(n, 7);
  assert_int_equal(rules[6].behaviour, EXO_BEH_DETACH_RATE);
  assert_int_equal(rules[0].behaviour, EXO_BEH_NECROSIS);
  exo_rule *before = rules;
  assert_int_equal(parse_csv(fx, "cd8,dead,increases,apoptosis,1,1,1,1\ncd8,x", &rules, &n, &err), EXO_ERR_MODEL);
  assert_int_equal(n, 7);
  assert_ptr_equal(rules, before);

  /* only comments and blanks: no rules, no error */
  exo_rule *none = NULL;
  int nn = 0;
  assert_int_equal(parse_csv(fx, "// nothing\n\n# here\r\n   \n", &none, &nn, &err), EXO_OK);
  assert_int_equal(nn, 0);
  assert_null(none);
  assert_int_equal(parse_csv(fx, "", &none, &nn, &err), EXO_OK);
  assert_int_equal(nn, 0);
}

/* PhysiCell v1: 9 cells, the base value after the behaviour (checked to be a number, then
 * ignored) */
static void test_csv_v1(void **state) {
  fixture *fx = *state;
  exo_rule *rules = NULL;
  int n = 0;
  exo_error err = {0};
  const char *v1 = "tumour,oxygen,decreases,cycle entry,0.00072,0,21.5,4,0\n"
                   "cd8,contact with tumour,increases,attack tumour,0,0.1,0.5,2,1\n";
  if (parse_csv(fx, v1, &rules, &n, &err) != EXO_OK) fail_msg("%s", err.msg);
  assert_int_equal(n, 2);
  assert_int_equal(rules[0].behaviour, EXO_BEH_CYCLE_ENTRY);
  assert_true(rules[0].saturation == 0 && rules[0].half_max == 21.5 && rules[0].hill == 4 && !rules[0].applies_to_dead);
  assert_int_equal(rules[1].behaviour, exo_beh_attack(2, TUMOUR));
  assert_true(rules[1].saturation == 0.1 && rules[1].half_max == 0.5 && rules[1].hill == 2 && rules[1].applies_to_dead);
  bad(fx, "tumour,oxygen,decreases,cycle entry,base,0,21.5,4,0", EXO_ERR_MODEL,
      "rules.csv:1:37: the base value of a rule must be a number, not 'base'");
}

static void test_errors(void **state) {
  fixture *fx = *state;
  bad(fx, "tumor,oxygen,decreases,cycle entry,0,21.5,4,0", EXO_ERR_MODEL,
      "rules.csv:1:1: unknown cell type 'tumor' (did you mean 'tumour'?)");
  bad(fx, "// header\n\ntumour,oxygen,decreases,cycle entri,0,21.5,4,0\n", EXO_ERR_MODEL,
      "rules.csv:3:25: unknown behaviour 'cycle entri' in a rule for 'tumour' (did you mean 'cycle entry'?)");
  bad(fx, "tumour, oxygen ,decreases,  oxygen secretoin ,0,21.5,4,0", EXO_ERR_MODEL,
      "rules.csv:1:29: unknown behaviour 'oxygen secretoin' in a rule for 'tumour' (did you mean 'oxygen secretion'?)");
  bad(fx, "cd8,tev,increases,attack tumor,0.1,1,1,0", EXO_ERR_MODEL,
      "rules.csv:1:19: unknown behaviour 'attack tumor' in a rule for 'cd8' (did you mean 'attack tumour'?)");
  bad(fx, "cd8,tev,increases,fly,0.1,1,1,0", EXO_ERR_MODEL, "rules.csv:1:19: unknown behaviour 'fly' in a rule for 'cd8'");
  bad(fx, "tumour,oxygn,decreases,cycle entry,0,21.5,4,0", EXO_ERR_MODEL,
      "rules.csv:1:8: unknown signal 'oxygn' in a rule for 'tumour' (did you mean 'oxygen'?)");
  bad(fx, "tumour,custom:oncoprotien,decreases,cycle entry,0,21.5,4,0", EXO_ERR_MODEL,
      "rules.csv:1:8: unknown signal 'custom:oncoprotien' in a rule for 'tumour' (did you mean 'custom:oncoprotein'?)");
  bad(fx, "tumour,\"oxy,gen\",decreases,cycle entry,0,21.5,4,0", EXO_ERR_MODEL,
      "rules.csv:1:8: unknown signal 'oxy,gen' in a rule for 'tumour' (did you mean 'oxygen'?)");
  bad(fx, "\"tu\"\"mour\",oxygen,decreases,cycle entry,0,21.5,4,0", EXO_ERR_MODEL,
      "rules.csv:1:1: unknown cell type 'tu\"mour' (did you mean 'tumour'?)");
  bad(fx, "tumour,oxygen,decreases,cycle entry,0,abc,4,0", EXO_ERR_MODEL,
      "rules.csv:1:39: the half-max of a rule must be a number > 0, not 'abc'");
  bad(fx, "tumour,oxygen,decreases,cycle entry,0,21.5,4\n", EXO_ERR_MODEL,
      "rules.csv:1:1: a rule has 8 cells (cell type, signal, direction, behaviour, saturation, half-max, hill power, "
      "applies to dead), this one has 7");
  bad(fx, "tumour,oxygen,decreases,cycle entry,0,21.5,4,0,,", EXO_ERR_MODEL,
      "rules.csv:1:1: a rule has 8 cells (cell type, signal, direction, behaviour, saturation, half-max, hill power, "
      "applies to dead), this one has 10");
  bad(fx, "\n  tumour,oxygen,decreases,cycle entry,0,21.5,4,0,1,2,3,4,5,6,7,8,9,10,11,12", EXO_ERR_MODEL,
      "rules.csv:2:3: a rule has 8 cells (cell type, signal, direction, behaviour, saturation, half-max, hill power, "
      "applies to dead), this one has 20");
  bad(fx, "tumour,\"oxygen,decreases,cycle entry,0,21.5,4,0\r\n", EXO_ERR_SYNTAX,
      "rules.csv:1:8: a quoted cell has no closing quote");
  bad(fx, "tumour,\"oxygen\"x,decreases,cycle entry,0,21.5,4,0", EXO_ERR_SYNTAX,
      "rules.csv:1:16: unexpected text after the closing quote of a cell (a comma must follow)");
  bad(fx, "tumour,intracellular oxygen,decreases,cycle entry,0,21.5,4,0", EXO_ERR_MODEL,
      "rules.csv:1:8: 'intracellular oxygen' is a PhysiCell signal exosim does not model yet");
  bad(fx, "tumour,oxygen gradient,decreases,cycle entry,0,21.5,4,0", EXO_ERR_MODEL,
      "rules.csv:1:8: 'oxygen gradient' is a PhysiCell signal exosim does not model yet");
  bad(fx, "tumour,total attack time,increases,apoptosis,0,1,4,0", EXO_ERR_MODEL,
      "rules.csv:1:8: 'total attack time' is a PhysiCell signal exosim does not model yet");
  bad(fx, "cd8,contact with tumour,increases,phagocytose tumour,0,1,4,0", EXO_ERR_MODEL,
      "rules.csv:1:35: 'phagocytose tumour' is a PhysiCell behaviour exosim does not model yet");
  bad(fx, "cd8,contact with tumour,increases,is_movable,0,1,4,0", EXO_ERR_MODEL,
      "rules.csv:1:35: 'is_movable' is a PhysiCell behaviour exosim does not model yet");
  bad(fx, "cd8,contact with tumour,increases,oxygen export,0,1,4,0", EXO_ERR_MODEL,
      "rules.csv:1:35: 'oxygen export' is a PhysiCell behaviour exosim does not model yet");
  bad(fx, "tumour,oxygen,decreases,cycle entry,0,21.5,4,0\ncd8,\xc3\xa9t\xc3\xa9,decreases,apoptosis,0,1,1,0", EXO_ERR_MODEL,
      "rules.csv:2:5: unknown signal '\xc3\xa9t\xc3\xa9' in a rule for 'cd8'");
  /* columns count characters: the é before the cell is one column */
  bad(fx, "cd8,\xc3\xa9,decreases,fly,0,1,1,0", EXO_ERR_MODEL, "rules.csv:1:5: unknown signal '\xc3\xa9' in a rule for 'cd8'");

  /* exo_rule_parse directly: without positions the message keeps its "FILE: " */
  const char *cells[8] = {"tumour", "oxygen", "decreases", "cycle entri", "0", "21.5", "4", "0"};
  exo_rule r;
  exo_error err = {0};
  assert_int_equal(exo_rule_parse(&fx->ts, cells, 8, NULL, "model.yaml", &r, &err), EXO_ERR_MODEL);
  assert_string_equal(err.msg, "model.yaml: unknown behaviour 'cycle entri' in a rule for 'tumour' (did you mean 'cycle entry'?)");
  exo_pos_ts pos[8] = {{12, 7}, {12, 15}, {12, 23}, {12, 34}, {12, 47}, {12, 50}, {12, 56}, {12, 59}};
  assert_int_equal(exo_rule_parse(&fx->ts, cells, 8, pos, "model.yaml", &r, &err), EXO_ERR_MODEL);
  assert_string_equal(err.msg,
                      "model.yaml:12:34: unknown behaviour 'cycle entri' in a rule for 'tumour' (did you mean 'cycle entry'?)");
  cells[3] = " cycle entry ";
  assert_int_equal(exo_rule_parse(&fx->ts, cells, 8, pos, "model.yaml", &r, &err), EXO_OK);
  assert_int_equal(r.behaviour, EXO_BEH_CYCLE_ENTRY);
  assert_int_equal(r.pos.line, 12);
  assert_int_equal(r.pos.col, 7);
  assert_int_equal(exo_rule_parse(&fx->ts, cells, 3, pos, "model.yaml", &r, &err), EXO_ERR_MODEL);
  assert_non_null(strstr(err.msg, "model.yaml:12:7: a rule has 8 cells"));
  assert_non_null(strstr(err.msg, "this one has 3"));
}

/* Texts cut anywhere, never NUL-terminated: every prefix of the sample, then a few thousand
 * deterministic mutations. Each must give EXO_OK or a one-line message, and nothing that ASan
 * or UBSan would report. */
static void test_not_nul_terminated(void **state) {
  fixture *fx = *state;
  size_t len = strlen(v3_sample);
  for (size_t cut = 0; cut <= len; cut++) {
    char *buf = malloc(cut ? cut : 1);
    assert_non_null(buf);
    memcpy(buf, v3_sample, cut);
    exo_rule *rules = NULL;
    int n = 0;
    exo_error err = {0};
    exo_status st = exo_rules_parse_csv(&fx->ts, buf, cut, "cut.csv", &fx->a, &rules, &n, &err);
    if (st != EXO_OK) {
      assert_non_null(strstr(err.msg, "cut.csv:"));
      assert_null(strchr(err.msg, '\n'));
    }
    free(buf);
  }
  /* the whole text, exactly len bytes: all six rules */
  char *buf = malloc(len);
  assert_non_null(buf);
  memcpy(buf, v3_sample, len);
  exo_rule *rules = NULL;
  int n = 0;
  exo_error err = {0};
  assert_int_equal(exo_rules_parse_csv(&fx->ts, buf, len, "exact.csv", &fx->a, &rules, &n, &err), EXO_OK);
  assert_int_equal(n, 6);
  free(buf);

  /* a NUL inside a line is refused, not read as the end */
  static const char with_nul[] = "tumour,oxygen,decreases,cycle entry,0,1,1,0\ncd8,ox\0ygen,decreases,apoptosis,0,1,1,0";
  n = 0;
  rules = NULL;
  assert_int_equal(exo_rules_parse_csv(&fx->ts, with_nul, sizeof with_nul - 1, "nul.csv", &fx->a, &rules, &n, &err),
                   EXO_ERR_SYNTAX);
  assert_string_equal(err.msg, "nul.csv:2:7: a NUL byte in a rule");

  static const char alphabet[] = ",\"\r\n #/_ tumourcd8oxygen0.51e-\t\xc3\xa9\xff\0";
  uint64_t seed = 0x243f6a8885a308d3u;
  char work[512];
  for (int iter = 0; iter < 4000; iter++) {
    size_t m = len;
    memcpy(work, v3_sample, m);
    int edits = 1 + (int)(iter % 8);
    for (int e = 0; e < edits; e++) {
      seed = seed * 6364136223846793005u + 1442695040888963407u;
      size_t at = (size_t)(seed >> 33) % (m + 1);
      char c = alphabet[(seed >> 17) % (sizeof alphabet - 1)];
      switch ((seed >> 9) % 3) {
      case 0: if (at < m) work[at] = c; break;
      case 1:
        if (m < sizeof work) {
          memmove(work + at + 1, work + at, m - at);
          work[at] = c;
          m++;
        }
        break;
      default:
        if (at < m) {
          memmove(work + at, work + at + 1, m - at - 1);
          m--;
        }
      }
    }
    seed = seed * 6364136223846793005u + 1442695040888963407u;
    size_t cut = (size_t)(seed >> 33) % (m + 1);
    char *text = malloc(cut ? cut : 1);
    assert_non_null(text);
    memcpy(text, work, cut);
    rules = NULL;
    n = 0;
    exo_status st = exo_rules_parse_csv(&fx->ts, text, cut, "fuzz.csv", &fx->a, &rules, &n, &err);
    if (st != EXO_OK) {
      assert_true(st == EXO_ERR_MODEL || st == EXO_ERR_SYNTAX);
      assert_int_equal(n, 0);
      assert_null(strchr(err.msg, '\n'));
    }
    free(text);
  }
}

static void test_check(void **state) {
  fixture *fx = *state;
  exo_rule *rules = NULL;
  int n = 0;
  exo_error err = {0};
  const char *ok = "tumour,oxygen,increases,cycle entry,0.1,1,2,0\n"
                   "tumour,pressure,increases,cycle entry,0.1,1,2,0\n"
                   "tumour,pressure,decreases,cycle entry,0,1,2,0\n"    /* the other direction */
                   "cd8,oxygen,increases,cycle entry,0.3,1,2,0\n"       /* another type */
                   "tumour,oxygen,increases,apoptosis,0.3,1,2,0\n";     /* another behaviour */
  if (parse_csv(fx, ok, &rules, &n, &err) != EXO_OK) fail_msg("%s", err.msg);
  fx->ts.rules = rules;
  fx->ts.nrules = n;
  assert_int_equal(exo_rules_check(&fx->ts, &err), EXO_OK);

  if (parse_csv(fx, "// more\ntumour,volume,increases,Cycle Entry,0.2,1,2,0\n", &rules, &n, &err) != EXO_OK)
    fail_msg("%s", err.msg);
  fx->ts.rules = rules;
  fx->ts.nrules = n;
  assert_int_equal(exo_rules_check(&fx->ts, &err), EXO_ERR_MODEL);
  assert_string_equal(err.msg, "rules.csv:2:1: the increasing rules of 'cycle entry' in 'tumour' must share their "
                               "saturation value: 0.2 here, 0.1 in the rule at rules.csv:1:1");

  /* rules built in C: no position, and out-of-range indices are caught */
  exo_rule c[2] = {{.cell_type = CD8, .signal = EXO_SIG_TIME, .signal_index = -1, .increases = false,
                    .behaviour = EXO_BEH_SPEED, .saturation = 0, .half_max = 1, .hill = 1},
                   {.cell_type = CD8, .signal = EXO_SIG_DEAD, .signal_index = -1, .increases = false,
                    .behaviour = EXO_BEH_SPEED, .saturation = 0.5, .half_max = 1, .hill = 1}};
  fx->ts.rules = c;
  fx->ts.nrules = 2;
  assert_int_equal(exo_rules_check(&fx->ts, &err), EXO_ERR_MODEL);
  assert_string_equal(err.msg, "the decreasing rules of 'migration speed' in 'cd8' must share their saturation value: "
                               "0.5 here, 0 in rule 1");
  c[1].saturation = 0;
  assert_int_equal(exo_rules_check(&fx->ts, &err), EXO_OK);
  c[1].signal = EXO_SIG_FIELD;
  c[1].signal_index = 2;
  assert_int_equal(exo_rules_check(&fx->ts, &err), EXO_ERR_MODEL);
  assert_string_equal(err.msg, "rule 2 has a signal out of range");
  c[1].signal_index = TEV;
  c[1].behaviour = exo_beh_count(2, 2);
  assert_int_equal(exo_rules_check(&fx->ts, &err), EXO_ERR_MODEL);
  assert_string_equal(err.msg, "rule 2 has a behaviour out of range");
  fx->ts.rules = NULL;
  fx->ts.nrules = 0;
  assert_int_equal(exo_rules_check(&fx->ts, &err), EXO_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_signals, setup, teardown),
      cmocka_unit_test_setup_teardown(test_behaviours, setup, teardown),
      cmocka_unit_test_setup_teardown(test_numbers, setup, teardown),
      cmocka_unit_test_setup_teardown(test_csv_v3, setup, teardown),
      cmocka_unit_test_setup_teardown(test_csv_v1, setup, teardown),
      cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
      cmocka_unit_test_setup_teardown(test_not_nul_terminated, setup, teardown),
      cmocka_unit_test_setup_teardown(test_check, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
