/* The likelihood fit of blocks of ramps (Brandt 2024, paper I section 4 and paper II
 * sections 3.1-3.2): see likely.c for the algorithm and likely_fit.h for the layout.
 *
 * The covariance C of a ramp's used differences is tridiagonal, so it is factorised as
 * L D L^T (one division per difference).  A forward sweep gives L^-1 u and L^-1 d (u: 1 for
 * a used difference, 0 otherwise, d: the differences with the unused ones zeroed), hence
 * C_u = u^T C^-1 u, B = u^T C^-1 d, the rate B / C_u and its variance 1 / C_u; a backward
 * sweep gives w = C^-1 u, g = C^-1 (d - rate u) (whose norm is the chi square) and the
 * diagonal and first off-diagonal of C^-1 (Sigma_kk = 1/D_k + l_{k+1}^2 Sigma_{k+1,k+1}).
 * Leaving out difference k amounts to fitting one more parameter, a step at k: its
 * chi-square improvement is g_k^2 / S_k with the Schur complement
 * S_k = Sigma_kk - w_k^2 / C_u, and for the adjacent pair k, k+1 the 2x2 version of the same
 * (paper II gives these fits in another closed form; stcal evaluates that one).
 *
 * Every loop runs over the V pixels of a block innermost, so the compiler vectorises it;
 * the same inline code with V = 1 continues the jump test of the rare ramps where something
 * was dropped.  Without FMA contraction (ISO C) each lane computes the same IEEE
 * operations in either case, so results do not depend on the vector width or the block.
 */
#include "likely_fit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LK_NARR 12
#define LK_NLANE 11

int lk_work_alloc(lk_work *s, int n, int V) {
    const size_t m = (size_t)(n > 0 ? n : 1) * (size_t)V;
    size_t bytes = (LK_NARR * m + LK_NLANE * (size_t)LK_V) * sizeof(double);
    bytes = (bytes + 63) / 64 * 64;
    s->V = V;
    s->block = aligned_alloc(64, bytes);
    if (!s->block) return 1;
    memset(s->block, 0, bytes);
    double *b = (double *)s->block;
    double **arr[LK_NARR] = {&s->d, &s->u, &s->rD, &s->l, &s->y,  &s->z,
                             &s->w, &s->g, &s->S,  &s->So, &s->d1, &s->d2};
    for (int k = 0; k < LK_NARR; k++) *arr[k] = b + (size_t)k * m;
    double **lane[LK_NLANE] = {&s->cg,     &s->rn2, &s->rate, &s->chisq, &s->uncert,
                               &s->vp,     &s->vr,  &s->icsum, &s->best1, &s->best2,
                               &s->nuse};
    for (int k = 0; k < LK_NLANE; k++) *lane[k] = b + LK_NARR * m + (size_t)k * LK_V;
    return 0;
}

void lk_work_free(lk_work *s) {
    free(s->block);
    s->block = NULL;
}

int lk_thread_alloc(lk_thread *t, int n) {
    const int nres = n + 1;
    memset(t, 0, sizeof(*t));
    if (lk_work_alloc(&t->blk, n, LK_V) | lk_work_alloc(&t->one, n, 1)) {
        lk_thread_free(t);
        return 1;
    }
    const size_t nd = (size_t)(n + 2) * LK_V;
    const size_t rows = (size_t)nres * (sizeof(float *) + sizeof(uint8_t *));
    const size_t bytes = nd * sizeof(double) + rows + (size_t)(nres + 1) * LK_V * sizeof(float) +
                         (size_t)nres * LK_V + 64;
    t->block = malloc(bytes);
    if (!t->block) {
        lk_thread_free(t);
        return 1;
    }
    double *b = (double *)t->block;
    t->sorted = b;
    t->crg = b + (size_t)n * LK_V;
    t->countrate = t->crg + LK_V;
    char *c = (char *)(b + nd);
    t->rrow = (const float **)c;
    c += (size_t)nres * sizeof(float *);
    t->erow = (const uint8_t **)c;
    c += (size_t)nres * sizeof(uint8_t *);
    t->first = (float *)c;
    t->pad_r = t->first + LK_V;
    t->pad_e = (uint8_t *)(t->pad_r + (size_t)nres * LK_V);
    return 0;
}

