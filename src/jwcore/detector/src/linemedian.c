/* Masked line medians: see linemedian.h.  Selection (not sorting) keeps each line O(n). */
#include "linemedian.h"

#include <math.h>
#include <stdlib.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* k-th smallest of v[0..n) (0-based), by quickselect with median-of-three pivots; v is
 * permuted. */
static float select_kth(float *v, size_t n, size_t k) {
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        const size_t mid = lo + (hi - lo) / 2;
        float a = v[lo], b = v[mid], c = v[hi];
        float pivot = (a < b) ? ((b < c) ? b : ((a < c) ? c : a)) : ((a < c) ? a : ((b < c) ? c : b));
        size_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot) i++;
            while (v[j] > pivot) j--;
            if (i <= j) {
                const float t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                if (j == 0) break;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return v[k];
    }
    return v[k];
}

static float line_median(float *buf, size_t n, int has_nan, float fill_value) {
    if (n == 0) return fill_value;
    if (has_nan) return NAN;
    const size_t h = n / 2;
    if (n % 2) return select_kth(buf, n, h);
    const float hi = select_kth(buf, n, h);
    /* after selecting h, the largest of buf[0..h) is the lower middle value */
    float lo = buf[0];
    for (size_t i = 1; i < h; i++)
        if (buf[i] > lo) lo = buf[i];
    return (lo + hi) / 2.0f;
}

int jw_masked_line_medians(const float *img, const uint8_t *use, size_t ny, size_t nx,
                           int axis, float fill_value, float *out, int n_threads) {
    if (!img || !use || !out || (axis != 0 && axis != 1)) return JW_ERR_ARG;
    const size_t nlines = axis == 1 ? ny : nx, len = axis == 1 ? nx : ny;
    const size_t step = axis == 1 ? 1 : nx, stride = axis == 1 ? nx : 1;
    const int nt = n_threads > 0 ? n_threads : 1;
    (void)nt;
    int status = 0;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) reduction(| : status)
#endif
    {
        float *buf = (float *)malloc((len ? len : 1) * sizeof(float));
        if (!buf) status |= 1;
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
        for (size_t l = 0; l < nlines; l++) {
            if (!buf) continue;
            size_t n = 0;
            int has_nan = 0;
            for (size_t i = 0; i < len; i++) {
                const size_t p = l * stride + i * step;
                if (!use[p]) continue;
                const float v = img[p];
                if (isnan(v)) has_nan = 1;
                buf[n++] = v;
            }
            out[l] = line_median(buf, n, has_nan, fill_value);
        }
        free(buf);
    }
    return status ? JW_ERR_ALLOC : JW_OK;
}
