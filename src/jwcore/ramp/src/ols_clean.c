/* OLS for ramps with no flagged group, P pixels at a time (see ols_pixel.h).
 *
 * Such a ramp is a single segment of every group, so its median rate and its fit need no
 * segmentation; written with the pixel loop innermost, the compiler vectorises them.
 *
 * The general path (ols_pixel.c) follows stcal's arithmetic step by step.  Here the same
 * quantities take fewer operations:
 * - the weights |k - mid|^p / rn^2 of a segment of all ng groups are fixed for each of the
 *   six exponents p, and the common 1 / rn^2 cancels from the least-squares quotient, so
 *   the slope is a fixed linear combination of the groups (ols_clean_coefficients);
 * - the signal-to-noise thresholds are compared squared, without a square root;
 * - a variance is used where stcal takes the inverse of its inverse.
 * The results differ from the general path's by rounding only (a few parts in 1e15 of the
 * double-precision values, at most an ulp of the single-precision products).  Each lane's
 * operations do not depend on its neighbours, so neither do its results.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h> /* defines __GLIBC__ where there is one */
#include <string.h>

#include "ols_pixel.h"
#include "ols_vec.h"

/* The next chunk of a group's row (further along, or the next row's start), a cache line
 * at a time: with every group's plane read at once the hardware prefetchers fall behind. */
static inline void ols_prefetch_next(const float *d, const uint8_t *g, int P) {
    for (int x = 0; x < P; x += 16) __builtin_prefetch(d + P + x, 0, 2);
    if (g)
        for (int x = 0; x < P; x += 64) __builtin_prefetch(g + P + x, 0, 2);
}

OLS_CLONES
void ols_clean_mask(const ols_ctx *c, const float *bd, const uint8_t *bg, size_t stride, int P,
                    uint8_t *clean, double *y) {
    uint8_t *restrict cl = clean;
    FORX cl[x] = c->ng >= 3;
    for (int k = 0; k < c->ng; k++) {
        const float *restrict d = bd + (size_t)k * stride;
        const uint8_t *restrict g = bg + (size_t)k * stride;
        double *restrict o = y + (size_t)k * P;
        ols_prefetch_next(d, g, P);
        /* v - v is 0 only for finite values */
        FORX {
            const float v = d[x];
            o[x] = (double)v;
            cl[x] &= (uint8_t)((g[x] == 0) & (v - v == 0.0f));
        }
    }
}

OLS_CLONES
void ols_clean_load(const ols_ctx *c, const float *bd, size_t stride, int P, double *y) {
    for (int k = 0; k < c->ng; k++) {
        const float *restrict d = bd + (size_t)k * stride;
        double *restrict o = y + (size_t)k * P;
        ols_prefetch_next(d, NULL, P);
        FORX o[x] = (double)d[x];
    }
}

OLS_CLONES
int ols_clean_usable(int P, const uint8_t *clean, const double *gain, const double *rn,
                     uint8_t *fit) {
    const uint8_t *restrict cl = clean;
    uint8_t *restrict f = fit;
    int64_t ok[OLS_CHUNK];
    /* the comparisons are false for NaN */
    FORX ok[x] = (gain[x] > 0.0) & (gain[x] < INFINITY) & (rn[x] > 0.0) & (rn[x] < INFINITY);
    FORX f[x] = (uint8_t)((cl[x] != 0) & (ok[x] != 0));
    int n = 0;
    FORX n += f[x];
    return n;
}

OLS_CLONES
void ols_clean_pick(int P, const uint8_t *clean, const double *med, int nan_zero, double *out) {
    const uint8_t *restrict cl = clean;
    const double *restrict md = med;
    double *restrict o = out;
    int64_t k64[OLS_CHUNK];
    FORX k64[x] = cl[x] != 0;
    FORX {
        double m = k64[x] ? md[x] : 0.0;
        o[x] = (nan_zero && m != m) ? 0.0 : m;
    }
}

