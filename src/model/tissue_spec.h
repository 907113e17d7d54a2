/* The tissue form of a model: what the `tissue:` section of a model file says (or what a program
 * builds in C): the domain and its fields, the cell types as agents with PhysiCell-style
 * phenotypes, the rules that tie signals to behaviours, and the coupling to the systemic model.
 * Everything lives in the model's arena (or the caller's memory when built in C). Internal units:
 * µm, minutes, counts; field values are counts per µm³.
 *
 * A number that may be changed by a therapy or by --set is a "value": either a constant or the
 * index of a model parameter, read when the run needs it, so one parameter drives the systemic
 * and the tissue engine alike. */
#ifndef EXO_MODEL_TISSUE_SPEC_H
#define EXO_MODEL_TISSUE_SPEC_H

#include <stdbool.h>

#include "exosim/fields.h"

typedef struct exo_pos_ts {
  int line, col;
} exo_pos_ts; /* the same as exo_pos (model.h), repeated so this header stands alone */

struct exo_expr;

/* A constant (param < 0) or model parameter `param` times `scale` (a unit conversion), times
 * `factor` when there is one: a dimensionless expression over the model's parameters and
 * systemic states, evaluated every phenotype step. That is how therapies reach the tissue: a
 * value written `{value: V, blocked_like: PROCESS}` gets the product of the (1 - block) factors
 * the model's therapies put on PROCESS (secretion blocks, antibodies), so the tissue and the
 * systemic model are treated alike. */
typedef struct exo_tvalue {
  double value;
  int param;
  double scale;
  const struct exo_expr *factor;
} exo_tvalue;

/* --- behaviours: what a rule can change. Per cell a vector of slots:
 *   [0, EXO_BEH_FIXED)                the fixed behaviours below
 *   then per field f: secretion, secretion target, uptake, chemotactic response
 *   then per cell type t: attack (kill rate against t), transform (rate of turning into t)
 */
typedef enum exo_beh {
  EXO_BEH_CYCLE_ENTRY,  /* division rate, 1/min ("cycle entry") */
  EXO_BEH_APOPTOSIS,    /* 1/min */
  EXO_BEH_NECROSIS,     /* 1/min */
  EXO_BEH_SPEED,        /* µm/min ("migration speed") */
  EXO_BEH_PERSISTENCE,  /* min ("migration persistence time") */
  EXO_BEH_BIAS,         /* 0..1 ("migration bias") */
  EXO_BEH_ADHESION,     /* µm/min ("cell-cell adhesion") */
  EXO_BEH_REPULSION,    /* µm/min ("cell-cell repulsion") */
  EXO_BEH_ATTACH_RATE,  /* 1/min ("cell attachment rate") */
  EXO_BEH_DETACH_RATE,  /* 1/min ("cell detachment rate") */
  EXO_BEH_FIXED
} exo_beh;

enum { EXO_BEH_PER_FIELD = 4, EXO_BEH_PER_TYPE = 2 };
static inline int exo_beh_secretion(int f) { return EXO_BEH_FIXED + EXO_BEH_PER_FIELD * f; }
static inline int exo_beh_target(int f) { return EXO_BEH_FIXED + EXO_BEH_PER_FIELD * f + 1; }
static inline int exo_beh_uptake(int f) { return EXO_BEH_FIXED + EXO_BEH_PER_FIELD * f + 2; }
static inline int exo_beh_chemotaxis(int f) { return EXO_BEH_FIXED + EXO_BEH_PER_FIELD * f + 3; }
static inline int exo_beh_attack(int nfields, int t) { return EXO_BEH_FIXED + EXO_BEH_PER_FIELD * nfields + EXO_BEH_PER_TYPE * t; }
static inline int exo_beh_transform(int nfields, int t) {
  return EXO_BEH_FIXED + EXO_BEH_PER_FIELD * nfields + EXO_BEH_PER_TYPE * t + 1;
}
static inline int exo_beh_count(int nfields, int ntypes) {
  return EXO_BEH_FIXED + EXO_BEH_PER_FIELD * nfields + EXO_BEH_PER_TYPE * ntypes;
}

/* --- signals: what a rule reads */
typedef enum exo_sig {
  EXO_SIG_FIELD,        /* index: field; the value in the cell's voxel (count/µm³) */
  EXO_SIG_CARGO,        /* index: cargo variable; what the cell has received (count) */
  EXO_SIG_VARIABLE,     /* index: custom variable ("custom:oncoprotein") */
  EXO_SIG_CONTACT_TYPE, /* index: cell type; number of touching cells of that type */
  EXO_SIG_CONTACT_LIVE, /* touching live cells */
  EXO_SIG_CONTACT_DEAD, /* touching dead cells */
  EXO_SIG_PRESSURE,     /* PhysiCell's simple pressure (dimensionless) */
  EXO_SIG_VOLUME,       /* µm³ */
  EXO_SIG_DEAD,         /* 1 dead, 0 live */
  EXO_SIG_ATTACHED,     /* number of attachments */
  EXO_SIG_TIME          /* minutes since the start */
} exo_sig;

/* One row of PhysiCell's rule grammar: in cells of `cell_type`, `signal` increases (or
 * decreases) `behaviour` towards `saturation` with a Hill function of the given half-max and
 * power. Rules of one behaviour combine as PhysiCell does:
 *     U = sum_up (s/h)^n / (1 + sum_up (s/h)^n), D likewise over the decreasing rules,
 *     b = base + (max_up - base) U;   b = b + (min_down - b) D.
 * (max_up: the saturation of the increasing rules, which must agree; likewise min_down.) */
