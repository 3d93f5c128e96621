/* Two-point difference detection of one row of pixels: see tp_internal.h.
 *
 * Pixels are processed a run of columns at a time, with every per-group quantity laid out
 * column-major ([k][x]) so that the loops over x vectorize.  The medians come from sorting
 * each pixel's differences with Batcher's odd-even merge network, applied to all pixels of
 * the run at once (branch-free min/max).  In the iterative mode the first pass, identical
 * for all pixels, screens the run; the few pixels with a candidate jump are then searched
 * one at a time.
 *
 * Floating-point choices follow stcal so that borderline decisions agree: the data are
 * scaled to electrons in single precision and differenced in single precision (exact copies
 * of stcal's float32 values), medians and ratios are taken in double precision, except that
 * stcal stores the re-estimated medians and residuals of its iterative search in float32.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "select.h"
#include "tp_internal.h"
#include "tp_sort_tables.h"

void tp_scratch_free(tp_scratch *s) {
    free(s->vals);
    free(s->fdc);
    free(s->s1);
    free(s->s2);
    free(s->med);
    free(s->emax);
    free(s->mask);
    free(s->cnt);
    free(s->fd);
    free(s->tmp);
    free(s->sorted);
    free(s->work);
    free(s->use);
    free(s->ring);
    free(s->until);
    free(s->nbr);
    memset(s, 0, sizeof(*s));
}

int tp_scratch_alloc(tp_scratch *s, const tp_ctx *c, int with_ring) {
    memset(s, 0, sizeof(*s));
    const size_t n = (size_t)(c->N > 0 ? c->N : 1), cw = c->cw;
    s->vals = (float *)malloc(sizeof(float) * (size_t)c->G * cw);
    s->fdc = (float *)malloc(sizeof(float) * n * cw);
    s->s1 = (float *)malloc(sizeof(float) * n * cw);
    s->s2 = (float *)malloc(sizeof(float) * n * cw);
    s->med = (double *)malloc(sizeof(double) * 6 * cw);
    s->emax = (float *)malloc(sizeof(float) * cw);
    s->mask = (int64_t *)malloc(sizeof(int64_t) * cw);
    s->cnt = (int *)malloc(sizeof(int) * cw);
    s->fd = (float *)malloc(sizeof(float) * n);
    s->tmp = (float *)malloc(sizeof(float) * n);
    s->sorted = (float *)malloc(sizeof(float) * n);
    s->work = (double *)malloc(sizeof(double) * n);
    s->use = (uint8_t *)malloc(n);
    if (with_ring) {
        s->ring = (uint8_t *)malloc(3 * c->nx * (size_t)c->G);
        s->until = (int *)malloc(2 * sizeof(int) * c->nx);
        s->nbr = (uint8_t *)malloc(c->nx);
    }
    if (!s->vals || !s->fdc || !s->s1 || !s->s2 || !s->med || !s->emax || !s->mask || !s->cnt || !s->fd ||
        !s->tmp || !s->sorted || !s->work || !s->use || (with_ring && (!s->ring || !s->until || !s->nbr))) {
        tp_scratch_free(s);
        return JW_ERR_ALLOC;
    }
    s->sig = s->med + cw;
    s->varrn = s->med + 2 * cw;
    return JW_OK;
}

int tp_batcher_network(int n, int *pairs) {
    int count = 0;
    for (int p = 1; p < n; p <<= 1)
        for (int k = p; k >= 1; k >>= 1)
            for (int j = k % p; j <= n - 1 - k; j += 2 * k)
                for (int i = 0; i <= k - 1 && i <= n - j - k - 1; i++)
                    if ((i + j) / (2 * p) == (i + j + k) / (2 * p)) {
                        if (pairs) {
                            pairs[2 * count] = i + j;
                            pairs[2 * count + 1] = i + j + k;
                        }
                        count++;
                    }
    return count;
}

/* ---------------------------------------------------------------- one pixel at a time */

static inline double noise(double med, double var_rn) {
    const double sig = sqrt(fabs(med) + var_rn);
    /* a zero sigma (zero read noise, zero signal) would flag everything: stcal uses NaN */
    return sig == 0.0 ? NAN : sig;
}