OLS_CLONES
void ols_pixel_consts(const ols_ctx *c, int P, const float *gain, const float *readnoise,
                      const float *dark, const uint32_t *pixeldq, double *gd, double *rn,
                      double *dk, uint32_t *pdq, double *work) {
    const float *restrict gn = gain, *restrict rd = readnoise;
    double *restrict g = gd, *restrict q = work, *restrict r = rn, *restrict dd = dk;
    FORX g[x] = (double)gn[x];
    int nbad = 0;
    if (c->use_fma) {
        const double root = c->root, rroot = c->rroot;
        FORX {
            const double v = g[x];
            nbad += !ols_qdiv_ok(v * rroot);
            q[x] = ols_qdiv(v, root, rroot);
        }
        if (nbad)
            for (int x = 0; x < P; x++)
                if (!ols_qdiv_ok(g[x] * rroot)) q[x] = g[x] / root;
    } else {
        const double root = c->root;
        FORX q[x] = g[x] / root;
    }
    FORX r[x] = (double)(float)((double)rd[x] * q[x]);
    if (dark) {
        const float *restrict dkf = dark;
        FORX dd[x] = (double)dkf[x];
    } else {
        FORX dd[x] = 0.0;
    }
    const uint32_t *restrict pq = pixeldq;
    uint32_t *restrict o = pdq;
    const uint32_t bad = c->pdnu | c->pngval;
    /* a gain that is not positive (or NaN) makes the pixel unusable */
    FORX o[x] = pq[x] | (gn[x] > 0.0f ? 0u : bad);
}

double *ols_clean_coefficients(const ols_ctx *c) {
    const int L = c->ng;
    if (L < 3) return NULL;
    double *t = (double *)calloc(8 * (size_t)L, sizeof(double));
    if (!t) return NULL;
    /* the weighted least-squares slope, sum(w)sum(w x y) - sum(w x)sum(w y) over
     * sum(w)sum(w x^2) - sum(w x)^2, is linear in y; extended precision keeps the
     * coefficients correctly rounded in practice */
    for (int p = 0; p < 6; p++) {
        long double s0 = 0.0L, s1 = 0.0L, s2 = 0.0L;
        for (int k = 0; k < L; k++) {
            const long double w = (long double)ols_weight(c, L, p, k), x = (long double)k;
            s0 += w;
            s1 += w * x;
            s2 += w * x * x;
        }
        const long double den = (s0 * s2 - s1 * s1) * (long double)c->gt;
        for (int k = 0; k < L; k++) {
            const long double w = (long double)ols_weight(c, L, p, k);
            t[(size_t)k * 8 + p] = (double)(w * (s0 * (long double)k - s1) / den);
        }
    }
    return t;
}

/* Lane x of the integration products of unflagged ramps and of the sums they add, from
 * its Poisson, read-noise and total variances (vp, vr, ve, before the large-variance
 * threshold) and their inverses (ir, ip); `inv_vr` gives the inverse read-noise variance
 * the CHARGELOSS sums add from the thresholded one.  (Called in vectorised loops.) */
static inline __attribute__((always_inline)) void
clean_k_store(const ols_clean_k k, int x, double vp, double vr, double ve, double ir,
              double ip, int exact, int64_t bad) {
    const double T = OLS_LARGE_VARIANCE_THRESHOLD;
    vp = vp >= T ? 0.0 : vp;
    vr = vr >= T ? 0.0 : vr;
    double err = ve > T ? 0.0 : sqrt(ve);
    k.ir[x] = ir;
    k.ip[x] = ip;
    k.vr_thr[x] = vr;
    const double inv = exact ? 1.0 / vr : ir;
    k.cl_add[x] = vr > 0.0 ? inv : 0.0;
    k.o_vp[x] = bad ? 0.0 : vp;
    k.o_vr[x] = bad ? 0.0 : vr;
    k.o_err[x] = bad ? 0.0 : err;
    k.bad[x] = bad;
}

