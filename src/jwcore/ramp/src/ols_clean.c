/* OLS for ramps with no flagged group, P pixels at a time (see ols_pixel.h).
 *
 * Such a ramp is a single segment of every group, so its median rate and its fit need no
 * segmentation; written with the pixel loop innermost, the compiler vectorises them.  Each
 * lane performs exactly the operations of the general path (ols_pixel.c) in the same
 * order, so a pixel gets the same bits whichever path fits it.
 */
#include <math.h>
#include <stdlib.h> /* defines __GLIBC__ where there is one */

#include "ols_pixel.h"

#if defined(__GNUC__) && !defined(__clang__)
#define FORX _Pragma("GCC ivdep") for (int x = 0; x < P; x++)
#else
#define FORX for (int x = 0; x < P; x++)
#endif

/* On x86-64 glibc systems (ifunc) these are also compiled for AVX2 and picked at run time; without FMA
 * contraction every lane computes the same IEEE operations, so results do not change. */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__GLIBC__) && !defined(__clang__)
#define OLS_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define OLS_CLONES
#endif

OLS_CLONES
void ols_clean_mask(const ols_ctx *c, const float *bd, const uint8_t *bg, size_t stride, int P,
                    const double *gain, uint8_t *clean) {
    uint8_t *restrict cl = clean;
    FORX cl[x] = c->ng >= 3;
    for (int k = 0; k < c->ng; k++) {
        const float *restrict d = bd + (size_t)k * stride;
        const uint8_t *restrict g = bg + (size_t)k * stride;
        /* v - v is 0 only for finite values */
        FORX cl[x] &= (uint8_t)((g[x] == 0) & (d[x] - d[x] == 0.0f));
    }
    FORX cl[x] &= (uint8_t)(gain[x] > 0.0);
}

OLS_CLONES
void ols_clean_medians(const ols_ctx *c, const float *bd, size_t stride, int P, double *med,
                       double *w) {
    const int ng = c->ng, m = ng - 1;
    const double gt = c->gt;
    for (int k = 0; k < ng; k++) {
        double *restrict wk = w + (size_t)k * P;
        const float *restrict d = bd + (size_t)k * stride;
        FORX wk[x] = (double)d[x] / gt;
    }
    for (int k = 0; k < m; k++) {
        double *restrict w0 = w + (size_t)k * P;
        const double *restrict w1 = w + (size_t)(k + 1) * P;
        FORX w0[x] = w1[x] - w0[x];
    }
    /* the compare-exchanges that put the median of the m differences in place */
    for (int k = 0; k < c->net_n; k++) {
        double *restrict a = w + (size_t)c->net_lo[k] * P, *restrict b = w + (size_t)c->net_hi[k] * P;
        FORX {
            const double u = a[x], v = b[x];
            a[x] = v < u ? v : u;
            b[x] = v < u ? u : v;
        }
    }
    const int h = m >> 1;
    const double *restrict hi = w + (size_t)h * P;
    const double *restrict lo = w + (size_t)(h > 0 ? h - 1 : 0) * P;
    if (m & 1)
        FORX med[x] = hi[x];
    else
        FORX med[x] = (hi[x] + lo[x]) / 2.0;
}

