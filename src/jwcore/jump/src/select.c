/* Order statistics: see select.h. */
#include "select.h"

#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

/* Wirth's selection (Algorithms + Data Structures = Programs, 1976): partition around a[k]
 * until the window [lo, hi] shrinks onto position k.  Linear time on average, in place, and
 * the exact swap sequence astropy's sigma clipping uses, so buffers end up in the same order. */
double jw_kth_smallest(double *a, int n, int k) {
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        const double pivot = a[k];
        int i = lo, j = hi;
        do {
            while (a[i] < pivot) i++;
            while (pivot < a[j]) j--;
            if (i <= j) {
                const double t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        } while (i <= j);
        if (j < k) lo = i;
        if (k < i) hi = j;
    }
    return a[k];
}

static float kth_smallest_f(float *a, int n, int k) {
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        const float pivot = a[k];
        int i = lo, j = hi;
        do {
            while (a[i] < pivot) i++;
            while (pivot < a[j]) j--;
            if (i <= j) {
                const float t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        } while (i <= j);
        if (j < k) lo = i;
        if (k < i) hi = j;
    }
    return a[k];
}

double jw_median(double *a, int n) {
    if (n <= 0) return NAN;
    const int k = n / 2;
    const double upper = jw_kth_smallest(a, n, k);
    if (n & 1) return upper;
    /* after the selection a[0..k-1] <= a[k]: the lower middle value is their maximum */
    double lower = a[0];
    for (int i = 1; i < k; i++)
        if (a[i] > lower) lower = a[i];
    return (lower + upper) / 2.0;
}

float jw_median_f(float *a, int n) {
    if (n <= 0) return NAN;
    const int k = n / 2;
    const float upper = kth_smallest_f(a, n, k);
    if (n & 1) return upper;
    float lower = a[0];
    for (int i = 1; i < k; i++)
        if (a[i] > lower) lower = a[i];
    const float s = lower + upper;
    return s / 2.0f;
}

double jw_wirth_median(double *a, int n) {
    if (n % 2 == 0) {
        const double upper = jw_kth_smallest(a, n, n / 2);
        const double lower = jw_kth_smallest(a, n, n / 2 - 1);
        return 0.5 * (upper + lower);
    }
    return jw_kth_smallest(a, n, (n - 1) / 2);
}

void jw_sigclip_bounds(double *buf, int n, double sigma, int maxiters, double *lo, double *hi) {
    if (n <= 0) {
        *lo = *hi = NAN;
        return;
    }
    int count = n, iteration = 0;
    for (;;) {
        const double med = jw_wirth_median(buf, count);
        double mean = 0.0;
        for (int i = 0; i < count; i++) mean += buf[i];
        mean /= count;
        double var = 0.0;
        for (int i = 0; i < count; i++) var += (buf[i] - mean) * (buf[i] - mean);
        const double std = sqrt(var / count);
        *lo = med - sigma * std;
        *hi = med + sigma * std;
        int kept = 0;
        for (int i = 0; i < count; i++)
            if (buf[i] >= *lo && buf[i] <= *hi) buf[kept++] = buf[i];
        if (kept == count || kept == 0) return;
        count = kept;
        if (++iteration >= maxiters && maxiters >= 0) return;
    }
}

/* Keys whose unsigned order is the order of the float values (-0 just below +0); NaNs
 * (exponent all ones, fraction not zero) are told apart before. */
