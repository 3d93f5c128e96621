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
#include "median_network.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* Work arrays for a chunk of P pixels: per-difference arrays are [k * P + x], per-pixel
 * values [x].  The fit is written with the pixel loop innermost, so that the compiler
 * vectorises it and the recursions over k run for P pixels at once; the same code serves
 * a single pixel with P = 1. */
typedef struct {
    double *diff, *use, *alpha, *beta, *aph, *arn, *bph, *brn, *bm, *dm, *theta, *phi, *Phi,
        *PhiD, *Theta, *ThetaD, *dC, *dB, *Cd, *Coff, *cr1, *chi1, *cr2, *chi2;
    double *crg, *cg, *rn2, *gain, *rn, *scale, *tn, *A1, *A2, *B, *C, *countrate, *chisq,
        *uncert, *vp, *vr, *ones, *tmp;
    void *block;
} lk_soa;

#define LK_NARR 24
#define LK_NPIX 17

static int soa_alloc(lk_soa *s, int n, int P) {
    const size_t m = (size_t)(n + 2) * (size_t)P;
    s->block = NULL;
    s->block = malloc((LK_NARR * m + LK_NPIX * (size_t)P + (size_t)n + 2) * sizeof(double));
    if (!s->block) return 1;
    double *b = (double *)s->block;
    double **arr[LK_NARR] = {&s->diff, &s->use,  &s->alpha, &s->beta,   &s->aph, &s->arn,
                             &s->bph,  &s->brn,  &s->bm,    &s->dm,     &s->theta, &s->phi,
                             &s->Phi,  &s->PhiD, &s->Theta, &s->ThetaD, &s->dC,  &s->dB,
                             &s->Cd,   &s->Coff, &s->cr1,   &s->chi1,   &s->cr2, &s->chi2};
    for (int k = 0; k < LK_NARR; k++) *arr[k] = b + (size_t)k * m;
    double **pix[LK_NPIX] = {&s->crg, &s->cg,        &s->rn2, &s->gain,   &s->rn,     &s->scale,
                             &s->tn,  &s->A1,        &s->A2,  &s->B,      &s->C,      &s->countrate,
                             &s->chisq, &s->uncert, &s->vp,  &s->vr, &s->ones};
    for (int k = 0; k < LK_NPIX; k++) *pix[k] = b + LK_NARR * m + (size_t)k * P;
    s->tmp = b + LK_NARR * m + LK_NPIX * (size_t)P;
    for (int x = 0; x < P; x++) s->ones[x] = 1.0;
    return 0;
}

/* On x86-64 glibc systems (ifunc) the fit is also compiled for AVX2 and picked at run time; without FMA
 * contraction every lane computes the same IEEE operations, so results do not change. */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__GLIBC__) && !defined(__clang__)
#define LK_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define LK_CLONES
#endif

#define SGN(i) (((i) & 1) ? 1.0 : -1.0)
#if defined(__GNUC__) && !defined(__clang__)
#define FORX _Pragma("GCC ivdep") for (int x = 0; x < P; x++)
#else
#define FORX for (int x = 0; x < P; x++)
#endif
/* row k of a per-difference array */
#define ROW(a, k) ((a) + (size_t)(k) * (size_t)P)

/* Fit the differences of P ramps at the rate guesses s->crg; with `detect`, also the fits
 * leaving out each difference and each adjacent pair (paper II, sections 3.1 and 3.2).
 * Inner loops run over pixels through row pointers, which the compiler vectorises. */