static inline double median_sorted(const float *s, int n) {
    if (n <= 0) return NAN;
    if (n & 1) return (double)s[n / 2];
    return ((double)s[n / 2 - 1] + (double)s[n / 2]) / 2.0;
}

/* Median of a[0..n-1] as numpy's (double-precision mean of the two middle values). */
static double median_of(tp_scratch *s, const float *a, int n) {
    for (int i = 0; i < n; i++) s->work[i] = a[i];
    return jw_median(s->work, n);
}

/* stcal's reference for the iterative search: the median of the usable absolute differences
 * with every copy of the largest removed when 4 or more are usable; of 3, the median; of 2,
 * the smaller. */
static double clipped_median(tp_scratch *s, const float *a, int m) {
    if (m >= 4) {
        float mx = a[0];
        for (int t = 1; t < m; t++)
            if (a[t] > mx) mx = a[t];
        int q = 0;
        for (int t = 0; t < m; t++)
            if (a[t] != mx) s->work[q++] = a[t];
        return jw_median(s->work, q);
    }
    if (m == 3) return median_of(s, a, 3);
    return a[0] < a[1] ? a[0] : a[1];
}

/* The iterative search of one pixel (differences in s->fd): flag the most significant
 * outlier, re-estimate without it, repeat while one exceeds the threshold for the number of
 * differences left.  Jumps go to bits[gidx[k] * bstride]. */
static void detect_iterative(const tp_ctx *c, tp_scratch *s, double var_rn, uint8_t *bits,
                             size_t bstride, const double *med0) {
    const jw_twopt_params *p = c->p;
    int nu = 0;
    for (int k = 0; k < c->N; k++) {
        s->use[k] = !isnan(s->fd[k]);
        nu += s->use[k];
    }
    for (int iter = 0; nu >= 2; iter++) {
        double med;
        if (iter == 0 && med0) {
            med = *med0; /* the screen's, the same median of the same differences */
        } else {
            int m = 0;
            for (int k = 0; k < c->N; k++)
                if (s->use[k]) s->tmp[m++] = fabsf(s->fd[k]);
            med = clipped_median(s, s->tmp, m);
        }
        /* stcal keeps the re-estimated medians in a float32 array */
        if (iter > 0) med = (double)(float)med;
        const double sig = noise(med, var_rn);
        const double thr = nu >= 4 ? p->rejection_threshold
                           : nu == 3 ? p->four_group_threshold
                                     : p->three_group_threshold;
        /* residuals are float32 in stcal; dividing by the positive sigma keeps their order,
         * so the largest ratio is that of the largest residual */
        float emax = -1.0f;
        for (int k = 0; k < c->N; k++) {
            if (!s->use[k]) continue;
            const float e = fabsf((float)((double)fabsf(s->fd[k]) - med));
            if (e > emax) emax = e;
        }
        const double rmax = (double)emax / sig;
        if (!(emax >= 0.0f) || !(rmax > thr)) break;
        for (int k = 0; k < c->N; k++) {
            if (!s->use[k]) continue;
            const float e = fabsf((float)((double)fabsf(s->fd[k]) - med));
            if ((double)e / sig == rmax) {
                s->use[k] = 0;
                nu--;
                bits[(size_t)c->gidx[k] * bstride] |= B_PRIM;
            }
        }
    }
}

/* --------------------------------------------------------------- a run of columns */

/* Values in electrons of columns [x0, x0+n) of row y (NaN where SATURATED or DO_NOT_USE),
 * their first differences, the usable counts and read-noise variances; the incoming
 * JUMP_DET flags go to bits (group-major rows of nx) when given. */
