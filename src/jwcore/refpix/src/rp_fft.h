/* Complex FFT of length N = P * Q (P odd, Q a power of 2), in place, for the IRS2 filters.
 *
 * The IRS2 time series of one detector output is 712 x 2048 = 89 * 2^14 samples long, so the
 * transform is split in the four-step way:
 *   time index  n = n1 + P * n2   (array row n1, column n2),
 *   frequency   k = Q * k1 + k2   (array row k1, column k2: natural order, row-major);
 * a Q-point radix-4 Stockham FFT along every row, a twiddle W_N^(n1 k2), then P-point DFTs
 * down the columns (computed in column blocks, with the k <-> P-k symmetry halving the work).
 * The time-domain signal is therefore stored as x[n1][n2] = x(n1 + P n2), and the spectrum
 * comes out in natural order.  Rows of the spectrum known to be unneeded (forward) or zero
 * (inverse) can be skipped: the IRS2 low-pass filter keeps 6 of 89 rows.
 *
 * Complex numbers are interleaved doubles (re, im).  Plain C11, no globals.
 */
#ifndef JWCORE_RP_FFT_H
#define JWCORE_RP_FFT_H

#include <stddef.h>
#include <stdint.h>

#include "rp_rader.h"

/* Largest (P - 1) / 2 supported by the column stage. */
#define RP_FFT_MAX_HALF 512

typedef struct {
    size_t P, Q, N;
    int log4;      /* number of radix-4 passes of the Q-point FFT */
    int radix2;    /* 1 when Q is 2 * 4^log4 */
    double *wq;    /* [Q][2]  exp(-2 pi i m / Q) */
    double *tw4;   /* twiddles of the radix-4 passes, pass after pass */
    double *tw_hi; /* [P][nhi][2]  W_N^(n1 * lo_span * h) */
    double *tw_lo; /* [P][lo_span][2]  W_N^(n1 * l) */
    size_t lo_span, nhi;
    double *cs;    /* [h][h]  cos(2 pi j k / P), j, k = 1..h with h = (P-1)/2 */
    double *sn;    /* [h][h]  sin(2 pi j k / P) */
    int use_rader; /* P prime: unpruned column stages go through Rader's algorithm */
    rp_rader rader;
} rp_fft_plan;

/* 0 on success, 1 when memory is short, 2 when N is not P * 2^k with P odd (P <= 1025)
 * and 2^k >= 16. */
int rp_fft_init(rp_fft_plan *p, size_t P, size_t Q);
void rp_fft_free(rp_fft_plan *p);

/* Forward transform of z[P][Q] (time layout) into the spectrum z[P][Q] (natural order).
 * need_k1: NULL, or P flags; rows k1 without the flag are left undefined.
 * live_n1: NULL, or P flags; time rows n1 without the flag are taken as zero (not read). */
void rp_fft_forward(const rp_fft_plan *p, double *z, const uint8_t *need_k1,
                    const uint8_t *live_n1, int n_threads);

/* Inverse transform (with the 1/N factor) of the spectrum z[P][Q] into the time layout.
 * nonzero_k1: NULL, or P flags; rows k1 without the flag are taken as zero. */
void rp_fft_inverse(const rp_fft_plan *p, double *z, const uint8_t *nonzero_k1, int n_threads);

#endif