void lk_thread_free(lk_thread *t) {
    lk_work_free(&t->blk);
    lk_work_free(&t->one);
    free(t->block);
    t->block = NULL;
}

/* NumPy's maximum: NaN as soon as either value is NaN. */
LK_INLINE double nan_max(double a, double b) {
    return (isnan(a) || isnan(b)) ? NAN : (a > b ? a : b);
}

/* Forward sweep of the LDL^T factorisation, the sums C_u and B, the rate, 1 / C_u and
 * (final fit) the rate's uncertainty. */
LK_INLINE void fit_forward(const jw_likely_params *p, int n, const int V, lk_work *restrict s,
                            int final, const int clean) {
    const double *restrict cg = s->cg, *restrict rn2 = s->rn2;
    double *restrict rate = s->rate, *restrict icsum = s->icsum, *restrict unc = s->uncert;
    double Cs[LK_V], Bs[LK_V];
    {
        const double aph = p->alpha_ph[0], arn = p->alpha_rn[0];
        const double *restrict d = s->d, *restrict u = s->u;
        double *restrict rD = s->rD, *restrict l = s->l, *restrict y = s->y, *restrict z = s->z;
        FORX {
            const double r = 1.0 / (cg[x] * aph + rn2[x] * arn);
            const double yy = clean ? 1.0 : u[x], zz = clean ? d[x] : d[x] * u[x];
            rD[x] = r;
            l[x] = 0.0;
            y[x] = yy;
            z[x] = zz;
            Cs[x] = yy * yy * r;
            Bs[x] = yy * zz * r;
        }
    }
    for (int k = 1; k < n; k++) {
        const double aph = p->alpha_ph[k], arn = p->alpha_rn[k];
        const double bph = p->beta_ph[k - 1], brn = p->beta_rn[k - 1];
        const double *restrict d = ROW(s->d, k), *restrict u = ROW(s->u, k);
        const double *restrict u0 = ROW(s->u, k - 1), *restrict rD0 = ROW(s->rD, k - 1);
        const double *restrict y0 = ROW(s->y, k - 1), *restrict z0 = ROW(s->z, k - 1);
        double *restrict rD = ROW(s->rD, k), *restrict l = ROW(s->l, k);
        double *restrict y = ROW(s->y, k), *restrict z = ROW(s->z, k);
        FORX {
            const double a = cg[x] * aph + rn2[x] * arn;
            /* (with every difference used, u = 1 and the products by it are exact) */
            const double bb = cg[x] * bph + rn2[x] * brn;
            const double b = clean ? bb : bb * u[x] * u0[x];
            const double lk = b * rD0[x];
            const double r = 1.0 / (a - lk * b);
            const double yy = (clean ? 1.0 : u[x]) - lk * y0[x];
            const double zz = (clean ? d[x] : d[x] * u[x]) - lk * z0[x];
            rD[x] = r;
            l[x] = lk;
            y[x] = yy;
            z[x] = zz;
            Cs[x] += yy * yy * r;
            Bs[x] += yy * zz * r;
        }
    }
    FORX {
        const double ic = 1.0 / Cs[x];
        rate[x] = Bs[x] * ic;
        icsum[x] = ic;
    }
    if (final) FORX unc[x] = sqrt(icsum[x]);
}

/* Chi square of the fit, sum over k of (L^-1 (d - rate u))_k^2 / D_k, in the order the
 * backward sweeps take (so the same bits). */