TP_INLINE void load_run(const tp_ctx *c, tp_scratch *s, size_t y, size_t x0, size_t n,
                     uint8_t *bits) {
    const size_t cw = c->cw;
    const float *g = c->gain + y * c->nx + x0;
    const float *rn = c->rnoise + y * c->nx + x0;
    /* The next run of every array read here (further along the row, or the next row's
     * start), a cache line at a time: with all the groups' planes read at once the hardware
     * prefetchers fall behind (a 1t 5x3 frame: 0.223 s against 0.241 s). */
    for (size_t x = 0; x < cw; x += 16) {
        __builtin_prefetch(g + n + x, 0, 2);
        __builtin_prefetch(rn + n + x, 0, 2);
    }
    for (int k = 0; k < c->G; k++) {
        const size_t off = (size_t)k * c->plane + y * c->nx + x0;
        const float *d = c->data + off;
        const uint8_t *dq = c->gdq + off;
        float *v = s->vals + (size_t)k * cw;
        for (size_t x = 0; x < cw; x += 16) __builtin_prefetch(d + n + x, 0, 2);
        for (size_t x = 0; x < cw; x += 64) __builtin_prefetch(dq + n + x, 0, 2);
        for (size_t x = 0; x < n; x++) {
            /* OR-ing a quiet-NaN exponent into the bits marks an unusable value without a
             * branch, so that the loop vectorizes */
            union {
                float f;
                uint32_t u;
            } e = {d[x] * g[x]};
            e.u |= (uint32_t)(-(int32_t)((dq[x] & c->bad) != 0)) & 0x7fc00000u;
            v[x] = e.f;
        }
        if (bits) {
            uint8_t *restrict b = bits + (size_t)k * c->nx + x0;
            const uint8_t fj = c->p->fl_jump; /* hoisted: b might alias *c->p for the compiler */
            for (size_t x = 0; x < n; x++) b[x] = (dq[x] & fj) ? B_PRIM : 0;
        }
    }
    for (size_t x = 0; x < n; x++) s->cnt[x] = 0;
    for (size_t i = 0; i < c->nints; i++)
        for (size_t j = 0; j < c->nd; j++) {
            const float *a = s->vals + (i * c->ng + j) * cw, *b = a + cw;
            float *f = s->fdc + (i * c->nd + j) * cw;
            for (size_t x = 0; x < n; x++) {
                f[x] = b[x] - a[x];
                s->cnt[x] += f[x] == f[x];
            }
        }
    for (size_t x = 0; x < n; x++) {
        const float rne = rn[x] * g[x];
        const float rn2 = rne * rne;
        s->varrn[x] = (double)rn2 / c->p->nframes;
    }
}

TP_INLINE void gather_pixel(const tp_ctx *c, tp_scratch *s, size_t x) {
    for (int k = 0; k < c->N; k++) s->fd[k] = s->fdc[(size_t)k * c->cw + x];
}

/* Sort columns x0..n-1 of a[N][cw] with the network, comparator after comparator. */
TP_INLINE void sort_columns_net(const tp_ctx *c, float *a, size_t x0, size_t n) {
    const size_t cw = c->cw;
    for (int t = 0; t < c->nnet; t++) {
        float *restrict u = a + (size_t)c->net[2 * t] * cw;
        float *restrict w = a + (size_t)c->net[2 * t + 1] * cw;
        for (size_t x = x0; x < n; x++) {
            const float lo = u[x] < w[x] ? u[x] : w[x];
            const float hi = u[x] < w[x] ? w[x] : u[x];
            u[x] = lo;
            w[x] = hi;
        }
    }
}

#if defined(__GNUC__)
/* Up to TP_SORT_MAX values per column, 8 columns at a time held in registers: the network
 * above loads and stores both values of every comparator, and the stores bound it.  The
 * tables are tp_batcher_network's comparators, in its order (tp_sort_tables.h), so both
 * paths sort a column the same way. */
#define TP_REG_NET 1
typedef float tp_v8 __attribute__((vector_size(32)));
typedef int32_t tp_v8i __attribute__((vector_size(32)));

/* (lo, hi) = (u < w ? u : w, u < w ? w : u), lane by lane, as the loop above */
TP_INLINE void cmp_swap8(tp_v8 *u, tp_v8 *w) {
    const tp_v8i m = *u < *w, a = (tp_v8i)*u, b = (tp_v8i)*w;
    *u = (tp_v8)((m & a) | (~m & b));
    *w = (tp_v8)((m & b) | (~m & a));
}

/* Columns 0..n-1 in blocks of 8, N values each, by the network `net` (nnet comparators)
 * known at compile time; returns the number of columns sorted. */
