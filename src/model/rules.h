/* PhysiCell's cell-behaviour rules: reading them from a model file's `rules:` list or from a
 * PhysiCell cell_rules.csv, unchanged. Names (cell types, fields, cargo, custom variables) are
 * resolved against a tissue spec whose types, fields, cargo and variables are already filled.
 *
 * A row has 8 cells (PhysiCell v2/v3):
 *     cell type, signal, increases|decreases, behaviour, saturation value, half-max, hill power, applies to dead
 * or 9 cells (PhysiCell v1, with the base value after the behaviour; the base value is ignored
 * here because the cell type's own value is the base, and a note says so in docs/model-file.md).
 *
 * Signals: a field name; a cargo name; "custom:NAME"; "contact with TYPE"; "contact with live
 * cell"; "contact with dead cell"; "pressure"; "volume"; "dead"; "attached"
 * ("attached cells"); "time"; PhysiCell's "intracellular X"/"X gradient" are refused with a
 * message saying they are not supported.
 * Behaviours: "cycle entry", "apoptosis", "necrosis", "migration speed", "migration
 * persistence time", "migration bias", "cell-cell adhesion", "cell-cell repulsion", "cell
 * attachment rate", "cell detachment rate", "FIELD secretion", "FIELD secretion target",
 * "FIELD uptake", "chemotactic response to FIELD", "attack TYPE", "transform to TYPE"
 * (also PhysiCell's spelling "transition to TYPE"). Names are matched case-insensitively with
 * runs of blanks and underscores equal. */
#ifndef EXO_MODEL_RULES_H
#define EXO_MODEL_RULES_H

#include <stddef.h>

#include "core/arena.h"
#include "exosim/status.h"
#include "model/tissue_spec.h"

/* One rule from its cells. cell_pos (may be NULL) gives the position of each cell for
 * messages, which read "FILE:LINE:COL: ..." naming the cell that is wrong and suggesting the
 * nearest known name. Values: saturation any finite number (>= 0 for rates), half-max > 0,
 * hill power > 0, applies-to-dead 0 or 1 (also true/false). */
exo_status exo_rule_parse(const exo_tissue_spec *ts, const char *const *cells, int ncells, const exo_pos_ts *cell_pos,
                          const char *file, exo_rule *out, exo_error *err);

/* A whole cell_rules.csv text (comment lines starting with "//" or "#" and blank lines
 * skipped; quoted cells allowed; CRLF accepted). Appends to *rules (grown in arena a; *nrules
 * counts them). *rules must be NULL or an array grown by exo_arena_grow in a (it relies on the
 * capacity that leaves); on an error *rules and *nrules are left as they were. text need not be
 * NUL-terminated: no byte at or past len is read. Positions are the line and the 1-based column
 * (in characters) of a cell's first non-blank character. */
exo_status exo_rules_parse_csv(const exo_tissue_spec *ts, const char *text, size_t len, const char *file, exo_arena *a,
                               exo_rule **rules, int *nrules, exo_error *err);

/* Checks the rules of a spec together: the increasing rules of one behaviour of one type must
 * share their saturation value (likewise the decreasing ones), naming both rules if not. */
exo_status exo_rules_check(const exo_tissue_spec *ts, exo_error *err);

/* The display name of a behaviour slot ("oxygen secretion", "attack tumour") into buf. */
const char *exo_beh_name(const exo_tissue_spec *ts, int slot, char *buf, size_t n);

#endif
