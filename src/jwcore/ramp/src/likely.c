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
#include "prefault.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* NaN-ignoring median of n values (stride apart), by insertion into t: for many
 * integrations. */
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

/* Integrations sorted by a compare-exchange network in the vectorised combination (more
 * go through nanmedian_f lane by lane). */
#define LK_COMBINE_SORT 16

/* Combine LK_V pixels (the arrays point at the first; integrations ps apart, chisq's cs),
 * every loop over the lanes; the first P are written out.  t: scratch [3 * nints * LK_V]
 * doubles.  chisq and r_chisq may both be NULL (chi squares not wanted). */
LK_CLONES
static void combine_block(size_t nints, size_t ps, size_t cs, int P, const float *slope,
                          const uint32_t *dq, const float *var_poisson, const float *var_rnoise,
                          const float *chisq, uint32_t dnu, float *r_slope, uint32_t *r_dq,
                          float *r_var_poisson, float *r_var_rnoise, float *r_err,
                          float *r_chisq, double *t) {
    const int V = LK_V;
    double *restrict srt = t, *restrict wgt = t + nints * V, *restrict avp = t + 2 * nints * V;
    double s[LK_V], chi[LK_V], wsum[LK_V], acc[LK_V], vp[LK_V], vr[LK_V];
    int all_nan[LK_V], vp_nan[LK_V], vr_nan[LK_V], all_dnu[LK_V];
    uint32_t q[LK_V];
#define LANE(x) (x)
    FORX {
        q[x] = 0;
        all_dnu[x] = 1;
        chi[x] = 0.0;
    }
    for (size_t i = 0; i < nints; i++) {
        const uint32_t *restrict d = dq + i * ps;
        const float *restrict c = chisq ? chisq + i * cs : NULL;
        const float *restrict sl = slope + i * ps;
        double *restrict si = srt + i * V;
        FORX {
            const uint32_t v = d[LANE(x)];
            q[x] |= v;
            all_dnu[x] &= (v & dnu) != 0;
            si[x] = (double)sl[LANE(x)];
        }
        if (chisq) FORX chi[x] += (double)c[LANE(x)];
    }
    if (nints <= LK_COMBINE_SORT) {
        /* odd-even transposition sort with NaN last, then the middle of the m numbers */
        for (size_t r = 0; r < nints; r++)
            for (size_t i = r & 1; i + 1 < nints; i += 2) {
                double *restrict a = srt + i * V, *restrict b = srt + (i + 1) * V;
                FORX {
                    const double u = a[x], v = b[x];
                    const int swap = v < u || isnan(u);
                    a[x] = swap ? v : u;
                    b[x] = swap ? u : v;
                }
            }
        int m[LK_V];
        double lo[LK_V], hi[LK_V];
        FORX {
            m[x] = 0;
            lo[x] = hi[x] = 0.0;
        }
        for (size_t i = 0; i < nints; i++) {
            const double *restrict si = srt + i * V;
            FORX m[x] += !isnan(si[x]);
        }
        for (size_t i = 0; i < nints; i++) {
            const double *restrict si = srt + i * V;
            const int ii = (int)i;
            FORX {
                const int h = m[x] >> 1;
                lo[x] = ii == h - 1 ? si[x] : lo[x];
                hi[x] = ii == h ? si[x] : hi[x];
            }
        }
        FORX {
            const double med = (m[x] & 1) ? hi[x] : (lo[x] + hi[x]) / 2.0;
            s[x] = m[x] == 0 ? NAN : med;
        }
    } else {
        for (int x = 0; x < V; x++) s[x] = nanmedian_f(slope + LANE(x), nints, ps, wgt);
    }
    /* 1 / slope, for both passes (in the sorted values' place) */
    double *restrict inv = srt;
    for (size_t i = 0; i < nints; i++) {
        const float *restrict sl = slope + i * ps;
        double *restrict iv = inv + i * V;
        FORX iv[x] = 1.0 / (double)sl[LANE(x)];
    }
    /* two passes: rescale each Poisson variance to the current mean rate */
    for (int pass = 0; pass < 2; pass++) {
        FORX wsum[x] = 0.0;
        for (size_t i = 0; i < nints; i++) {
            const float *restrict sl = slope + i * ps, *restrict vpi = var_poisson + i * ps;
            const float *restrict vri = var_rnoise + i * ps;
            double *restrict w = wgt + i * V, *restrict a = avp + i * V;
            const double *restrict iv = inv + i * V;
            FORX {
                double rs = s[x] * iv[x];
                rs = (!isfinite(rs) || rs < 0.0) ? 0.0 : rs;
                const double av = (double)vpi[LANE(x)] * rs;
                const double wi = 1.0 / (av + (double)vri[LANE(x)]);
                a[x] = av;
                w[x] = wi;
                wsum[x] += isnan(wi) ? 0.0 : wi;
            }
        }
        FORX {
            all_nan[x] = 1;
            acc[x] = 0.0;
            wsum[x] = 1.0 / wsum[x];
        }
        for (size_t i = 0; i < nints; i++) {
            const float *restrict sl = slope + i * ps;
            double *restrict w = wgt + i * V;
            FORX {
                const double wi = w[x] * wsum[x];
                const double v = (double)sl[LANE(x)] * wi;
                w[x] = wi;
                acc[x] += isnan(v) ? 0.0 : v;
                all_nan[x] &= isnan(v) != 0;
            }
        }
        FORX s[x] = all_nan[x] ? NAN : acc[x];
    }
    FORX {
        vp[x] = vr[x] = 0.0;
        vp_nan[x] = vr_nan[x] = 1;
    }
    for (size_t i = 0; i < nints; i++) {
        const float *restrict vri = var_rnoise + i * ps;
        const double *restrict w = wgt + i * V, *restrict av = avp + i * V;
        FORX {
            const double a = av[x] * w[x] * w[x];
            const double b = (double)vri[LANE(x)] * w[x] * w[x];
            vp[x] += isnan(a) ? 0.0 : a;
            vr[x] += isnan(b) ? 0.0 : b;
            vp_nan[x] &= isnan(a) != 0;
            vr_nan[x] &= isnan(b) != 0;
        }
    }
#undef LANE
    FORX {
        vp[x] = vp_nan[x] ? NAN : vp[x];
        vr[x] = vr_nan[x] ? NAN : vr[x];
        q[x] = (q[x] & ~dnu) | (all_dnu[x] ? dnu : 0);
    }
    if (P == V) {
        FORX {
            r_slope[x] = (float)s[x];
            r_dq[x] = q[x];
            r_var_poisson[x] = (float)vp[x];
            r_var_rnoise[x] = (float)vr[x];
            r_err[x] = (float)sqrt(vp[x] + vr[x]);
        }
        if (r_chisq) FORX r_chisq[x] = (float)chi[x];
    } else {
        for (int x = 0; x < P; x++) {
            r_slope[x] = (float)s[x];
            r_dq[x] = q[x];
            r_var_poisson[x] = (float)vp[x];
            r_var_rnoise[x] = (float)vr[x];
            r_err[x] = (float)sqrt(vp[x] + vr[x]);
            if (r_chisq) r_chisq[x] = (float)chi[x];
        }
    }
}

