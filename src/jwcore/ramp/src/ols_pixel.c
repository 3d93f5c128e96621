/* OLS ramp fitting of one pixel, following the JWST ramp_fit documentation (optimal
 * weighting after Fixsen et al. 2000) with every convention of stcal 1.20's OLS_C, so
 * that the numbers agree with the official pipeline:
 *
 * - a ramp is cut into segments of good groups; a group flagged JUMP_DET alone opens
 *   the next segment; PERSISTENCE does not make a group bad; one-group segments are
 *   dropped when a longer segment exists, else only the first is kept;
 * - segments of 3+ groups are fitted by least squares with weights |x - mid|^P / rn^2,
 *   P from the segment's signal-to-noise (0, 0.4, 1, 3, 6, 10); 2-group segments by
 *   their difference, 1-group segments by the value over its exposure time;
 * - read-noise variance 12 rn^2 / ((L^3 - L) tgroup^2), Poisson variance from the
 *   pixel's median rate over all integrations plus the average dark current;
 * - segments, then integrations, are combined with read-noise inverse-variance weights
 *   (stcal's JP-4318), Poisson and total variances by their own inverse sums;
 * - group and frame times are used at single precision, as stcal reads them.
 *
 * The arithmetic is written in the same order as stcal's so that results agree to a
 * few ulp; weights come from a table (powf once per length and exponent).
 */
#include "ols_pixel.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

float *ols_weight_table(size_t *off) {
    size_t total = 0;
    for (int L = 0; L <= OLS_WTAB_LMAX; L++) {
        off[L] = total;
        if (L >= 3) total += 6 * (size_t)L;
    }
    float *tab = (float *)malloc(total * sizeof(float));
    if (!tab) return NULL;
    for (int L = 3; L <= OLS_WTAB_LMAX; L++) {
        const double mid = (double)(L - 1) / 2.0, invmid = 1.0 / mid;
        for (int p = 0; p < 6; p++)
            for (int g = 0; g < L; g++) {
                const double w = fabs(((double)g - mid) * invmid);
                tab[off[L] + (size_t)p * L + g] = powf((float)w, (float)OLS_POWERS[p]);
            }
    }
    return tab;
}

int ols_prepare(const ols_ctx *c, const float *src, const uint8_t *gsrc, size_t stride,
                const float *zf, ols_ramp *r, double *crmag) {
    const int ng = c->ng;
    const uint8_t npers = (uint8_t)~c->pers;
    uint8_t any = 0;
    for (int k = 0; k < ng; k++) {
        r->g[k] = gsrc[(size_t)k * stride];
        any |= r->g[k];
    }
    r->is_0th = r->is_zframe = 0;
    r->any_jump = r->any_pers = r->any_cl = 0;
    r->cnt_dnu = r->cnt_dnu_sat = r->cnt_sat = 0;
    if (!any) {
        /* the common case: no group is flagged */
        for (int k = 0; k < ng; k++) r->d[k] = (double)src[(size_t)k * stride];
        r->cnt_good = ng;
        r->is_0th = !c->suppress && ng == 1;
        return 0;
    }
    int ngood_np = 0, ncr = 0;
    for (int k = 0; k < ng; k++) ngood_np += (r->g[k] & npers) == 0;
    /* suppress_one_group: a ramp with one good group is treated as having none. */
    if (c->suppress && ngood_np == 1)
        for (int k = 0; k < ng; k++) r->g[k] |= c->dnu;

    r->cnt_good = 0;
    for (int k = 0; k < ng; k++) {
        const uint8_t q = r->g[k];
        if (q & c->jump) r->any_jump = 1;
        if (q & c->pers) r->any_pers = 1;
        if (q & c->cl) r->any_cl = 1;
        if (q == 0)
            r->cnt_good++;
        else if (q & c->dnu)
            r->cnt_dnu++;
        if (q & (c->dnu | c->sat)) r->cnt_dnu_sat++;
        if (q & c->sat) {
            r->d[k] = NAN;
            r->cnt_sat++;
        } else {
            r->d[k] = (double)src[(size_t)k * stride];
        }
        /* The cosmic-ray magnitude is taken before any ZEROFRAME substitution. */
        if (crmag && k > 0 && (q & c->jump)) crmag[ncr++] = r->d[k] - r->d[k - 1];
    }
    if (!c->suppress) {
        if (r->cnt_good == 1 && r->g[0] == 0) {
            r->is_0th = 1;
        } else if (r->cnt_good == 0 && zf && *zf != 0.0f) {
            /* Every group is flagged but the ZEROFRAME holds a usable first read. */
            r->d[0] = (double)*zf;
            r->g[0] = 0;
            r->cnt_good = 1;
            r->cnt_dnu_sat--;
            if (r->cnt_sat == ng) r->cnt_sat--;
            if (r->cnt_dnu == ng) r->cnt_dnu--;
            r->is_zframe = 1;
        }
    }
    return ncr;
}