OLS_CLONES
void ols_clean_consts(const ols_ctx *c, int P, const double *rn, const double *gain,
                      const double *dark, const double *mrate, const uint32_t *pdq,
                      const ols_clean_k *k) {
    const double rgtl = 1.0 / (c->gt * ((double)c->ng - 1.0)), kr = c->kr;
    const uint32_t invalid = c->pdnu | c->psat;
    const ols_clean_k kv = *k; /* (a copy: its pointers are not reloaded after each store) */
    /* Two divisions a pixel: 1 / gain for both variances, one for both their inverses.
     * Every value is computed on every lane and the result selected: an operation under
     * a condition is not if-converted (it might raise an exception the source would not). */
    FORX {
        const double m = mrate[x], ig = 1.0 / gain[x];
        const double var_p = (m > 0.0 ? m + dark[x] : dark[x]) * ig * rgtl;
        const double var_r = rn[x] * rn[x] * kr * (ig * ig);
        const double vq = var_p > 0.0 ? var_p : 1.0;
        const double t = 1.0 / (var_r * vq);
        const double ip = var_p > 0.0 ? var_r * t : 0.0;
        clean_k_store(kv, x, var_p > 0.0 ? var_p : 0.0, var_r, var_p + var_r, vq * t, ip, 0,
                      (pdq[x] & invalid) != 0);
    }
}

OLS_CLONES
void ols_clean_slope(const ols_ctx *c, const double *y, int P, const double *rn,
                     const double *gain, double *slope, double *work) {
    const int L = c->ng;
    const double *ct = c->ctab;
    int64_t *restrict pi = (int64_t *)work;
    const double *restrict y0 = y, *restrict yl = y + (size_t)(L - 1) * P;
    FORX {
        /* the signal-to-noise S = diff gain / sqrt(rn^2 + diff gain) of the ramp picks the
         * weighting exponent: its index counts the thresholds 5, 10, 20, 50 and 100 that S
         * reaches (none when S or its denominator is not positive) */
        const double dg = (yl[x] - y0[x]) * gain[x];
        const double den = rn[x] * rn[x] + dg;
        const double s2 = dg * dg;
        const int64_t n = (int64_t)(s2 >= 25.0 * den) + (int64_t)(s2 >= 100.0 * den) +
                          (int64_t)(s2 >= 400.0 * den) + (int64_t)(s2 >= 2500.0 * den) +
                          (int64_t)(s2 >= 10000.0 * den);
        pi[x] = (den > 0.0) & (dg > 0.0) ? n : 0;
    }
    /* The coefficients sum to zero, so the slope is also their sum with the ramp less its
     * first group: exact differences, then no cancellation of the level of the ramp (a
     * flat ramp's slope is 0, not rounding).  Lanes of 8 with their sums in registers over
     * the groups, two blocks at a time to overlap the additions; a lane's coefficient is
     * picked from the group's eight by its index (a single permute where the machine has
     * one). */
    int x0 = 0;
    for (; x0 + 16 <= P; x0 += 16) {
        v8l ia, ib;
        v8d sa = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0}, sb = sa, fa, fb;
        memcpy(&ia, pi + x0, sizeof ia);
        memcpy(&ib, pi + x0 + 8, sizeof ib);
        memcpy(&fa, y + x0, sizeof fa);
        memcpy(&fb, y + x0 + 8, sizeof fb);
        for (int k = 1; k < L; k++) {
            v8d tk, ya, yb;
            memcpy(&tk, ct + (size_t)k * 8, sizeof tk);
            memcpy(&ya, y + (size_t)k * P + x0, sizeof ya);
            memcpy(&yb, y + (size_t)k * P + x0 + 8, sizeof yb);
            sa += (ya - fa) * __builtin_shuffle(tk, ia);
            sb += (yb - fb) * __builtin_shuffle(tk, ib);
        }
        memcpy(slope + x0, &sa, sizeof sa);
        memcpy(slope + x0 + 8, &sb, sizeof sb);
    }
    /* the other lanes, with the same operations in the same order */
    for (int x = x0; x < P; x++) slope[x] = 0.0;
    for (int k = 1; k < L && x0 < P; k++) {
        const double *restrict d = y + (size_t)k * P, *restrict tk = ct + (size_t)k * 8;
        for (int x = x0; x < P; x++) slope[x] += (d[x] - y[x]) * tk[pi[x]];
    }
}

/* stcal's expressions in stcal's order (c->bitwise): the general path's bits. */

