/* Likelihood ramp fitting (Brandt 2024): see likely.h.
 *
 * The resultant differences of a ramp have a tridiagonal covariance (alpha on the
 * diagonal, beta off it) built from the read pattern, the read noise and a guess of the
 * count rate.  The fit and its chi square follow from the recursions of paper I,
 * section 4 (theta, phi and their partial sums); the jump test of paper II refits with
 * one difference, or two adjacent ones, left out and drops the best if its chi-square
 * improvement passes the threshold, until nothing more is dropped.
 *
 * Everything is evaluated in the order of stcal 1.20's likely_fit.py (which works on
 * whole rows with NumPy) so that rates agree to rounding: the count-rate guess is the
 * median of all differences, refitted with the rate found by the jump test plus the
 * dark current; masked differences still carry their values multiplied by zero, so
 * NaN data propagates the same way.
 */
#include "likely.h"
#include "likely_fit.h"
#include "median_network.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* NumPy's maximum: NaN as soon as either value is NaN. */
static inline double nan_max(double a, double b) {
    return (isnan(a) || isnan(b)) ? NAN : (a > b ? a : b);
}

/* One step of the jump test for lane x of a fitted chunk: drop the best single
 * difference or adjacent pair if its chi-square improvement passes the threshold.
 * Returns 1 when something was dropped (use and countrate updated). */
static int lk_decide(const jw_likely_params *p, lk_soa *s, int n, int P, int x) {
    const double chisq = s->chisq[x];
    double best1 = -INFINITY, best2 = 0.0;
    for (int i = 0; i < n; i++) best1 = nan_max(best1, chisq - s->chi1[i * P + x]);
    /* Pairs that may not be dropped count as no improvement.  stcal multiplies their
     * improvement by zero instead, so a degenerate pair (0/0 in the closed form, as
     * happens at zero count rate with one read per resultant) turns the best
     * improvement into NaN and silently switches the jump test off for the ramp. */
    if (p->any_two_omit) {
        best2 = -INFINITY;
        for (int i = 0; i < n - 1; i++)
            best2 = nan_max(best2, p->two_omit[i] ? chisq - s->chi2[i * P + x] : 0.0);
    }
    const int onebetter = best1 - p->thresh_one > best2 - p->thresh_two;
    double best = best1 * (double)(best1 > p->thresh_one) * (double)onebetter;
    best += best2 * (double)(best2 > p->thresh_two) * (double)!onebetter;
    if (best == 0.0 || isnan(best)) return 0;
    int dropped = 0;
    double newcr = 0.0;
    if (onebetter) {
        for (int i = 0; i < n; i++)
            if (chisq - s->chi1[i * P + x] == best) dropped = 1;
        if (!dropped) return 0;
        for (int i = 0; i < n; i++) {
            const int d = chisq - s->chi1[i * P + x] == best;
            newcr += s->cr1[i * P + x] * (double)d;
            if (d) s->use[i * P + x] = 0.0;
        }
    } else {
        /* only reached when some pair may be dropped, so chi2 is filled */
        for (int i = 0; i < n - 1; i++)
            if (chisq - s->chi2[i * P + x] == best) dropped = 1;
        if (!dropped) return 0;
        for (int i = 0; i < n - 1; i++) {
            const int d = chisq - s->chi2[i * P + x] == best;
            newcr += s->cr2[i * P + x] * (double)d;
            if (d) s->use[i * P + x] = s->use[(i + 1) * P + x] = 0.0;
        }
    }
    s->countrate[x] = s->countrate[x] * 0.0 + newcr;
    return 1;
}

/* Continue the jump test of lane x alone (the rare ramps where something was dropped). */
static double lk_continue(const jw_likely_params *p, lk_soa *chunk, int P, int x, lk_soa *one,
                          int n, double crg) {
    for (int i = 0; i < n; i++) {
        one->diff[i] = chunk->diff[i * P + x];
        one->use[i] = chunk->use[i * P + x];
    }
    one->crg[0] = crg;
    one->gain[0] = chunk->gain[x];
    one->rn[0] = chunk->rn[x];
    double countrate = chunk->countrate[x];
    for (int j = 1; j < n; j++) {
        int nuse = 0;
        for (int i = 0; i < n; i++) nuse += one->use[i] != 0.0;
        if (nuse <= 3) break;
        lk_fit(p, one, n, 1, 1);
        one->countrate[0] = countrate;
        if (!lk_decide(p, one, n, 1, 0)) break;
        countrate = one->countrate[0];
    }
    for (int i = 0; i < n; i++) chunk->use[i * P + x] = one->use[i];
    return countrate;
}