/* Median of a short NaN-free array without data-dependent branches: the element of
 * rank h (ties broken by position) is found by counting. */
static double median_small(const double *t, int m) {
    const int h = m >> 1;
    double lo = 0.0, hi = 0.0;
    for (int i = 0; i < m; i++) {
        const double v = t[i];
        int rank = 0;
        for (int j = 0; j < m; j++) rank += (t[j] < v) | ((t[j] == v) & (j < i));
        hi = rank == h ? v : hi;
        lo = rank == h - 1 ? v : lo;
    }
    return (m & 1) ? hi : (hi + lo) / 2.0;
}

double ols_median_rate(const ols_ctx *c, const ols_ramp *r, double *tmp) {
    const int ng = c->ng;
    /* one-group ramps: the value over the first-read time, flags notwithstanding */
    if (ng == 1) return r->d[0] / c->one_group_time;
    if (r->is_0th) return r->d[0] / c->one_group_time;
    if (r->is_zframe) return r->d[0] / c->ft;
    /* First differences of value / group_time, NaN for DO_NOT_USE groups and jumps;
     * the median of those that are not NaN. */
    double prev = (r->g[0] & c->dnu) ? NAN : r->d[0] / c->gt;
    const double loc0 = prev;
    int m = 0;
    for (int k = 0; k < ng - 1; k++) {
        const double next = (r->g[k + 1] & c->dnu) ? NAN : r->d[k + 1] / c->gt;
        const double v = (r->g[k + 1] & c->jump) ? NAN : next - prev;
        prev = next;
        tmp[m] = v;
        m += !isnan(v);
    }
    if (m == 0) return isnan(loc0) ? NAN : loc0; /* stcal falls back to the first value */
    if (m <= 24) return median_small(tmp, m);
    {
        for (int i = 1; i < m; i++) {
            const double v = tmp[i];
            int j = i;
            while (j > 0 && tmp[j - 1] > v) {
                tmp[j] = tmp[j - 1];
                j--;
            }
            tmp[j] = v;
        }
    }
    const int h = m >> 1;
    return (m & 1) ? tmp[h] : (tmp[h] + tmp[h - 1]) / 2.0;
}

int ols_segments(const ols_ctx *c, const uint8_t *g, ols_seg *segs) {
    const uint8_t npers = (uint8_t)~c->pers;
    int n = 0, maxlen = 0, in_seg = 0, start = 0;
    for (int k = 0; k <= c->ng; k++) {
        const int good = k < c->ng && (g[k] & npers) == 0;
        if (good && !in_seg) {
            /* a group flagged JUMP_DET alone is the first group of the next segment */
            start = (k > 0 && (uint8_t)(g[k - 1] & npers) == c->jump) ? k - 1 : k;
            in_seg = 1;
        } else if (!good && in_seg) {
            const int len = k - start;
            in_seg = 0;
            if (len == 1 && maxlen > 1) continue;
            segs[n].start = start;
            segs[n].len = len;
            n++;
            if (len > maxlen) maxlen = len;
        }
    }
    if (n < 2) return n;
    if (maxlen < 2) return 1; /* only one-group segments: keep the first */
    int kept = 0;
    for (int i = 0; i < n; i++)
        if (segs[i].len != 1) segs[kept++] = segs[i];
    return kept;
}

static inline double len1_timing(const ols_ctx *c, const ols_ramp *r) {
    if (!c->suppress) {
        if (r->is_0th) return c->one_group_time;
        if (r->is_zframe) return c->ft;
    }
    return c->gt;
}

static inline double rnoise_len1(double rn, double gain, double timing) {
    double rnum = rn / timing;
    rnum = 12.0 * rnum * rnum;
    double rden = 6.0;
    rden = rden * gain * gain;
    return rnum / rden;
}

static inline double rnoise_default(const ols_ctx *c, double rn, double gain, double L) {
    if (gain <= 0.0 || isnan(gain)) return 0.0;
    double rnum = rn / c->gt;
    rnum = 12.0 * rnum * rnum;
    double rden = L * L * L - L;
    rden = rden * gain * gain;
    return rnum / rden;
}