LK_INLINE void fit_chisq(int n, const int V, lk_work *restrict s) {
    const double *restrict rate = s->rate;
    double *restrict chisq = s->chisq;
    FORX chisq[x] = 0.0;
    for (int k = n - 1; k >= 0; k--) {
        const double *restrict rD = ROW(s->rD, k), *restrict y = ROW(s->y, k);
        const double *restrict z = ROW(s->z, k);
        FORX {
            const double e = z[x] - rate[x] * y[x];
            chisq[x] = k == n - 1 ? e * e * rD[x] : chisq[x] + e * e * rD[x];
        }
    }
}

/* Backward sweep of the jump test: chi square, w, g and the Schur complements of the fits
 * leaving out each difference and each adjacent pair.  Their chi-square improvements
 * (g_k^2 / S_k, and the 2x2 form for pairs) are only needed where one may pass its
 * threshold: cand[x] is set where one may (tested without dividing, with a margin), or
 * where the lane has two used differences or fewer, and is 0 where none can, so that the
 * jump test drops nothing there.  The improvements themselves: fit_improvements. */
LK_INLINE void fit_backward_detect(const jw_likely_params *p, int n, const int V,
                                   lk_work *restrict s, double *restrict cand) {
    const double *restrict rate = s->rate, *restrict icsum = s->icsum;
    double *restrict chisq = s->chisq;
    const int pairs = p->any_two_omit;
    /* a little below the thresholds: these products and the divisions round differently */
    const double t1 = p->thresh_one * (1.0 - 1e-9), t2 = p->thresh_two * (1.0 - 1e-9);
    double Sig[LK_V];
    {
        const int k = n - 1;
        const double *restrict rD = ROW(s->rD, k), *restrict y = ROW(s->y, k);
        const double *restrict z = ROW(s->z, k);
        double *restrict w = ROW(s->w, k), *restrict g = ROW(s->g, k), *restrict S = ROW(s->S, k);
        FORX {
            const double e = z[x] - rate[x] * y[x];
            const double wk = y[x] * rD[x], gk = e * rD[x];
            const double Sk = rD[x] - wk * wk * icsum[x];
            chisq[x] = e * e * rD[x];
            w[x] = wk;
            g[x] = gk;
            Sig[x] = rD[x];
            S[x] = Sk;
            cand[x] = (gk * gk > t1 * Sk || !(Sk > 0.0)) ? 1.0 : 0.0;
        }
    }
    for (int k = n - 2; k >= 0; k--) {
        const double *restrict rD = ROW(s->rD, k), *restrict y = ROW(s->y, k);
        const double *restrict z = ROW(s->z, k), *restrict l1 = ROW(s->l, k + 1);
        const double *restrict w1 = ROW(s->w, k + 1), *restrict g1 = ROW(s->g, k + 1);
        const double *restrict S1 = ROW(s->S, k + 1);
        double *restrict w = ROW(s->w, k), *restrict g = ROW(s->g, k), *restrict S = ROW(s->S, k);
        double *restrict So = ROW(s->So, k);
        const int pair = pairs && p->two_omit[k];
        FORX {
            const double e = z[x] - rate[x] * y[x];
            const double lk = l1[x], ic = icsum[x];
            const double wk = y[x] * rD[x] - lk * w1[x];
            const double gk = e * rD[x] - lk * g1[x];
            const double sig1 = Sig[x];
            const double sig = rD[x] + lk * lk * sig1;
            const double Sk = sig - wk * wk * ic;
            const double So_k = -lk * sig1 - wk * w1[x] * ic;
            chisq[x] += e * e * rD[x];
            w[x] = wk;
            g[x] = gk;
            Sig[x] = sig;
            S[x] = Sk;
            So[x] = So_k;
            double c = (gk * gk > t1 * Sk || !(Sk > 0.0)) ? 1.0 : 0.0;
            if (pair) {
                /* (the pairs with an unused difference reduce to the single omission) */
                const double gj = g1[x], Sj = S1[x];
                const double num = Sj * gk * gk - 2.0 * So_k * gk * gj + Sk * gj * gj;
                const double det = Sk * Sj - So_k * So_k;
                c = (num > t2 * det || !(det > 0.0)) ? 1.0 : c;
            }
            cand[x] = c > cand[x] ? c : cand[x];
        }
    }
    const double *restrict nuse = s->nuse;
    FORX cand[x] = nuse[x] <= 2.0 ? 1.0 : cand[x];
}

