/* NaN-ignoring median of a stack of planes; see stack.h. */
#include "stack.h"

#include <math.h>
#include <stdlib.h>

#ifdef _OPENMP
#include <omp.h>
#endif

static int cmp_float(const void *a, const void *b) {
    const float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static float median_of(float *v, int k) {
    if (k <= 32) {
        for (int i = 1; i < k; i++) {
            const float t = v[i];
            int j = i - 1;
            while (j >= 0 && v[j] > t) {
                v[j + 1] = v[j];
                j--;
            }
            v[j + 1] = t;
        }
    } else {
        qsort(v, (size_t)k, sizeof(float), cmp_float);
    }
    if (k & 1) return v[k / 2];
    return (v[k / 2 - 1] + v[k / 2]) / 2.0f;
}

int jw_median_stack(const float *const *planes, int n, size_t npix, float *out, int n_threads) {
    if (n < 1 || planes == NULL || out == NULL) return JW_ERR_ARG;
    int status = JW_OK;
    const int nt = n_threads > 0 ? n_threads : 1;
#pragma omp parallel num_threads(nt) reduction(| : status)
    {
        float *buf = malloc((size_t)n * sizeof(float));
        if (buf == NULL) {
            status |= JW_ERR_ALLOC;
        } else {
#pragma omp for schedule(static)
            for (ptrdiff_t p = 0; p < (ptrdiff_t)npix; p++) {
                int k = 0;
                for (int i = 0; i < n; i++) {
                    const float v = planes[i][p];
                    if (!isnan(v)) buf[k++] = v;
                }
                out[p] = k ? median_of(buf, k) : NAN;
            }
            free(buf);
        }
    }
    return status;
}
