/* Order statistics and clipped means of reference pixels, rounded exactly like NumPy.
 *
 * The official pipeline averages reference pixels with scipy.stats.sigmaclip on float32
 * arrays (or float64, see rp_nir.h), so its reference levels carry NumPy's float32 rounding:
 * pairwise summation with eight accumulators in blocks of 128, division of the float32 sum by
 * the count in double precision, and so on.  A one-ulp difference in a reference level moves
 * every corrected pixel of a large value by one ulp, so these functions reproduce that
 * arithmetic operation by operation; they are the basis of the bit-for-bit parity of the
 * near-IR and MIRI kernels.
 *
 * Plain C11, no globals.  Compile with -ffp-contract=off: a fused multiply-add would change
 * the rounding.
 */
#ifndef JWCORE_RP_STATS_H
#define JWCORE_RP_STATS_H

#include <stddef.h>

/* Sum of a[0..n) in NumPy's add.reduce order (0 + pairwise sum), in float or double. */
float rp_sum_f(const float *a, size_t n);
double rp_sum_d(const double *a, size_t n);

/* A reference level and how NumPy typed it: a float32 scalar or a float64 one.  The type
 * decides the rounding of every later operation on it (see rp_avg_level). */
typedef struct {
    double value; /* holds the float32 value exactly when !is_f64 */
    int is_f64;
    int valid; /* 0: no good pixels ("None" in the official code) */
} rp_level;

/* Mean of `buf` after iterative sigma clipping at `low`/`high` standard deviations, as
 * scipy.stats.sigmaclip + ndarray.mean compute it on a float32 (f) or float64 (d) array.
 * When all values are equal the float64 mean is returned (the official code skips clipping
 * then).  `buf` is used as scratch (clipped values are compacted in place).  n == 0 gives an
 * invalid level. */
rp_level rp_clipped_mean_f(float *buf, size_t n, double low, double high);
rp_level rp_clipped_mean_d(double *buf, size_t n, double low, double high);

/* 0.5 * (a + b) with NumPy scalar promotion, treating an invalid level as missing. */
rp_level rp_avg_level(rp_level a, rp_level b);

/* Median as numpy.median computes it (mean of the two middle values for even n, NaN when any
 * value is NaN).  `buf` is reordered.  n == 0 gives NaN. */
float rp_median_f(float *buf, size_t n);
double rp_median_d(double *buf, size_t n);

/* The same median of n values already sorted in ascending order (no NaN). */
float rp_median_sorted_f(const float *s, size_t n);
double rp_median_sorted_d(const double *s, size_t n);

#endif
