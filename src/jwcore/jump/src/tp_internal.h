/* Internals shared by twopoint.c (orchestration) and tp_detect.c (per-row detection). */
#ifndef JWCORE_TP_INTERNAL_H
#define JWCORE_TP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "twopoint.h"

/* On x86-64 glibc systems (ifunc) the per-row loops are also compiled for AVX2 and AVX-512
 * and picked at run time; without FMA contraction every lane computes the same IEEE
 * operations, so the flags do not depend on the machine. */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__GLIBC__) && !defined(__clang__)
#define TP_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#define TP_INLINE static inline __attribute__((always_inline))
#else
#define TP_CLONES
#define TP_INLINE static inline
#endif

/* Per (pixel, group) work bits. */
#define B_PRIM 1u /* JUMP_DET after detection (input flags included) */
#define B_TRIG 2u /* a jump whose significance asks for its neighbours to be flagged */
#define B_BIG1 4u /* jump amplitude at or above after_jump_e1 */
#define B_BIG2 8u /* jump amplitude at or above after_jump_e2 */

/* Ramps with at most this many differences per pixel are sorted with a sorting network
 * across pixels; longer ones one pixel at a time. */
#define TP_NET_MAX 64

typedef struct {
    const float *data;
    uint8_t *gdq;
    const float *gain, *rnoise;
    size_t nints, ng, nd, nx, ny, plane;
    int N;     /* differences per pixel (nints * (ngroups - 1)) */
    int G;     /* groups per pixel (nints * ngroups) */
    size_t cw; /* columns processed together */
    const jw_twopt_params *p;
    int mode;
    int need_median;
    int do_transient;
    uint8_t bad;       /* SATURATED | DO_NOT_USE */
    int *gidx;         /* [N] group index (i * ngroups + g) of the later group of a difference */
    int *net;          /* comparator pairs of the sorting network for N values, or NULL */
    int nnet;          /* number of comparators */
} tp_ctx;

typedef struct {
    /* column-major blocks: element k of column x at [k * cw + x] */
    float *vals;   /* [G][cw] group values in electrons, NaN where unusable */
    float *fdc;    /* [N][cw] first differences */
    float *s1;     /* [N][cw] sorted differences (NaN sorted last as +inf) */
    float *s2;     /* [N][cw] sorted absolute differences */
    double *med, *sig, *varrn; /* [cw] */
    float *emax;   /* [cw] */
    int64_t *mask; /* [cw] */
    int *cnt;      /* [cw] usable differences */
    /* one pixel at a time */
    float *fd, *tmp, *sorted; /* [N] */
    double *work;             /* [N] */
    uint8_t *use;             /* [N] */
    /* finalization */
    uint8_t *ring; /* [3][G][nx] work bits of three consecutive rows */
    int *until;    /* [2][nx] last group flagged after a large jump */
    uint8_t *nbr;  /* [nx] triggers of the neighbours of one row */
} tp_scratch;

int tp_scratch_alloc(tp_scratch *s, const tp_ctx *c, int with_ring);
void tp_scratch_free(tp_scratch *s);

/* Work bits of row y, group-major: out[k * nx + x] for k = i * ngroups + g. */
void tp_row_bits(const tp_ctx *c, tp_scratch *s, size_t y, uint8_t *out);

/* Sigma clipping of row y; JUMP_DET goes straight into gdq. */
void tp_sigclip_row(const tp_ctx *c, tp_scratch *s, size_t y);

/* Comparator pairs of Batcher's odd-even merge sort for n values (2 ints per pair);
 * returns the number of pairs, and writes them when pairs is not NULL. */
int tp_batcher_network(int n, int *pairs);

#endif