/* The improvements of omissions that involve unused differences fall back to those of
 * fewer omissions (stcal's convention: an unused difference left out changes nothing, so
 * its improvement is chisq - chisq); an omission that leaves no used difference improves
 * the chi square by all of it (the 2x2 or 3x3 system is singular there: stcal's closed
 * form gives that limit or, when its denominators round to zero, NaN); then the best single
 * and pair improvements (pairs that may not be dropped count as none). */
LK_INLINE void fit_improvements(const jw_likely_params *p, int n, const int V,
                                lk_work *restrict s) {
    const double *restrict chisq = s->chisq;
    double *restrict best1 = s->best1, *restrict best2 = s->best2;
    const double *restrict nuse = s->nuse;
    double zero[LK_V];
    for (int k = 0; k < n; k++) {
        double *restrict d1 = ROW(s->d1, k);
        const double *restrict g = ROW(s->g, k), *restrict S = ROW(s->S, k);
        FORX d1[x] = g[x] * g[x] / S[x];
    }
    if (p->any_two_omit)
        for (int k = 0; k < n - 1; k++) {
            double *restrict d2 = ROW(s->d2, k);
            const double *restrict g0 = ROW(s->g, k), *restrict g1 = ROW(s->g, k + 1);
            const double *restrict S0 = ROW(s->S, k), *restrict S1 = ROW(s->S, k + 1);
            const double *restrict So = ROW(s->So, k);
            FORX {
                const double gk = g0[x], gj = g1[x], Sk = S0[x], Sj = S1[x], o = So[x];
                const double num = Sj * gk * gk - 2.0 * o * gk * gj + Sk * gj * gj;
                d2[x] = num / (Sk * Sj - o * o);
            }
        }
    FORX {
        zero[x] = chisq[x] - chisq[x];
        best1[x] = -INFINITY;
        best2[x] = p->any_two_omit ? -INFINITY : 0.0;
    }
    for (int k = 0; k < n; k++) {
        double *restrict d1 = ROW(s->d1, k);
        const double *restrict u = ROW(s->u, k);
        FORX {
            double v = nuse[x] == 1.0 ? chisq[x] : d1[x];
            v = u[x] == 0.0 ? zero[x] : v;
            d1[x] = v;
            best1[x] = nan_max(best1[x], v);
        }
    }
    if (!p->any_two_omit) return;
    for (int k = 0; k < n - 1; k++) {
        double *restrict d2 = ROW(s->d2, k);
        const double *restrict u0 = ROW(s->u, k), *restrict u1 = ROW(s->u, k + 1);
        const double *restrict d10 = ROW(s->d1, k), *restrict d11 = ROW(s->d1, k + 1);
        const double allowed = p->two_omit[k] ? 1.0 : 0.0;
        FORX {
            double v = nuse[x] == 2.0 ? chisq[x] : d2[x];
            v = u1[x] == 0.0 ? d10[x] : v;
            v = u0[x] == 0.0 ? d11[x] : v;
            d2[x] = v;
            best2[x] = nan_max(best2[x], allowed != 0.0 ? v : 0.0);
        }
    }
}

/* Backward sweep of the final fit: chi square and the variances from photon and read
 * noise of the rate (w^T C_ph w and w^T C_rn w for the weights w = C^-1 u / C_u). */
