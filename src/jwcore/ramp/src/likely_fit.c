/* The likelihood fit of chunks of ramps (Brandt 2024, paper I section 4 and paper II
 * sections 3.1-3.2): see likely.c for the algorithm and likely_fit.h for the layout.
 */
#include "likely_fit.h"

#include <math.h>
#include <stdlib.h>

#define LK_NARR 24
#define LK_NPIX 17

int lk_soa_alloc(lk_soa *s, int n, int P) {
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

/* Fit the differences of P ramps at the rate guesses s->crg; with `detect`, also the fits
 * leaving out each difference and each adjacent pair (paper II, sections 3.1 and 3.2).
 * Inner loops run over pixels through row pointers, which the compiler vectorises. */
LK_CLONES
void lk_fit(const jw_likely_params *p, lk_soa *restrict s, int n, int P, int detect) {
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

