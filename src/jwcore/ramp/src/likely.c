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

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

typedef struct {
    int n; /* differences */
    double *alpha, *beta, *aph, *arn, *bph, *brn, *bm, *theta, *phi, *Phi, *PhiD, *Theta,
        *ThetaD, *dC, *dB, *dm, *Cd, *Coff, *cr1, *chi1, *cr2, *chi2, *diff, *tmp;
    uint8_t *use, *dq_use, *drop1, *drop2, *E;
    float *rv; /* resultants */
    void *block;
} lk_work;

typedef struct {
    double countrate, chisq, uncert, var_p, var_r;
} lk_result;

static int work_alloc(lk_work *w, int n) {
    const size_t m = (size_t)n + 2;
    w->n = n;
    w->block = malloc(m * (24 * sizeof(double) + 5 + sizeof(float)) + 64);
    if (!w->block) return 1;
    double *b = (double *)w->block;
    double **arrs[] = {&w->alpha, &w->beta, &w->aph,  &w->arn,    &w->bph,   &w->brn,
                       &w->bm,    &w->theta, &w->phi, &w->Phi,    &w->PhiD,  &w->Theta,
                       &w->ThetaD, &w->dC,   &w->dB,  &w->dm,     &w->Cd,    &w->Coff,
                       &w->cr1,   &w->chi1,  &w->cr2, &w->chi2,   &w->diff,  &w->tmp};
    for (size_t k = 0; k < sizeof(arrs) / sizeof(arrs[0]); k++) *arrs[k] = b + k * m;
    w->rv = (float *)(b + 24 * m);
    w->use = (uint8_t *)(w->rv + m);
    w->dq_use = w->use + m;
    w->drop1 = w->dq_use + m;
    w->drop2 = w->drop1 + m;
    w->E = w->drop2 + m;
    return 0;
}

