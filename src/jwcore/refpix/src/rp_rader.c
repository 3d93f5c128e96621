/* Rader's algorithm on blocks of columns: see rp_rader.h. */
#include "rp_rader.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RP_TWO_PI 6.283185307179586476925286766559

static size_t powmod(size_t b, size_t e, size_t m) {
    size_t r = 1 % m;
    b %= m;
    while (e) {
        if (e & 1) r = r * b % m;
        b = b * b % m;
        e >>= 1;
    }
    return r;
}

static int is_prime(size_t n) {
    if (n < 2) return 0;
    for (size_t d = 2; d * d <= n; d++)
        if (n % d == 0) return 0;
    return 1;
}

static size_t primitive_root(size_t P) {
    const size_t L = P - 1;
    for (size_t g = 2; g < P; g++) {
        int ok = 1;
        size_t n = L;
        for (size_t q = 2; q <= n && ok; q++) {
            if (n % q) continue;
            if (powmod(g, L / q, P) == 1) ok = 0;
            while (n % q == 0) n /= q;
        }
        if (ok) return g;
    }
    return 0;
}

void rp_rader_free(rp_rader *r) {
    free(r->in_row);
    free(r->out_row);
    free(r->vhat[0]);
    free(r->vhat[1]);
    free(r->tw1);
    free(r->cs2);
    free(r->sn2);
    memset(r, 0, sizeof(*r));
}

int rp_rader_init(rp_rader *r, size_t P) {
    memset(r, 0, sizeof(*r));
    if (P < 5 || !is_prime(P)) return 2;
    const size_t L = P - 1;
    size_t L1 = 1;
    while (L % (2 * L1) == 0) L1 *= 2;
    const size_t L2 = L / L1, h2 = (L2 - 1) / 2;
    if (L2 > 64) return 2; /* the odd factor is transformed directly */
    const size_t g = primitive_root(P);
    if (!g) return 2;
    r->P = P;
    r->L = L;
    r->L1 = L1;
    r->L2 = L2;
    r->in_row = (size_t *)malloc(L * sizeof(size_t));
    r->out_row = (size_t *)malloc(L * sizeof(size_t));
    r->vhat[0] = (double *)malloc(2 * L * sizeof(double));
    r->vhat[1] = (double *)malloc(2 * L * sizeof(double));
    r->tw1 = (double *)malloc(2 * L1 * sizeof(double));
    r->cs2 = (double *)malloc((h2 * h2 + 1) * sizeof(double));
    r->sn2 = (double *)malloc((h2 * h2 + 1) * sizeof(double));
    double *v = (double *)malloc(2 * L * sizeof(double));
    if (!r->in_row || !r->out_row || !r->vhat[0] || !r->vhat[1] || !r->tw1 || !r->cs2 ||
        !r->sn2 || !v) {
        free(v);
        rp_rader_free(r);
        return 1;
    }
    /* n = CRT(a, b): n = a mod L1, n = b mod L2; position (a, b) is row a * L2 + b */
    size_t *crt = r->in_row; /* temporarily */
    for (size_t n = 0; n < L; n++) crt[(n % L1) * L2 + n % L2] = n;
    for (size_t pos = 0; pos < L; pos++) {
        const size_t n = crt[pos];
        r->out_row[pos] = powmod(g, (L - n) % L, P); /* g^-n */
    }
    for (size_t pos = 0; pos < L; pos++) r->in_row[pos] = powmod(g, crt[pos], P); /* g^n */
    for (size_t j = 0; j < L1; j++) {
        const double a = RP_TWO_PI * (double)j / (double)L1;
        r->tw1[2 * j] = cos(a);
        r->tw1[2 * j + 1] = -sin(a);
    }
    for (size_t k = 1; k <= h2; k++)
        for (size_t j = 1; j <= h2; j++) {
            const double a = RP_TWO_PI * (double)((j * k) % L2) / (double)L2;
            r->cs2[(k - 1) * h2 + (j - 1)] = cos(a);
            r->sn2[(k - 1) * h2 + (j - 1)] = sin(a);
        }
    /* kernel v(m) = W^(g^-m), W = exp(-sign 2 pi i / P), laid out by (m mod L1, m mod L2),
     * transformed by the same 2-D DFT as the data (its outputs indexed (k1, k2)) and / L */
    for (int s = 0; s < 2; s++) {
        const double sign = s == 0 ? 1.0 : -1.0;
        for (size_t m = 0; m < L; m++) {
            const size_t e = powmod(g, (L - m) % L, P);
            const double a = RP_TWO_PI * (double)e / (double)P;
            v[2 * m] = cos(a);
            v[2 * m + 1] = -sign * sin(a);
        }
        for (size_t k1 = 0; k1 < L1; k1++)
            for (size_t k2 = 0; k2 < L2; k2++) {
                double re = 0.0, im = 0.0;
                for (size_t m = 0; m < L; m++) {
                    const size_t ph = ((m % L1) * k1 % L1) * L2 + ((m % L2) * k2 % L2) * L1;
                    const double a = RP_TWO_PI * (double)ph / (double)L;
                    const double c = cos(a), sn = -sin(a);
                    re += v[2 * m] * c - v[2 * m + 1] * sn;
                    im += v[2 * m] * sn + v[2 * m + 1] * c;
                }
                r->vhat[s][2 * (k1 * L2 + k2)] = re / (double)L;
                r->vhat[s][2 * (k1 * L2 + k2) + 1] = im / (double)L;
            }
    }
    free(v);
    return 0;
}