OLS_CLONES
void ols_clean_fit(const ols_ctx *c, const float *bd, size_t stride, int P, const double *rn,
                   const double *gain, const double *dark, const double *mrate, double *slope,
                   double *var_p, double *var_r, double *var_e, float *W, double *work) {
    const int L = c->ng;
    const double gt = c->gt, Ld = (double)L;
    double *restrict sumw = work, *restrict sumx = work + P, *restrict sumxx = work + 2 * P;
    double *restrict sumy = work + 3 * P, *restrict sumxy = work + 4 * P;
    double *restrict invrn2 = work + 5 * P, *restrict snr = work + 6 * P;
    const float *restrict d0 = bd, *restrict dl = bd + (size_t)(L - 1) * stride;
    FORX {
        /* signal-to-noise of the ramp picks the weighting exponent */
        const double diff = (double)dl[x] - (double)d0[x];
        const double den = rn[x] * rn[x] + diff * gain[x];
        const double S = diff * gain[x] / sqrt(den);
        snr[x] = (den <= 0.0 || gain[x] == 0.0) ? 0.0 : (S < 0.0 ? 0.0 : S);
        invrn2[x] = 1.0 / (rn[x] * rn[x]);
        sumw[x] = sumx[x] = sumxx[x] = sumy[x] = sumxy[x] = 0.0;
    }
    if (L <= OLS_WTAB_LMAX) {
        /* each pixel's weight row chosen among the six exponents by selects */
        double *restrict pd = snr;
        FORX {
            const double s = snr[x];
            pd[x] = 5.0 - (double)(s < 5.0) - (double)(s < 10.0) - (double)(s < 20.0) -
                    (double)(s < 50.0) - (double)(s < 100.0);
        }
        const float *tb = c->wtab + c->wtab_off[L];
        for (int k = 0; k < L; k++) {
            const double xk = (double)k + 0.0;
            const double w0 = tb[k], w1 = tb[L + k], w2 = tb[2 * L + k], w3 = tb[3 * L + k];
            const double w4 = tb[4 * L + k], w5 = tb[5 * L + k];
            const float *restrict d = bd + (size_t)k * stride;
            FORX {
                double wv = w5;
                wv = pd[x] < 4.5 ? w4 : wv;
                wv = pd[x] < 3.5 ? w3 : wv;
                wv = pd[x] < 2.5 ? w2 : wv;
                wv = pd[x] < 1.5 ? w1 : wv;
                wv = pd[x] < 0.5 ? w0 : wv;
                const double w = wv * invrn2[x];
                const double y = (double)d[x];
                const double xw = xk * w;
                sumw[x] += w;
                sumx[x] += xw;
                sumxx[x] += xk * xw;
                sumy[x] += y * w;
                sumxy[x] += y * xw;
            }
        }
    } else {
        for (int x = 0; x < P; x++) {
            const double s = snr[x];
            const int pidx = 5 - (s < 5.0) - (s < 10.0) - (s < 20.0) - (s < 50.0) - (s < 100.0);
            for (int k = 0; k < L; k++) W[(size_t)k * P + x] = ols_weight(c, L, pidx, k);
        }
        for (int k = 0; k < L; k++) {
            const double xk = (double)k + 0.0;
            const float *restrict wk = W + (size_t)k * P;
            const float *restrict d = bd + (size_t)k * stride;
            FORX {
                const double w = (double)wk[x] * invrn2[x];
                const double y = (double)d[x];
                const double xw = xk * w;
                sumw[x] += w;
                sumx[x] += xw;
                sumxx[x] += xk * xw;
                sumy[x] += y * w;
                sumxy[x] += y * xw;
            }
        }
    }
    FORX {
        const double den = sumw[x] * sumxx[x] - sumx[x] * sumx[x];
        const double num = sumw[x] * sumxy[x] - sumx[x] * sumy[x];
        const double invden = 1.0 / den;
        slope[x] = (num * invden) / gt;
        const double m = mrate[x];
        var_p[x] = (m > 0.0 ? m + dark[x] : dark[x]) / (gt * gain[x] * (Ld - 1.0));
        double rnum = rn[x] / gt;
        rnum = 12.0 * rnum * rnum;
        double rden = Ld * Ld * Ld - Ld;
        rden = rden * gain[x] * gain[x];
        var_r[x] = rnum / rden;
        var_e[x] = var_p[x] + var_r[x];
    }
}

OLS_CLONES
void ols_clean_combine(const ols_ctx *c, int P, const uint32_t *pdq, const double *slope,
                       const double *var_p, const double *var_r, const double *var_e,
                       double *o_slope, double *o_vp, double *o_vr, double *o_err,
                       double *inv_p, double *inv_r, double *snum, double *cl_add) {
    const double T = OLS_LARGE_VARIANCE_THRESHOLD;
    const uint32_t invalid = c->pdnu | c->psat;
    FORX {
        /* the sums of one segment, started from zero as in the general path */
        const double ir = 0.0 + 1.0 / var_r[x];
        const double ip = var_p[x] > 0.0 ? 0.0 + 1.0 / var_p[x] : 0.0;
        const double ie = 0.0 + 1.0 / var_e[x];
        const double sn = 0.0 + slope[x] / var_r[x];
        double vp = ip > 0.0 ? 1.0 / ip : 0.0;
        vp = vp >= T ? 0.0 : vp;
        double vr = 1.0 / ir;
        vr = vr >= T ? 0.0 : vr;
        const double ve = 1.0 / ie;
        double err = ve > T ? 0.0 : sqrt(ve);
        double sl = sn * vr;
        const int bad = (pdq[x] & invalid) != 0;
        sl = bad ? NAN : sl;
        vp = bad ? 0.0 : vp;
        vr = bad ? 0.0 : vr;
        err = bad ? 0.0 : err;
        o_slope[x] = sl;
        o_vp[x] = vp;
        o_vr[x] = vr;
        o_err[x] = err;
        inv_p[x] = ip;
        inv_r[x] = ir;
        snum[x] = sn;
        cl_add[x] = vr > 0.0 ? 1.0 / vr : 0.0;
    }
}

