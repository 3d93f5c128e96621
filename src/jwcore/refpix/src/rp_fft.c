/* Complex FFT of length P * 2^k: see rp_fft.h. */
#include "rp_fft.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#define RP_TWO_PI 6.283185307179586476925286766559
#define BLOCK 16 /* columns per block of the P-point stage */

/* exp(-2 pi i m / n), with the argument reduced exactly in integers first. */
static void unit_root(size_t m, size_t n, double *w) {
    m %= n;
    const double a = RP_TWO_PI * (double)m / (double)n;
    w[0] = cos(a);
    w[1] = -sin(a);
}

void rp_fft_free(rp_fft_plan *p) {
    free(p->wq);
    free(p->tw4);
    free(p->tw_hi);
    free(p->tw_lo);
    free(p->cs);
    free(p->sn);
    if (p->use_rader) rp_rader_free(&p->rader);
    memset(p, 0, sizeof(*p));
}

int rp_fft_init(rp_fft_plan *p, size_t P, size_t Q) {
    memset(p, 0, sizeof(*p));
    if (P == 0 || Q < BLOCK || P % 2 == 0 || (Q & (Q - 1)) != 0 || (P - 1) / 2 > RP_FFT_MAX_HALF)
        return 2;
    p->P = P;
    p->Q = Q;
    p->N = P * Q;
    int k = 0;
    while (((size_t)1 << k) < Q) k++;
    p->log4 = k / 2;
    p->radix2 = k % 2;
    p->lo_span = Q < 128 ? Q : 128;
    p->nhi = Q / p->lo_span;
    const size_t h = (P - 1) / 2;
    p->wq = (double *)malloc(2 * Q * sizeof(double));
    p->tw4 = (double *)malloc((2 * Q + 6) * sizeof(double)); /* 6 (Q/4 + Q/16 + ...) < 2Q */
    p->tw_hi = (double *)malloc(2 * P * p->nhi * sizeof(double));
    p->tw_lo = (double *)malloc(2 * P * p->lo_span * sizeof(double));
    p->cs = (double *)malloc((h * h + 1) * sizeof(double));
    p->sn = (double *)malloc((h * h + 1) * sizeof(double));
    if (!p->wq || !p->tw4 || !p->tw_hi || !p->tw_lo || !p->cs || !p->sn) {
        rp_fft_free(p);
        return 1;
    }
    for (size_t m = 0; m < Q; m++) unit_root(m, Q, p->wq + 2 * m);
    /* the twiddles of each radix-4 pass, in the order the pass reads them */
    {
        size_t n = Q, s = 1, off = 0;
        for (int pass = 0; pass < p->log4; pass++, n /= 4, s *= 4)
            for (size_t pp = 0; pp < n / 4; pp++, off += 6)
                for (size_t k = 1; k <= 3; k++) {
                    p->tw4[off + 2 * (k - 1)] = p->wq[2 * (k * pp * s)];
                    p->tw4[off + 2 * (k - 1) + 1] = p->wq[2 * (k * pp * s) + 1];
                }
    }
    for (size_t n1 = 0; n1 < P; n1++) {
        for (size_t hh = 0; hh < p->nhi; hh++)
            unit_root(n1 * p->lo_span * hh, p->N, p->tw_hi + 2 * (n1 * p->nhi + hh));
        for (size_t l = 0; l < p->lo_span; l++)
            unit_root(n1 * l, p->N, p->tw_lo + 2 * (n1 * p->lo_span + l));
    }
    for (size_t kk = 1; kk <= h; kk++)
        for (size_t j = 1; j <= h; j++) {
            double w[2];
            unit_root(j * kk, P, w);
            p->cs[(kk - 1) * h + (j - 1)] = w[0];
            p->sn[(kk - 1) * h + (j - 1)] = -w[1];
        }
    /* Rader halves the arithmetic of prime lengths; small or composite P stay direct */
    if (P >= 31) {
        const int code = rp_rader_init(&p->rader, P);
        if (code == 1) {
            rp_fft_free(p);
            return 1;
        }
        p->use_rader = code == 0;
    }
    return 0;
}

/* One radix-4 pass of a Stockham FFT: n-point sub-transforms at stride s; tw holds
 * (w1, w2, w3) = W^(pp s), W^(2 pp s), W^(3 pp s) for pp < n / 4, contiguous. */