size_t rp_rader_scratch(const rp_rader *r, size_t w) { return (r->L + r->L2 + 3) * 2 * w; }

static inline void cmul_row(double *restrict x, double wr, double wi, size_t n2) {
    for (size_t i = 0; i < n2; i += 2) {
        const double a = x[i], b = x[i + 1];
        x[i] = a * wr - b * wi;
        x[i + 1] = a * wi + b * wr;
    }
}

static size_t bitrev(size_t x, size_t n) {
    size_t y = 0;
    for (size_t m = n >> 1; m; m >>= 1, x >>= 1) y = (y << 1) | (x & 1);
    return y;
}

/* Radix-2 transforms of the L1 rows (a * L2 + b), a = 0..L1-1, for one b:
 * forward decimation in frequency (natural in, bit-reversed out), inverse decimation in
 * time (bit-reversed in, natural out).  (Separate add and twiddle passes vectorise better
 * than a fused one on interleaved complex rows.) */
static void pow2_rows(const rp_rader *r, double *W, size_t b, size_t n2, int inverse) {
    const size_t L1 = r->L1, L2 = r->L2;
    size_t len = inverse ? 2 : L1;
    while (inverse ? len <= L1 : len >= 2) {
        const size_t half = len / 2;
        for (size_t st = 0; st < L1; st += len)
            for (size_t j = 0; j < half; j++) {
                double *restrict u = W + ((st + j) * L2 + b) * n2;
                double *restrict v = W + ((st + j + half) * L2 + b) * n2;
                const double wr = r->tw1[2 * j * (L1 / len)];
                const double wi = (inverse ? -1.0 : 1.0) * r->tw1[2 * j * (L1 / len) + 1];
                if (inverse && j) cmul_row(v, wr, wi, n2);
                for (size_t i = 0; i < n2; i++) {
                    const double sm = u[i] + v[i], df = u[i] - v[i];
                    u[i] = sm;
                    v[i] = df;
                }
                if (!inverse && j) cmul_row(v, wr, wi, n2);
            }
        len = inverse ? len * 2 : len / 2;
    }
}

/* Direct DFT of the L2 rows (a * L2 + b), b = 0..L2-1, for one a, with the k <-> L2-k
 * symmetry; T is scratch of L2 + 2 rows.  sign +1 forward, -1 inverse. */