/* Quotients by the group time of the lanes ols_qdiv cannot take. */
static void qdiv_fixup(const ols_ctx *c, int P, const double *a, double *q) {
    for (int x = 0; x < P; x++)
        if (!ols_qdiv_ok(a[x] * c->rgt)) q[x] = a[x] / c->gt;
}

/* q[x] = a[x] / gt for P lanes; returns the number of lanes left for qdiv_fixup. */
static inline int qdiv_lanes(const ols_ctx *c, int P, const double *restrict a,
                             double *restrict q) {
    const double gt = c->gt, rgt = c->rgt;
    int nbad = 0;
    if (c->use_fma) {
        FORX {
            const double v = a[x];
            nbad += !ols_qdiv_ok(v * rgt);
            q[x] = ols_qdiv(v, gt, rgt);
        }
    } else {
        FORX q[x] = a[x] / gt;
    }
    return nbad;
}

OLS_CLONES
void ols_clean_consts_exact(const ols_ctx *c, int P, const double *rn, const double *gain,
                            const double *dark, const double *mrate, const uint32_t *pdq,
                            const ols_clean_k *k, double *work) {
    const double gt = c->gt, Ld = (double)c->ng;
    double *restrict rq = work, *restrict var_p = work + P;
    /* rn / gt as ols_clean_fit's read-noise variance starts */
    if (qdiv_lanes(c, P, rn, rq)) qdiv_fixup(c, P, rn, rq);
    double *restrict invrn2 = k->invrn2, *restrict var_r = k->var_r;
    FORX {
        invrn2[x] = 1.0 / (rn[x] * rn[x]);
        const double m = mrate[x];
        var_p[x] = (m > 0.0 ? m + dark[x] : dark[x]) / (gt * gain[x] * (Ld - 1.0));
        double rnum = rq[x];
        rnum = 12.0 * rnum * rnum;
        double rden = Ld * Ld * Ld - Ld;
        rden = rden * gain[x] * gain[x];
        var_r[x] = rnum / rden;
    }
    const uint32_t invalid = c->pdnu | c->psat;
    const ols_clean_k kv = *k; /* (a copy: its pointers are not reloaded after each store) */
    FORX {
        /* the sums of one segment, started from zero as in the general path */
        const double var_e = var_p[x] + var_r[x];
        const double ir = 0.0 + 1.0 / var_r[x];
        const double ip = var_p[x] > 0.0 ? 0.0 + 1.0 / var_p[x] : 0.0;
        const double ie = 0.0 + 1.0 / var_e;
        clean_k_store(kv, x, ip > 0.0 ? 1.0 / ip : 0.0, 1.0 / ir, 1.0 / ie, ir, ip, 1,
                      (pdq[x] & invalid) != 0);
    }
}