/* Per-thread scratch of the combination: combine_block's, and a block narrower than LK_V
 * copied out with its last pixel repeated. */
typedef struct {
    double *t;
    float *pad;
    uint32_t *pad_dq;
} lk_combine_scratch;

static int combine_alloc(lk_combine_scratch *c, size_t nints) {
    c->t = (double *)malloc(3 * nints * LK_V * sizeof(double));
    c->pad = (float *)malloc(4 * nints * LK_V * sizeof(float));
    c->pad_dq = (uint32_t *)malloc(nints * LK_V * sizeof(uint32_t));
    return !c->t || !c->pad || !c->pad_dq;
}

static void combine_free(lk_combine_scratch *c) {
    free(c->t);
    free(c->pad);
    free(c->pad_dq);
}

/* Combine pixels p0 .. p0 + P - 1 (P <= LK_V); integrations ps apart, chisq's cs. */
static void combine_span(size_t nints, size_t ps, size_t cs, size_t p0, int P,
                         const float *slope, const uint32_t *dq, const float *var_poisson,
                         const float *var_rnoise, const float *chisq, uint32_t dnu,
                         float *r_slope, uint32_t *r_dq, float *r_var_poisson,
                         float *r_var_rnoise, float *r_err, float *r_chisq,
                         lk_combine_scratch *c) {
    float *rc = r_chisq ? r_chisq + p0 : NULL;
    if (P == LK_V) {
        combine_block(nints, ps, cs, P, slope + p0, dq + p0, var_poisson + p0, var_rnoise + p0,
                      chisq ? chisq + p0 : NULL, dnu, r_slope + p0, r_dq + p0,
                      r_var_poisson + p0, r_var_rnoise + p0, r_err + p0, rc, c->t);
        return;
    }
    const float *src[3] = {slope, var_poisson, var_rnoise};
    for (size_t i = 0; i < nints; i++)
        for (int x = 0; x < LK_V; x++) {
            const size_t xs = p0 + (size_t)(x < P ? x : P - 1), o = i * ps + xs;
            for (int a = 0; a < 3; a++) c->pad[(a * nints + i) * LK_V + x] = src[a][o];
            if (chisq) c->pad[(3 * nints + i) * LK_V + x] = chisq[i * cs + xs];
            c->pad_dq[i * LK_V + x] = dq[o];
        }
    float *pad = c->pad;
    combine_block(nints, LK_V, LK_V, P, pad, c->pad_dq, pad + nints * LK_V,
                  pad + 2 * nints * LK_V, chisq ? pad + 3 * nints * LK_V : NULL, dnu,
                  r_slope + p0, r_dq + p0, r_var_poisson + p0, r_var_rnoise + p0, r_err + p0,
                  rc, c->t);
}