OLS_CLONES
void ols_clean_apply(const ols_ctx *c, int P, const uint8_t *clean, const uint32_t *pdq,
                     const double *sl, const double *vp, const double *vr, const double *err,
                     const double *inv_p, const double *inv_r, const double *snum,
                     const double *cl_add, const ols_soa *st, float *o_slope, float *o_vp,
                     float *o_vr, float *o_err, uint32_t *o_dq) {
    double *restrict ivp = st->inv_vp, *restrict ivr = st->inv_vr;
    double *restrict sn = st->slope_num, *restrict ivc = st->inv_vr_cl;
    uint8_t *restrict state = st->state;
    const uint8_t *restrict cl = clean;
    /* selects rather than branches, in ols_fit_integration's order of additions */
    FORX {
        const int k = cl[x] != 0;
        const double a = ivp[x], b = ivr[x], s = sn[x], d = ivc[x];
        ivp[x] = (k & (inv_p[x] > 0.0)) ? a + inv_p[x] : a;
        ivr[x] = k ? b + inv_r[x] : b;
        sn[x] = k ? s + snum[x] : s;
        ivc[x] = (k & (vr[x] > 0.0)) ? d + cl_add[x] : d;
    }
    const uint8_t keep_dnu = (uint8_t)~OLS_ALL_DNU, keep_sat = (uint8_t)~OLS_ALL_SAT;
    FORX {
        uint8_t s = state[x];
        const int k = cl[x] != 0;
        s = (k & ((pdq[x] & c->pdnu) == 0)) ? (uint8_t)(s & keep_dnu) : s;
        s = (k & ((pdq[x] & c->psat) == 0)) ? (uint8_t)(s & keep_sat) : s;
        state[x] = s;
    }
    float *restrict a = o_slope, *restrict b = o_vp, *restrict r = o_vr, *restrict e = o_err;
    uint32_t *restrict q = o_dq;
    FORX {
        a[x] = (float)sl[x];
        b[x] = (float)vp[x];
        r[x] = (float)vr[x];
        e[x] = (float)err[x];
        q[x] = pdq[x];
    }
}

OLS_CLONES
void ols_finish_row(const ols_ctx *c, size_t n, const ols_soa *st, const uint32_t *pixeldq,
                    const float *gain, float *slope, float *var_p, float *var_r, float *err,
                    uint32_t *dq) {
    const double T = OLS_LARGE_VARIANCE_THRESHOLD;
    const uint32_t invalid = c->pdnu | c->psat, nogain = c->pdnu | c->pngval;
    const double *restrict ivp = st->inv_vp, *restrict ivr = st->inv_vr;
    const double *restrict sn = st->slope_num, *restrict ivc = st->inv_vr_cl;
    const uint8_t *restrict state = st->state;
    float *restrict o_s = slope, *restrict o_p = var_p, *restrict o_r = var_r, *restrict o_e = err;
    uint32_t *restrict o_q = dq;
    /* stcal's finishing rules, written with selects so that the loop vectorises */
    for (size_t x = 0; x < n; x++) {
        const uint32_t sb = state[x];
        uint32_t q = pixeldq[x] | (gain[x] > 0.0f ? 0u : nogain);
        q |= (sb & OLS_ANY_JUMP) ? c->pjump : 0u;
        q |= (sb & OLS_ANY_PERS) ? c->ppers : 0u;
        q |= (sb & OLS_ALL_DNU) ? c->pdnu : 0u;
        q |= (sb & OLS_ALL_SAT) ? c->psat : 0u;
        double vp = ivp[x], vr = ivr[x], s = sn[x];
        vp = vp > 0.0 ? 1.0 / vp : vp;
        vp = (vp >= T || vp < 0.0) ? 0.0 : vp;
        vr = vr > 0.0 ? 1.0 / vr : vr;
        vr = vr >= T ? 0.0 : vr;
        double e = sqrt(vp + vr);
        const int bad = (q & invalid) != 0;
        s = bad ? NAN : s;
        vp = bad ? 0.0 : vp;
        vr = bad ? 0.0 : vr;
        e = bad ? 0.0 : e;
        q |= (sb & OLS_ANY_SAT) ? c->psat : 0u;
        s = isnan(s) ? s : s * vr;
        double vc = ivc[x] > 0.0 ? 1.0 / ivc[x] : vr;
        vc = vc >= T ? 0.0 : vc;
        vr = (sb & OLS_ANY_CL) ? vc : vr;
        o_s[x] = (float)s;
        o_p[x] = (float)vp;
        o_r[x] = (float)vr;
        o_e[x] = (float)e;
        o_q[x] = q;
    }
}
