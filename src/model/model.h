/* The in-memory model: every section of a model file, resolved to indices and internal units.
 * Everything is allocated from one arena owned by the model. */
#ifndef EXO_MODEL_MODEL_H
#define EXO_MODEL_MODEL_H

#include "core/arena.h"
#include "exosim/model.h"
#include "exosim/units.h"
#include "model/expr.h"

typedef struct exo_pos {
  int line, col; /* 1-based; 0 when not from a file */
} exo_pos;

typedef enum exo_species_kind { EXO_KIND_CELLS, EXO_KIND_VESICLES, EXO_KIND_MOLECULES } exo_species_kind;

typedef struct exo_compartment {
  const char *name;
  double volume; /* um^3 */
  exo_pos pos;
} exo_compartment;

/* One ODE state: a species (population, vesicle pool or molecule) in one compartment. */
typedef struct exo_state {
  const char *species;
  const char *column;  /* "compartment.species" */
  int compartment;
  exo_species_kind kind;
  bool tumour;         /* role: tumour */
  double initial;      /* counts */
  exo_pos pos;
} exo_state;

typedef struct exo_param {
  const char *name;
  double value;        /* internal units */
  exo_dim dim;
  const char *written; /* as written in the file, for summaries */
  const char *owner;   /* the process that owns it (built-in process parameters), or NULL */
  exo_pos pos;
} exo_param;

typedef struct exo_stoich {
  int state;
  double coef;
} exo_stoich;

typedef struct exo_process {
  const char *name;
  const char *kind;    /* "rate", "growth", "clearance", ... */
  const char *rate_text;
  exo_expr *rate;      /* count/time */
  const char *block_text; /* the product of the (1 - f) factors therapies put on it, or NULL */
  exo_stoich *stoich;
  int nstoich;
  bool enabled;
  int therapy;         /* 0: part of the model; k: made for therapy k-1 (on only in its arms) */
  bool switched_off;   /* --set mech.NAME=off on a therapy's process: stays off in its arms */
  exo_pos pos;
} exo_process;

typedef enum exo_event_action { EXO_EVENT_ADD, EXO_EVENT_SET_PARAM, EXO_EVENT_SCALE } exo_event_action;

typedef struct exo_event {
  double time;         /* minutes */
  exo_event_action action;
  int target;          /* state (ADD, SCALE) or parameter (SET_PARAM) */
  double value;
  const char *label;
  int order;           /* position in the file: equal times apply in file order */
  int therapy;         /* 0: part of the model; k: a dose of therapy k-1 (applied only in its arms) */
  /* with value_param >= 0 the value is read when the event happens: params[value_param] /
   * params[divisor_param] (divisor_param < 0: 1), so a --set of a dose or of the value a
   * parameter returns to counts */
  int value_param, divisor_param;
} exo_event;

typedef struct exo_output {
  const char *name;
  const char *text;
  exo_expr *expr;
  const char *unit; /* the unit its column is written in ("/day"), or NULL for internal units */
  double unit_factor; /* internal value / unit_factor = value in that unit */
  const char *figure; /* the extra figure of exosim compare it is drawn in ("cargo_exposure"), or NULL */
  exo_pos pos;
} exo_output;

typedef enum exo_linsolver { EXO_LINSOL_AUTO, EXO_LINSOL_DENSE, EXO_LINSOL_BAND } exo_linsolver;
/* How the right-hand side is evaluated: the interpreter, or the same program compiled to native
 * code with the system C compiler (auto: native when that works, the interpreter otherwise). */
typedef enum exo_rhs_mode { EXO_RHS_AUTO, EXO_RHS_NATIVE, EXO_RHS_INTERPRETER } exo_rhs_mode;

typedef struct exo_solver_settings {
  double end_time;     /* minutes */
  double output_every; /* minutes */
  double *output_times; /* explicit output times (minutes, increasing), or NULL */
  int noutput_times;
  double rtol, atol;
  long max_steps;      /* per output interval */
  exo_linsolver linsolver;
  exo_rhs_mode rhs_mode;
} exo_solver_settings;

/* A therapy of the model file's 'therapies:' section, already turned into states, processes,
 * parameters and events that are off unless an arm that includes it is chosen. */
typedef struct exo_therapy {
  const char *name, *kind, *description;
  double *dose_times; /* minutes: when doses are given or exposure starts */
  int ndose;
  exo_pos pos;
} exo_therapy;

/* A treatment arm: the therapies it gives. */
typedef struct exo_arm {
  const char *name, *description;
  int *therapies;
  int ntherapy;
} exo_arm;

/* A host variant ("immunodeficient"): a named list of overrides, chosen with --set host=NAME. */
typedef struct exo_host {
  const char *name, *description;
  const char **set_name, **set_value;
  int nset;
} exo_host;

struct exo_model {
  exo_arena arena;
  const char *name, *description, *source_path;
  char hash[65];
  exo_compartment *comps;
  int ncomp;
  exo_state *states;
  int nstate;
  exo_param *params;
  int nparam;
  exo_process *procs;
  int nproc;
  exo_event *events;
  int nevent;
  exo_output *outputs;
  int noutput;
  exo_solver_settings solver;
  exo_host *hosts;
  int nhost;
  const char *host; /* the chosen host, or NULL (the model as written) */
  exo_therapy *therapies;
  int ntherapy;
  bool *therapy_on;  /* ntherapy: set by choosing an arm */
  exo_arm *arms;
  int narm;
  const char *arm;   /* the chosen arm, or NULL (no therapy) */
  /* the 'tissue' section (model/tissue_spec.h), in this arena; NULL when the model has none */
  struct exo_tissue_spec *tissue;
};


int exo_model_find_param(const exo_model *m, const char *name);
int exo_model_find_process(const exo_model *m, const char *name);
/* A state by "compartment.species", or by bare species name when it lives in one compartment. */
int exo_model_find_state(const exo_model *m, const char *name);
const char *exo_kind_name(exo_species_kind k);
/* One override (see exo_model_set); with apply false it only checks. label prefixes messages. */
exo_status exo_model_override(exo_model *m, const char *name, const char *val, const char *label, bool apply,
                              exo_error *err);
/* "auto", "native" or "interpreter"; returns -1 for anything else. */
int exo_rhs_mode_parse(const char *text, exo_rhs_mode *out);

#endif
