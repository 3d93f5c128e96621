/* Side reference pixels of the near-IR detectors: the row-by-row 1/f signal.
 *
 * Two ways to estimate it, as in the official refpix step:
 *  - running median: the 4 left and 4 right reference columns, already corrected by their
 *    class level, are median-filtered along detector rows over `smooth_len` rows (the ends
 *    reflected, DO_NOT_USE pixels left out); left and right are averaged (a missing side
 *    falls back to the other, both missing gives 0) and scaled by side_gain;
 *  - SIRS (Brandt & Rauscher, spacetelescope/jwst#8482): the per-row means of the left and
 *    right columns, with outliers beyond `sigreject` robust sigmas left out and the means
 *    renormalised, are convolved with a pair of kernels per amplifier.
 */
#ifndef JWCORE_RP_SIDE_H
#define JWCORE_RP_SIDE_H

#include <stddef.h>

#include "rp_nir.h"

typedef struct {
    double *vals;   /* [2][nrows][4] side pixel values after the class correction */
    float *win_f;   /* running-median window, float32 precision */
    double *win_d;  /* running-median window / SIRS medians, float64 precision */
    double *med;    /* [2][nrows] running medians; SIRS: per-row sums and counts */
    double *conv;   /* [4][nrows] SIRS work rows */
    double *signal; /* [nchan][nrows] signal subtracted from each detector row */
} rp_side_work;

int rp_side_alloc(rp_side_work *w, const rp_nir_plan *p);
void rp_side_free(rp_side_work *w);

/* Running-median mode in pieces that can run in parallel: the median of side s (0 left,
 * 1 right) of one group plane into med[nrows_det], then the signal of the two sides. */
void rp_side_median(const rp_nir_plan *p, const float *plane, int f32, const double *lev_cls,
                    size_t s, rp_side_work *w, double *med);
void rp_side_combine(const rp_nir_plan *p, const double *left, const double *right,
                     double *signal);

/* Fill w->signal for one group plane; lev_cls holds the class levels (0 for none). */
void rp_side_signal(const rp_nir_plan *p, const float *plane, int f32, const double *lev_cls,
                    rp_side_work *w);

#endif