LK_INLINE void fit_backward_final(const jw_likely_params *p, int n, const int V,
                                  lk_work *restrict s) {
    const double *restrict rate = s->rate, *restrict icsum = s->icsum;
    const double *restrict cg = s->cg, *restrict rn2 = s->rn2;
    double *restrict chisq = s->chisq, *restrict vp = s->vp, *restrict vr = s->vr;
    double W1[LK_V], vp2[LK_V], vr2[LK_V], wn[LK_V];
    {
        const int k = n - 1;
        const double *restrict rD = ROW(s->rD, k), *restrict y = ROW(s->y, k);
        const double *restrict z = ROW(s->z, k);
        const double aph = p->alpha_ph[k], arn = p->alpha_rn[k];
        FORX {
            const double e = z[x] - rate[x] * y[x];
            const double wk = y[x] * rD[x], W = wk * icsum[x];
            chisq[x] = e * e * rD[x];
            wn[x] = wk;
            W1[x] = W;
            vp[x] = W * W * (cg[x] * aph);
            vr[x] = W * W * (rn2[x] * arn);
            vp2[x] = vr2[x] = 0.0;
        }
    }
    for (int k = n - 2; k >= 0; k--) {
        const double *restrict rD = ROW(s->rD, k), *restrict y = ROW(s->y, k);
        const double *restrict z = ROW(s->z, k), *restrict l1 = ROW(s->l, k + 1);
        const double aph = p->alpha_ph[k], arn = p->alpha_rn[k];
        const double bph = p->beta_ph[k], brn = p->beta_rn[k];
        FORX {
            const double e = z[x] - rate[x] * y[x];
            const double wk = y[x] * rD[x] - l1[x] * wn[x], W = wk * icsum[x];
            chisq[x] += e * e * rD[x];
            vp[x] += W * W * (cg[x] * aph);
            vr[x] += W * W * (rn2[x] * arn);
            vp2[x] += W * W1[x] * (cg[x] * bph);
            vr2[x] += W * W1[x] * (rn2[x] * brn);
            wn[x] = wk;
            W1[x] = W;
        }
    }
    FORX {
        vp[x] = vp[x] + 2.0 * vp2[x];
        vr[x] = vr[x] + 2.0 * vr2[x];
    }
}

/* Rate of the fit leaving out difference k, or the pair k, k + 1, of lane x. */
static double omit_one_rate(const lk_work *s, int x, int k) {
    const int V = s->V;
    if (ROW(s->u, k)[x] == 0.0) return s->rate[x];
    const double gk = ROW(s->g, k)[x], Sk = ROW(s->S, k)[x], wk = ROW(s->w, k)[x];
    return s->rate[x] - gk / Sk * wk * s->icsum[x];
}

static double omit_two_rate(const lk_work *s, int x, int k) {
    const int V = s->V;
    if (ROW(s->u, k)[x] == 0.0) return omit_one_rate(s, x, k + 1);
    if (ROW(s->u, k + 1)[x] == 0.0) return omit_one_rate(s, x, k);
    const double gk = ROW(s->g, k)[x], gj = ROW(s->g, k + 1)[x];
    const double Sk = ROW(s->S, k)[x], Sj = ROW(s->S, k + 1)[x], So = ROW(s->So, k)[x];
    const double det = Sk * Sj - So * So;
    const double bk = (Sj * gk - So * gj) / det, bj = (Sk * gj - So * gk) / det;
    return s->rate[x] - (bk * ROW(s->w, k)[x] + bj * ROW(s->w, k + 1)[x]) * s->icsum[x];
}

/* The value of a decision step: the improvement to act on, or 0 / NaN for none. */
LK_INLINE double decision(const jw_likely_params *p, double best1, double best2, int *onebetter) {
    *onebetter = best1 - p->thresh_one > best2 - p->thresh_two;
    double best = best1 * (double)(best1 > p->thresh_one) * (double)*onebetter;
    best += best2 * (double)(best2 > p->thresh_two) * (double)!*onebetter;
    return best;
}

/* One step of the jump test for lane x: drop the best single difference or adjacent pair
 * if its improvement passes the threshold (every one equal to the best, as stcal).
 * Returns 1 when something was dropped (s->u and *countrate updated). */
