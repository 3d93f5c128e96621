/* The likelihood fit of chunks of ramps, internal to likely.c (see likely_fit.c). */
#ifndef JWCORE_LIKELY_FIT_H
#define JWCORE_LIKELY_FIT_H

#include <stddef.h>
#include <stdint.h>

#include "likely.h"

/* Work arrays for a chunk of P pixels: per-difference arrays are [k * P + x], per-pixel
 * values [x].  The fit is written with the pixel loop innermost, so that the compiler
 * vectorises it and the recursions over k run for P pixels at once; the same code serves
 * a single pixel with P = 1. */
typedef struct {
    double *diff, *use, *alpha, *beta, *aph, *arn, *bph, *brn, *bm, *dm, *theta, *phi, *Phi,
        *PhiD, *Theta, *ThetaD, *dC, *dB, *Cd, *Coff, *cr1, *chi1, *cr2, *chi2;
    double *crg, *cg, *rn2, *gain, *rn, *scale, *tn, *A1, *A2, *B, *C, *countrate, *chisq,
        *uncert, *vp, *vr, *ones, *tmp;
    void *block;
} lk_soa;

/* Allocate the arrays of a chunk of P pixels and n differences; returns 1 when short of
 * memory (s->block is then NULL). */
int lk_soa_alloc(lk_soa *s, int n, int P);

/* On x86-64 glibc systems (ifunc) the fit is also compiled for AVX2 and picked at run time; without FMA
 * contraction every lane computes the same IEEE operations, so results do not change. */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__GLIBC__) && !defined(__clang__)
#define LK_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define LK_CLONES
#endif

#define SGN(i) (((i) & 1) ? 1.0 : -1.0)
#if defined(__GNUC__) && !defined(__clang__)
#define FORX _Pragma("GCC ivdep") for (int x = 0; x < P; x++)
#else
#define FORX for (int x = 0; x < P; x++)
#endif
/* row k of a per-difference array */
#define ROW(a, k) ((a) + (size_t)(k) * (size_t)P)

/* Fit the differences of P ramps at the rate guesses s->crg; with `detect`, also the fits
 * leaving out each difference and each adjacent pair (paper II, sections 3.1 and 3.2). */
void lk_fit(const jw_likely_params *p, lk_soa *s, int n, int P, int detect);

#endif
