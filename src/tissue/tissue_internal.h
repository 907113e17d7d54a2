/* The tissue engine's state, shared by its parts: cells.c (the agent arrays), mechanics.c
 * (neighbour bins, forces, motility, contact), phenotype.c (rules, cycle, death, volume,
 * transformation, recruitment) and tissue.c (set-up, the time loop, coupling, recording). */
#ifndef EXO_TISSUE_INTERNAL_H
#define EXO_TISSUE_INTERNAL_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exosim/tissue.h"
#include "model/model.h"
#include "model/tissue_spec.h"
#include "systemic/stepper.h"

/* The agents: one column per attribute, rows ordered for locality (see exo_cells_sort).
 * Columns are separate arrays so a loop touches only what it reads; every column is listed in
 * a table so growth, removal and reordering treat them all alike. */
typedef struct exo_cells {
  size_t n, cap;
  int nslot, ncargo, nvar, nfields;
  long *id;
  int *type;
  unsigned char *dead;    /* 0 live, 1 apoptotic, 2 necrotic */
  double *x, *y, *z;
  double *vx, *vy, *vz;    /* velocity of the last mechanics step (Adams–Bashforth) */
  double *nvx, *nvy, *nvz; /* velocity being computed this step (swapped with vx.. after) */
  double *mx, *my, *mz;    /* motile velocity, kept for the persistence time */
  double *volume, *radius, *pressure;
  double *death_time;      /* minutes, when it died */
  int *phase;              /* cycle phase (types with cycle_phases) */
  double *phase_age;       /* minutes spent in it */
  long *attached;          /* id of the cell it is attached to, or -1 */
  size_t *voxel;
  double **beh;            /* nslot columns: behaviour values now */
  double **cargo;          /* ncargo columns: received cargo (counts) */
  double **var;            /* nvar columns: custom variables */
  /* the column table */
  int ncol;
  void ***col;             /* address of each column pointer */
  size_t *col_size;        /* element size of each column */
  void **scratch;          /* one spare buffer per distinct element size, for reordering */
} exo_cells;

exo_status exo_cells_init(exo_cells *c, int nslot, int ncargo, int nvar, int nfields, size_t cap, exo_error *err);
void exo_cells_free(exo_cells *c);
/* Room for at least n rows. */
exo_status exo_cells_reserve(exo_cells *c, size_t n, exo_error *err);
/* Removes rows whose keep[i] is 0, keeping the order of the rest. */
void exo_cells_compact(exo_cells *c, const unsigned char *keep);
/* Reorders rows by perm (new row i is old row perm[i]). */
void exo_cells_permute(exo_cells *c, const size_t *perm);
/* Bytes of agent storage per row (all columns). */
size_t exo_cells_row_bytes(const exo_cells *c);

/* Uniform bins of edge >= the largest interaction distance: a cell's neighbours are in its own
 * bin and the 26 around it. Built by a stable counting sort of the rows, so bin contents come in
 * row order whatever the thread count. */
typedef struct exo_bins {
  double lo[3], edge;
  int nb[3];
  size_t nbins;
  size_t *start; /* nbins + 1 */
  size_t *rows;  /* row indices, grouped by bin */
  size_t *bin;   /* the bin of each row */
  size_t cap;
} exo_bins;

/* The rules of one (cell type, behaviour): rule_order[first..last) index the spec's rules. */
typedef struct exo_rule_group {
  int slot, first, last;
  double max_up, min_down;
} exo_rule_group;

struct exo_tissue {
  const exo_model *m;
  const exo_tissue_spec *ts;
  exo_tissue_settings set;
  uint64_t seed;
  int threads;
  exo_fields *F;
  exo_cells c;
  exo_bins bins;
  exo_stepper *sys;       /* NULL without coupling */
  double *params;         /* model parameters as the systemic model has them now */
  double *static_params;  /* the model's own values when there is no coupling */

  double t;               /* minutes */
  long step_diff, step_mech, step_phen; /* steps taken of each kind */
  long next_id;
  long *id_row;           /* row of each id, or -1 (size id_cap) */
  size_t id_cap;
  double max_radius;      /* for bin sizing */
  int contact_range;      /* bins to search around a cell for attachment */
  double box_lo[3], box_hi[3]; /* where cells may be (µm) */
  double vox_lo[3], dx;   /* the fields' grid: low corner and voxel edge */
  size_t vox_n[3];
  int dims;
  double *type_base;      /* ntypes x nslot: behaviour base values now */
  double *cargo_gain;     /* ncargo: received cargo per unit taken up, now */
  exo_rule_group *groups; /* grouped by type: groups[group_first[t] .. group_first[t+1]) */
  int *group_first;       /* ntypes + 1 */
  int *rule_order;
  bool rules_need_contacts;
  int *contacts;          /* n x (ntypes + 2): touching cells per type, live, dead (phenotype step) */

  /* per-cell mechanics constants, refreshed at the start of each mechanics step:
   * sqrt(repulsion), sqrt(adhesion), adhesion reach (a r) */
  double *mech_srep, *mech_sadh, *mech_reach;
  size_t mech_cap;

  /* the exchange with the fields, rebuilt when behaviours or voxels change */
  exo_fields_site *sites;
  double *site_rates;     /* n x 3 x nfields: secretion, target, uptake */
  double *taken;          /* n x nfields */
  size_t sites_cap;
  bool need_exchange, need_taken;

  /* recording */
  size_t ncol;
  char **colnames;
  double *row;
  double next_output, output_every, end;
  double next_snapshot, snapshot_every;
  double next_sort;
  double *drain_accum;    /* per field: amount drained since the last coupling */

  const char **type_names; /* ntypes, for views */
  int interrupted;
  exo_tissue_stats stats;
};

/* mechanics.c */
exo_status exo_tissue_bins_build(exo_tissue *T, exo_error *err);
exo_status exo_tissue_mechanics_prepare(exo_tissue *T, exo_error *err);
void exo_tissue_mechanics_step(exo_tissue *T, double dt);
void exo_tissue_contact_step(exo_tissue *T, double dt);
void exo_tissue_count_contacts(exo_tissue *T);
/* Spatial sort by bin (stable), then id -> row map and exchange sites rebuilt. */
exo_status exo_tissue_sort(exo_tissue *T, exo_error *err);
void exo_tissue_update_voxels(exo_tissue *T);

/* A value of the spec now: its constant or parameter, times its factor (therapy blocks) read off
 * the systemic model's current states and parameters. */
double exo_tissue_value(const exo_tissue *T, exo_tvalue v);

/* phenotype.c */
void exo_tissue_refresh_base(exo_tissue *T);
void exo_tissue_apply_rules(exo_tissue *T);
exo_status exo_tissue_phenotype_step(exo_tissue *T, double dt, exo_error *err);
/* Appends a cell of type `type` at p with a fresh id; variables drawn from their distributions
 * (parent < 0) or copied from row parent. Returns the new row, or -1 (error set). */
long exo_tissue_add_cell(exo_tissue *T, int type, const double p[3], double volume, long parent, exo_error *err);
void exo_tissue_rebuild_id_map(exo_tissue *T);
exo_status exo_tissue_rebuild_sites(exo_tissue *T, exo_error *err);

static inline double exo_tissue_radius_of(double volume) { return cbrt(volume * (3.0 / (4.0 * 3.14159265358979323846))); }

#endif