#define LK_CHUNK 32

/* Median of each pixel's n differences (NaN when any is NaN, as np.median), for a chunk:
 * the median network over rows of P pixels.  t: scratch [n * P]. */
LK_CLONES
static void chunk_medians(const double *diff, int n, int P, const uint16_t *lo,
                          const uint16_t *hi, int ncmp, double *t, double *med) {
    for (int k = 0; k < n; k++) {
        double *restrict tk = ROW(t, k);
        const double *restrict dk = ROW(diff, k);
        FORX tk[x] = dk[x];
    }
    for (int k = 0; k < ncmp; k++) {
        double *restrict a = ROW(t, lo[k]), *restrict b = ROW(t, hi[k]);
        FORX {
            const double u = a[x], v = b[x];
            a[x] = v < u ? v : u;
            b[x] = v < u ? u : v;
        }
    }
    const int h = n >> 1;
    const double *restrict hi_ = ROW(t, h), *restrict lo_ = ROW(t, h > 0 ? h - 1 : 0);
    FORX med[x] = (n & 1) ? hi_[x] : (lo_[x] + hi_[x]) / 2.0;
    for (int k = 0; k < n; k++) {
        const double *restrict dk = ROW(diff, k);
        FORX med[x] = isnan(dk[x]) ? dk[x] : med[x];
    }
}