static void odd_rows(const rp_rader *r, double *W, size_t a, size_t n2, int sign, double *T) {
    const size_t L2 = r->L2, h = (L2 - 1) / 2;
    double *x = W + a * L2 * n2;
    double *sum = T + L2 * n2, *dif = T + (L2 + 1) * n2; /* reused per k */
    /* T rows 1..h: sums x_j + x_{L2-j}; rows h+1..2h: differences */
    for (size_t j = 1; j <= h; j++) {
        const double *u = x + j * n2, *v = x + (L2 - j) * n2;
        double *s = T + j * n2, *d = T + (h + j) * n2;
        for (size_t i = 0; i < n2; i++) {
            s[i] = u[i] + v[i];
            d[i] = u[i] - v[i];
        }
    }
    memcpy(T, x, n2 * sizeof(double)); /* x_0, as x row 0 is overwritten first */
    for (size_t k = 1; k <= h; k++) {
        memset(sum, 0, 2 * n2 * sizeof(double));
        for (size_t j = 1; j <= h; j++) {
            const double c = r->cs2[(k - 1) * h + (j - 1)], sn = r->sn2[(k - 1) * h + (j - 1)];
            const double *s = T + j * n2, *d = T + (h + j) * n2;
            for (size_t i = 0; i < n2; i++) {
                sum[i] += c * s[i];
                dif[i] += sn * d[i];
            }
        }
        double *xk = x + k * n2, *xm = x + (L2 - k) * n2;
        for (size_t i = 0; i < n2; i += 2) {
            const double ar = T[i] + sum[i], ai = T[i + 1] + sum[i + 1];
            const double br = dif[i], bi = dif[i + 1];
            xk[i] = ar + sign * bi;
            xk[i + 1] = ai - sign * br;
            xm[i] = ar - sign * bi;
            xm[i + 1] = ai + sign * br;
        }
    }
    for (size_t j = 1; j <= h; j++) {
        const double *s = T + j * n2;
        for (size_t i = 0; i < n2; i++) x[i] += s[i];
    }
}

void rp_rader_block(const rp_rader *r, const double *S, double *out, size_t w, int sign,
                    double *scratch) {
    const size_t P = r->P, L = r->L, L1 = r->L1, L2 = r->L2, n2 = 2 * w;
    double *W = scratch, *T = scratch + L * n2;
    /* X(0): the sum of all rows */
    double *x0 = out; /* row 0 of the output */
    memcpy(x0, S, n2 * sizeof(double));
    for (size_t n = 1; n < P; n++) {
        const double *s = S + n * n2;
        for (size_t i = 0; i < n2; i++) x0[i] += s[i];
    }
    for (size_t pos = 0; pos < L; pos++)
        memcpy(W + pos * n2, S + r->in_row[pos] * n2, n2 * sizeof(double));
    for (size_t b = 0; b < L2; b++) pow2_rows(r, W, b, n2, 0);
    for (size_t a = 0; a < L1; a++) odd_rows(r, W, a, n2, 1, T);
    /* W(a, b) holds frequency (bitrev(a), b): multiply by the transformed kernel */
    const double *vh = r->vhat[sign > 0 ? 0 : 1];
    for (size_t a = 0; a < L1; a++) {
        const size_t k1 = bitrev(a, L1);
        for (size_t b = 0; b < L2; b++) {
            const double *v = vh + 2 * (k1 * L2 + b);
            cmul_row(W + (a * L2 + b) * n2, v[0], v[1], n2);
        }
    }
    for (size_t a = 0; a < L1; a++) odd_rows(r, W, a, n2, -1, T);
    for (size_t b = 0; b < L2; b++) pow2_rows(r, W, b, n2, 1);
    for (size_t pos = 0; pos < L; pos++) {
        double *o = out + r->out_row[pos] * n2;
        const double *c = W + pos * n2;
        for (size_t i = 0; i < n2; i++) o[i] = S[i] + c[i];
    }
}
