/* Order statistics on small double buffers, shared by the jump kernels.
 *
 * Plain C11, no globals.  Every function works in place on a caller-owned buffer.
 */
#ifndef JWCORE_JUMP_SELECT_H
#define JWCORE_JUMP_SELECT_H

#include <stddef.h>

/* The k-th smallest of a[0..n-1] (0-based) by Wirth's partition selection; a is permuted so
 * that a[0..k-1] <= a[k] <= a[k+1..n-1].  No NaN may be present. */
double jw_kth_smallest(double *a, int n, int k);

/* Median of a[0..n-1] (mean of the two middle values for even n); a is permuted.  NaN for
 * n == 0.  Equal to numpy's median of the same values. */
double jw_median(double *a, int n);

/* The same for float32 values, with the float32 arithmetic of numpy's median on float32
 * arrays (the two middle values are added in single precision). */
float jw_median_f(float *a, int n);

/* Median as astropy's sigma clipping computes it: two Wirth selections for even n (upper then
 * lower middle), each permuting the buffer; the permutation matters to later sums. */
double jw_wirth_median(double *a, int n);

/* astropy.stats.sigma_clip bounds of one vector (cenfunc median, stdfunc std, sigma on both
 * sides, maxiters iterations or until nothing changes).  `buf` holds the `n` finite values
 * and is overwritten.  Returns 0 and sets *lo, *hi; with n == 0 they are NaN. */
void jw_sigclip_bounds(double *buf, int n, double sigma, int maxiters, double *lo, double *hi);

/* numpy.nanmedian of n float32 values (an image), the NaNs left out: the middle value, or
 * for an even count the float32 sum of the two middle values halved, as numpy computes it
 * on float32.  NaN when every value is NaN.  The input is not modified; the selection is a
 * two-pass radix select (16 bits of the order-preserving key per pass) whose histograms
 * are counted by up to n_threads threads, so the result does not depend on them.  Returns
 * 0, or 1 when scratch memory (2 x 256 kB per thread) is short. */
int jw_nanmedian_f32(const float *a, size_t n, int n_threads, float *out);

#endif
