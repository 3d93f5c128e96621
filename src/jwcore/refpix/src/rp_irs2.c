/* NIRSpec IRS2 reference correction: see rp_irs2.h. */
#include "rp_irs2.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rp_fft.h"
#include "rp_stats.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* detector rows handled together, so that transposed planes are read in runs */
#define TILE 16

typedef struct {
    const rp_irs2_plan *p;
    rp_fft_plan fft;
    size_t N, per_row;
    double tmean;     /* mean of the sample times 0..N-1 */
    double *b;        /* [ny * nx] ramp mean of every input sample */
    float *line;      /* [ngroups][5][2] intercept and slope of each output's time drift */
    int64_t *off;     /* [5][row] plane offset of the sample at each time, -1 in gaps */
    int64_t *lay;     /* [row] layout index of time position c' in detector row 0 */
    float *t0[2];     /* [N] reference output of the two groups of a pair, time order */
    double *zf, *zs;  /* [2N] complex work */
    uint8_t *r0_rows; /* [P] time rows of the layout holding spread reference samples */
    int nt;
} irs2_work;

static void work_free(irs2_work *w) {
    rp_fft_free(&w->fft);
    free(w->b);
    free(w->line);
    free(w->off);
    free(w->lay);
    free(w->t0[0]);
    free(w->t0[1]);
    free(w->zf);
    free(w->zs);
    free(w->r0_rows);
}

static int work_init(irs2_work *w, const rp_irs2_plan *p, size_t ngroups, int n_threads) {
    memset(w, 0, sizeof(*w));
    w->p = p;
    w->nt = n_threads > 0 ? n_threads : 1;
    const size_t N = p->row * p->nr;
    size_t P = N, Q = 1;
    while (P % 2 == 0) {
        P /= 2;
        Q *= 2;
    }
    if (p->row % P != 0) return 2; /* the layout below needs P | row */
    int code = rp_fft_init(&w->fft, P, Q);
    if (code) return code;
    w->N = N;
    w->per_row = p->row / P;
    w->tmean = ((double)N - 1.0) / 2.0;
    w->b = (double *)malloc(p->ny * p->nx * sizeof(double));
    w->line = (float *)malloc(ngroups * 10 * sizeof(float) + 1);
    w->off = (int64_t *)malloc(5 * p->row * sizeof(int64_t));
    w->lay = (int64_t *)malloc(p->row * sizeof(int64_t));
    w->t0[0] = (float *)malloc(N * sizeof(float));
    w->t0[1] = (float *)malloc(N * sizeof(float));
    w->zf = (double *)malloc(2 * N * sizeof(double));
    w->zs = (double *)malloc(2 * N * sizeof(double));
    w->r0_rows = (uint8_t *)calloc(P, 1);
    if (!w->b || !w->line || !w->off || !w->lay || !w->t0[0] || !w->t0[1] || !w->zf || !w->zs ||
        !w->r0_rows)
        return 1;
    /* about a third of the layout rows never receive a reference sample: their FFTs are
     * skipped */
    for (size_t i = 0; i < p->n_hs; i++) w->r0_rows[(size_t)p->ht[i] % P] = 1;
    for (size_t s = 0; s < 5; s++) {
        for (size_t c = 0; c < p->row; c++) w->off[s * p->row + c] = -1;
        for (size_t u = 0; u < p->sector; u++)
            w->off[s * p->row + (size_t)p->tpos[u]] = p->col_off[p->src_col[s * p->sector + u]];
    }
    for (size_t c = 0; c < p->row; c++) w->lay[c] = (int64_t)((c % P) * Q + c / P);
    return 0;
}

/* Sample minus its ramp mean, stored as float32 as the official code does in place. */
static inline float sample(const irs2_work *w, const float *g, size_t r, size_t s, size_t c) {
    const int64_t o = w->off[s * w->p->row + c];
    if (o < 0) return 0.0f;
    const int64_t i = w->p->row_off[r] + o;
    return (float)((double)g[i] - w->b[i]);
}

static inline float time_of(const irs2_work *w, size_t r, size_t c) {
    return (float)((double)(r * w->p->row + c) - w->tmean);
}