OLS_CLONES
void ols_clean_slope_exact(const ols_ctx *c, const double *y, int P, const double *rn,
                           const double *gain, const double *invrn2, double *slope,
                           double *work) {
    const int L = c->ng;
    double *restrict sumw = work, *restrict sumx = work + P, *restrict sumxx = work + 2 * P;
    double *restrict sumy = work + 3 * P, *restrict sumxy = work + 4 * P;
    double *restrict pd = work + 5 * P;
    const double *restrict d0 = y, *restrict dl = y + (size_t)(L - 1) * P;
    FORX {
        /* signal-to-noise of the ramp picks the weighting exponent (by selects) */
        const double diff = dl[x] - d0[x];
        const double den = rn[x] * rn[x] + diff * gain[x];
        const double S = diff * gain[x] / sqrt(den);
        double s = (den <= 0.0 || gain[x] == 0.0) ? 0.0 : (S < 0.0 ? 0.0 : S);
        pd[x] = 5.0 - (double)(s < 5.0) - (double)(s < 10.0) - (double)(s < 20.0) -
                (double)(s < 50.0) - (double)(s < 100.0);
        sumw[x] = sumx[x] = sumxx[x] = sumy[x] = sumxy[x] = 0.0;
    }
    if (L <= OLS_WTAB_LMAX) {
        const float *tb = c->wtab + c->wtab_off[L];
        /* whole blocks of 8 lanes with their sums in registers over the groups; a lane's
         * weight is picked from its group's six by its exponent index (a permute) */
        int x0 = 0;
        v8d wt[OLS_WTAB_LMAX]; /* group k's weights for exponents 0-5 (then 5 again) */
        if (P >= 8)
            for (int k = 0; k < L; k++)
                for (int l = 0; l < 8; l++) wt[k][l] = (double)tb[(l < 6 ? l : 5) * L + k];
        for (; x0 + 8 <= P; x0 += 8) {
            v8d pv, il;
            memcpy(&pv, pd + x0, sizeof pv);
            memcpy(&il, invrn2 + x0, sizeof il);
            const v8l ix = __builtin_convertvector(pv, v8l); /* 0-5, exact */
            v8d sw = {0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0}, sx = sw, sxx = sw, sy = sw, sxy = sw;
            for (int k = 0; k < L; k++) {
                const double xk = (double)k + 0.0;
                const v8d wv = __builtin_shuffle(wt[k], ix);
                const v8d w = wv * il;
                v8d yv;
                memcpy(&yv, y + (size_t)k * P + x0, sizeof yv);
                const v8d xw = xk * w;
                sw += w;
                sx += xw;
                sxx += xk * xw;
                sy += yv * w;
                sxy += yv * xw;
            }
            memcpy(sumw + x0, &sw, sizeof sw);
            memcpy(sumx + x0, &sx, sizeof sx);
            memcpy(sumxx + x0, &sxx, sizeof sxx);
            memcpy(sumy + x0, &sy, sizeof sy);
            memcpy(sumxy + x0, &sxy, sizeof sxy);
        }
        for (int k = 0; k < L && x0 < P; k++) {
            const double xk = (double)k + 0.0;
            const double w0 = tb[k], w1 = tb[L + k], w2 = tb[2 * L + k], w3 = tb[3 * L + k];
            const double w4 = tb[4 * L + k], w5 = tb[5 * L + k];
            const double *restrict d = y + (size_t)k * P;
            for (int x = x0; x < P; x++) {
                double wv = w5;
                wv = pd[x] < 4.5 ? w4 : wv;
                wv = pd[x] < 3.5 ? w3 : wv;
                wv = pd[x] < 2.5 ? w2 : wv;
                wv = pd[x] < 1.5 ? w1 : wv;
                wv = pd[x] < 0.5 ? w0 : wv;
                const double w = wv * invrn2[x];
                const double yx = d[x];
                const double xw = xk * w;
                sumw[x] += w;
                sumx[x] += xw;
                sumxx[x] += xk * xw;
                sumy[x] += yx * w;
                sumxy[x] += yx * xw;
            }
        }
    } else {
        for (int k = 0; k < L; k++) {
            const double xk = (double)k + 0.0;
            const double *restrict d = y + (size_t)k * P;
            for (int x = 0; x < P; x++) {
                const double w = (double)ols_weight(c, L, (int)pd[x], k) * invrn2[x];
                const double yx = d[x];
                const double xw = xk * w;
                sumw[x] += w;
                sumx[x] += xw;
                sumxx[x] += xk * xw;
                sumy[x] += yx * w;
                sumxy[x] += yx * xw;
            }
        }
    }
    double *restrict q = sumy; /* num / den, reusing a sum no longer needed */
    FORX {
        const double den = sumw[x] * sumxx[x] - sumx[x] * sumx[x];
        const double num = sumw[x] * sumxy[x] - sumx[x] * sumy[x];
        const double invden = 1.0 / den;
        q[x] = num * invden;
    }
    if (qdiv_lanes(c, P, q, slope)) qdiv_fixup(c, P, q, slope);
}

