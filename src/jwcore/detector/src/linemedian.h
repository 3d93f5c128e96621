/* Medians of the masked values of each row or column of an image.
 *
 * Plain C11 on pointers and sizes.
 */
#ifndef JWCORE_LINEMEDIAN_H
#define JWCORE_LINEMEDIAN_H

#include <stddef.h>
#include <stdint.h>

#include "jw_status.h"

/* Median of the values of each line of a ny x nx image where use[] is non-zero.
 *
 * axis 1: one median per row (nlines = ny, along x); axis 0: one per column.
 * out[nlines] gets the median -- the middle value, or for an even count the two middle
 * values summed and halved in single precision, as numpy.ma.median does -- and
 * fill_value for a line with no usable value.  NaN among the used values gives NaN. */
int jw_masked_line_medians(const float *img, const uint8_t *use, size_t ny, size_t nx,
                           int axis, float fill_value, float *out, int n_threads);

#endif