/* The sample after removal of its output's straight line in time (non-zero samples only). */
static inline float detrended(const irs2_work *w, const float *g, const float *ln, size_t r,
                              size_t s, size_t c) {
    const float v = sample(w, g, r, s, c);
    if (v == 0.0f) return v;
    const float fit = ln[2 * s] + time_of(w, r, c) * ln[2 * s + 1];
    return v - fit;
}

static void ramp_mean(irs2_work *w, const float *in, size_t ngroups) {
    const rp_irs2_plan *p = w->p;
    const size_t npix = p->ny * p->nx;
#ifdef _OPENMP
#pragma omp parallel for num_threads(w->nt) schedule(static)
#endif
    for (size_t y = 0; y < p->ny; y++) {
        double *b = w->b + y * p->nx;
        for (size_t x = 0; x < p->nx; x++) b[x] = 0.0;
        for (size_t g = 0; g < ngroups; g++) {
            const float *a = in + g * npix + y * p->nx;
            for (size_t x = 0; x < p->nx; x++) b[x] += (double)a[x];
        }
        for (size_t x = 0; x < p->nx; x++) b[x] /= (double)ngroups;
    }
}

/* Least-squares line through the non-zero samples of detector rows 0-3 and nr-4..nr-1, in
 * float32 with NumPy's summation, as the official ols_line computes it. */
static void time_line(const irs2_work *w, const float *g, size_t s, float *xs, float *ys,
                      float *tmp, float *out) {
    const rp_irs2_plan *p = w->p;
    size_t n = 0;
    for (size_t k = 0; k < 8; k++) {
        const size_t r = k < 4 ? k : p->nr - 8 + k;
        for (size_t c = 0; c < p->row; c++) {
            const float v = sample(w, g, r, s, c);
            if (v != 0.0f) {
                xs[n] = time_of(w, r, c);
                ys[n] = v;
                n++;
            }
        }
    }
    if (n == 0) {
        out[0] = out[1] = 0.0f;
        return;
    }
    const float fn = (float)n;
    const float mx = (float)((double)rp_sum_f(xs, n) / (double)n);
    const float my = (float)((double)rp_sum_f(ys, n) / (double)n);
    for (size_t i = 0; i < n; i++) tmp[i] = xs[i] * xs[i];
    const float sxx = rp_sum_f(tmp, n);
    for (size_t i = 0; i < n; i++) tmp[i] = xs[i] * ys[i];
    const float sxy = rp_sum_f(tmp, n);
    /* a float32 scalar squared by numpy goes through powf */
    const float slope = (sxy - fn * mx * my) / (sxx - fn * powf(mx, 2.0f));
    out[0] = my - slope * mx;
    out[1] = slope;
}

/* The reference output of group g in time order into t, with its zeros replaced by the
 * cosine-weighted mean of their neighbours (wrapping around the series). */
static void reference_output(irs2_work *w, const float *g, const float *ln, float *t,
                             double *scratch) {
    const rp_irs2_plan *p = w->p;
    const size_t N = w->N, L = p->wlen, h = L / 2;
#ifdef _OPENMP
#pragma omp parallel for num_threads(w->nt) schedule(static)
#endif
    for (size_t rt = 0; rt < p->nr; rt += TILE)
        for (size_t c = 0; c < p->row; c++)
            for (size_t r = rt; r < rt + TILE && r < p->nr; r++)
                t[r * p->row + c] = detrended(w, g, ln, r, 0, c);
    /* scratch[i] = the interpolated value where t is 0 (computed from the original t) */
#ifdef _OPENMP
#pragma omp parallel for num_threads(w->nt) schedule(static)
#endif
    for (size_t i = 0; i < N; i++) {
        if (t[i] != 0.0f) continue;
        double num = 0.0, den = 0.0;
        /* the series wraps around (mode="wrap"); only the first and last h samples need it */
        const int wraps = i < h || i + h >= N;
        for (size_t k = 0; k < L; k++) {
            const size_t j = wraps ? (i + N + k - h) % N : i + k - h;
            const double wk = (double)p->cos_w[L - 1 - k];
            num += (double)t[j] * wk;
            den += (t[j] != 0.0f) ? wk : 0.0;
        }
        float fnum = (float)num, fden = (float)den;
        if (fden == 0.0f) {
            fnum = 0.0f;
            fden = 1.0f;
        }
        scratch[i] = (double)(fnum / fden);
    }
    for (size_t i = 0; i < N; i++)
        if (t[i] == 0.0f) t[i] = (float)scratch[i];
}