int jw_likely_fit(const jw_likely_params *p, const float *data, const uint8_t *gdq,
                  const uint32_t *pixeldq, const float *readnoise, const float *gain,
                  const float *dark, const float *zeroframe, uint8_t *gdq_jump, float *slope,
                  uint32_t *dq, float *var_poisson, float *var_rnoise, float *err, float *chisq,
                  int n_threads) {
    if (!p || p->ngroups < 2 || (p->use_zeroframe && !zeroframe)) return JW_LIKELY_ERR_ARG;
    const size_t ng = p->ngroups, nx = p->nx, npix = p->ny * nx;
    const int zo = p->use_zeroframe ? 1 : 0;
    const int nres = (int)ng + zo, n = nres - 1;
    const uint8_t sat = (uint8_t)p->sat, dnu = (uint8_t)p->dnu, jump = (uint8_t)p->jump;
    const size_t nchunks = (nx + LK_CHUNK - 1) / LK_CHUNK;
    if (n > 60000) return JW_LIKELY_ERR_ARG;
    uint16_t *net_lo = (uint16_t *)malloc(median_network_capacity(n) * sizeof(uint16_t));
    uint16_t *net_hi = (uint16_t *)malloc(median_network_capacity(n) * sizeof(uint16_t));
    const int ncmp = (net_lo && net_hi) ? median_network(n, net_lo, net_hi) : -1;
    int errors = 0;
    (void)n_threads;
    if (ncmp < 0) {
        free(net_lo);
        free(net_hi);
        return JW_LIKELY_ERR_ALLOC;
    }
#ifdef _OPENMP
#pragma omp parallel num_threads(n_threads > 0 ? n_threads : 1) reduction(+ : errors)
#endif
    {
        lk_soa s, one;
        const float **rrow = (const float **)malloc((size_t)(nres + 1) * sizeof(float *));
        const uint8_t **erow = (const uint8_t **)malloc((size_t)(nres + 1) * sizeof(uint8_t *));
        float *first = (float *)malloc(LK_CHUNK * sizeof(float));
        double *use0 = (double *)malloc((size_t)(n + 1) * LK_CHUNK * sizeof(double));
        double *sorted = (double *)malloc((size_t)(n + 1) * LK_CHUNK * sizeof(double));
        int *flags = (int *)malloc(3 * LK_CHUNK * sizeof(int));
        const int bad = lk_soa_alloc(&s, n, LK_CHUNK) | lk_soa_alloc(&one, n, 1);
        if (bad || !rrow || !erow || !first || !use0 || !sorted || !flags) {
            errors++;
        } else {
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 4)
#endif
            for (size_t job = 0; job < p->ny * p->nints * nchunks; job++) {
                const size_t y = job / (p->nints * nchunks);
                const size_t i = (job / nchunks) % p->nints;
                const size_t x0 = (job % nchunks) * LK_CHUNK;
                const int P = (int)(nx - x0 < LK_CHUNK ? nx - x0 : LK_CHUNK);
                const size_t pix0 = y * nx + x0, base0 = i * ng * npix + pix0;
                /* Resultant rows; the ZEROFRAME, when used, is a resultant of its own and is
                 * taken out of the first group (single precision, as stcal). */
                if (zo) {
                    const float *z = zeroframe + i * npix + pix0;
                    for (int x = 0; x < P; x++) {
                        float f = data[base0 + x] * (float)p->nframes;
                        f = f - z[x];
                        first[x] = f / (float)(p->nframes - 1);
                    }
                    rrow[0] = z;
                    rrow[1] = first;
                    erow[0] = erow[1] = gdq + base0;
                } else {
                    rrow[0] = data + base0;
                    erow[0] = gdq + base0;
                }
                for (size_t g = 1; g < ng; g++) {
                    rrow[g + zo] = data + base0 + g * npix;
                    erow[g + zo] = gdq + base0 + g * npix;
                }
                for (int k = 0; k < n; k++) {
                    const float *restrict r0 = rrow[k], *restrict r1 = rrow[k + 1];
                    const uint8_t *restrict e0 = erow[k], *restrict e1 = erow[k + 1];
                    double *restrict d = ROW(s.diff, k), *restrict u = ROW(s.use, k);
                    double *restrict u0 = ROW(use0, k);
                    const double dt = p->delta_t[k];
                    for (int x = 0; x < P; x++) {
                        const float dd = r1[x] - r0[x];
                        d[x] = (double)dd / dt;
                        u[x] = u0[x] = (double)(e0[x] == 0 && e1[x] == 0);
                    }
                }
                for (int x = 0; x < P; x++) {
                    s.gain[x] = (double)gain[pix0 + x];
                    s.rn[x] = (double)readnoise[pix0 + x] / 1.4142135623730951;
                }
                chunk_medians(s.diff, n, P, net_lo, net_hi, ncmp, sorted, s.crg);
                for (int x = 0; x < P; x++) s.crg[x] = s.crg[x] * (double)(s.crg[x] > 0.0);
                /* First pass of the jump test for the whole chunk, then the few ramps where
                 * something was dropped continue alone. */
                lk_fit(p, &s, n, P, 1);
                for (int x = 0; x < P; x++) {
                    const double crg = s.crg[x];
                    if (lk_decide(p, &s, n, P, x)) {
                        const double c = lk_continue(p, &s, P, x, &one, n, crg);
                        s.countrate[x] = c;
                    }
                }
                for (int x = 0; x < P; x++) {
                    const double c = s.countrate[x];
                    const double dk = dark ? (double)dark[pix0 + x] : 0.0;
                    s.crg[x] = c * (double)(c > 0.0) + dk;
                }
                lk_fit(p, &s, n, P, 0);
                int *all_bad = flags, *any_sat = flags + LK_CHUNK, *any_jump = flags + 2 * LK_CHUNK;
                for (int x = 0; x < P; x++) {
                    all_bad[x] = 1;
                    any_sat[x] = any_jump[x] = 0;
                }
                for (int k = 0; k < nres; k++) {
                    const uint8_t *restrict e = erow[k];
                    for (int x = 0; x < P; x++) {
                        all_bad[x] &= (e[x] & (sat | dnu)) != 0;
                        any_sat[x] |= (e[x] & sat) != 0;
                        any_jump[x] |= (e[x] & jump) != 0;
                    }
                }
                /* differences the jump test dropped flag their later group */
                for (int k = 0; k < n; k++) {
                    const double *restrict u = ROW(s.use, k), *restrict u0 = ROW(use0, k);
                    for (int x = 0; x < P; x++)
                        if (u0[x] != 0.0 && u[x] == 0.0) {
                            any_jump[x] = 1;
                            if (gdq_jump) gdq_jump[base0 + (size_t)(k + 1 - zo) * npix + x] |= jump;
                        }
                }
                for (int x = 0; x < P; x++) {
                    uint32_t q = pixeldq[pix0 + x];
                    if (all_bad[x]) q |= p->dnu;
                    if (any_sat[x]) q |= p->sat;
                    if (any_jump[x]) q |= p->jump;
                    const size_t o = i * npix + pix0 + x;
                    slope[o] = (float)s.countrate[x];
                    err[o] = (float)s.uncert[x];
                    var_poisson[o] = (float)s.vp[x];
                    var_rnoise[o] = (float)s.vr[x];
                    chisq[o] = (float)s.chisq[x];
                    dq[o] = q;
                }
            }
        }
        free(s.block);
        free(one.block);
        free(rrow);
        free(erow);
        free(first);
        free(use0);
        free(sorted);
        free(flags);
    }
    free(net_lo);
    free(net_hi);
    return errors ? JW_LIKELY_ERR_ALLOC : JW_LIKELY_OK;
}