/* Fit the differences of one ramp; with `detect`, also the one- and two-omission fits. */
static void lk_fit(const jw_likely_params *p, lk_work *w, double crg, double gain, double rn,
                   int detect, lk_result *res) {
    const int n = w->n;
    const double *use_d = NULL;
    (void)use_d;
    double *alpha = w->alpha, *beta = w->beta, *theta = w->theta, *phi = w->phi;
    const double rn2 = rn * rn, cg = crg / gain;
    for (int i = 0; i < n; i++) {
        w->aph[i] = cg * p->alpha_ph[i];
        w->arn[i] = rn2 * p->alpha_rn[i];
        alpha[i] = w->aph[i] + w->arn[i];
    }
    for (int i = 0; i < n - 1; i++) {
        w->bph[i] = cg * p->beta_ph[i];
        w->brn[i] = rn2 * p->beta_rn[i];
        beta[i] = w->bph[i] + w->brn[i];
    }
    /* Rescale the covariance to unit determinant, as stcal does every ten steps. */
    theta[0] = 1.0;
    theta[1] = alpha[0];
    double scale = 1.0;
    for (int i = 2; i <= n; i++) {
        theta[i] = alpha[i - 1] / scale * theta[i - 1] -
                   beta[i - 2] * beta[i - 2] / (scale * scale) * theta[i - 2];
        if (i % 10 == 0 || i == n) {
            const double f = pow(theta[i], 1.0 / (double)i);
            scale *= f;
            const double t = theta[i] / f;
            theta[i - 1] /= t;
            theta[i - 2] /= t / f;
            theta[i] = 1.0;
        }
    }
    for (int i = 0; i < n; i++) alpha[i] /= scale;
    for (int i = 0; i < n - 1; i++) beta[i] /= scale;

    const uint8_t *use = w->use;
    double *dm = w->dm, *bm = w->bm;
    for (int i = 0; i < n; i++) dm[i] = w->diff[i] * (double)use[i];
    for (int i = 0; i < n - 1; i++) bm[i] = beta[i] * (double)use[i + 1] * (double)use[i];

    theta[0] = 1.0;
    theta[1] = alpha[0];
    for (int i = 2; i <= n; i++) theta[i] = alpha[i - 1] * theta[i - 1] - bm[i - 2] * bm[i - 2] * theta[i - 2];
    phi[n] = 1.0;
    phi[n - 1] = alpha[n - 1];
    for (int i = n - 2; i >= 0; i--) phi[i] = alpha[i] * phi[i + 1] - bm[i] * bm[i] * phi[i + 2];

    double *Phi = w->Phi, *PhiD = w->PhiD, *Theta = w->Theta, *ThetaD = w->ThetaD;
#define SGN(i) (((i) & 1) ? 1.0 : -1.0)
    Phi[n - 1] = 0.0;
    PhiD[n - 1] = 0.0;
    for (int i = n - 2; i >= 0; i--) {
        Phi[i] = Phi[i + 1] * bm[i] + SGN(i + 1) * bm[i] * phi[i + 2];
        PhiD[i] = (PhiD[i + 1] + SGN(i + 1) * dm[i + 1] * phi[i + 2]) * bm[i];
    }
    Theta[0] = -theta[0];
    for (int i = 1; i < n; i++) Theta[i] = Theta[i - 1] * bm[i - 1] + SGN(i) * theta[i];
    ThetaD[0] = 0.0;
    ThetaD[1] = -dm[0] * theta[0];
    for (int i = 1; i < n; i++) ThetaD[i + 1] = bm[i - 1] * ThetaD[i] + SGN(i) * dm[i] * theta[i];

    const double tn = theta[n];
    double *dC = w->dC, *dB = w->dB;
    double A1 = 0.0, A2 = 0.0, B = 0.0, C = 0.0;
    for (int i = 0; i < n; i++) {
        const double s = SGN(i) / tn;
        dC[i] = s * (phi[i + 1] * Theta[i] + theta[i] * Phi[i]);
        dC[i] *= (double)use[i];
        dB[i] = s * (phi[i + 1] * ThetaD[i + 1] + theta[i] * PhiD[i]);
        const double bext = i == 0 ? 1.0 : bm[i - 1];
        A1 += dm[i] * SGN(i) / tn * bext * phi[i + 1] * ThetaD[i];
        A2 += dm[i] * dm[i] * theta[i] * phi[i + 1] / tn;
        B += dm[i] * dC[i];
        C += dC[i];
    }
    const double A = 2.0 * A1 + A2;
    res->countrate = B * (1.0 / C);
    res->chisq = (A - B * B / C) / scale;
    res->uncert = sqrt(scale / C);
    if (!detect) {
        double vp = 0.0, vr = 0.0, vp2 = 0.0, vr2 = 0.0;
        for (int i = 0; i < n; i++) {
            const double wt = dC[i] / C;
            vp += wt * wt * w->aph[i];
            vr += wt * wt * w->arn[i];
            w->tmp[i] = wt;
        }
        for (int i = 0; i < n - 1; i++) {
            vp2 += w->tmp[i + 1] * w->tmp[i] * w->bph[i];
            vr2 += w->tmp[i + 1] * w->tmp[i] * w->brn[i];
        }
        res->var_p = vp + 2.0 * vp2;
        res->var_r = vr + 2.0 * vr2;
        return;
    }
    res->var_p = res->var_r = 0.0;

    /* One difference left out (paper II, section 3.1). */
    double *Cd = w->Cd, *Coff = w->Coff;
    for (int i = 0; i < n; i++) {
        Cd[i] = theta[i] * phi[i + 1] / tn;
        Cd[i] *= (double)use[i];
    }
    for (int i = 0; i < n - 1; i++) Coff[i] = -bm[i] * theta[i] * phi[i + 2] / tn;
    for (int i = 0; i < n; i++) {
        const double a = (Cd[i] * B - dB[i] * dC[i]) / (C * Cd[i] - dC[i] * dC[i]);
        const double b = (dB[i] - a * dC[i]) / Cd[i];
        double chi = A + a * a * C - 2.0 * a * B + b * b * Cd[i] - 2.0 * b * dB[i] +
                     2.0 * a * b * dC[i];
        w->cr1[i] = a;
        w->chi1[i] = chi / scale;
    }
    /* Two adjacent differences left out (section 3.2). */
    for (int i = 0; i < n - 1; i++) {
        const double cpj = dC[i] * dC[i] - C * Cd[i];
        const double cjck = dC[i] * dC[i + 1] - C * Coff[i];
        const double bcpj = B * dC[i] - dB[i] * C;
        double c = bcpj / cpj - (B * dC[i + 1] - dB[i + 1] * C) / cjck;
        c /= cjck / cpj - (dC[i + 1] * dC[i + 1] - C * Cd[i + 1]) / cjck;
        const double b = (bcpj - c * cjck) / cpj;
        const double a = (B - b * dC[i] - c * dC[i + 1]) / C;
        double chi = A + a * a * C + b * b * Cd[i] + c * c * Cd[i + 1];
        chi -= 2.0 * a * B + 2.0 * b * dB[i] + 2.0 * c * dB[i + 1];
        chi += 2.0 * a * b * dC[i] + 2.0 * a * c * dC[i + 1] + 2.0 * b * c * Coff[i];
        w->cr2[i] = a;
        w->chi2[i] = chi / scale;
    }
    /* Omissions of differences already masked fall back to the fewer-omission fits. */
    for (int i = 0; i < n; i++)
        if (!use[i]) {
            w->cr1[i] = res->countrate;
            w->chi1[i] = res->chisq;
        }
    for (int i = 0; i < n - 1; i++)
        if (!use[i + 1]) {
            w->cr2[i] = w->cr1[i];
            w->chi2[i] = w->chi1[i];
        }
    for (int i = 0; i < n - 1; i++)
        if (!use[i]) {
            w->cr2[i] = w->cr1[i + 1];
            w->chi2[i] = w->chi1[i + 1];
        }
#undef SGN
}

