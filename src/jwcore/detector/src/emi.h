/* MIRI EMI: sums of ramp values by phase of the interference waveform.
 *
 * Plain C11 on pointers and sizes.
 */
#ifndef JWCORE_EMI_H
#define JWCORE_EMI_H

#include <stddef.h>
#include <stdint.h>

#include "jw_status.h"

/* Accumulate one integration's ramps into phase bins.
 *
 * data         [ngroups][ny][nx] ramp values
 * ok           [ny][nx] 1 for a pixel used in the fit
 * phase_index  [ny][nx/4] phase bin of each pixel of an output channel row (all four
 *              channels, read simultaneously, share it)
 * sum_y        [nphases][ngroups] += the ramps of the used pixels of each bin
 * count        [nphases] += the number of used pixels of each bin
 *
 * Columns 1 and 2 of each channel (bad reference columns) are left out.  Unused pixels
 * add their value times 0, so a NaN or infinity among them spoils its bin exactly as in
 * the JWST emicorr step, whose summation order (rows, then channel columns, then
 * channels) is also kept. */
int jw_emi_phase_sums(const float *data, const uint8_t *ok, const int32_t *phase_index,
                      size_t ngroups, size_t ny, size_t nx, size_t nphases, double *sum_y,
                      double *count);

#endif