int jw_likely_combine(size_t nints, size_t npix, const float *slope, const uint32_t *dq,
                      const float *var_poisson, const float *var_rnoise, const float *chisq,
                      uint32_t dnu, float *r_slope, uint32_t *r_dq, float *r_var_poisson,
                      float *r_var_rnoise, float *r_err, float *r_chisq, int n_threads) {
    int errors = 0;
    const size_t nblocks = (npix + LK_V - 1) / LK_V;
    (void)n_threads;
#ifdef _OPENMP
#pragma omp parallel num_threads(n_threads > 0 ? n_threads : 1) reduction(+ : errors)
#endif
    {
        lk_combine_scratch c;
        if (combine_alloc(&c, nints)) {
            errors++;
        } else {
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
            for (size_t b = 0; b < nblocks; b++) {
                const size_t p0 = b * LK_V;
                const int P = (int)(npix - p0 < LK_V ? npix - p0 : LK_V);
                combine_span(nints, npix, npix, p0, P, slope, dq, var_poisson, var_rnoise, chisq,
                             dnu, r_slope, r_dq, r_var_poisson, r_var_rnoise, r_err, r_chisq, &c);
            }
        }
        combine_free(&c);
    }
    return errors ? JW_LIKELY_ERR_ALLOC : JW_LIKELY_OK;
}