/* NumPy's maximum: NaN as soon as either value is NaN. */
static inline double nan_max(double a, double b) {
    return (isnan(a) || isnan(b)) ? NAN : (a > b ? a : b);
}

static double median_all(const double *v, int n, double *t) {
    for (int i = 0; i < n; i++) {
        if (isnan(v[i])) return NAN;
        t[i] = v[i];
    }
    for (int i = 1; i < n; i++) {
        const double x = t[i];
        int j = i;
        while (j > 0 && t[j - 1] > x) {
            t[j] = t[j - 1];
            j--;
        }
        t[j] = x;
    }
    const int h = n >> 1;
    return (n & 1) ? t[h] : (t[h - 1] + t[h]) / 2.0;
}

/* The iterative jump test (stcal's mask_jumps) for one ramp: updates w->use and
 * returns the count rate to refit with. */
static double lk_mask_jumps(const jw_likely_params *p, lk_work *w, double gain, double rn) {
    const int n = w->n;
    double crg = median_all(w->diff, n, w->tmp);
    crg *= (double)(crg > 0.0);
    double countrate = 0.0;
    lk_result r;
    for (int j = 0; j < n; j++) {
        lk_fit(p, w, crg, gain, rn, 1, &r);
        if (j == 0) countrate = r.countrate;
        double best1 = -INFINITY, best2 = -INFINITY;
        for (int i = 0; i < n; i++) best1 = nan_max(best1, r.chisq - w->chi1[i]);
        /* Pairs that may not be dropped count as no improvement.  stcal multiplies their
         * improvement by zero instead, so a degenerate pair (0/0 in the closed form, as
         * happens at zero count rate with one read per resultant) turns the best
         * improvement into NaN and silently switches the jump test off for the pixel. */
        for (int i = 0; i < n - 1; i++)
            best2 = nan_max(best2, p->two_omit[i] ? r.chisq - w->chi2[i] : 0.0);
        const int onebetter = best1 - p->thresh_one > best2 - p->thresh_two;
        double best = best1 * (double)(best1 > p->thresh_one) * (double)onebetter;
        best += best2 * (double)(best2 > p->thresh_two) * (double)!onebetter;
        if (best == 0.0) best = NAN;
        int any1 = 0, any2 = 0;
        double new1 = 0.0, new2 = 0.0;
        for (int i = 0; i < n; i++) {
            const int d1 = (r.chisq - w->chi1[i] == best) && onebetter;
            any1 |= d1;
            new1 += w->cr1[i] * (double)d1;
            w->drop1[i] = (uint8_t)d1;
        }
        for (int i = 0; i < n - 1; i++) {
            const int d2 = (r.chisq - w->chi2[i] == best) && !onebetter;
            any2 |= d2;
            new2 += w->cr2[i] * (double)d2;
            w->drop2[i] = (uint8_t)d2;
        }
        if (!any1 && !any2) break;
        countrate = countrate * 0.0 + (any2 ? new2 : new1);
        int nuse = 0;
        for (int i = 0; i < n; i++) {
            if (w->drop1[i]) w->use[i] = 0;
            if (i < n - 1 && w->drop2[i]) {
                w->use[i] = 0;
                w->use[i + 1] = 0;
            }
        }
        for (int i = 0; i < n; i++) nuse += w->use[i];
        if (nuse <= 3) break;
    }
    return countrate;
}

