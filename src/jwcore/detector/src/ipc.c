/* IPC convolution: see ipc.h.
 *
 * Each output row is accumulated in place, one kernel term at a time over the whole row,
 * so the inner loop is a contiguous multiply-add the compiler vectorises, while every
 * pixel still receives its terms in the JWST order.  A term whose input pixel lies outside
 * the region contributes exactly 0 and is skipped.
 */
#include "ipc.h"

#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

static inline long lmax(long a, long b) { return a > b ? a : b; }
static inline long lmin(long a, long b) { return a < b ? a : b; }

static void add_term(float *restrict out, const float *restrict src, const float *restrict kvec,
                     float k, long snx, long dx) {
    const long xa = lmax(0, -dx), xb = lmin(snx, snx - dx);
    if (kvec) {
        for (long x = xa; x < xb; x++) out[x] += kvec[x] * src[x + dx];
    } else {
        for (long x = xa; x < xb; x++) out[x] += k * src[x + dx];
    }
}

int jw_ipc_convolve(float *plane, size_t ny, size_t nx, size_t y0, size_t y1, size_t x0,
                    size_t x1, const float *kernel, size_t ky, size_t kx, int kernel4d,
                    float *scratch, int n_threads) {
    if (!plane || !kernel || !scratch || ky == 0 || kx == 0) return JW_ERR_ARG;
    if (y0 > y1 || x0 > x1 || y1 > ny || x1 > nx) return JW_ERR_ARG;
    const long sny = (long)(y1 - y0), snx = (long)(x1 - x0);
    if (sny == 0 || snx == 0) return JW_OK;
    const int nt = n_threads > 0 ? n_threads : 1;
    (void)nt;
    for (long y = 0; y < sny; y++)
        memcpy(scratch + y * snx, plane + (y0 + (size_t)y) * nx + x0, (size_t)snx * sizeof(float));
    const long hb = (long)(ky / 2), hl = (long)(kx / 2);
    const size_t mj = ky / 2, mi = kx / 2;
    const size_t kstride = ny * nx;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
    for (long y = 0; y < sny; y++) {
        float *out = plane + (y0 + (size_t)y) * nx + x0;
        memset(out, 0, (size_t)snx * sizeof(float));
        const size_t krow = (y0 + (size_t)y) * nx + x0;
        for (size_t t = 0; t <= ky * kx; t++) {
            size_t j, i;
            long dy, dx;
            if (t < ky * kx) {
                j = t / kx;
                i = t % kx;
                if (j == mj && i == mi) continue;
                dy = (long)(ky - 1 - j) - hb;
                dx = (long)(kx - 1 - i) - hl;
            } else {
                /* The central term, expected to be the largest, comes last.  Its offset
                 * uses the kernel centre, as the JWST step does (this differs from the
                 * general formula for even kernel sizes only). */
                j = mj;
                i = mi;
                dy = (long)mj - hb;
                dx = (long)mi - hl;
            }
            const long yy = y + dy;
            if (yy < 0 || yy >= sny) continue;
            const float *src = scratch + yy * snx;
            const size_t term = j * kx + i;
            if (kernel4d)
                add_term(out, src, kernel + term * kstride + krow, 0.0f, snx, dx);
            else
                add_term(out, src, NULL, kernel[term], snx, dx);
        }
    }
    return JW_OK;
}
