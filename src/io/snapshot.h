/* Tissue snapshots: cells as VTK PolyData points (.vtp), fields as VTK ImageData (.vti), a
 * ParaView collection (.pvd) listing them by time, and a 2-D slice picture (SVG) of cells
 * coloured by type over a field. Each file is written to "PATH.tmp", flushed, fsynced and
 * renamed, so a file under its final name is always whole. */
#ifndef EXO_IO_SNAPSHOT_H
#define EXO_IO_SNAPSHOT_H

#include <stddef.h>

#include "exosim/fields.h"
#include "exosim/status.h"
#include "exosim/tissue.h"

/* exo_cells_view (a read-only view of the cells) is defined in exosim/tissue.h */

/* PATH (.vtp): VTK XML PolyData, one vertex per cell, point data: id, type, dead, radius and
 * every attribute; field data TIME (minutes). ASCII or appended raw binary is the writer's
 * choice; ParaView and Python's vtk/meshio must open it. */
exo_status exo_vtk_write_cells(const char *path, double time_min, const exo_cells_view *c, exo_error *err);

/* PATH (.vti): VTK XML ImageData of every field (cell data, one array per field, named by the
 * field), origin at the domain's low corner, spacing dx. */
exo_status exo_vtk_write_fields(const char *path, double time_min, const exo_fields *F, exo_error *err);

/* PATH (.pvd): a ParaView collection of n datasets: files[i] (relative to the .pvd's folder)
 * at times[i] (minutes), part part[i] (0 cells, 1 fields). */
exo_status exo_vtk_write_pvd(const char *path, const double *times, const char *const *files, const int *part, size_t n,
                             exo_error *err);

/* PATH (.svg): the plane z = z_um of the domain: field `field` as a heat map (field < 0: none)
 * with a colour bar and its name, cells cut by the plane drawn as circles of their cut radius
 * coloured by type (dead cells grey), a legend of types, a scale bar and the time. */
exo_status exo_slice_write_svg(const char *path, double time_min, const exo_cells_view *c, const exo_fields *F, int field,
                               double z_um, exo_error *err);

#endif