int jw_likely_fit(const jw_likely_params *p, const float *data, const uint8_t *gdq,
                  const uint32_t *pixeldq, const float *readnoise, const float *gain,
                  const float *dark, const float *zeroframe, uint8_t *gdq_jump, float *slope,
                  uint32_t *dq, float *var_poisson, float *var_rnoise, float *err, float *chisq,
                  int n_threads) {
    if (!p || p->ngroups < 2 || (p->use_zeroframe && !zeroframe))
        return JW_LIKELY_ERR_ARG;
    const size_t ng = p->ngroups, nx = p->nx, npix = p->ny * nx;
    const int zo = p->use_zeroframe ? 1 : 0;
    const int nres = (int)ng + zo, n = nres - 1;
    const uint8_t sat = (uint8_t)p->sat, dnu = (uint8_t)p->dnu, jump = (uint8_t)p->jump;
    int errors = 0;
    (void)n_threads;
#ifdef _OPENMP
#pragma omp parallel num_threads(n_threads > 0 ? n_threads : 1) reduction(+ : errors)
#endif
    {
        lk_work w;
        if (work_alloc(&w, n)) {
            errors++;
        } else {
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 4)
#endif
            for (size_t y = 0; y < p->ny; y++)
                for (size_t i = 0; i < p->nints; i++)
                    for (size_t x = 0; x < nx; x++) {
                        const size_t pix = y * nx + x, base = i * ng * npix + pix;
                        /* Resultants; the ZEROFRAME, when used, is a resultant of its own
                         * and is taken out of the first group (single precision, as stcal). */
                        float *r = w.rv;
                        if (zo) {
                            const float z = zeroframe[i * npix + pix];
                            float first = data[base] * (float)p->nframes;
                            first = first - z;
                            r[0] = z;
                            r[1] = first / (float)(p->nframes - 1);
                            w.E[0] = gdq[base];
                            w.E[1] = gdq[base];
                        } else {
                            r[0] = data[base];
                            w.E[0] = gdq[base];
                        }
                        for (size_t g = 1; g < ng; g++) {
                            r[g + zo] = data[base + g * npix];
                            w.E[g + zo] = gdq[base + g * npix];
                        }
                        for (int k = 0; k < n; k++) {
                            const float dd = r[k + 1] - r[k];
                            w.diff[k] = (double)dd / p->delta_t[k];
                            w.use[k] = (uint8_t)(w.E[k] == 0 && w.E[k + 1] == 0);
                            w.dq_use[k] = w.use[k];
                        }
                        const double g_ = (double)gain[pix];
                        const double rn = (double)readnoise[pix] / 1.4142135623730951;
                        const double cr = lk_mask_jumps(p, &w, g_, rn);
                        /* differences the jump test dropped flag their later group */
                        for (int k = 0; k < n; k++)
                            if (w.dq_use[k] && !w.use[k]) {
                                w.E[k + 1] |= jump;
                                if (gdq_jump) gdq_jump[base + (size_t)(k + 1 - zo) * npix] |= jump;
                            }
                        const double dk = dark ? (double)dark[pix] : 0.0;
                        const double crg = cr * (double)(cr > 0.0) + dk;
                        lk_result res;
                        lk_fit(p, &w, crg, g_, rn, 0, &res);
                        uint32_t q = pixeldq[pix];
                        int all_bad = 1, any_sat = 0, any_jump = 0;
                        for (int k = 0; k < nres; k++) {
                            all_bad &= (w.E[k] & (sat | dnu)) != 0;
                            any_sat |= (w.E[k] & sat) != 0;
                            any_jump |= (w.E[k] & jump) != 0;
                        }
                        if (all_bad) q |= p->dnu;
                        if (any_sat) q |= p->sat;
                        if (any_jump) q |= p->jump;
                        const size_t o = i * npix + pix;
                        slope[o] = (float)res.countrate;
                        err[o] = (float)res.uncert;
                        var_poisson[o] = (float)res.var_p;
                        var_rnoise[o] = (float)res.var_r;
                        chisq[o] = (float)res.chisq;
                        dq[o] = q;
                    }
            free(w.block);
        }
    }
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