static int lk_drop(const jw_likely_params *p, lk_work *s, int n, int x, double *countrate) {
    const int V = s->V;
    int onebetter;
    const double best = decision(p, s->best1[x], s->best2[x], &onebetter);
    if (best == 0.0 || isnan(best)) return 0;
    int dropped = 0;
    double newcr = 0.0;
    if (onebetter) {
        for (int k = 0; k < n; k++)
            if (ROW(s->d1, k)[x] == best) dropped = 1;
        if (!dropped) return 0;
        for (int k = 0; k < n; k++) {
            const int d = ROW(s->d1, k)[x] == best;
            newcr += omit_one_rate(s, x, k) * (double)d;
            if (d) ROW(s->u, k)[x] = 0.0;
        }
    } else {
        /* only reached when some pair may be dropped, so d2 is filled */
        for (int k = 0; k < n - 1; k++)
            if (ROW(s->d2, k)[x] == best) dropped = 1;
        if (!dropped) return 0;
        for (int k = 0; k < n - 1; k++) {
            const int d = ROW(s->d2, k)[x] == best;
            newcr += omit_two_rate(s, x, k) * (double)d;
            if (d) ROW(s->u, k)[x] = ROW(s->u, k + 1)[x] = 0.0;
        }
    }
    *countrate = *countrate * 0.0 + newcr;
    return 1;
}

/* Fit with the jump test's sweeps (out of line for the single-lane continuation). */
static void fit_detect_one(const jw_likely_params *p, int n, lk_work *s) {
    double cand;
    fit_forward(p, n, 1, s, 0, 0);
    fit_backward_detect(p, n, 1, s, &cand);
    fit_improvements(p, n, 1, s);
}

/* Continue the jump test of lane x of the block alone, after a first drop. */
static double lk_continue(const jw_likely_params *p, lk_work *blk, int x, lk_work *one, int n,
                          double countrate) {
    const int V = LK_V;
    for (int k = 0; k < n; k++) {
        one->d[k] = ROW(blk->d, k)[x];
        one->u[k] = ROW(blk->u, k)[x];
    }
    one->cg[0] = blk->cg[x];
    one->rn2[0] = blk->rn2[x];
    for (int j = 1; j < n; j++) {
        int nuse = 0;
        for (int k = 0; k < n; k++) nuse += one->u[k] != 0.0;
        if (nuse <= 3) break;
        one->nuse[0] = (double)nuse;
        fit_detect_one(p, n, one);
        if (!lk_drop(p, one, n, 0, &countrate)) break;
    }
    for (int k = 0; k < n; k++) ROW(blk->u, k)[x] = one->u[k];
    return countrate;
}

/* Median of each lane's n differences (NaN when any is NaN, hasnan[x] != 0, as np.median):
 * the median network over rows of V lanes.  t: scratch [n * V]. */
LK_INLINE void block_medians(const double *restrict diff, int n, const int V,
                             const lk_network *restrict net, double *restrict t,
                             const double *restrict hasnan, double *restrict med) {
    for (int k = 0; k < n; k++) {
        double *restrict tk = ROW(t, k);
        const double *restrict dk = ROW(diff, k);
        FORX tk[x] = dk[x];
    }
    for (int k = 0; k < net->ncmp; k++) {
        double *restrict a = ROW(t, net->lo[k]), *restrict b = ROW(t, net->hi[k]);
        FORX {
            const double u = a[x], v = b[x];
            a[x] = v < u ? v : u;
            b[x] = v < u ? u : v;
        }
    }
    const int h = n >> 1;
    const double *restrict hi_ = ROW(t, h), *restrict lo_ = ROW(t, h > 0 ? h - 1 : 0);
    FORX {
        const double m = (n & 1) ? hi_[x] : (lo_[x] + hi_[x]) / 2.0;
        med[x] = hasnan[x] != 0.0 ? NAN : m;
    }
}

/* elements ahead */
#define LK_PREFETCH (16 * LK_V)

