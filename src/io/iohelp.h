/* Small pieces the writers (run files, plots, report) share. */
#ifndef EXO_IO_IOHELP_H
#define EXO_IO_IOHELP_H

#include <stdbool.h>
#include <stdio.h>

#include "exosim/status.h"

/* Creates dir and its parents; what names it in messages ("output directory", "plot
 * directory"): "PATH: cannot create the WHAT: reason". */
exo_status exo__mkdir_p(const char *dir, const char *what, exo_error *err);

/* Writes s byte by byte: ascii(f, c) writes an ASCII byte c its own way and returns true, or
 * returns false to have it copied; a well-formed UTF-8 character is copied whole and anything
 * else is replaced by the text bad. Used for JSON strings and HTML text. */
void exo__write_escaped(FILE *f, const char *s, bool (*ascii)(FILE *f, unsigned char c), const char *bad);

#endif