static inline double poisson_var(double mrate, double dark, double pden) {
    return (mrate > 0.0 ? mrate + dark : dark) / pden;
}

static inline int snr_power_index(double snr) {
    if (snr < 5.0) return 0;
    if (snr < 10.0) return 1;
    if (snr < 20.0) return 2;
    if (snr < 50.0) return 3;
    if (snr < 100.0) return 4;
    return 5;
}

static void fit_segment(const ols_ctx *c, const ols_ramp *r, const ols_seg *s, double rn,
                        double gain, double dark, double mrate, ols_seg_fit *f) {
    const double *d = r->d + s->start;
    memset(f, 0, sizeof(*f));
    if (s->len == 1) {
        const double timing = len1_timing(c, r);
        f->slope = d[0] / timing;
        f->var_p = poisson_var(mrate, dark, timing * gain);
        f->var_r = rnoise_len1(rn, gain, timing);
        f->var_e = f->var_p + f->var_r;
        f->weight = 1.0 / f->var_r;
        return;
    }
    if (s->len == 2) {
        f->slope = (d[1] - d[0]) / c->gt;
        f->var_p = poisson_var(mrate, dark, c->gt * gain);
        f->var_r = rnoise_len1(rn, gain, c->gt);
        f->var_e = f->var_p + f->var_r;
        f->sigslope = 1.41421356 * rn;
        const double second = (double)s->start + 1.0;
        f->yint = d[1] * (1.0 - second) + d[0] * second;
        f->sigyint = f->sigslope;
        f->weight = 1.0 / f->var_r;
        return;
    }
    const int L = s->len;
    /* signal-to-noise of the segment picks the weighting exponent */
    const double diff = d[L - 1] - d[0];
    const double den_snr = rn * rn + diff * gain;
    double snr = 0.0;
    if (!(den_snr <= 0.0 || gain == 0.0)) {
        const double S = diff * gain / sqrt(den_snr);
        snr = S < 0.0 ? 0.0 : S;
    }
    const int pidx = snr_power_index(snr);
    const double invrn2 = 1.0 / (rn * rn);
    double sumw = 0.0, sumx = 0.0, sumxx = 0.0, sumy = 0.0, sumxy = 0.0;
    for (int k = 0; k < L; k++) {
        const double w = (double)ols_weight(c, L, pidx, k) * invrn2;
        const double x = (double)k + (double)s->start;
        double y = d[k];
        if (isnan(y)) y = 0.0;
        const double xw = x * w;
        sumw += w;
        sumx += xw;
        sumxx += x * xw;
        sumy += y * w;
        sumxy += y * xw;
    }
    const double den = sumw * sumxx - sumx * sumx;
    const double num = sumw * sumxy - sumx * sumy;
    const double invden = 1.0 / den;
    f->slope = (num * invden) / c->gt;
    f->sigslope = sqrt(sumw * invden);
    f->yint = (sumxx * sumy - sumx * sumxy) * invden;
    f->sigyint = sqrt(sumxx * invden);
    const double Ld = (double)L;
    f->var_p = poisson_var(mrate, dark, c->gt * gain * (Ld - 1.0));
    f->var_r = rnoise_default(c, rn, gain, Ld);
    f->var_e = f->var_p + f->var_r;
    f->weight = 1.0 / f->var_r;
}

/* CHARGELOSS: the read-noise variance of an integration is recomputed from the
 * segments the ramp would have without its CHARGELOSS groups (stcal toggles both the
 * CHARGELOSS and DO_NOT_USE bits of those groups). */
static double chargeloss_inv_vr(const ols_ctx *c, const ols_ramp *r, const uint8_t *g_orig,
                                double rn, double gain, ols_seg *segs, uint8_t *tmp) {
    const uint8_t toggle = (uint8_t)(c->dnu | c->cl);
    for (int k = 0; k < c->ng; k++) tmp[k] = (g_orig[k] & c->cl) ? (uint8_t)(g_orig[k] ^ toggle) : g_orig[k];
    const int n = ols_segments(c, tmp, segs);
    double inv = 0.0;
    for (int i = 0; i < n; i++) {
        double v;
        if (segs[i].len == 1)
            v = rnoise_len1(rn, gain, len1_timing(c, r));
        else if (segs[i].len == 2)
            v = rnoise_len1(rn, gain, c->gt);
        else
            v = rnoise_default(c, rn, gain, (double)segs[i].len);
        if (v > 0.0) inv += 1.0 / v;
    }
    return inv;
}