LK_CLONES
void lk_block(const jw_likely_params *p, const lk_network *net, lk_thread *t,
              const lk_block_io *io) {
    const int V = LK_V;
    const int zo = p->use_zeroframe ? 1 : 0;
    const int nres = (int)p->ngroups + zo, n = nres - 1, P = io->P;
    const uint8_t sat = (uint8_t)p->sat, dnu = (uint8_t)p->dnu, jump = (uint8_t)p->jump;
    lk_work *restrict s = &t->blk;
    double *restrict crg = t->crg, *restrict countrate = t->countrate;
    double *restrict nuse = s->nuse;
    double hasnan[LK_V], allu[LK_V];
    FORX {
        nuse[x] = 0.0;
        hasnan[x] = 0.0;
        allu[x] = 1.0;
    }
    for (int k = 0; k < n; k++) {
        const float *restrict r0 = io->rrow[k], *restrict r1 = io->rrow[k + 1];
        const uint8_t *restrict e0 = io->erow[k], *restrict e1 = io->erow[k + 1];
        double *restrict d = ROW(s->d, k), *restrict u = ROW(s->u, k);
        const double idt = 1.0 / p->delta_t[k];
        /* the rows of the blocks to come (the hardware prefetchers lose some of these
         * many streams) */
        __builtin_prefetch(r1 + LK_PREFETCH);
        __builtin_prefetch(e1 + LK_PREFETCH);
        FORX {
            const double v = (double)(r1[x] - r0[x]) * idt;
            d[x] = v;
            hasnan[x] = isnan(v) ? 1.0 : hasnan[x];
        }
        FORX {
            const double uu = (e0[x] | e1[x]) == 0 ? 1.0 : 0.0;
            u[x] = uu;
            nuse[x] += uu;
            allu[x] = uu < allu[x] ? uu : allu[x];
        }
    }
    int clean = 1;
    FORX clean &= allu[x] != 0.0;
    {
        const float *restrict gain = io->gain, *restrict rn = io->readnoise;
        double *restrict cg = s->cg, *restrict rn2 = s->rn2;
        block_medians(s->d, n, V, net, t->sorted, hasnan, crg);
        FORX {
            const double c = crg[x] * (double)(crg[x] > 0.0);
            const double r = (double)rn[x];
            crg[x] = c;
            cg[x] = c / (double)gain[x];
            rn2[x] = r * r * 0.5; /* per read: READNOISE / sqrt(2), squared exactly */
        }
    }
    /* First pass of the jump test for the whole block, then the few ramps where something
     * was dropped continue alone. */
    int dropped = 0;
    {
        double *restrict cand = t->sorted; /* free again after the medians */
        if (clean)
            fit_forward(p, n, V, s, 0, 1);
        else
            fit_forward(p, n, V, s, 0, 0);
        /* No omission can improve the chi square by more than all of it: where it stays
         * below the thresholds (by a margin for rounding) nothing can be dropped, and the
         * sweep for the omissions is skipped for the whole block when that holds for all
         * its ramps (most blocks).  NaN never passes, as in the full test. */
        fit_chisq(n, V, s);
        const double tmin = (p->thresh_one < p->thresh_two || !p->any_two_omit
                                 ? p->thresh_one
                                 : p->thresh_two) * (1.0 - 1e-3);
        int any = 0;
        FORX {
            countrate[x] = s->rate[x];
            any |= s->chisq[x] > tmin;
        }
        if (any) {
            fit_backward_detect(p, n, V, s, cand);
            any = 0;
            FORX any |= cand[x] != 0.0;
        }
        if (any) {
            fit_improvements(p, n, V, s);
            for (int x = 0; x < V; x++)
                if (cand[x] != 0.0 && lk_drop(p, s, n, x, &countrate[x])) {
                    countrate[x] = lk_continue(p, s, x, &t->one, n, countrate[x]);
                    dropped = 1;
                }
        }
    }
    {
        const float *restrict gain = io->gain, *restrict dark = io->dark;
        double *restrict cg = s->cg;
        FORX {
            const double c = countrate[x];
            const double dk = dark ? (double)dark[x] : 0.0;
            cg[x] = (c * (double)(c > 0.0) + dk) / (double)gain[x];
        }
    }
    if (clean && !dropped)
        fit_forward(p, n, V, s, 1, 1);
    else
        fit_forward(p, n, V, s, 1, 0);
    fit_backward_final(p, n, V, s);

    /* DQ: DO_NOT_USE when every group is saturated or DO_NOT_USE, SATURATED or JUMP_DET when
     * any group is */
    uint8_t orv[LK_V], andv[LK_V];
    uint32_t q[LK_V];
    const uint8_t sd = sat | dnu;
#if defined(__GNUC__) && LK_V % 16 == 0
    /* 16 lanes at a time in byte vectors (the plain loop stays scalar in some clones) */
    typedef uint8_t v16 __attribute__((vector_size(16)));
    for (int x0 = 0; x0 < V; x0 += 16) {
        v16 o = {0}, a, m;
        memcpy(&m, io->erow[0] + x0, 16);
        a = m | ~m; /* all ones */
        for (int k = 0; k < nres; k++) {
            v16 e;
            memcpy(&e, io->erow[k] + x0, 16);
            o |= e;
            a &= (v16)((e & sd) != 0); /* 0xff where a flag is there */
        }
        memcpy(orv + x0, &o, 16);
        memcpy(andv + x0, &a, 16);
    }
#else
    FORX {
        orv[x] = 0;
        andv[x] = 1;
    }
    for (int k = 0; k < nres; k++) {
        const uint8_t *restrict e = io->erow[k];
        FORX {
            orv[x] |= e[x];
            andv[x] &= (e[x] & sd) != 0;
        }
    }
#endif
    {
        const uint32_t *restrict pdq = io->pixeldq;
        FORX {
            uint32_t v = pdq[x];
            v |= andv[x] ? p->dnu : 0;
            v |= (orv[x] & sat) ? p->sat : 0;
            v |= (orv[x] & jump) ? p->jump : 0;
            q[x] = v;
        }
    }
    /* differences the jump test dropped flag their later group */
    if (dropped)
        for (int k = 0; k < n; k++) {
            const double *restrict u = ROW(s->u, k);
            const uint8_t *restrict e0 = io->erow[k], *restrict e1 = io->erow[k + 1];
            for (int x = 0; x < P; x++)
                if ((e0[x] | e1[x]) == 0 && u[x] == 0.0) {
                    q[x] |= p->jump;
                    if (io->jrow) io->jrow[k + 1 - zo][x] |= jump;
                }
        }
    if (P == V) {
        /* and the output lines of the blocks to come, for writing */
        __builtin_prefetch(io->slope + LK_PREFETCH, 1);
        __builtin_prefetch(io->err + LK_PREFETCH, 1);
        __builtin_prefetch(io->var_poisson + LK_PREFETCH, 1);
        __builtin_prefetch(io->var_rnoise + LK_PREFETCH, 1);
        if (io->chisq) __builtin_prefetch(io->chisq + LK_PREFETCH, 1);
        __builtin_prefetch(io->dq + LK_PREFETCH, 1);
        float *restrict sl = io->slope, *restrict er = io->err, *restrict vp = io->var_poisson;
        float *restrict vr = io->var_rnoise, *restrict ch = io->chisq;
        uint32_t *restrict dq = io->dq;
        FORX {
            sl[x] = (float)s->rate[x];
            er[x] = (float)s->uncert[x];
            vp[x] = (float)s->vp[x];
            vr[x] = (float)s->vr[x];
            dq[x] = q[x];
        }
        if (ch) FORX ch[x] = (float)s->chisq[x];
    } else {
        for (int x = 0; x < P; x++) {
            io->slope[x] = (float)s->rate[x];
            io->err[x] = (float)s->uncert[x];
            io->var_poisson[x] = (float)s->vp[x];
            io->var_rnoise[x] = (float)s->vr[x];
            if (io->chisq) io->chisq[x] = (float)s->chisq[x];
            io->dq[x] = q[x];
        }
    }
}