int jw_likely_fit(const jw_likely_params *p, const float *data, const uint8_t *gdq,
                  const uint32_t *pixeldq, const float *readnoise, const float *gain,
                  const float *dark, const float *zeroframe, uint8_t *gdq_jump, float *slope,
                  uint32_t *dq, float *var_poisson, float *var_rnoise, float *err, float *chisq,
                  const jw_likely_rate *rate, int n_threads) {
    if (!p || p->ngroups < 2 || (p->use_zeroframe && !zeroframe)) return JW_LIKELY_ERR_ARG;
    const size_t ng = p->ngroups, nx = p->nx, npix = p->ny * nx;
    const size_t ps = p->plane_stride ? p->plane_stride : npix;
    if (ps < npix) return JW_LIKELY_ERR_ARG;
    const int zo = p->use_zeroframe ? 1 : 0;
    const int nres = (int)ng + zo, n = nres - 1;
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
        lk_combine_scratch cs = {NULL, NULL, NULL};
        /* the products' new pages, shared out between the threads before the rows are */
        {
#ifdef _OPENMP
            const int tid = omp_get_thread_num(), nth = omp_get_num_threads();
#else
            const int tid = 0, nth = 1;
#endif
            /* plane by plane: planes laid in the ramps leave the groups between untouched */
            char *ints[5] = {(char *)slope, (char *)dq, (char *)var_poisson,
                             (char *)var_rnoise, (char *)err};
            void *comb[6] = {NULL, NULL, NULL, NULL, NULL, NULL};
            if (rate) {
                comb[0] = rate->slope, comb[1] = rate->dq, comb[2] = rate->var_poisson;
                comb[3] = rate->var_rnoise, comb[4] = rate->err, comb[5] = rate->chisq;
            }
            for (size_t i = 0; i < p->nints; i++)
                for (int k = 0; k < 5; k++)
                    ramp_prefault_share(ints[k] + i * ps * 4, npix * 4, tid, nth);
            ramp_prefault_share(chisq, p->nints * npix * 4, tid, nth);
            for (int k = 0; k < 6; k++) ramp_prefault_share(comb[k], npix * 4, tid, nth);
        }
#ifdef _OPENMP
#pragma omp barrier
#endif
        if (lk_thread_alloc(&t, n) || !jrow || (rate && combine_alloc(&cs, p->nints))) {
            errors++;
        } else {
            /* one row of one integration, or of all (then combined while in cache) */
            const size_t per_job = rate ? p->nints : 1;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
            for (size_t job = 0; job < p->ny * p->nints / per_job; job++) {
                for (size_t ij = 0; ij < per_job; ij++) {
                    const size_t y = job * per_job / p->nints, i = (job * per_job + ij) % p->nints;
                    const size_t row = y * nx, base = i * ng * npix + row, out = i * ps + row;
                    const size_t cout = i * npix + row;
                    for (size_t x0 = 0; x0 < nx; x0 += LK_V) {
                        const int P = (int)(nx - x0 < LK_V ? nx - x0 : LK_V);
                        const size_t pix0 = row + x0, base0 = base + x0;
                        /* Resultant rows; the ZEROFRAME, when used, is a resultant of its own and
                         * is taken out of the first group (single precision, as stcal). */
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
                                          readnoise + pix0, dark ? dark + pix0 : NULL,
                                          pixeldq + pix0, slope + out + x0, err + out + x0,
                                          var_poisson + out + x0, var_rnoise + out + x0,
                                          chisq ? chisq + cout + x0 : NULL, dq + out + x0, P};
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
                if (rate) {
                    const size_t row = job * nx;
                    for (size_t x0 = 0; x0 < nx; x0 += LK_V) {
                        const int P = (int)(nx - x0 < LK_V ? nx - x0 : LK_V);
                        combine_span(p->nints, ps, npix, row + x0, P, slope, dq, var_poisson,
                                     var_rnoise, chisq, p->dnu, rate->slope, rate->dq,
                                     rate->var_poisson, rate->var_rnoise, rate->err,
                                     rate->chisq, &cs);
                    }
                }
            }
        }
        lk_thread_free(&t);
        combine_free(&cs);
        free(jrow);
    }
    free(net_lo);
    free(net_hi);
    return errors ? JW_LIKELY_ERR_ALLOC : JW_LIKELY_OK;
}