TP_INLINE size_t sort_columns_reg(float *a, size_t cw, size_t n, const int N,
                                  const uint8_t (*net)[2], const int nnet) {
    size_t x = 0;
    for (; x + 8 <= n; x += 8) {
        tp_v8 r[TP_SORT_MAX];
        for (int k = 0; k < N; k++) memcpy(&r[k], a + (size_t)k * cw + x, sizeof(tp_v8));
#pragma GCC unroll 1024
        for (int t = 0; t < nnet; t++) cmp_swap8(&r[net[t][0]], &r[net[t][1]]);
        for (int k = 0; k < N; k++) memcpy(a + (size_t)k * cw + x, &r[k], sizeof(tp_v8));
    }
    return x;
}
#define TP_REG_CASE(K)                                                                  \
    case K:                                                                             \
        x = sort_columns_reg(a, c->cw, n, K, TP_SORT_##K, (int)(sizeof TP_SORT_##K / 2)); \
        break;
#endif

/* Sort every column of a[N][cw] (first n columns). */
TP_INLINE void sort_columns(const tp_ctx *c, float *a, size_t n) {
    size_t x = 0;
#ifdef TP_REG_NET
    switch (c->N) {
        TP_REG_CASE(2) TP_REG_CASE(3) TP_REG_CASE(4) TP_REG_CASE(5)
        TP_REG_CASE(6) TP_REG_CASE(7) TP_REG_CASE(8) TP_REG_CASE(9)
        TP_REG_CASE(10) TP_REG_CASE(11) TP_REG_CASE(12) TP_REG_CASE(13)
        TP_REG_CASE(14) TP_REG_CASE(15) TP_REG_CASE(16)
    default:
        break;
    }
#endif
    if (x < n) sort_columns_net(c, a, x, n);
}

static inline double median_col(const float *s, size_t cw, int m, size_t x) {
    if (m <= 0) return NAN;
    if (m & 1) return (double)s[(size_t)(m / 2) * cw + x];
    return ((double)s[(size_t)(m / 2 - 1) * cw + x] + (double)s[(size_t)(m / 2) * cw + x]) / 2.0;
}

/* Medians (double) of the usable differences of each column, and the noise they imply. */
TP_INLINE void run_medians(const tp_ctx *c, tp_scratch *s, size_t n) {
    const size_t cw = c->cw;
    if (c->net) {
        for (size_t k = 0; k < (size_t)c->N; k++) {
            const float *f = s->fdc + k * cw;
            float *o = s->s1 + k * cw;
            for (size_t x = 0; x < n; x++) o[x] = f[x] == f[x] ? f[x] : INFINITY;
        }
        sort_columns(c, s->s1, n);
        /* Every lane as if all its differences were usable (vectorised), then the lanes
         * with fewer: their unusable ones sorted last, the median is of the first cnt. */
        const int N = c->N;
        const float *restrict lo = s->s1 + (size_t)((N - 1) / 2) * cw;
        const float *restrict hi = s->s1 + (size_t)(N / 2) * cw;
        double *restrict med = s->med;
        if (N & 1)
            for (size_t x = 0; x < n; x++) med[x] = (double)hi[x];
        else
            for (size_t x = 0; x < n; x++) med[x] = ((double)lo[x] + (double)hi[x]) / 2.0;
        for (size_t x = 0; x < n; x++)
            if (s->cnt[x] != N) med[x] = median_col(s->s1, cw, s->cnt[x], x);
    } else {
        for (size_t x = 0; x < n; x++) {
            int m = 0;
            for (int k = 0; k < c->N; k++) {
                const float v = s->fdc[(size_t)k * cw + x];
                if (v == v) s->tmp[m++] = v;
            }
            s->med[x] = median_of(s, s->tmp, m);
        }
    }
    for (size_t x = 0; x < n; x++) s->sig[x] = noise(s->med[x], s->varrn[x]);
}

/* Iterative mode: screen the run with the first pass, search the candidates. */
TP_INLINE void run_iterative(const tp_ctx *c, tp_scratch *s, size_t x0, size_t n, uint8_t *out) {
    const jw_twopt_params *p = c->p;
    const size_t cw = c->cw;
    if (!c->net) {
        for (size_t x = 0; x < n; x++) {
            gather_pixel(c, s, x);
            detect_iterative(c, s, s->varrn[x], out + x0 + x, c->nx, NULL);
        }
        return;
    }
    double *mabs = s->med + 3 * cw, *sabs = s->med + 4 * cw, *thr = s->med + 5 * cw;
    for (size_t k = 0; k < (size_t)c->N; k++) {
        const float *f = s->fdc + k * cw;
        float *o = s->s2 + k * cw;
        for (size_t x = 0; x < n; x++) o[x] = f[x] == f[x] ? fabsf(f[x]) : INFINITY;
    }
    sort_columns(c, s->s2, n);
    /* The common lane first, vectorised: every difference usable and one largest, whose
     * removal leaves the first N - 1 sorted values.  The other lanes are done one by one. */
    const int N = c->N;
    int64_t *restrict common = s->mask;
    if (N >= 4) {
        const int q = N - 1;
        const float *restrict lo = s->s2 + (size_t)((q - 1) / 2) * cw;
        const float *restrict hi = s->s2 + (size_t)(q / 2) * cw;
        const float *restrict top = s->s2 + (size_t)(N - 1) * cw;
        const float *restrict below = s->s2 + (size_t)(N - 2) * cw;
        const int *restrict cnt = s->cnt;
        if (q & 1)
            for (size_t x = 0; x < n; x++) mabs[x] = (double)hi[x];
        else
            for (size_t x = 0; x < n; x++) mabs[x] = ((double)lo[x] + (double)hi[x]) / 2.0;
        for (size_t x = 0; x < n; x++) common[x] = (cnt[x] == N) & (below[x] != top[x]);
    } else {
        for (size_t x = 0; x < n; x++) common[x] = 0;
    }
    for (size_t x = 0; x < n; x++) {
        const int m = s->cnt[x];
        if (!common[x]) {
            double med = NAN;
            if (m >= 4) {
                const float mx = s->s2[(size_t)(m - 1) * cw + x];
                int q = m - 1;
                while (q > 0 && s->s2[(size_t)(q - 1) * cw + x] == mx) q--;
                med = median_col(s->s2, cw, q, x);
            } else if (m == 3) {
                med = s->s2[cw + x];
            } else if (m == 2) {
                med = s->s2[x];
            }
            mabs[x] = med;
        }
    }
    /* one loop per type, so that each vectorises */
    const double *restrict vrn = s->varrn;
    for (size_t x = 0; x < n; x++) sabs[x] = noise(mabs[x], vrn[x]);
    const double t4 = p->rejection_threshold, t3 = p->four_group_threshold;
    const double t2 = p->three_group_threshold;
    const int *restrict cn = s->cnt;
    for (size_t x = 0; x < n; x++) {
        const int m = cn[x];
        thr[x] = m >= 4 ? t4 : m == 3 ? t3 : m == 2 ? t2 : INFINITY;
    }
    for (size_t x = 0; x < n; x++) s->emax[x] = -1.0f;
    for (size_t k = 0; k < (size_t)c->N; k++) {
        const float *f = s->fdc + k * cw;
        for (size_t x = 0; x < n; x++) {
            /* NaN residuals fail the comparison and are ignored, like nanmax */
            const float e = fabsf((float)((double)fabsf(f[x]) - mabs[x]));
            s->emax[x] = e > s->emax[x] ? e : s->emax[x];
        }
    }
    /* The screen over the whole run first (vectorised), then the few candidates. */
    int64_t *restrict cand = s->mask;
    const float *restrict em = s->emax;
    for (size_t x = 0; x < n; x++) cand[x] = (double)em[x] / sabs[x] > thr[x];
    for (size_t x = 0; x < n; x++) {
        if (!cand[x]) continue;
        gather_pixel(c, s, x);
        detect_iterative(c, s, s->varrn[x], out + x0 + x, c->nx, mabs + x);
    }
}

TP_INLINE void run_bits(const tp_ctx *c, tp_scratch *s, size_t y, size_t x0, size_t n,
                     uint8_t *out) {
    const jw_twopt_params *p = c->p;
    const size_t cw = c->cw, nx = c->nx;
    load_run(c, s, y, x0, n, out);
    if (c->need_median) run_medians(c, s, n);
    if (c->mode == JW_TP_ITERATIVE) run_iterative(c, s, x0, n, out);
    const double *med = s->med, *sig = s->sig;
    for (size_t k = 0; k < (size_t)c->N; k++) {
        const float *f = s->fdc + k * cw;
        uint8_t *b = out + (size_t)c->gidx[k] * nx + x0;
        if (c->mode == JW_TP_SINGLE_PASS) {
            const double thr = p->rejection_threshold;
            for (size_t x = 0; x < n; x++) {
                const int fin = fabsf(f[x]) <= 3.4028234663852886e38f;
                const double r = fabs((double)f[x] - med[x]) / sig[x];
                b[x] |= (fin && r > thr) ? B_PRIM : 0u;
            }
        }
        if (p->flag_4_neighbors) {
            const double hi = p->max_jump_to_flag_neighbors, lo = p->min_jump_to_flag_neighbors;
            /* every lane's ratio (vectorised), kept where there is a jump */
            /* (through a mask of the doubles' width, as for the transient below) */
            const float *restrict fr = f;
            const double *restrict mr = med, *restrict sr = sig;
            int64_t *restrict m = s->mask;
            for (size_t x = 0; x < n; x++) {
                const double r = fabs((double)fr[x] - mr[x]) / sr[x];
                m[x] = (int64_t)((r < hi) & (r > lo));
            }
            for (size_t x = 0; x < n; x++) b[x] |= (uint8_t)((b[x] & B_PRIM) & m[x]) << 1;
        }
        if (c->do_transient) {
            const double e1 = p->after_jump_e1, e2 = p->after_jump_e2;
            /* the comparisons go through a 64-bit mask of the doubles' width so that the
             * loop vectorizes, then are narrowed to the bits */
            int64_t *m = s->mask;
            for (size_t x = 0; x < n; x++) {
                const double d = (double)f[x] - med[x];
                m[x] = (int64_t)(d >= e1) | ((int64_t)(d >= e2) << 1);
            }
            for (size_t x = 0; x < n; x++) b[x] |= (uint8_t)(m[x] << 2);
        }
    }
}

TP_CLONES
void tp_row_bits(const tp_ctx *c, tp_scratch *s, size_t y, uint8_t *out) {
    for (size_t x0 = 0; x0 < c->nx; x0 += c->cw) {
        const size_t n = c->nx - x0 < c->cw ? c->nx - x0 : c->cw;
        run_bits(c, s, y, x0, n, out);
    }
}

void tp_sigclip_row(const tp_ctx *c, tp_scratch *s, size_t y) {
    const jw_twopt_params *p = c->p;
    const int per_group = p->only_use_ints;
    const size_t nvec = per_group ? c->nd : 1;
    const size_t len = per_group ? c->nints : (size_t)c->N;
    for (size_t x0 = 0; x0 < c->nx; x0 += c->cw) {
        const size_t n = c->nx - x0 < c->cw ? c->nx - x0 : c->cw;
        load_run(c, s, y, x0, n, NULL);
        for (size_t x = 0; x < n; x++) {
            gather_pixel(c, s, x);
            const size_t pix = y * c->nx + x0 + x;
            for (size_t j = 0; j < nvec; j++) {
                int m = 0;
                for (size_t t = 0; t < len; t++) {
                    const size_t k = per_group ? t * c->nd + j : t;
                    if (isfinite(s->fd[k])) s->work[m++] = s->fd[k];
                }
                double lo, hi;
                jw_sigclip_bounds(s->work, m, p->rejection_threshold, 5, &lo, &hi);
                for (size_t t = 0; t < len; t++) {
                    const size_t k = per_group ? t * c->nd + j : t;
                    const double d = s->fd[k];
                    if (!isfinite(d) || !(d < lo || d > hi)) continue;
                    uint8_t *dq = c->gdq + (size_t)c->gidx[k] * c->plane + pix;
                    if (!(*dq & c->bad)) *dq |= p->fl_jump;
                }
            }
        }
    }
}
