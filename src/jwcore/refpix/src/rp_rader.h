/* Rader's algorithm for the prime-length DFTs of rp_fft.c, on blocks of columns.
 *
 * For a prime P with primitive root g, the DFT at k = g^-m (k != 0) is
 *   X(g^-m) = x(0) + sum_q x(g^q) W^(g^(q-m)),
 * a cyclic convolution of length L = P - 1.  L = L1 * L2 with L1 a power of 2 and L2 odd
 * (88 = 8 * 11 for P = 89), so the convolution is done as a two-dimensional cyclic one
 * (Chinese remainder map, Good 1958) diagonalised by an L1 x L2 DFT: radix-2 along L1, the
 * symmetric direct DFT along L2.  About half the arithmetic of the direct P-point DFT.
 *
 * Every "number" below is a row of `w` interleaved complex values (one per column of the
 * block), so all loops run over contiguous memory.
 */
#ifndef JWCORE_RP_RADER_H
#define JWCORE_RP_RADER_H

#include <stddef.h>

typedef struct {
    size_t P, L, L1, L2;
    size_t *in_row;   /* [L]  source row g^q of 2-D position (a, b) (index a * L2 + b) */
    size_t *out_row;  /* [L]  output row g^-m of 2-D position (a, b) */
    double *vhat[2];  /* [L][2] transformed kernel / L, forward (0) and inverse (1) */
    double *tw1;      /* [L1][2] exp(-2 pi i j / L1) */
    double *cs2, *sn2; /* [h2][h2] cos / sin(2 pi j k / L2), h2 = (L2 - 1) / 2 */
} rp_rader;

/* 0 on success; 1 when memory is short; 2 when P is not a prime > 2 with a supported
 * P - 1. */
int rp_rader_init(rp_rader *r, size_t P);
void rp_rader_free(rp_rader *r);

/* Size in doubles of the scratch rp_rader_block needs for blocks of w complex columns. */
size_t rp_rader_scratch(const rp_rader *r, size_t w);

/* out[k] = sum_n S[n] exp(-sign 2 pi i n k / P) for rows S[0..P), out[0..P) of 2w doubles. */
void rp_rader_block(const rp_rader *r, const double *S, double *out, size_t w, int sign,
                    double *scratch);

#endif