LK_CLONES
static void lk_fit(const jw_likely_params *p, lk_soa *restrict s, int n, int P, int detect) {
    double *restrict cg = s->cg, *restrict rn2 = s->rn2, *restrict scale = s->scale;
    FORX {
        cg[x] = s->crg[x] / s->gain[x];
        rn2[x] = s->rn[x] * s->rn[x];
    }
    for (int i = 0; i < n; i++) {
        const double a_ph = p->alpha_ph[i], a_rn = p->alpha_rn[i];
        double *restrict aph = ROW(s->aph, i), *restrict arn = ROW(s->arn, i);
        double *restrict al = ROW(s->alpha, i);
        FORX {
            aph[x] = cg[x] * a_ph;
            arn[x] = rn2[x] * a_rn;
            al[x] = aph[x] + arn[x];
        }
    }
    for (int i = 0; i < n - 1; i++) {
        const double b_ph = p->beta_ph[i], b_rn = p->beta_rn[i];
        double *restrict bph = ROW(s->bph, i), *restrict brn = ROW(s->brn, i);
        double *restrict be = ROW(s->beta, i);
        FORX {
            bph[x] = cg[x] * b_ph;
            brn[x] = rn2[x] * b_rn;
            be[x] = bph[x] + brn[x];
        }
    }
    /* Rescale the covariance to unit determinant, every ten steps as stcal does. */
    {
        double *restrict t0 = ROW(s->theta, 0), *restrict t1 = ROW(s->theta, 1);
        const double *restrict a0 = ROW(s->alpha, 0);
        FORX {
            t0[x] = 1.0;
            t1[x] = a0[x];
            scale[x] = 1.0;
        }
    }
    for (int i = 2; i <= n; i++) {
        double *restrict ti = ROW(s->theta, i), *restrict t1 = ROW(s->theta, i - 1);
        double *restrict t2 = ROW(s->theta, i - 2);
        const double *restrict al = ROW(s->alpha, i - 1), *restrict be = ROW(s->beta, i - 2);
        FORX {
            const double b = be[x], sc = scale[x];
            ti[x] = al[x] / sc * t1[x] - b * b / (sc * sc) * t2[x];
        }
        if (i % 10 == 0 || i == n) {
            FORX {
                const double f = pow(ti[x], 1.0 / (double)i);
                scale[x] *= f;
                const double t = ti[x] / f;
                t1[x] /= t;
                t2[x] /= t / f;
                ti[x] = 1.0;
            }
        }
    }
    for (int i = 0; i < n; i++) {
        double *restrict al = ROW(s->alpha, i);
        FORX al[x] /= scale[x];
    }
    for (int i = 0; i < n - 1; i++) {
        double *restrict be = ROW(s->beta, i);
        FORX be[x] /= scale[x];
    }
    for (int i = 0; i < n; i++) {
        double *restrict dm = ROW(s->dm, i);
        const double *restrict d = ROW(s->diff, i), *restrict u = ROW(s->use, i);
        FORX dm[x] = d[x] * u[x];
    }
    for (int i = 0; i < n - 1; i++) {
        double *restrict bm = ROW(s->bm, i);
        const double *restrict be = ROW(s->beta, i), *restrict u0 = ROW(s->use, i);
        const double *restrict u1 = ROW(s->use, i + 1);
        FORX bm[x] = be[x] * u1[x] * u0[x];
    }
    {
        double *restrict t0 = ROW(s->theta, 0), *restrict t1 = ROW(s->theta, 1);
        const double *restrict a0 = ROW(s->alpha, 0);
        FORX {
            t0[x] = 1.0;
            t1[x] = a0[x];
        }
    }
    for (int i = 2; i <= n; i++) {
        double *restrict ti = ROW(s->theta, i);
        const double *restrict t1 = ROW(s->theta, i - 1), *restrict t2 = ROW(s->theta, i - 2);
        const double *restrict al = ROW(s->alpha, i - 1), *restrict bm = ROW(s->bm, i - 2);
        FORX ti[x] = al[x] * t1[x] - bm[x] * bm[x] * t2[x];
    }
    {
        double *restrict pn = ROW(s->phi, n), *restrict pn1 = ROW(s->phi, n - 1);
        const double *restrict al = ROW(s->alpha, n - 1);
        FORX {
            pn[x] = 1.0;
            pn1[x] = al[x];
        }
    }
    for (int i = n - 2; i >= 0; i--) {
        double *restrict pi = ROW(s->phi, i);
        const double *restrict p1 = ROW(s->phi, i + 1), *restrict p2 = ROW(s->phi, i + 2);
        const double *restrict al = ROW(s->alpha, i), *restrict bm = ROW(s->bm, i);
        FORX pi[x] = al[x] * p1[x] - bm[x] * bm[x] * p2[x];
    }
    {
        double *restrict a = ROW(s->Phi, n - 1), *restrict b = ROW(s->PhiD, n - 1);
        FORX a[x] = b[x] = 0.0;
    }
    for (int i = n - 2; i >= 0; i--) {
        const double sg = SGN(i + 1);
        double *restrict Phi = ROW(s->Phi, i), *restrict PhiD = ROW(s->PhiD, i);
        const double *restrict Phi1 = ROW(s->Phi, i + 1), *restrict PhiD1 = ROW(s->PhiD, i + 1);
        const double *restrict bm = ROW(s->bm, i), *restrict p2 = ROW(s->phi, i + 2);
        const double *restrict dm1 = ROW(s->dm, i + 1);
        FORX {
            Phi[x] = Phi1[x] * bm[x] + sg * bm[x] * p2[x];
            PhiD[x] = (PhiD1[x] + sg * dm1[x] * p2[x]) * bm[x];
        }
    }
    {
        double *restrict T0 = ROW(s->Theta, 0), *restrict D0 = ROW(s->ThetaD, 0);
        double *restrict D1 = ROW(s->ThetaD, 1);
        const double *restrict t0 = ROW(s->theta, 0), *restrict dm0 = ROW(s->dm, 0);
        FORX {
            T0[x] = -t0[x];
            D0[x] = 0.0;
            D1[x] = -dm0[x] * t0[x];
        }
    }
    for (int i = 1; i < n; i++) {
        const double sg = SGN(i);
        double *restrict Ti = ROW(s->Theta, i), *restrict Di1 = ROW(s->ThetaD, i + 1);
        const double *restrict T1 = ROW(s->Theta, i - 1), *restrict Di = ROW(s->ThetaD, i);
        const double *restrict bm = ROW(s->bm, i - 1), *restrict th = ROW(s->theta, i);
        const double *restrict dm = ROW(s->dm, i);
        FORX {
            Ti[x] = T1[x] * bm[x] + sg * th[x];
            Di1[x] = bm[x] * Di[x] + sg * dm[x] * th[x];
        }
    }

    double *restrict A1 = s->A1, *restrict A2 = s->A2, *restrict B = s->B, *restrict C = s->C;
    double *restrict tn = s->tn;
    {
        const double *restrict thn = ROW(s->theta, n);
        FORX {
            tn[x] = thn[x];
            A1[x] = 0.0;
            A2[x] = 0.0;
            B[x] = 0.0;
            C[x] = 0.0;
        }
    }
    for (int i = 0; i < n; i++) {
        const double sg = SGN(i);
        double *restrict dC = ROW(s->dC, i), *restrict dB = ROW(s->dB, i);
        const double *restrict p1 = ROW(s->phi, i + 1), *restrict Th = ROW(s->Theta, i);
        const double *restrict th = ROW(s->theta, i), *restrict Ph = ROW(s->Phi, i);
        const double *restrict u = ROW(s->use, i), *restrict TD1 = ROW(s->ThetaD, i + 1);
        const double *restrict PD = ROW(s->PhiD, i), *restrict dm = ROW(s->dm, i);
        const double *restrict TD = ROW(s->ThetaD, i);
        const double *restrict bext = i == 0 ? s->ones : ROW(s->bm, i - 1);
        FORX {
            const double t = tn[x], sv = sg / t;
            double c = sv * (p1[x] * Th[x] + th[x] * Ph[x]);
            c *= u[x];
            dC[x] = c;
            dB[x] = sv * (p1[x] * TD1[x] + th[x] * PD[x]);
            const double be = bext[x];
            A1[x] += dm[x] * sg / t * be * p1[x] * TD[x];
            A2[x] += dm[x] * dm[x] * th[x] * p1[x] / t;
            B[x] += dm[x] * c;
            C[x] += c;
        }
    }
    double *restrict cr = s->countrate, *restrict chisq = s->chisq, *restrict unc = s->uncert;
    FORX {
        const double A = 2.0 * A1[x] + A2[x];
        A1[x] = A; /* keep A for the omission fits */
        cr[x] = B[x] * (1.0 / C[x]);
        chisq[x] = (A - B[x] * B[x] / C[x]) / scale[x];
        unc[x] = sqrt(scale[x] / C[x]);
    }
    if (!detect) {
        double *restrict vp = s->vp, *restrict vr = s->vr;
        FORX vp[x] = vr[x] = 0.0;
        for (int i = 0; i < n; i++) {
            double *restrict wt = ROW(s->Cd, i);
            const double *restrict dC = ROW(s->dC, i), *restrict aph = ROW(s->aph, i);
            const double *restrict arn = ROW(s->arn, i);
            FORX {
                const double w = dC[x] / C[x];
                vp[x] += w * w * aph[x];
                vr[x] += w * w * arn[x];
                wt[x] = w;
            }
        }
        double *restrict vp2 = s->A2, *restrict vr2 = s->B;
        FORX vp2[x] = vr2[x] = 0.0;
        for (int i = 0; i < n - 1; i++) {
            const double *restrict w0 = ROW(s->Cd, i), *restrict w1 = ROW(s->Cd, i + 1);
            const double *restrict bph = ROW(s->bph, i), *restrict brn = ROW(s->brn, i);
            FORX {
                vp2[x] += w1[x] * w0[x] * bph[x];
                vr2[x] += w1[x] * w0[x] * brn[x];
            }
        }
        FORX {
            vp[x] = vp[x] + 2.0 * vp2[x];
            vr[x] = vr[x] + 2.0 * vr2[x];
        }
        return;
    }

    for (int i = 0; i < n; i++) {
        double *restrict Cd = ROW(s->Cd, i);
        const double *restrict th = ROW(s->theta, i), *restrict p1 = ROW(s->phi, i + 1);
        const double *restrict u = ROW(s->use, i);
        FORX {
            double c = th[x] * p1[x] / tn[x];
            c *= u[x];
            Cd[x] = c;
        }
    }
    for (int i = 0; i < n - 1; i++) {
        double *restrict Co = ROW(s->Coff, i);
        const double *restrict bm = ROW(s->bm, i), *restrict th = ROW(s->theta, i);
        const double *restrict p2 = ROW(s->phi, i + 2);
        FORX Co[x] = -bm[x] * th[x] * p2[x] / tn[x];
    }
    for (int i = 0; i < n; i++) {
        double *restrict cr1 = ROW(s->cr1, i), *restrict chi1 = ROW(s->chi1, i);
        const double *restrict Cd = ROW(s->Cd, i), *restrict dB = ROW(s->dB, i);
        const double *restrict dC = ROW(s->dC, i);
        FORX {
            const double A = A1[x], Bx = B[x], Cx = C[x];
            const double a = (Cd[x] * Bx - dB[x] * dC[x]) / (Cx * Cd[x] - dC[x] * dC[x]);
            const double b = (dB[x] - a * dC[x]) / Cd[x];
            const double chi = A + a * a * Cx - 2.0 * a * Bx + b * b * Cd[x] - 2.0 * b * dB[x] +
                               2.0 * a * b * dC[x];
            cr1[x] = a;
            chi1[x] = chi / scale[x];
        }
    }
    if (p->any_two_omit)
        for (int i = 0; i < n - 1; i++) {
            double *restrict cr2 = ROW(s->cr2, i), *restrict chi2 = ROW(s->chi2, i);
            const double *restrict dC0 = ROW(s->dC, i), *restrict dC1 = ROW(s->dC, i + 1);
            const double *restrict dB0 = ROW(s->dB, i), *restrict dB1 = ROW(s->dB, i + 1);
            const double *restrict Cd0 = ROW(s->Cd, i), *restrict Cd1 = ROW(s->Cd, i + 1);
            const double *restrict Co = ROW(s->Coff, i);
            FORX {
                const double A = A1[x], Bx = B[x], Cx = C[x];
                const double cpj = dC0[x] * dC0[x] - Cx * Cd0[x];
                const double cjck = dC0[x] * dC1[x] - Cx * Co[x];
                const double bcpj = Bx * dC0[x] - dB0[x] * Cx;
                double c = bcpj / cpj - (Bx * dC1[x] - dB1[x] * Cx) / cjck;
                c /= cjck / cpj - (dC1[x] * dC1[x] - Cx * Cd1[x]) / cjck;
                const double b = (bcpj - c * cjck) / cpj;
                const double a = (Bx - b * dC0[x] - c * dC1[x]) / Cx;
                double chi = A + a * a * Cx + b * b * Cd0[x] + c * c * Cd1[x];
                chi -= 2.0 * a * Bx + 2.0 * b * dB0[x] + 2.0 * c * dB1[x];
                chi += 2.0 * a * b * dC0[x] + 2.0 * a * c * dC1[x] + 2.0 * b * c * Co[x];
                cr2[x] = a;
                chi2[x] = chi / scale[x];
            }
        }
    /* Omissions of differences already masked fall back to the fewer-omission fits. */
    for (int i = 0; i < n; i++) {
        double *restrict cr1 = ROW(s->cr1, i), *restrict chi1 = ROW(s->chi1, i);
        const double *restrict u = ROW(s->use, i);
        FORX {
            cr1[x] = u[x] == 0.0 ? cr[x] : cr1[x];
            chi1[x] = u[x] == 0.0 ? chisq[x] : chi1[x];
        }
    }
    if (p->any_two_omit) {
        for (int i = 0; i < n - 1; i++) {
            double *restrict cr2 = ROW(s->cr2, i), *restrict chi2 = ROW(s->chi2, i);
            const double *restrict u1 = ROW(s->use, i + 1), *restrict cr1 = ROW(s->cr1, i);
            const double *restrict chi1 = ROW(s->chi1, i);
            FORX {
                cr2[x] = u1[x] == 0.0 ? cr1[x] : cr2[x];
                chi2[x] = u1[x] == 0.0 ? chi1[x] : chi2[x];
            }
        }
        for (int i = 0; i < n - 1; i++) {
            double *restrict cr2 = ROW(s->cr2, i), *restrict chi2 = ROW(s->chi2, i);
            const double *restrict u0 = ROW(s->use, i), *restrict cr1 = ROW(s->cr1, i + 1);
            const double *restrict chi1 = ROW(s->chi1, i + 1);
            FORX {
                cr2[x] = u0[x] == 0.0 ? cr1[x] : cr2[x];
                chi2[x] = u0[x] == 0.0 ? chi1[x] : chi2[x];
            }
        }
    }
}

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
        const int bad = soa_alloc(&s, n, LK_CHUNK) | soa_alloc(&one, n, 1);
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
