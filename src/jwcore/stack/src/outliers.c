/* The imaging outlier test of jwst 3.0 (stcal's flag_resampled_crs); see stack.h. */
#include "stack.h"

#include <math.h>
#include <stdlib.h>

#ifdef _OPENMP
#include <omp.h>
#endif

static inline float deriv_at(const float *b, ptrdiff_t ny, ptrdiff_t nx, ptrdiff_t y,
                             ptrdiff_t x) {
    const float c = b[y * nx + x];
    if (isnan(c)) return NAN;
    float d = 0.0f, t;
    /* a NaN or infinite difference is skipped, as numpy's putmask on isfinite does */
    if (y > 0 && isfinite(t = fabsf(b[(y - 1) * nx + x] - c)) && t > d) d = t;
    if (y < ny - 1 && isfinite(t = fabsf(b[(y + 1) * nx + x] - c)) && t > d) d = t;
    if (x > 0 && isfinite(t = fabsf(b[y * nx + x - 1] - c)) && t > d) d = t;
    if (x < nx - 1 && isfinite(t = fabsf(b[y * nx + x + 1] - c)) && t > d) d = t;
    return d;
}

static inline float err_or_zero(float e) {
    if (isnan(e)) return 0.0f;
    if (isinf(e)) return e > 0 ? 3.4028234663852886e38f : -3.4028234663852886e38f;
    return e;
}

int jw_flag_outliers(const float *data, const float *err, const float *blot, ptrdiff_t ny,
                     ptrdiff_t nx, float snr1, float snr2, float scale1, float scale2,
                     float backg, uint8_t *mask, int64_t *count, int n_threads) {
    if (ny < 1 || nx < 1 || !data || !err || !blot || !mask) return JW_ERR_ARG;
    const size_t npix = (size_t)ny * (size_t)nx;
    uint8_t *m1 = malloc(npix);
    if (m1 == NULL) return JW_ERR_ALLOC;
    const int nt = n_threads > 0 ? n_threads : 1;
#pragma omp parallel for num_threads(nt) schedule(static)
    for (ptrdiff_t y = 0; y < ny; y++) {
        for (ptrdiff_t x = 0; x < nx; x++) {
            const ptrdiff_t p = y * nx + x;
            const float d = deriv_at(blot, ny, nx, y, x);
            const float diff = fabsf(data[p] - blot[p] - backg);
            const float e = err_or_zero(err[p]);
            const float t1 = scale1 * d + snr1 * e;
            const float t2 = scale2 * d + snr2 * e;
            m1[p] = (uint8_t)((diff > t1) ? 1 : 0);
            mask[p] = (uint8_t)((diff > t2) ? 1 : 0);
        }
    }
    int64_t total = 0;
#pragma omp parallel for num_threads(nt) schedule(static) reduction(+ : total)
    for (ptrdiff_t y = 0; y < ny; y++) {
        const ptrdiff_t y0 = y > 0 ? y - 1 : 0, y1 = y < ny - 1 ? y + 1 : ny - 1;
        for (ptrdiff_t x = 0; x < nx; x++) {
            const ptrdiff_t p = y * nx + x;
            if (!mask[p]) continue;
            const ptrdiff_t x0 = x > 0 ? x - 1 : 0, x1 = x < nx - 1 ? x + 1 : nx - 1;
            int any = 0;
            for (ptrdiff_t j = y0; j <= y1 && !any; j++)
                for (ptrdiff_t i = x0; i <= x1; i++)
                    if (m1[j * nx + i]) {
                        any = 1;
                        break;
                    }
            mask[p] = (uint8_t)any;
            total += any;
        }
    }
    free(m1);
    if (count) *count = total;
    return JW_OK;
}
