/* Blot: interpolate a (drizzled) image back onto the pixels of an input frame; see drizzle.h.
 *
 * As in drizzle 2.2.0, positions are taken in single precision and the interpolants are
 * evaluated in float: nearest neighbour, bilinear, and the cubic and quintic polynomials of
 * Everett's central-difference formula (IRAF's ii_bipoly3/ii_bipoly5), which need a 4x4 or
 * 6x6 neighbourhood; beyond the image edges that neighbourhood is filled by point
 * reflection about the edge pixel (f(-k) = 2 f(0) - f(k)).
 */
#include "drizzle.h"

#include <math.h>

#ifdef _OPENMP
#include <omp.h>
#endif

static inline ptrdiff_t reflect_index(ptrdiff_t k, ptrdiff_t n) {
    if (k < 0) k = -k;
    if (k > n - 1) k = 2 * (n - 1) - k;
    return k < 0 ? 0 : (k > n - 1 ? n - 1 : k);
}

/* Value of the image extended by point reflection about its edge pixels. */
static inline float reflected(const float *d, ptrdiff_t ny, ptrdiff_t nx, ptrdiff_t i,
                              ptrdiff_t j) {
    if (j < 0 || j >= ny) {
        const ptrdiff_t je = j < 0 ? 0 : ny - 1;
        return 2.0f * reflected(d, ny, nx, i, je) - reflected(d, ny, nx, i, reflect_index(j, ny));
    }
    if (i < 0 || i >= nx) {
        const ptrdiff_t ie = i < 0 ? 0 : nx - 1;
        return 2.0f * d[j * nx + ie] - d[j * nx + reflect_index(i, nx)];
    }
    return d[j * nx + i];
}

static float interp_linear(const float *d, ptrdiff_t ny, ptrdiff_t nx, float x, float y) {
    const ptrdiff_t ix = (ptrdiff_t)x, iy = (ptrdiff_t)y;
    const float f00 = d[iy * nx + ix];
    if (ix == nx - 1) {
        if (iy == ny - 1) return f00;
        const float sy = y - (float)iy;
        return (1.0f - sy) * f00 + sy * d[(iy + 1) * nx + ix];
    }
    if (iy == ny - 1) {
        const float sx = x - (float)ix;
        return (1.0f - sx) * f00 + sx * d[iy * nx + ix + 1];
    }
    const float sx = x - (float)ix, tx = 1.0f - sx, sy = y - (float)iy, ty = 1.0f - sy;
    return tx * ty * f00 + sx * ty * d[iy * nx + ix + 1] + sy * tx * d[(iy + 1) * nx + ix] +
           sx * sy * d[(iy + 1) * nx + ix + 1];
}

/* Everett's cubic between c[1] and c[2] (c holds offsets -1..2) at fraction s. */
static inline float everett3(const float *c, float s) {
    const float t = 1.0f - s;
    const float cd20 = 1.0f / 6.0f * (c[2] - 2.0f * c[1] + c[0]);
    const float cd21 = 1.0f / 6.0f * (c[3] - 2.0f * c[2] + c[1]);
    return s * (c[2] + (s * s - 1.0f) * cd21) + t * (c[1] + (t * t - 1.0f) * cd20);
}

/* Everett's quintic between c[2] and c[3] (c holds offsets -2..3) at fraction s. */
static inline float everett5(const float *c, float s) {
    const float t = 1.0f - s, s2 = s * s, t2 = t * t;
    const float cd20 = 1.0f / 6.0f * (c[3] - 2.0f * c[2] + c[1]);
    const float cd21 = 1.0f / 6.0f * (c[4] - 2.0f * c[3] + c[2]);
    const float cd40 =
        1.0f / 120.0f * (c[0] - 4.0f * c[1] + 6.0f * c[2] - 4.0f * c[3] + c[4]);
    const float cd41 =
        1.0f / 120.0f * (c[1] - 4.0f * c[2] + 6.0f * c[3] - 4.0f * c[4] + c[5]);
    return s * (c[3] + (s2 - 1.0f) * (cd21 + (s2 - 4.0f) * cd41)) +
           t * (c[2] + (t2 - 1.0f) * (cd20 + (t2 - 4.0f) * cd40));
}

/* Polynomial interpolation of order 3 (half = 1) or 5 (half = 2). */
static float interp_poly(const float *d, ptrdiff_t ny, ptrdiff_t nx, float x, float y, int half) {
    const ptrdiff_t ix = (ptrdiff_t)x, iy = (ptrdiff_t)y;
    const int n = 2 * half + 2;
    /* the fractions as drizzle forms them: offset into the neighbourhood, then split */
    const float xv = (float)(half + 1) + (x - (float)ix), yv = (float)(half + 1) + (y - (float)iy);
    const float sx = xv - (float)(half + 1), sy = yv - (float)(half + 1);
    float z[6], c[6];
    for (int r = 0; r < n; r++) {
        const ptrdiff_t jj = iy - half + r;
        for (int k = 0; k < n; k++) c[k] = reflected(d, ny, nx, ix - half + k, jj);
        z[r] = half == 1 ? everett3(c, sx) : everett5(c, sx);
    }
    return half == 1 ? everett3(z, sy) : everett5(z, sy);
}

int jw_blot(const float *data, ptrdiff_t ny, ptrdiff_t nx, const double *pixmap, float *out,
            ptrdiff_t ony, ptrdiff_t onx, int interp, float iscale, float fillval,
            int n_threads) {
    if (!data || !pixmap || !out || nx < 1 || ny < 1) return JW_DRIZ_ERR_ARG;
    if (interp < JW_INTERP_NEAREST || interp > JW_INTERP_POLY5) return JW_DRIZ_ERR_ARG;
    (void)n_threads;
#ifdef _OPENMP
#pragma omp parallel for num_threads(n_threads > 0 ? n_threads : 1) schedule(static)
#endif
    for (ptrdiff_t j = 0; j < ony; j++) {
        for (ptrdiff_t i = 0; i < onx; i++) {
            const ptrdiff_t k = j * onx + i;
            const float x = (float)pixmap[2 * k], y = (float)pixmap[2 * k + 1];
            if (!(x >= 0.0f && x < (float)nx && y >= 0.0f && y < (float)ny)) {
                out[k] = fillval; /* off the image, or an undefined (NaN) position */
                continue;
            }
            float v;
            switch (interp) {
            case JW_INTERP_NEAREST: {
                /* x + 0.5 may reach nx on the last half pixel: stay on the image */
                ptrdiff_t ix = (ptrdiff_t)(x + 0.5f), iy = (ptrdiff_t)(y + 0.5f);
                ix = ix > nx - 1 ? nx - 1 : ix;
                iy = iy > ny - 1 ? ny - 1 : iy;
                v = data[iy * nx + ix];
                break;
            }
            case JW_INTERP_LINEAR:
                v = interp_linear(data, ny, nx, x, y);
                break;
            case JW_INTERP_POLY3:
                v = interp_poly(data, ny, nx, x, y, 1);
                break;
            default:
                v = interp_poly(data, ny, nx, x, y, 2);
                break;
            }
            out[k] = v * iscale;
        }
    }
    return JW_DRIZ_OK;
}