/* n_iter rounds of low-pass filtering of the packed pair (t0[0] + i t0[1]), restoring the
 * normal samples after each; leaves the final series in t0 and in w->zf (layout). */
static void fourier_fill(irs2_work *w) {
    const rp_irs2_plan *p = w->p;
    const size_t Q = w->fft.Q, P = w->fft.P;
    double *z = w->zf;
    for (int it = 0; it < p->n_iter; it++) {
#ifdef _OPENMP
#pragma omp parallel for num_threads(w->nt) schedule(static)
#endif
        for (size_t r = 0; r < p->nr; r++)
            for (size_t c = 0; c < p->row; c++) {
                const size_t i = (size_t)w->lay[c] + r * w->per_row;
                z[2 * i] = (double)w->t0[0][r * p->row + c];
                z[2 * i + 1] = (double)w->t0[1][r * p->row + c];
            }
        rp_fft_forward(&w->fft, z, p->aa_rows, NULL, w->nt);
#ifdef _OPENMP
#pragma omp parallel for num_threads(w->nt) schedule(static)
#endif
        for (size_t k1 = 0; k1 < P; k1++) {
            if (!p->aa_rows[k1]) continue;
            for (size_t k2 = 0; k2 < Q; k2++) {
                const size_t k = k1 * Q + k2;
                z[2 * k] *= p->aa[k];
                z[2 * k + 1] *= p->aa[k];
            }
        }
        rp_fft_inverse(&w->fft, z, p->aa_rows, w->nt);
        /* float32 like the official series; the normal samples are kept as they were */
#ifdef _OPENMP
#pragma omp parallel for num_threads(w->nt) schedule(static)
#endif
        for (size_t r = 0; r < p->nr; r++)
            for (size_t c = 0; c < p->row; c++) {
                if (p->is_norm[c]) continue;
                const size_t i = (size_t)w->lay[c] + r * w->per_row;
                w->t0[0][r * p->row + c] = (float)z[2 * i];
                w->t0[1][r * p->row + c] = (float)z[2 * i + 1];
            }
    }
#ifdef _OPENMP
#pragma omp parallel for num_threads(w->nt) schedule(static)
#endif
    for (size_t r = 0; r < p->nr; r++)
        for (size_t c = 0; c < p->row; c++) {
            const size_t i = (size_t)w->lay[c] + r * w->per_row;
            z[2 * i] = (double)w->t0[0][r * p->row + c];
            z[2 * i + 1] = (double)w->t0[1][r * p->row + c];
        }
    rp_fft_forward(&w->fft, z, NULL, NULL, w->nt);
}

static inline void cmul(double ar, double ai, double br, double bi, double *r, double *i) {
    *r = ar * br - ai * bi;
    *i = ar * bi + ai * br;
}

/* X = beta R + alpha F at frequency f; returns the Hermitian part's value at f. */
static inline void herm_part(const float *al, const float *be, size_t f, size_t m, double rr,
                             double ri, double fr, double fi, double *hr, double *hi) {
    double xr, xi, yr, yi, tr, ti;
    /* at f */
    cmul(be[2 * f], be[2 * f + 1], rr, ri, &xr, &xi);
    cmul(al[2 * f], al[2 * f + 1], fr, fi, &tr, &ti);
    xr += tr;
    xi += ti;
    /* at -f, where R and F are the conjugates */
    cmul(be[2 * m], be[2 * m + 1], rr, -ri, &yr, &yi);
    cmul(al[2 * m], al[2 * m + 1], fr, -fi, &tr, &ti);
    yr += tr;
    yi += ti;
    *hr = 0.5 * (xr + yr);
    *hi = 0.5 * (xi - yi);
}

/* Spectra of two outputs packed in zs, the reference output of group `which` packed in zf:
 * replace zs by H1 + i H2, the Hermitian parts of beta_k R_k + alpha_k F (k = ka, ka + 1). */
