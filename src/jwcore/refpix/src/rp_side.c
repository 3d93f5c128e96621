/* Side reference pixels: see rp_side.h. */
#include "rp_side.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rp_stats.h"

int rp_side_alloc(rp_side_work *w, const rp_nir_plan *p) {
    memset(w, 0, sizeof(*w));
    const size_t n = p->nrows_det;
    const size_t L = p->smooth_len > 0 ? (size_t)p->smooth_len : 1;
    const size_t nwin = 4 * (L > n ? L : n) + 8;
    const size_t nchan = p->nchan > 0 ? (size_t)p->nchan : 1;
    w->vals = (double *)malloc(8 * n * sizeof(double) + 1);
    w->win_f = (float *)malloc(nwin * sizeof(float));
    w->win_d = (double *)malloc(nwin * sizeof(double));
    w->med = (double *)malloc(4 * n * sizeof(double) + 1);
    w->conv = (double *)malloc(6 * n * sizeof(double) + 1);
    w->signal = (double *)malloc(nchan * n * sizeof(double) + 1);
    if (!w->vals || !w->win_f || !w->win_d || !w->med || !w->conv || !w->signal) {
        rp_side_free(w);
        return 1;
    }
    return 0;
}

void rp_side_free(rp_side_work *w) {
    free(w->vals);
    free(w->win_f);
    free(w->win_d);
    free(w->med);
    free(w->conv);
    free(w->signal);
    memset(w, 0, sizeof(*w));
}

/* The pixels of side s (0 left, 1 right) after the class correction, in the working
 * precision, into vals[nrows][4]. */
static void side_values(const rp_nir_plan *p, const float *plane, int f32, const double *lev_cls,
                        size_t s, double *vals) {
    const size_t n = p->nrows_det;
    for (size_t r = 0; r < n; r++)
        for (size_t j = 0; j < 4; j++) {
            const size_t k = r * 4 + j;
            const int64_t idx = p->side_idx[s * n * 4 + k];
            if (idx < 0) {
                vals[k] = NAN;
                continue;
            }
            const int16_t c = p->side_cls[s * 4 + j];
            const double lev = c >= 0 ? lev_cls[c] : 0.0;
            const double t = (double)plane[idx] - lev;
            vals[k] = f32 ? (double)(float)t : t;
        }
}

/* Row index of a running-median window position, reflected about the first and last rows
 * without repeating them (the official create_reflected). */
static inline size_t reflect(long q, long n) {
    if (q < 0) q = -q;
    if (q >= n) q = 2 * (n - 1) - q;
    if (q < 0) q = 0; /* only for windows longer than the column, refused upstream */
    return (size_t)q;
}

/* A running-median window: its non-NaN values kept sorted, and how many NaN it holds. */
typedef struct {
    double *s;
    size_t n, nnan;
} sorted_win;

static void win_add(sorted_win *w, double v) {
    if (isnan(v)) {
        w->nnan++;
        return;
    }
    size_t i = w->n;
    for (; i > 0 && w->s[i - 1] > v; i--) w->s[i] = w->s[i - 1];
    w->s[i] = v;
    w->n++;
}