static inline uint32_t f32_key(uint32_t u) {
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

static inline float key_f32(uint32_t k) {
    const uint32_t u = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline int f32_isnan_bits(uint32_t u) {
    return (u & 0x7fffffffu) > 0x7f800000u;
}

/* The bin holding rank r (0-based) of a histogram of nb bins; *below: count under it. */
static size_t rank_bin(const size_t *h, size_t nb, size_t r, size_t *below) {
    size_t acc = 0;
    for (size_t b = 0; b < nb; b++) {
        if (acc + h[b] > r) {
            *below = acc;
            return b;
        }
        acc += h[b];
    }
    *below = acc;
    return nb - 1;
}

#define NM_BINS 65536u
/* Histogram copies counted into in turn: values of an image cluster in a few bins, and
 * increments of one counter would wait for each other. */
#define NM_WAYS 4

/* Add the counts of a thread's histograms (NM_WAYS copies of NM_BINS) to h. */
static void merge_hist(size_t *h, const uint32_t *t) {
    for (size_t b = 0; b < NM_BINS; b++) {
        size_t s = 0;
        for (int w = 0; w < NM_WAYS; w++) s += t[(size_t)w * NM_BINS + b];
        h[b] += s;
    }
}

/* Histogram of 16 bits of the keys of the values bits[i0..i1) that are not NaN: the upper
 * bits (top == NULL), else the lower bits of the keys whose upper bits are *top. */
static void key_hist(const uint32_t *bits, size_t i0, size_t i1, const uint32_t *top,
                     uint32_t *t) {
    size_t i = i0;
    if (!top) {
        for (; i + NM_WAYS <= i1; i += NM_WAYS)
            for (int w = 0; w < NM_WAYS; w++) {
                const uint32_t u = bits[i + (size_t)w];
                t[(size_t)w * NM_BINS + (f32_key(u) >> 16)] += !f32_isnan_bits(u);
            }
        for (; i < i1; i++) t[f32_key(bits[i]) >> 16] += !f32_isnan_bits(bits[i]);
    } else {
        /* only the values of the bin are counted (a branch: the other values, usually
         * most, then touch no counter) */
        const uint32_t b = *top;
        for (; i + NM_WAYS <= i1; i += NM_WAYS)
            for (int w = 0; w < NM_WAYS; w++) {
                const uint32_t u = bits[i + (size_t)w], k = f32_key(u);
                if ((k >> 16) == b && !f32_isnan_bits(u)) t[(size_t)w * NM_BINS + (k & 0xffffu)]++;
            }
        for (; i < i1; i++) {
            const uint32_t k = f32_key(bits[i]);
            if ((k >> 16) == b && !f32_isnan_bits(bits[i])) t[k & 0xffffu]++;
        }
    }
}

/* One histogram pass over the image by nt threads, each counting a slice into its own
 * copies (counts are exact: the merge order does not matter).  Returns the number of
 * threads that could not allocate them. */
static int hist_pass(const uint32_t *bits, size_t n, int nt, const uint32_t *top, size_t *h) {
    int err = 0;
    (void)nt;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) reduction(+ : err)
#endif
    {
        uint32_t *t = (uint32_t *)calloc((size_t)NM_WAYS * NM_BINS, sizeof(uint32_t));
        int me = 0, cnt = 1;
#ifdef _OPENMP
        me = omp_get_thread_num();
        cnt = omp_get_num_threads();
#endif
        if (!t) {
            err++;
        } else {
            /* slices of at most 2^31 values, so that the 32-bit counts cannot overflow */
            const size_t per = (n + (size_t)cnt - 1) / (size_t)cnt;
            const size_t i0 = per * (size_t)me, i1 = i0 + per < n ? i0 + per : n;
            for (size_t j = i0; j < i1; j += (size_t)1 << 31) {
                const size_t j1 = j + ((size_t)1 << 31) < i1 ? j + ((size_t)1 << 31) : i1;
                key_hist(bits, j, j1, top, t);
                if (j1 < i1) {
#ifdef _OPENMP
#pragma omp critical(jw_nanmedian)
#endif
                    merge_hist(h, t);
                    memset(t, 0, (size_t)NM_WAYS * NM_BINS * sizeof(uint32_t));
                }
            }
#ifdef _OPENMP
#pragma omp critical(jw_nanmedian)
#endif
            merge_hist(h, t);
            free(t);
        }
    }
    return err;
}

int jw_nanmedian_f32(const float *a, size_t n, int n_threads, float *out) {
    const uint32_t *bits = (const uint32_t *)(const void *)a;
    const int nt = n_threads > 0 ? n_threads : 1;
    size_t *hi = (size_t *)calloc(NM_BINS, sizeof(size_t));
    size_t *lo = (size_t *)calloc(2 * NM_BINS, sizeof(size_t));
    if (!hi || !lo || hist_pass(bits, n, nt, NULL, hi)) {
        free(hi);
        free(lo);
        return 1;
    }
    size_t count = 0;
    for (size_t b = 0; b < NM_BINS; b++) count += hi[b];
    if (count == 0) {
        free(hi);
        free(lo);
        *out = NAN;
        return 0;
    }
    /* ranks of the middle value(s), and the upper bins that hold them */
    const size_t r1 = (count - 1) / 2, r2 = count / 2;
    size_t below1, below2;
    const uint32_t b1 = (uint32_t)rank_bin(hi, NM_BINS, r1, &below1);
    const uint32_t b2 = (uint32_t)rank_bin(hi, NM_BINS, r2, &below2);
    /* histograms of the lower bits within those bins */
    int err = hist_pass(bits, n, nt, &b1, lo);
    if (!err && b2 != b1) err = hist_pass(bits, n, nt, &b2, lo + NM_BINS);
    if (err) {
        free(hi);
        free(lo);
        return 1;
    }
    size_t dummy;
    const uint32_t k1 = (b1 << 16) | (uint32_t)rank_bin(lo, NM_BINS, r1 - below1, &dummy);
    const uint32_t k2 =
        (b2 << 16) |
        (uint32_t)rank_bin(b2 == b1 ? lo : lo + NM_BINS, NM_BINS, r2 - below2, &dummy);
    free(hi);
    free(lo);
    const float v1 = key_f32(k1), v2 = key_f32(k2);
    if (r1 == r2) {
        *out = v2;
    } else {
        /* numpy: the mean of the two, summed and divided in float32 */
        const float s = v1 + v2;
        *out = s / 2.0f;
    }
    return 0;
}