static void combine(irs2_work *w, int which, size_t ka) {
    const rp_irs2_plan *p = w->p;
    const size_t N = w->N;
    const float *al1 = p->alpha + 2 * N * ka, *be1 = p->beta + 2 * N * ka;
    const float *al2 = p->alpha + 2 * N * (ka + 1), *be2 = p->beta + 2 * N * (ka + 1);
    double *zs = w->zs;
    const double *zf = w->zf;
#ifdef _OPENMP
#pragma omp parallel for num_threads(w->nt) schedule(static)
#endif
    for (size_t f = 0; f <= N / 2; f++) {
        const size_t m = (N - f) % N;
        const double sfr = zs[2 * f], sfi = zs[2 * f + 1], smr = zs[2 * m], smi = zs[2 * m + 1];
        /* unpack two real signals: X = (Z(f) + conj Z(-f)) / 2, Y = (Z(f) - conj Z(-f)) / 2i */
        const double r1r = 0.5 * (sfr + smr), r1i = 0.5 * (sfi - smi);
        const double r2r = 0.5 * (sfi + smi), r2i = -0.5 * (sfr - smr);
        const double ffr = zf[2 * f], ffi = zf[2 * f + 1], fmr = zf[2 * m], fmi = zf[2 * m + 1];
        double fr, fi;
        if (which == 0) {
            fr = 0.5 * (ffr + fmr);
            fi = 0.5 * (ffi - fmi);
        } else {
            fr = 0.5 * (ffi + fmi);
            fi = -0.5 * (ffr - fmr);
        }
        double h1r, h1i, h2r, h2i;
        herm_part(al1, be1, f, m, r1r, r1i, fr, fi, &h1r, &h1i);
        herm_part(al2, be2, f, m, r2r, r2i, fr, fi, &h2r, &h2i);
        /* H1 + i H2 at f, and its Hermitian mirror at -f */
        zs[2 * f] = h1r - h2i;
        zs[2 * f + 1] = h1i + h2r;
        if (m != f) {
            zs[2 * m] = h1r + h2i;
            zs[2 * m + 1] = -h1i + h2r;
        }
    }
}

static void correct_pair(irs2_work *w, const float *in, float *out, size_t g0, size_t npair) {
    const rp_irs2_plan *p = w->p;
    const size_t npix = p->ny * p->nx, N = w->N, S = p->sector;
    for (size_t q = 0; q < 2; q++) {
        if (q < npair)
            reference_output(w, in + (g0 + q) * npix, w->line + (g0 + q) * 10, w->t0[q], w->zs);
        else
            memset(w->t0[q], 0, N * sizeof(float));
    }
    fourier_fill(w);
    for (size_t q = 0; q < npair; q++) {
        const size_t g = g0 + q;
        const float *gi = in + g * npix;
        const float *ln = w->line + g * 10;
        float *go = out + g * p->out_plane;
        for (size_t ka = 1; ka <= 3; ka += 2) {
            memset(w->zs, 0, 2 * N * sizeof(double));
#ifdef _OPENMP
#pragma omp parallel for num_threads(w->nt) schedule(static)
#endif
            for (size_t rt = 0; rt < p->nr; rt += TILE)
                for (size_t i = 0; i < p->n_hs; i++)
                    for (size_t r = rt; r < rt + TILE && r < p->nr; r++) {
                        const size_t k = (size_t)w->lay[p->ht[i]] + r * w->per_row;
                        const size_t c = (size_t)p->hs[i];
                        w->zs[2 * k] = (double)detrended(w, gi, ln, r, ka, c);
                        w->zs[2 * k + 1] = (double)detrended(w, gi, ln, r, ka + 1, c);
                    }
            rp_fft_forward(&w->fft, w->zs, NULL, w->r0_rows, w->nt);
            combine(w, (int)q, ka - 1);
            rp_fft_inverse(&w->fft, w->zs, NULL, w->nt);
            /* tiles of detector rows: stored rows or columns are then read and written in
             * runs whatever the orientation */
#ifdef _OPENMP
#pragma omp parallel for num_threads(w->nt) schedule(static)
#endif
            for (size_t rt = 0; rt < p->nr; rt += TILE)
                for (size_t s = ka; s <= ka + 1; s++)
                    for (int e = 0; e < p->n_out[s]; e++) {
                        const size_t u = (size_t)p->out_u[s * S + (size_t)e];
                        const size_t c = (size_t)p->tpos[u];
                        const int addb = p->out_addb[s * S + (size_t)e];
                        const int64_t ocol = p->out_col_off[s * S + (size_t)e];
                        const int64_t icol = w->off[s * p->row + c];
                        for (size_t r = rt; r < rt + TILE && r < p->nr; r++) {
                            const size_t k = (size_t)w->lay[c] + r * w->per_row;
                            const float corr = (float)w->zs[2 * k + (s - ka)];
                            float v = detrended(w, gi, ln, r, s, c) - corr;
                            if (addb) v = (float)((double)v + w->b[p->row_off[r] + icol]);
                            go[p->out_row_off[r] + ocol] = v;
                        }
                    }
        }
        /* the reference output itself (kept only with the reference pixels) */
        for (int e = 0; e < p->n_out[0]; e++) {
            const size_t u = (size_t)p->out_u[e];
            const size_t c = (size_t)p->tpos[u];
            for (size_t r = 0; r < p->nr; r++) {
                float v = w->t0[q][r * p->row + c];
                if (p->out_addb[e]) {
                    const int64_t ii = p->row_off[r] + w->off[c];
                    v = (float)((double)v + w->b[ii]);
                }
                go[p->out_row_off[r] + p->out_col_off[e]] = v;
            }
        }
    }
}