static inline void radix4_pass(const double *restrict src, double *restrict dst,
                               const double *restrict tw, size_t n, size_t s, const int sign) {
    const size_t n1 = n / 4;
    for (size_t pp = 0; pp < n1; pp++) {
        const double *t = tw + 6 * pp;
        const double w1r = t[0], w1i = sign * t[1], w2r = t[2], w2i = sign * t[3];
        const double w3r = t[4], w3i = sign * t[5];
        const double *a = src + 2 * s * pp, *b = src + 2 * s * (pp + n1);
        const double *c = src + 2 * s * (pp + 2 * n1), *d = src + 2 * s * (pp + 3 * n1);
        double *o0 = dst + 2 * s * (4 * pp), *o1 = dst + 2 * s * (4 * pp + 1);
        double *o2 = dst + 2 * s * (4 * pp + 2), *o3 = dst + 2 * s * (4 * pp + 3);
        for (size_t q = 0; q < s; q++) {
            const double ar = a[2 * q], ai = a[2 * q + 1], br = b[2 * q], bi = b[2 * q + 1];
            const double cr = c[2 * q], ci = c[2 * q + 1], dr = d[2 * q], di = d[2 * q + 1];
            const double apcr = ar + cr, apci = ai + ci, amcr = ar - cr, amci = ai - ci;
            const double bpdr = br + dr, bpdi = bi + di;
            /* j (b - d) with j = i forward, -i inverse */
            const double jr = -sign * (bi - di), ji = sign * (br - dr);
            o0[2 * q] = apcr + bpdr;
            o0[2 * q + 1] = apci + bpdi;
            const double t1r = amcr - jr, t1i = amci - ji;
            o1[2 * q] = w1r * t1r - w1i * t1i;
            o1[2 * q + 1] = w1r * t1i + w1i * t1r;
            const double t2r = apcr - bpdr, t2i = apci - bpdi;
            o2[2 * q] = w2r * t2r - w2i * t2i;
            o2[2 * q + 1] = w2r * t2i + w2i * t2r;
            const double t3r = amcr + jr, t3i = amci + ji;
            o3[2 * q] = w3r * t3r - w3i * t3i;
            o3[2 * q + 1] = w3r * t3i + w3i * t3r;
        }
    }
}

/* The last radix-4 pass (n = 4): all twiddles are 1. */
static inline void radix4_last(const double *restrict src, double *restrict dst, size_t s,
                               const int sign) {
    const double *a = src, *b = src + 2 * s, *c = src + 4 * s, *d = src + 6 * s;
    double *o0 = dst, *o1 = dst + 2 * s, *o2 = dst + 4 * s, *o3 = dst + 6 * s;
    for (size_t q = 0; q < s; q++) {
        const double ar = a[2 * q], ai = a[2 * q + 1], br = b[2 * q], bi = b[2 * q + 1];
        const double cr = c[2 * q], ci = c[2 * q + 1], dr = d[2 * q], di = d[2 * q + 1];
        const double apcr = ar + cr, apci = ai + ci, amcr = ar - cr, amci = ai - ci;
        const double bpdr = br + dr, bpdi = bi + di;
        const double jr = -sign * (bi - di), ji = sign * (br - dr);
        o0[2 * q] = apcr + bpdr;
        o0[2 * q + 1] = apci + bpdi;
        o1[2 * q] = amcr - jr;
        o1[2 * q + 1] = amci - ji;
        o2[2 * q] = apcr - bpdr;
        o2[2 * q + 1] = apci - bpdi;
        o3[2 * q] = amcr + jr;
        o3[2 * q + 1] = amci + ji;
    }
}

/* Q-point FFT of one row x[Q][2] (radix-4 Stockham autosort, natural order in and out);
 * y is scratch of the same size.  sign = +1 forward, -1 inverse (no scaling). */
static void fft_row(const rp_fft_plan *p, double *x, double *y, const int sign) {
    const size_t Q = p->Q;
    double *src = x, *dst = y;
    size_t n = Q, s = 1;
    const double *tw = p->tw4;
    for (int pass = 0; pass < p->log4; pass++) {
        if (n == 4) {
            if (sign > 0)
                radix4_last(src, dst, s, 1);
            else
                radix4_last(src, dst, s, -1);
        } else if (sign > 0) {
            radix4_pass(src, dst, tw, n, s, 1);
        } else {
            radix4_pass(src, dst, tw, n, s, -1);
        }
        tw += 6 * (n / 4);
        n /= 4;
        s *= 4;
        double *t = src;
        src = dst;
        dst = t;
    }
    if (p->radix2) {
        for (size_t q = 0; q < s; q++) {
            const double ar = src[2 * q], ai = src[2 * q + 1];
            const double br = src[2 * (q + s)], bi = src[2 * (q + s) + 1];
            dst[2 * q] = ar + br;
            dst[2 * q + 1] = ai + bi;
            dst[2 * (q + s)] = ar - br;
            dst[2 * (q + s) + 1] = ai - bi;
        }
        double *t = src;
        src = dst;
        dst = t;
    }
    if (src != x) memcpy(x, src, 2 * Q * sizeof(double));
}