/* The integration's products from its segment sums, and their share of the exposure. */
static inline void finish_sums(const ols_ctx *c, double inv_r, double inv_p, double inv_e,
                               double snum, ols_state *st, ols_int_result *o) {
    if (inv_p > 0.0) o->var_p = 1.0 / inv_p;
    if (o->var_p >= OLS_LARGE_VARIANCE_THRESHOLD) o->var_p = 0.0;
    o->var_r = 1.0 / inv_r;
    if (o->var_r >= OLS_LARGE_VARIANCE_THRESHOLD) o->var_r = 0.0;
    if (o->dq & (c->pdnu | c->psat)) {
        o->slope = NAN;
        o->var_p = o->var_r = o->err = 0.0;
    } else {
        const double var_e = 1.0 / inv_e;
        o->slope = snum * o->var_r;
        o->err = var_e > OLS_LARGE_VARIANCE_THRESHOLD ? 0.0 : sqrt(var_e);
    }
    if (inv_p > 0.0) st->inv_vp += inv_p;
    st->inv_vr += inv_r;
    st->slope_num += snum;
}

void ols_fit_integration(const ols_ctx *c, const ols_ramp *r, const uint8_t *g_orig,
                         double rn, double gain, double dark, double mrate, uint32_t pdq,
                         ols_state *st, ols_int_result *o, ols_seg_out *so, ols_seg *segs,
                         uint8_t *tmp) {
    const int ng = c->ng;
    o->slope = o->var_p = o->var_r = o->err = o->pedestal = 0.0;
    o->dq = pdq;
    if (r->any_jump) {
        o->dq |= c->pjump;
        st->state |= OLS_ANY_JUMP;
    }
    if (r->any_pers) {
        o->dq |= c->ppers;
        st->state |= OLS_ANY_PERS;
    }

    int nseg = 0;
    if (r->g[0] & c->sat) {
        /* saturated from the first group: no slope for this integration */
        o->dq |= c->pdnu | c->psat;
        o->slope = NAN;
    } else {
        nseg = ols_segments(c, r->g, segs);
    }
    if (so) so->nseg = nseg;

    if (r->cnt_dnu_sat == ng) {
        o->dq |= c->pdnu;
        if (r->cnt_sat == ng) o->dq |= c->psat;
    } else if (nseg > 0) {
        double inv_r = 0.0, inv_p = 0.0, inv_e = 0.0, snum = 0.0;
        for (int i = 0; i < nseg; i++) {
            ols_seg_fit f;
            fit_segment(c, r, &segs[i], rn, gain, dark, mrate, &f);
            inv_r += 1.0 / f.var_r;
            if (f.var_p > 0.0) inv_p += 1.0 / f.var_p;
            inv_e += 1.0 / f.var_e;
            snum += f.slope / f.var_r;
            if (so) {
                so->slope[i] = f.slope;
                so->sigslope[i] = f.sigslope;
                so->var_p[i] = f.var_p;
                so->var_r[i] = f.var_r;
                so->yint[i] = f.yint;
                so->sigyint[i] = f.sigyint;
                so->weight[i] = f.weight;
            }
        }
        finish_sums(c, inv_r, inv_p, inv_e, snum, st, o);
    }

    if (o->dq & c->pdnu)
        o->slope = NAN;
    else
        st->state &= (uint8_t)~OLS_ALL_DNU;
    if (so) {
        /* stcal's pedestal: first group minus slope times ped_tmp (a group count) */
        if (o->dq & c->psat) {
            o->pedestal = 0.0;
        } else {
            o->pedestal = r->d[0] - o->slope * c->ped_tmp;
            if (isnan(o->pedestal)) o->pedestal = 0.0;
        }
    }
    if (o->dq & c->psat)
        o->slope = NAN;
    else
        st->state &= (uint8_t)~OLS_ALL_SAT;
    /* Partial saturation is flagged only now, so that it leaves the slope alone. */
    if (r->cnt_sat > 0) {
        o->dq |= c->psat;
        st->state |= OLS_ANY_SAT;
    }

    if (r->any_cl) {
        st->state |= OLS_ANY_CL;
        const double inv = chargeloss_inv_vr(c, r, g_orig, rn, gain, segs, tmp);
        o->var_r = 1.0 / inv;
        if (o->var_r >= OLS_LARGE_VARIANCE_THRESHOLD) o->var_r = 0.0;
        st->inv_vr_cl += inv;
    } else if (o->var_r > 0.0) {
        st->inv_vr_cl += 1.0 / o->var_r;
    }
}
