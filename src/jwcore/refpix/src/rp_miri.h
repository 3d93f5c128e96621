/* MIRI reference-pixel correction of full-frame up-the-ramp data.
 *
 * MIRI detectors read 4 amplifiers in interleaved columns (column c belongs to amplifier
 * c % 4) and have one reference column per amplifier at each side: columns 0-3 and
 * nx-4..nx-1 (1028-1031 of 1032).  As in the JWST refpix step, every group after the first is
 * taken relative to the first group of its integration; the sigma-clipped means of the left
 * and right reference columns of each amplifier (odd and even rows apart) are averaged and
 * subtracted from the amplifier's columns; the first group is then added back.  When a level
 * has no usable pixels the official step stops correcting: that group and every later one,
 * in this and all later integrations, keep their values.
 */
#ifndef JWCORE_RP_MIRI_H
#define JWCORE_RP_MIRI_H

#include <stddef.h>
#include <stdint.h>

/* in/out: [nints][ngroups][ny][nx] (may alias); ref_ok: [2][4][ny], 1 where the left (0) or
 * right (1) reference pixel of an amplifier in that row may be used.
 * Returns 0, 1 (allocation failure) or 2 (bad arguments). */
int rp_miri_correct(const float *in, float *out, size_t nints, size_t ngroups, size_t ny,
                    size_t nx, const uint8_t *ref_ok, int odd_even_rows, double siglimit,
                    int n_threads);

#endif