/* Multiply row n1 by W_N^(sign * n1 * k2), k2 = 0..Q-1 (the four-step twiddle). */
static void twiddle_row(const rp_fft_plan *p, double *x, size_t n1, int sign) {
    const size_t span = p->lo_span;
    for (size_t hh = 0; hh < p->nhi; hh++) {
        const double *hi = p->tw_hi + 2 * (n1 * p->nhi + hh);
        const double *lo = p->tw_lo + 2 * (n1 * span);
        double *xr = x + 2 * hh * span;
        for (size_t l = 0; l < span; l++) {
            const double wr = hi[0] * lo[2 * l] - hi[1] * lo[2 * l + 1];
            const double wi = sign * (hi[0] * lo[2 * l + 1] + hi[1] * lo[2 * l]);
            const double a = xr[2 * l], b = xr[2 * l + 1];
            xr[2 * l] = a * wr - b * wi;
            xr[2 * l + 1] = a * wi + b * wr;
        }
    }
}

/* ca[i] = sum_t c[t] A[t][i], cb[i] = sum_t s[t] B[t][i] for i in [0, 8): both sums in one
 * loop so that 16 independent accumulations hide the addition latency. */
static inline void dot8x2(const double *restrict c, const double *restrict sn,
                          const double *restrict A, const double *restrict B, size_t w2,
                          size_t nt, double *restrict ca, double *restrict cb) {
    double a0 = 0, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0, a6 = 0, a7 = 0;
    double b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0, b6 = 0, b7 = 0;
    for (size_t t = 0; t < nt; t++) {
        const double x = c[t], y = sn[t];
        const double *u = A + t * w2, *v = B + t * w2;
        a0 += x * u[0];
        a1 += x * u[1];
        a2 += x * u[2];
        a3 += x * u[3];
        a4 += x * u[4];
        a5 += x * u[5];
        a6 += x * u[6];
        a7 += x * u[7];
        b0 += y * v[0];
        b1 += y * v[1];
        b2 += y * v[2];
        b3 += y * v[3];
        b4 += y * v[4];
        b5 += y * v[5];
        b6 += y * v[6];
        b7 += y * v[7];
    }
    ca[0] = a0, ca[1] = a1, ca[2] = a2, ca[3] = a3, ca[4] = a4, ca[5] = a5, ca[6] = a6;
    ca[7] = a7;
    cb[0] = b0, cb[1] = b1, cb[2] = b2, cb[3] = b3, cb[4] = b4, cb[5] = b5, cb[6] = b6;
    cb[7] = b7;
}

/* P-point DFTs down the columns [c0, c0 + BLOCK) of z (twiddles are applied by the row
 * stage).  S: P rows of scratch, A/B: h rows each, acc: P + 2 rows, coef: 2 h. */
static void column_block(const rp_fft_plan *p, double *z, size_t c0, int sign,
                         const uint8_t *rows, const uint8_t *live_in, double *S, double *A,
                         double *B, double *acc, double *coef, double *rader_work) {
    const size_t P = p->P, Q = p->Q, h = (P - 1) / 2, w2 = 2 * BLOCK;
    const int fwd = sign > 0;
    /* rows known to be zero: absent spectrum rows (inverse), absent time rows (forward) */
    const uint8_t *live = fwd ? live_in : rows;
    for (size_t r = 0; r < P; r++) {
        if (live && !live[r])
            memset(S + r * w2, 0, w2 * sizeof(double));
        else
            memcpy(S + r * w2, z + 2 * (r * Q + c0), w2 * sizeof(double));
    }
    if (p->use_rader && !rows) {
        double *out = acc + 2 * w2;
        rp_rader_block(&p->rader, S, out, BLOCK, sign, rader_work);
        for (size_t k = 0; k < P; k++)
            memcpy(z + 2 * (k * Q + c0), out + k * w2, w2 * sizeof(double));
        return;
    }
    /* sums and differences of rows j and P - j; pairs known to be zero are skipped */
    size_t nj = 0;
    size_t jlist[RP_FFT_MAX_HALF];
    for (size_t j = 1; j <= h; j++) {
        if (live && !live[j] && !live[P - j]) continue;
        const double *u = S + j * w2, *v = S + (P - j) * w2;
        double *a = A + nj * w2, *bb = B + nj * w2;
        for (size_t i = 0; i < w2; i++) {
            a[i] = u[i] + v[i];
            bb[i] = u[i] - v[i];
        }
        jlist[nj++] = j;
    }
    const double *s0 = S;
    double *ca = acc, *cb = acc + w2, *out = acc + 2 * w2;
    if (!fwd || !rows || rows[0]) {
        memcpy(out, s0, w2 * sizeof(double));
        for (size_t t = 0; t < nj; t++) {
            const double *a = A + t * w2;
            for (size_t i = 0; i < w2; i++) out[i] += a[i];
        }
    }
    for (size_t k = 1; k <= h; k++) {
        if (fwd && rows && !rows[k] && !rows[P - k]) continue;
        for (size_t t = 0; t < nj; t++) {
            coef[t] = p->cs[(k - 1) * h + (jlist[t] - 1)];
            coef[h + t] = p->sn[(k - 1) * h + (jlist[t] - 1)];
        }
        for (size_t i0 = 0; i0 < w2; i0 += 8)
            dot8x2(coef, coef + h, A + i0, B + i0, w2, nj, ca + i0, cb + i0);
        /* X[k] = S0 + A - i sign B, X[P-k] = S0 + A + i sign B */
        double *xk = out + k * w2, *xm = out + (P - k) * w2;
        for (size_t b = 0; b < BLOCK; b++) {
            const double ar = s0[2 * b] + ca[2 * b], ai = s0[2 * b + 1] + ca[2 * b + 1];
            const double br = cb[2 * b], bi = cb[2 * b + 1];
            xk[2 * b] = ar + sign * bi;
            xk[2 * b + 1] = ai - sign * br;
            xm[2 * b] = ar - sign * bi;
            xm[2 * b + 1] = ai + sign * br;
        }
    }
    for (size_t k = 0; k < P; k++) {
        if (fwd && rows) {
            const size_t kk = k <= h ? k : P - k;
            if (k == 0 ? !rows[0] : (!rows[kk] && !rows[P - kk])) continue;
        }
        memcpy(z + 2 * (k * Q + c0), out + k * w2, w2 * sizeof(double));
    }
}