int rp_irs2_correct(const rp_irs2_plan *p, const float *in, float *out, size_t ngroups,
                    int n_threads) {
    if (!p || !in || !out || ngroups == 0 || p->nr < 8 || p->wlen == 0) return 2;
    irs2_work w;
    int code = work_init(&w, p, ngroups, n_threads);
    if (code) {
        work_free(&w);
        return code;
    }
    ramp_mean(&w, in, ngroups);
    const size_t nline = 8 * p->row + 1;
    int nerr = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(w.nt) reduction(+ : nerr)
#endif
    {
        float *xs = (float *)malloc(3 * nline * sizeof(float));
        if (!xs) nerr += 1;
#ifdef _OPENMP
#pragma omp for schedule(static) collapse(2)
#endif
        for (size_t g = 0; g < ngroups; g++)
            for (size_t s = 0; s < 5; s++)
                if (xs)
                    time_line(&w, in + g * p->ny * p->nx, s, xs, xs + nline, xs + 2 * nline,
                              w.line + g * 10 + 2 * s);
        free(xs);
    }
    if (nerr) {
        work_free(&w);
        return 1;
    }
    for (size_t g0 = 0; g0 < ngroups; g0 += 2)
        correct_pair(&w, in, out, g0, ngroups - g0 >= 2 ? 2 : 1);
    work_free(&w);
    return 0;
}

void rp_irs2_pair_stats(const float *in, size_t ngroups, size_t ny, size_t nx,
                        const int64_t *rows, size_t npairs, double *mean_absdiff,
                        double *mean, double *std, int n_threads) {
    (void)n_threads;
    (void)ny;
#ifdef _OPENMP
#pragma omp parallel for num_threads(n_threads > 0 ? n_threads : 1) schedule(dynamic, 4)
#endif
    for (size_t i = 0; i < npairs; i++) {
        double sd = 0.0, s = 0.0;
        for (size_t g = 0; g < ngroups; g++) {
            const float *a = in + (g * ny + (size_t)rows[i]) * nx, *b = a + nx;
            for (size_t x = 0; x < nx; x++) {
                sd += fabs((double)b[x] - (double)a[x]);
                s += (double)a[x] + (double)b[x];
            }
        }
        const double n = (double)(ngroups * nx);
        const double m = s / (2 * n);
        double ss = 0.0;
        for (size_t g = 0; g < ngroups; g++) {
            const float *a = in + (g * ny + (size_t)rows[i]) * nx, *b = a + nx;
            for (size_t x = 0; x < nx; x++) {
                const double da = (double)a[x] - m, db = (double)b[x] - m;
                ss += da * da + db * db;
            }
        }
        mean_absdiff[i] = sd / n;
        mean[i] = m;
        std[i] = sqrt(ss / (2 * n));
    }
}
