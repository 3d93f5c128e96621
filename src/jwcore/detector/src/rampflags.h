/* Group flags set from the history of a pixel: persistence windows and charge migration.
 *
 * Plain C11 on pointers and sizes; one integration at a time, planes npix long.
 */
#ifndef JWCORE_RAMPFLAGS_H
#define JWCORE_RAMPFLAGS_H

#include <stddef.h>
#include <stdint.h>

#include "jw_status.h"

/* Flag the groups of one integration that fall in a persistence window.
 *
 * window[npix] holds, per pixel, the time (s) at which its current window ends, 0 for
 * none; it is carried from one integration (and exposure) to the next and updated in
 * place.  For group g, read at times[g]: windows that ended before it are closed; the
 * first saturated group of the integration (the group at which the count of SATURATED
 * groups is 1) opens a window of `duration` s, and so does a value above `dn_threshold`
 * (when `data` is given) where no window is open; a window ending after a new one would
 * (opened in the future) is reset; groups inside a window get `flag`.
 *
 * Returns the number of windows reset that way in *n_reset (summed over groups).
 */
int jw_flag_persistence(uint8_t *gdq, const float *data, double *window, const double *times,
                        size_t ngroups, size_t npix, double duration, float dn_threshold,
                        uint8_t sat_flag, uint8_t flag, long *n_reset, int n_threads);

/* Flag charge migration in one integration: every group from the first one whose value is
 * above `threshold` (among groups whose DQ is not exactly `skip_dq`) onwards, for the pixel
 * and its four nearest neighbours, gets `flag`.  `first` is ny*nx scratch (int32). */
int jw_flag_charge_migration(uint8_t *gdq, const float *data, size_t ngroups, size_t ny,
                             size_t nx, float threshold, uint8_t skip_dq, uint8_t flag,
                             int32_t *first, int n_threads);

#endif