static void column_stage(const rp_fft_plan *p, double *z, int sign, const uint8_t *rows,
                         const uint8_t *live_in, int n_threads) {
    const size_t P = p->P, Q = p->Q, h = (P - 1) / 2;
    const size_t nblocks = Q / BLOCK;
    (void)n_threads;
#ifdef _OPENMP
#pragma omp parallel num_threads(n_threads > 0 ? n_threads : 1)
#endif
    {
        const size_t w2 = 2 * BLOCK;
        double *S = (double *)malloc(P * w2 * sizeof(double));
        double *A = (double *)malloc((h + 1) * w2 * sizeof(double));
        double *B = (double *)malloc((h + 1) * w2 * sizeof(double));
        double *acc = (double *)malloc((P + 2) * w2 * sizeof(double));
        double *coef = (double *)malloc((2 * h + 2) * sizeof(double));
        double *rw = p->use_rader
                         ? (double *)malloc(rp_rader_scratch(&p->rader, BLOCK) * sizeof(double))
                         : NULL;
        if (S && A && B && acc && coef && (rw || !p->use_rader)) {
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
            for (size_t blk = 0; blk < nblocks; blk++)
                column_block(p, z, blk * BLOCK, sign, rows, live_in, S, A, B, acc, coef, rw);
        }
        free(S);
        free(A);
        free(B);
        free(acc);
        free(coef);
        free(rw);
    }
}

/* Q-point transforms of the rows, with the four-step twiddles: applied after a forward
 * transform, before an inverse one (with the 1/N scaling after it). */
static void row_stage(const rp_fft_plan *p, double *z, int sign, const uint8_t *live,
                      int n_threads) {
    const size_t P = p->P, Q = p->Q;
    const double scale = 1.0 / (double)p->N;
    (void)n_threads;
#ifdef _OPENMP
#pragma omp parallel num_threads(n_threads > 0 ? n_threads : 1)
#endif
    {
        double *y = (double *)malloc(2 * Q * sizeof(double));
        if (y) {
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
            for (size_t r = 0; r < P; r++) {
                double *x = z + 2 * r * Q;
                if (live && !live[r]) continue;
                if (sign > 0) {
                    fft_row(p, x, y, 1);
                    if (r > 0) twiddle_row(p, x, r, 1);
                } else {
                    if (r > 0) twiddle_row(p, x, r, -1);
                    fft_row(p, x, y, -1);
                    for (size_t i = 0; i < 2 * Q; i++) x[i] *= scale;
                }
            }
        }
        free(y);
    }
}

void rp_fft_forward(const rp_fft_plan *p, double *z, const uint8_t *need_k1,
                    const uint8_t *live_n1, int n_threads) {
    row_stage(p, z, 1, live_n1, n_threads);
    column_stage(p, z, 1, need_k1, live_n1, n_threads);
}

void rp_fft_inverse(const rp_fft_plan *p, double *z, const uint8_t *nonzero_k1, int n_threads) {
    column_stage(p, z, -1, nonzero_k1, NULL, n_threads);
    row_stage(p, z, -1, NULL, n_threads);
}