typedef struct exo_rule {
  int cell_type;
  exo_sig signal;
  int signal_index; /* field, cargo, variable or type, per signal; -1 otherwise */
  bool increases;
  int behaviour;    /* a behaviour slot (see above) */
  double saturation, half_max, hill;
  bool applies_to_dead;
  const char *file; /* where it was written, for messages */
  exo_pos_ts pos;
} exo_rule;

/* --- fields */
typedef struct exo_tissue_field {
  exo_field_spec spec;  /* name, diffusion, decay, initial, boundary; cargo list */
  int vesicle_class;    /* index into the model's vesicle states' species, or -1 (a cytokine/nutrient).
                           The model loader numbers the distinct species of the states of kind
                           EXO_KIND_VESICLES in state order (the order of the 'vesicles' section):
                           the first vesicle species is 0, whatever compartments it lives in. */
  int cargo_of;         /* the vesicle field this cargo field rides with, or -1 */
  int drain_to;         /* systemic state that receives what leaves the domain, or -1 */
  exo_tvalue drain_scale; /* systemic count per tissue count drained (default 1) */
  exo_pos_ts pos;
} exo_tissue_field;

/* A per-cell quantity received with vesicles: uptake of `field` adds amount x per_unit, and it
 * decays at `decay` (1/min). PD-L1 received from tumour exosomes, say. */
typedef struct exo_tissue_cargo {
  const char *name;
  int field;
  exo_tvalue per_unit; /* dimensionless; a therapy can block it (blocked_like) */
  exo_tvalue decay;
} exo_tissue_cargo;

/* A custom per-cell variable drawn at birth from a normal distribution (clipped at 0) and
 * inherited by daughters: PhysiCell's "oncoprotein". */
typedef struct exo_tissue_variable {
  const char *name;
  double mean, sd;
} exo_tissue_variable;

typedef enum exo_placement {
  EXO_PLACE_NONE,   /* no cells at the start */
  EXO_PLACE_SPHERE, /* packed in a ball of radius r_outer (hexagonal close packing) */
  EXO_PLACE_SHELL,  /* uniformly at random in the shell r_inner..r_outer */
  EXO_PLACE_BOX     /* uniformly at random in the domain */
} exo_placement;

typedef struct exo_cell_type {
  const char *name;
  int population;        /* systemic state this type stands for (counts, recruitment), or -1 */
  bool tumour;           /* counts into tumour_burden */
  double volume;         /* target volume, µm³ */
  double volume_rate;    /* relaxation of volume to its target, 1/min */
  double adhesion_distance; /* relative maximum adhesion distance (PhysiCell 1.25) */
  double apoptosis_duration, necrosis_duration; /* min a dead cell stays before removal */
  exo_tvalue *base;      /* behaviour slots: exo_beh_count(nfields, ntypes) */
  /* contact: attachment to cells of a type it attacks, within attach_distance (µm, surface to
   * surface beyond touching); the target's immunogenicity scales attach and kill chances as
   * clamp((v - threshold) / (saturation - threshold), 0, 1) of target variable v (-1: always 1) */
  double attach_distance;
  int immunogenicity_variable;
  double immunogenicity_threshold, immunogenicity_saturation;
  /* cycle: without phases a cell divides at its "cycle entry" rate. With phases (PhysiCell's
   * phase-duration models) it goes through them in order and divides on leaving the last; a
   * phase lasts a fixed duration (duration > 0) or is left at a rate (duration 0: the rate
   * phase_rate, or for phase 0 the cell's "cycle entry" behaviour, which rules can change) */
  int nphases;
  double *phase_duration; /* nphases, min; 0: a rate phase */
  double *phase_rate;     /* nphases, 1/min (phase 0: ignored, cycle entry is used) */
  /* start */
  exo_placement placement;
  long initial_count;
  double r_inner, r_outer, center[3];
  /* recruitment into the domain from the systemic model: per minute, recruit x the systemic
   * state `recruit_from` (counts), entering at the domain boundary */
  exo_tvalue recruit;
  int recruit_from;
  exo_pos_ts pos;
} exo_cell_type;

typedef struct exo_tissue_spec {
  exo_grid_spec grid;
  double dt_diffusion, dt_mechanics, dt_phenotype; /* min: 0.01, 0.1, 6 */
  double sort_every;     /* min between spatial sorts of the cell arrays (default: dt_phenotype) */
  double snapshot_every; /* min between VTK snapshots; 0: none */
  double end_time;       /* min: how long a tissue run lasts (tissue.end); 0: the model's simulation.end */
  double output_every;   /* min between recorded rows (tissue.output_every); 0: simulation.output_every */
  long max_cells;        /* refuse to grow beyond (a clear error, not an out-of-memory) */
  exo_tissue_field *fields;
  int nfields;
  exo_cell_type *types;
  int ntypes;
  exo_tissue_cargo *cargo;
  int ncargo;
  exo_tissue_variable *variables;
  int nvariables;
  exo_rule *rules;
  int nrules;
  const char *rules_file; /* a PhysiCell cell_rules.csv, already read into rules; for the record */
} exo_tissue_spec;

/* The value without its factor (the engine evaluates factors; see exo_tissue_value). */
static inline double exo_tvalue_get(exo_tvalue v, const double *params) {
  return v.param >= 0 ? params[v.param] * v.scale : v.value;
}
static inline exo_tvalue exo_tvalue_const(double v) { return (exo_tvalue){v, -1, 1.0, NULL}; }

#endif
