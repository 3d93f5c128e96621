/* Order statistics: see select.h. */
#include "select.h"

#include <math.h>

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