OLS_CLONES
void ols_clean_int(const ols_ctx *c, int P, const uint8_t *clean, const uint32_t *pdq,
                   const ols_clean_k *k, const double *slope, const ols_soa *st, float *o_slope,
                   float *o_vp, float *o_vr, float *o_err, uint32_t *o_dq, int only_clean) {
    double *restrict ivp = st->inv_vp, *restrict ivr = st->inv_vr;
    double *restrict sn = st->slope_num, *restrict ivc = st->inv_vr_cl;
    uint8_t *restrict state = st->state;
    const uint8_t *restrict cl = clean;
    const double *restrict vthr = k->vr_thr;
    const double *restrict ir = k->ir, *restrict ip = k->ip, *restrict cla = k->cl_add;
    const double *restrict kvp = k->o_vp, *restrict kvr = k->o_vr, *restrict kerr = k->o_err;
    const int64_t *restrict bad = k->bad;
    /* only_clean: every lane computed into a scratch row, then the unflagged ones copied */
    float tmp[4][OLS_CHUNK];
    float *restrict a = only_clean ? tmp[0] : o_slope, *restrict b = only_clean ? tmp[1] : o_vp;
    float *restrict r = only_clean ? tmp[2] : o_vr, *restrict e = only_clean ? tmp[3] : o_err;
    uint32_t *restrict q = o_dq;
    /* The byte flags are widened to the lanes they select first: selects on bytes next to
     * doubles keep the compiler from vectorising. */
    int64_t k64[OLS_CHUNK];
    int32_t k32[OLS_CHUNK];
    FORX k64[x] = cl[x] != 0;
    FORX k32[x] = cl[x] != 0;
    const double *restrict var_r = k->var_r;
    const int exact = c->bitwise;
    /* selects rather than branches, in ols_fit_integration's order of additions; every sum
     * is computed and the kept one selected (an addition under a condition is not
     * if-converted, as it might raise a floating-point exception the source would not) */
    FORX {
        const int64_t kk = k64[x];
        /* the slope's share of the exposure sum, weighted by the inverse read-noise
         * variance; the integration's slope is kept unless that variance is too large
         * (exact: as stcal computes them) */
        double snum, sl;
        if (exact) {
            snum = 0.0 + slope[x] / var_r[x];
            sl = snum * vthr[x];
        } else {
            snum = 0.0 + slope[x] * ir[x];
            sl = vthr[x] > 0.0 ? slope[x] : 0.0;
        }
        sl = bad[x] ? NAN : sl;
        const double s0 = ivp[x], s1 = ivr[x], s2 = sn[x], s3 = ivc[x];
        const double t0 = s0 + ip[x], t1 = s1 + ir[x], t2 = s2 + snum, t3 = s3 + cla[x];
        ivp[x] = (kk & (ip[x] > 0.0)) ? t0 : s0;
        ivr[x] = kk ? t1 : s1;
        sn[x] = kk ? t2 : s2;
        ivc[x] = (kk & (kvr[x] > 0.0)) ? t3 : s3;
        a[x] = (float)sl;
        b[x] = (float)kvp[x];
        r[x] = (float)kvr[x];
        e[x] = (float)kerr[x];
    }
    const uint32_t keep_dnu = ~OLS_ALL_DNU, keep_sat = ~OLS_ALL_SAT;
    const uint32_t pdnu = c->pdnu, psat = c->psat;
    FORX {
        uint32_t s = state[x];
        const int32_t kk = k32[x];
        s = (kk & ((pdq[x] & pdnu) == 0)) ? (s & keep_dnu) : s;
        s = (kk & ((pdq[x] & psat) == 0)) ? (s & keep_sat) : s;
        state[x] = (uint8_t)s;
    }
    if (!only_clean) {
        FORX q[x] = pdq[x];
        return;
    }
    float *restrict os = o_slope, *restrict op = o_vp, *restrict orn = o_vr, *restrict oe = o_err;
    FORX {
        const int32_t kk = k32[x];
        os[x] = kk ? a[x] : os[x];
        op[x] = kk ? b[x] : op[x];
        orn[x] = kk ? r[x] : orn[x];
        oe[x] = kk ? e[x] : oe[x];
        q[x] = kk ? pdq[x] : q[x];
    }
}

/* Pixels of a row finished at a time: the flags of a block are widened to 64-bit lanes
 * before the double-precision part, so that each loop vectorises. */
#define OLS_FINISH_BLOCK 256

/* The double-precision part of ols_finish_row for m pixels; with_cl: some pixel has a
 * CHARGELOSS integration (else its read-noise variance is not computed). */