/* Remove one value equal to v (the window holds it: it was added before). */
static void win_remove(sorted_win *w, double v) {
    if (isnan(v)) {
        w->nnan--;
        return;
    }
    size_t lo = 0, hi = w->n;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        if (w->s[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(w->s + lo, w->s + lo + 1, (w->n - lo - 1) * sizeof(double));
    w->n--;
}

/* Add (sign > 0) or remove the usable pixels of window position q. */
static void win_row(sorted_win *w, const double *v, const uint8_t *ok, long q, long n, int sign) {
    const size_t rr = reflect(q, n);
    for (size_t j = 0; j < 4; j++) {
        if (!ok[rr * 4 + j]) continue;
        if (sign > 0)
            win_add(w, v[rr * 4 + j]);
        else
            win_remove(w, v[rr * 4 + j]);
    }
}

/* The running median of side s into med[nrows]: the window moves one row at a time, four
 * values leave and four enter a sorted list, which gives the median numpy.median takes of
 * the window's values (the values of a float32 buffer are float32 numbers held in doubles,
 * so the order and the middle values are the same). */
void rp_side_median(const rp_nir_plan *p, const float *plane, int f32, const double *lev_cls,
                    size_t s, rp_side_work *w, double *med) {
    const long n = (long)p->nrows_det;
    const long L = p->smooth_len;
    /* an even length keeps its extent but starts half a window above the row */
    const long b = L / 2;
    double *v = w->vals + s * (size_t)n * 4;
    side_values(p, plane, f32, lev_cls, s, v);
    const uint8_t *ok = p->side_ok + s * (size_t)n * 4;
    sorted_win win = {w->win_d, 0, 0};
    for (long q = -b; q < -b + L; q++) win_row(&win, v, ok, q, n, 1);
    for (long i = 0; i < n; i++) {
        if (i > 0) {
            win_row(&win, v, ok, i - 1 - b, n, -1);
            win_row(&win, v, ok, i - b + L - 1, n, 1);
        }
        if (win.n + win.nnan == 0 || win.nnan)
            med[i] = NAN;
        else if (f32) {
            for (size_t k = 0; k < win.n; k++) w->win_f[k] = (float)win.s[k];
            med[i] = (double)rp_median_sorted_f(w->win_f, win.n);
        } else
            med[i] = rp_median_sorted_d(win.s, win.n);
    }
}

void rp_side_combine(const rp_nir_plan *p, const double *left, const double *right,
                     double *signal) {
    for (size_t i = 0; i < p->nrows_det; i++) {
        const double a = left[i], c = right[i];
        double comb;
        if (isnan(a) && isnan(c))
            comb = 0.0;
        else if (isnan(a))
            comb = c;
        else if (isnan(c))
            comb = a;
        else
            comb = 0.5 * (a + c);
        signal[i] = p->side_gain * comb;
    }
}

/* numpy.convolve(a, k, mode="same") for a kernel no longer than a. */
static void convolve_same(const double *a, size_t n, const double *k, size_t m, double *out) {
    const long c = (long)(m - 1) / 2;
    for (long t = 0; t < (long)n; t++) {
        double s = 0.0;
        for (long j = 0; j < (long)m; j++) {
            const long q = t + c - j;
            if (q >= 0 && q < (long)n) s += a[q] * k[j];
        }
        out[t] = s;
    }
}

/* Per-row mean of one side's 4 columns with outliers zeroed, and the good count / 4. */
static void sirs_side(const double *v, size_t n, double sigreject, double *win, double *mean,
                      double *count4) {
    memcpy(win, v, 4 * n * sizeof(double));
    const double med = rp_median_d(win, 4 * n);
    for (size_t i = 0; i < 4 * n; i++) win[i] = fabs(v[i] - med);
    /* 1.48 x the median absolute deviation estimates sigma for normal noise */
    const double sig = 1.48 * rp_median_d(win, 4 * n);
    const double lim = sigreject * sig;
    for (size_t r = 0; r < n; r++) {
        double s = 0.0;
        int cnt = 0;
        for (size_t j = 0; j < 4; j++) {
            const int good = fabs(v[r * 4 + j] - med) <= lim;
            /* multiply rather than skip: a non-finite outlier still poisons the row */
            s += v[r * 4 + j] * (double)good;
            cnt += good;
        }
        mean[r] = s / 4;
        count4[r] = (double)cnt / 4;
    }
}

static void sirs_signal(const rp_nir_plan *p, rp_side_work *w) {
    const size_t n = p->nrows_det, m = p->klen;
    double *lmean = w->med, *lcnt = w->med + n, *rmean = w->med + 2 * n, *rcnt = w->med + 3 * n;
    sirs_side(w->vals, n, p->sigreject, w->win_d, lmean, lcnt);
    sirs_side(w->vals + 4 * n, n, p->sigreject, w->win_d, rmean, rcnt);
    double *ones = w->conv, *c1 = w->conv + n, *c2 = w->conv + 2 * n, *c3 = w->conv + 3 * n;
    double *c4 = w->conv + 4 * n, *c5 = w->conv + 5 * n;
    for (size_t i = 0; i < n; i++) ones[i] = 1.0;
    for (int ch = 0; ch < p->nchan; ch++) {
        const double *kl = p->kern_left + (size_t)ch * m, *kr = p->kern_right + (size_t)ch * m;
        double *sig = w->signal + (size_t)ch * n;
        /* normalisations stand in for replacing the rejected pixels */
        convolve_same(ones, n, kl, m, c1);
        convolve_same(lcnt, n, kl, m, c2);
        convolve_same(lmean, n, kl, m, c3);
        for (size_t i = 0; i < n; i++) sig[i] = c3[i] * (c1[i] / c2[i]);
        convolve_same(ones, n, kr, m, c1);
        convolve_same(rcnt, n, kr, m, c4);
        convolve_same(rmean, n, kr, m, c5);
        for (size_t i = 0; i < n; i++) sig[i] += c5[i] * (c1[i] / c4[i]);
    }
}

void rp_side_signal(const rp_nir_plan *p, const float *plane, int f32, const double *lev_cls,
                    rp_side_work *w) {
    if (p->side_mode == RP_SIDE_SIRS) {
        /* SIRS works on a float64 copy whatever the buffer precision */
        for (size_t s = 0; s < 2; s++)
            side_values(p, plane, f32, lev_cls, s, w->vals + s * p->nrows_det * 4);
        sirs_signal(p, w);
        return;
    }
    const size_t n = p->nrows_det;
    rp_side_median(p, plane, f32, lev_cls, 0, w, w->med);
    rp_side_median(p, plane, f32, lev_cls, 1, w, w->med + n);
    rp_side_combine(p, w->med, w->med + n, w->signal);
}