static double nanmedian_f(const float *v, size_t n, size_t stride, double *t) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const double x = (double)v[i * stride];
        if (isnan(x)) continue;
        size_t j = m++;
        while (j > 0 && t[j - 1] > x) {
            t[j] = t[j - 1];
            j--;
        }
        t[j] = x;
    }
    if (m == 0) return NAN;
    const size_t h = m >> 1;
    return (m & 1) ? t[h] : (t[h - 1] + t[h]) / 2.0;
}

int jw_likely_combine(size_t nints, size_t npix, const float *slope, const uint32_t *dq,
                      const float *var_poisson, const float *var_rnoise, const float *chisq,
                      uint32_t dnu, float *r_slope, uint32_t *r_dq, float *r_var_poisson,
                      float *r_var_rnoise, float *r_err, float *r_chisq, int n_threads) {
    int errors = 0;
    (void)n_threads;
#ifdef _OPENMP
#pragma omp parallel num_threads(n_threads > 0 ? n_threads : 1) reduction(+ : errors)
#endif
    {
        double *t = (double *)malloc((3 * nints + 1) * sizeof(double));
        if (!t) {
            errors++;
        } else {
            double *wgt = t + nints, *avp = t + 2 * nints;
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
            for (size_t pix = 0; pix < npix; pix++) {
                uint32_t q = 0;
                int all_dnu = 1;
                double chi = 0.0;
                for (size_t i = 0; i < nints; i++) {
                    const uint32_t d = dq[i * npix + pix];
                    q |= d;
                    all_dnu &= (d & dnu) != 0;
                    chi += (double)chisq[i * npix + pix];
                }
                q &= ~dnu;
                if (all_dnu) q |= dnu;
                double s = nanmedian_f(slope + pix, nints, npix, t);
                /* two passes: rescale each Poisson variance to the current mean rate */
                for (int pass = 0; pass < 2; pass++) {
                    double wsum = 0.0;
                    for (size_t i = 0; i < nints; i++) {
                        const double d = (double)slope[i * npix + pix];
                        double rs = s / d;
                        if (!isfinite(rs) || rs < 0.0) rs = 0.0;
                        avp[i] = (double)var_poisson[i * npix + pix] * rs;
                        wgt[i] = 1.0 / (avp[i] + (double)var_rnoise[i * npix + pix]);
                        if (!isnan(wgt[i])) wsum += wgt[i];
                    }
                    int all_nan = 1;
                    double acc = 0.0;
                    for (size_t i = 0; i < nints; i++) {
                        wgt[i] /= wsum;
                        const double v = (double)slope[i * npix + pix] * wgt[i];
                        if (!isnan(v)) {
                            acc += v;
                            all_nan = 0;
                        }
                    }
                    s = all_nan ? NAN : acc;
                }
                double vp = 0.0, vr = 0.0;
                int vp_nan = 1, vr_nan = 1;
                for (size_t i = 0; i < nints; i++) {
                    const double a = avp[i] * wgt[i] * wgt[i];
                    const double b = (double)var_rnoise[i * npix + pix] * wgt[i] * wgt[i];
                    if (!isnan(a)) {
                        vp += a;
                        vp_nan = 0;
                    }
                    if (!isnan(b)) {
                        vr += b;
                        vr_nan = 0;
                    }
                }
                if (vp_nan) vp = NAN;
                if (vr_nan) vr = NAN;
                r_slope[pix] = (float)s;
                r_dq[pix] = q;
                r_var_poisson[pix] = (float)vp;
                r_var_rnoise[pix] = (float)vr;
                r_err[pix] = (float)sqrt(vp + vr);
                r_chisq[pix] = (float)chi;
            }
            free(t);
        }
    }
    return errors ? JW_LIKELY_ERR_ALLOC : JW_LIKELY_OK;
}