static inline __attribute__((always_inline)) void
finish_block(int m, int with_cl, const double *restrict ivp, const double *restrict ivr,
             const double *restrict sn, const double *restrict ivc, const int64_t *restrict bad,
             const int64_t *restrict anycl, float *restrict o_s, float *restrict o_p,
             float *restrict o_r, float *restrict o_e) {
    const double T = OLS_LARGE_VARIANCE_THRESHOLD;
    /* The divisions and products are computed on every lane and the results selected:
     * an operation under a condition is not if-converted (it might raise an exception
     * the source would not), and the loop would stay scalar. */
    for (int x = 0; x < m; x++) {
        double vp = ivp[x], vr = ivr[x], s = sn[x];
        const double inv_vp = 1.0 / vp, inv_vr = 1.0 / vr;
        vp = vp > 0.0 ? inv_vp : vp;
        vp = (vp >= T || vp < 0.0) ? 0.0 : vp;
        vr = vr > 0.0 ? inv_vr : vr;
        vr = vr >= T ? 0.0 : vr;
        double e = sqrt(vp + vr);
        const int64_t b = bad[x];
        s = b ? NAN : s;
        vp = b ? 0.0 : vp;
        vr = b ? 0.0 : vr;
        e = b ? 0.0 : e;
        const double sv = s * vr;
        s = isnan(s) ? s : sv;
        if (with_cl) {
            const double inv_cl = 1.0 / ivc[x];
            double vc = ivc[x] > 0.0 ? inv_cl : vr;
            vc = vc >= T ? 0.0 : vc;
            vr = anycl[x] ? vc : vr;
        }
        o_s[x] = (float)s;
        o_p[x] = (float)vp;
        o_r[x] = (float)vr;
        o_e[x] = (float)e;
    }
}

OLS_CLONES
void ols_finish_row(const ols_ctx *c, size_t n, const ols_soa *st, const uint32_t *pixeldq,
                    const float *gain, float *slope, float *var_p, float *var_r, float *err,
                    uint32_t *dq) {
    const uint32_t invalid = c->pdnu | c->psat, nogain = c->pdnu | c->pngval;
    const uint32_t pjump = c->pjump, ppers = c->ppers, pdnu = c->pdnu, psat = c->psat;
    int64_t bad[OLS_FINISH_BLOCK], anycl[OLS_FINISH_BLOCK];
    /* stcal's finishing rules, written with selects */
    for (size_t x0 = 0; x0 < n; x0 += OLS_FINISH_BLOCK) {
        const int m = (int)(n - x0 < OLS_FINISH_BLOCK ? n - x0 : OLS_FINISH_BLOCK);
        const uint8_t *restrict state = st->state + x0;
        const uint32_t *restrict pq = pixeldq + x0;
        const float *restrict g = gain + x0;
        uint32_t *restrict o_q = dq + x0;
        int64_t any_cl = 0;
        for (int x = 0; x < m; x++) {
            const uint32_t sb = state[x];
            uint32_t q = pq[x] | (g[x] > 0.0f ? 0u : nogain);
            q |= (sb & OLS_ANY_JUMP) ? pjump : 0u;
            q |= (sb & OLS_ANY_PERS) ? ppers : 0u;
            q |= (sb & OLS_ALL_DNU) ? pdnu : 0u;
            q |= (sb & OLS_ALL_SAT) ? psat : 0u;
            bad[x] = (q & invalid) != 0;
            anycl[x] = (sb & OLS_ANY_CL) != 0;
            any_cl |= anycl[x];
            q |= (sb & OLS_ANY_SAT) ? psat : 0u;
            o_q[x] = q;
        }
        const double *ivp = st->inv_vp + x0, *ivr = st->inv_vr + x0;
        const double *sn = st->slope_num + x0, *ivc = st->inv_vr_cl + x0;
        if (any_cl)
            finish_block(m, 1, ivp, ivr, sn, ivc, bad, anycl, slope + x0, var_p + x0,
                         var_r + x0, err + x0);
        else
            finish_block(m, 0, ivp, ivr, sn, ivc, bad, anycl, slope + x0, var_p + x0,
                         var_r + x0, err + x0);
    }
}
