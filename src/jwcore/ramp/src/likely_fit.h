/* The likelihood fit of blocks of ramps, internal to likely.c (see likely_fit.c). */
#ifndef JWCORE_LIKELY_FIT_H
#define JWCORE_LIKELY_FIT_H

#include <stddef.h>
#include <stdint.h>

#include "likely.h"

/* Pixels fitted together: the loops over them are the vectorised ones (two AVX-512 or four
 * AVX2 registers of doubles). */
#define LK_V 16

/* On x86-64 glibc systems (ifunc) the block fit is also compiled for AVX-512 and AVX2 and
 * picked at run time; without FMA contraction every lane computes the same IEEE operations,
 * so results do not change. */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__GLIBC__) && !defined(__clang__)
#define LK_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define LK_CLONES
#endif

#if defined(__GNUC__)
#define LK_INLINE static inline __attribute__((always_inline))
#else
#define LK_INLINE static inline
#endif

#if defined(__GNUC__) && !defined(__clang__)
/* (no complete unrolling over the lanes: it happens before vectorisation, and the
 * scalar code left behind is the slow kind) */
#define FORX _Pragma("GCC ivdep") _Pragma("GCC unroll 1") for (int x = 0; x < V; x++)
#else
#define FORX for (int x = 0; x < V; x++)
#endif
/* row k of a per-difference array */
#define ROW(a, k) ((a) + (size_t)(k) * (size_t)V)

/* Work arrays of a fit of V lanes (pixels) and n differences: per-difference arrays are
 * [k * V + x], per-lane ones [x]. */
typedef struct {
    int V;
    /* inputs: differences (DN/s) and their use (1.0 or 0.0) */
    double *d, *u;
    /* LDL^T factorisation of the covariance: 1/D_k, L_{k,k-1}, L^-1 u, L^-1 d */
    double *rD, *l, *y, *z;
    /* C^-1 u, C^-1 (d - rate u), the Schur complements of the one-omission fits (diagonal,
     * and off-diagonal for adjacent pairs), the chi-square improvements of the fits leaving
     * out difference k (d1) or the pair k, k + 1 (d2) */
    double *w, *g, *S, *So, *d1, *d2;
    /* per lane: photon-noise rate guess / gain, read variance per read, results */
    double *cg, *rn2, *rate, *chisq, *uncert, *vp, *vr, *icsum, *best1, *best2;
    /* per lane: number of used differences (set by the caller) */
    double *nuse;
    void *block;
} lk_work;

/* Allocate (1 when short of memory) and free the arrays of a fit of V <= LK_V lanes. */
int lk_work_alloc(lk_work *s, int n, int V);
void lk_work_free(lk_work *s);

/* Per-thread scratch of jw_likely_fit. */
typedef struct {
    lk_work blk, one;
    double *sorted, *crg, *countrate;
    const float **rrow;
    const uint8_t **erow;
    float *first, *pad_r;
    uint8_t *pad_e;
    void *block;
} lk_thread;

int lk_thread_alloc(lk_thread *t, int n);
void lk_thread_free(lk_thread *t);

/* One block of P <= LK_V pixels of one integration: rrow/erow point at the nres resultant
 * rows (data, group DQ) of the block's first pixel, the planes at its first pixel; outputs
 * likewise.  jrow: NULL, or the ngroups rows of the block in the jump-flag output. */
typedef struct {
    const float **rrow;
    const uint8_t **erow;
    uint8_t *const *jrow;
    const float *gain, *readnoise, *dark;
    const uint32_t *pixeldq;
    float *slope, *err, *var_poisson, *var_rnoise, *chisq; /* chisq may be NULL */
    uint32_t *dq;
    int P;
} lk_block_io;

/* Median network of n values (see median_network.h). */
typedef struct {
    const uint16_t *lo, *hi;
    int ncmp;
} lk_network;

void lk_block(const jw_likely_params *p, const lk_network *net, lk_thread *t,
              const lk_block_io *io);

#endif
