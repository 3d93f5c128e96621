/* Likelihood ramp fitting (Brandt 2024): see likely.h.
 *
 * The resultant differences of a ramp have a tridiagonal covariance (alpha on the
 * diagonal, beta off it) built from the read pattern, the read noise and a guess of the
 * count rate; the rate is their generalised-least-squares mean.  The jump test of paper II
 * refits with one difference, or two adjacent ones, left out and drops the best if its
 * chi-square improvement passes the threshold, until nothing more is dropped.  How each
 * fit is computed is in likely_fit.c; this file walks the exposure in blocks of LK_V
 * pixels of one row and one integration, and combines integrations.
 *
 * The conventions are stcal 1.20's likely_fit.py: the count-rate guess is the median of
 * all differences, refitted with the rate found by the jump test plus the dark current;
 * masked differences still carry their values multiplied by zero, so NaN data propagates
 * the same way.
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

int jw_likely_fit(const jw_likely_params *p, const float *data, const uint8_t *gdq,
                  const uint32_t *pixeldq, const float *readnoise, const float *gain,
                  const float *dark, const float *zeroframe, uint8_t *gdq_jump, float *slope,
                  uint32_t *dq, float *var_poisson, float *var_rnoise, float *err, float *chisq,
                  int n_threads) {
    if (!p || p->ngroups < 2 || (p->use_zeroframe && !zeroframe)) return JW_LIKELY_ERR_ARG;
    const size_t ng = p->ngroups, nx = p->nx, npix = p->ny * nx;
    const int zo = p->use_zeroframe ? 1 : 0;
    const int nres = (int)ng + zo, n = nres - 1;
    const size_t nblocks = (nx + LK_V - 1) / LK_V;
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
    const lk_network net = {net_lo, net_hi, ncmp};
#ifdef _OPENMP
#pragma omp parallel num_threads(n_threads > 0 ? n_threads : 1) reduction(+ : errors)
#endif
    {
        lk_thread t;
        /* jump-flag rows, and the planes of a block narrower than LK_V padded with copies
         * of its last pixel (so that every lane computes something finite and harmless) */
        uint8_t **jrow = (uint8_t **)malloc(ng * sizeof(uint8_t *));
        float pad_plane[3][LK_V];
        uint32_t pad_pdq[LK_V];
        if (lk_thread_alloc(&t, n) || !jrow) {
            errors++;
        } else {
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 4)
#endif
            for (size_t job = 0; job < p->ny * p->nints * nblocks; job++) {
                const size_t y = job / (p->nints * nblocks);
                const size_t i = (job / nblocks) % p->nints;
                const size_t x0 = (job % nblocks) * LK_V;
                const int P = (int)(nx - x0 < LK_V ? nx - x0 : LK_V);
                const size_t pix0 = y * nx + x0, base0 = i * ng * npix + pix0;
                /* Resultant rows; the ZEROFRAME, when used, is a resultant of its own and is
                 * taken out of the first group (single precision, as stcal). */
                if (zo) {
                    const float *z = zeroframe + i * npix + pix0;
                    for (int x = 0; x < P; x++) {
                        float f = data[base0 + x] * (float)p->nframes;
                        f = f - z[x];
                        t.first[x] = f / (float)(p->nframes - 1);
                    }
                    t.rrow[0] = z;
                    t.rrow[1] = t.first;
                    t.erow[0] = t.erow[1] = gdq + base0;
                } else {
                    t.rrow[0] = data + base0;
                    t.erow[0] = gdq + base0;
                }
                for (size_t g = 1; g < ng; g++) {
                    t.rrow[g + zo] = data + base0 + g * npix;
                    t.erow[g + zo] = gdq + base0 + g * npix;
                }
                if (gdq_jump)
                    for (size_t g = 0; g < ng; g++) jrow[g] = gdq_jump + base0 + g * npix;
                lk_block_io io = {t.rrow, t.erow, gdq_jump ? jrow : NULL, gain + pix0,
                                  readnoise + pix0, dark ? dark + pix0 : NULL, pixeldq + pix0,
                                  slope + i * npix + pix0, err + i * npix + pix0,
                                  var_poisson + i * npix + pix0, var_rnoise + i * npix + pix0,
                                  chisq + i * npix + pix0, dq + i * npix + pix0, P};
                if (P < LK_V) {
                    for (int k = 0; k < nres; k++) {
                        float *r = t.pad_r + (size_t)k * LK_V;
                        uint8_t *e = t.pad_e + (size_t)k * LK_V;
                        for (int x = 0; x < LK_V; x++) {
                            r[x] = t.rrow[k][x < P ? x : P - 1];
                            e[x] = t.erow[k][x < P ? x : P - 1];
                        }
                        t.rrow[k] = r;
                        t.erow[k] = e;
                    }
                    for (int x = 0; x < LK_V; x++) {
                        const int xs = x < P ? x : P - 1;
                        pad_plane[0][x] = gain[pix0 + xs];
                        pad_plane[1][x] = readnoise[pix0 + xs];
                        pad_plane[2][x] = dark ? dark[pix0 + xs] : 0.0f;
                        pad_pdq[x] = pixeldq[pix0 + xs];
                    }
                    io.gain = pad_plane[0];
                    io.readnoise = pad_plane[1];
                    io.dark = dark ? pad_plane[2] : NULL;
                    io.pixeldq = pad_pdq;
                }
                lk_block(p, &net, &t, &io);
            }
        }
        lk_thread_free(&t);
        free(jrow);
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
