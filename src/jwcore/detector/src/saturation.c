/* Saturation and A/D-floor flagging: see saturation.h.
 *
 * The algorithm follows the JWST saturation step: a group at or above the threshold is
 * SATURATED together with every later group; a group at or below zero is AD_FLOOR and
 * DO_NOT_USE; saturation grows to n_grow rings of neighbours.  For frame-averaged groups a
 * group whose diluted value crosses the diluted threshold just before a saturated group is
 * DO_NOT_USE (it holds saturated frames), and group 2 is DO_NOT_USE when the group-1 rate
 * predicts saturation inside group 3 but group 2 has not yet crossed it.
 */
#include "saturation.h"

#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

static inline size_t szmin(size_t a, size_t b) { return a < b ? a : b; }

void jw_dilate_square(const uint8_t *in, uint8_t *out, uint8_t *tmp, size_t ny, size_t nx,
                      int n, int n_threads) {
    const size_t r = (size_t)(n > 0 ? n : 0);
    (void)n_threads;
    /* A square structuring element is separable: a running OR along rows, then columns. */
#ifdef _OPENMP
#pragma omp parallel num_threads(n_threads > 0 ? n_threads : 1)
#endif
    {
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
        for (size_t y = 0; y < ny; y++) {
            const uint8_t *row = in + y * nx;
            uint8_t *trow = tmp + y * nx;
            /* cnt = number of set pixels in the window [x-r, x+r] */
            size_t cnt = 0;
            for (size_t x = 0; x < szmin(r, nx); x++) cnt += row[x] != 0;
            for (size_t x = 0; x < nx; x++) {
                if (x + r < nx) cnt += row[x + r] != 0;
                trow[x] = cnt > 0;
                if (x >= r) cnt -= row[x - r] != 0;
            }
        }
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
        for (size_t x0 = 0; x0 < nx; x0 += 64) {
            /* process a band of 64 columns at a time so that rows are read contiguously */
            const size_t x1 = szmin(nx, x0 + 64);
            uint16_t cnt[64];
            memset(cnt, 0, sizeof(cnt));
            for (size_t y = 0; y < szmin(r, ny); y++)
                for (size_t x = x0; x < x1; x++) cnt[x - x0] += tmp[y * nx + x] != 0;
            for (size_t y = 0; y < ny; y++) {
                if (y + r < ny)
                    for (size_t x = x0; x < x1; x++) cnt[x - x0] += tmp[(y + r) * nx + x] != 0;
                for (size_t x = x0; x < x1; x++) out[y * nx + x] = cnt[x - x0] > 0;
                if (y >= r)
                    for (size_t x = x0; x < x1; x++) cnt[x - x0] -= tmp[(y - r) * nx + x] != 0;
            }
        }
    }
}

/* OR `bit` into dq over the (2r+1) x (2r+1) square around every nonzero pixel of mask:
 * the same as dilating the mask and OR-ing the result in, but it touches only the
 * neighbourhoods of the (few) flagged pixels.  `count` is the number of nonzero pixels;
 * dense masks go through the separable dilation, whose cost does not depend on it. */
static void grow_flag(const uint8_t *mask, size_t count, uint8_t *dq, uint8_t bit,
                      uint8_t *grown, uint8_t *tmp, size_t ny, size_t nx, int n, int nt) {
    const size_t r = (size_t)n, npix = ny * nx;
    if (count == 0) return;
    if (count * (2 * r + 1) > npix / 4) {
        jw_dilate_square(mask, grown, tmp, ny, nx, n, nt);
        for (size_t i = 0; i < npix; i++)
            if (grown[i]) dq[i] |= bit;
        return;
    }
    for (size_t y = 0; y < ny; y++) {
        const uint8_t *m = mask + y * nx;
        const size_t ya = y >= r ? y - r : 0, yb = szmin(ny - 1, y + r);
        size_t x = 0;
        while (x < nx) {
            if (x + 8 <= nx) {
                uint64_t w;
                memcpy(&w, m + x, 8);
                if (!w) {
                    x += 8;
                    continue;
                }
            }
            if (m[x]) {
                const size_t xa = x >= r ? x - r : 0, xb = szmin(nx - 1, x + r);
                for (size_t yy = ya; yy <= yb; yy++)
                    for (size_t xx = xa; xx <= xb; xx++) dq[yy * nx + xx] |= bit;
            }
            x++;
        }
    }
}

int jw_flag_saturation(const float *data, const float *thresh, const uint8_t *nosat,
                       const float *bias, const double *frame_mean, const double *frame_last,
                       const double *frame_count, uint8_t *gdq, float *zframe,
                       size_t ngroups, size_t ny, size_t nx, int n_grow, jw_sat_flags f,
                       int n_threads) {
    if (!data || !thresh || !gdq || ngroups == 0) return JW_ERR_ARG;
    const size_t npix = ny * nx;
    const int nt = n_threads > 0 ? n_threads : 1;
    (void)nt;
    uint8_t *crossed = (uint8_t *)calloc(npix, 1);
    uint8_t *mask = NULL, *grown = NULL, *tmp = NULL;
    if (n_grow > 0 || zframe) mask = (uint8_t *)malloc(npix);
    if (n_grow > 0) {
        grown = (uint8_t *)malloc(npix);
        tmp = (uint8_t *)malloc(npix);
    }
    if (!crossed || ((n_grow > 0 || zframe) && !mask) || (n_grow > 0 && (!grown || !tmp))) {
        free(crossed);
        free(mask);
        free(grown);
        free(tmp);
        return JW_ERR_ALLOC;
    }
    const uint8_t floor_flags = (uint8_t)(f.ad_floor | f.do_not_use);

    /* Forward pass.  Saturation is sticky: once a pixel crosses its threshold every later
     * group is saturated, whatever its value (a cosmic ray can make it drop back).  Only a
     * threshold crossing carries forward; grown neighbours are grown afresh in each group. */
    for (size_t g = 0; g < ngroups; g++) {
        const float *plane = data + g * npix;
        uint8_t *dq = gdq + g * npix;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
        for (size_t i = 0; i < npix; i++) {
            uint8_t v = dq[i];
            if (plane[i] >= thresh[i]) crossed[i] = 1;
            if (crossed[i]) v |= f.saturated;
            if (plane[i] <= 0.0f) v |= floor_flags;
            dq[i] = v;
        }
        if (n_grow > 0) {
            size_t count = 0;
            for (size_t i = 0; i < npix; i++) {
                const uint8_t m = (dq[i] & f.saturated) != 0;
                mask[i] = m;
                count += m;
            }
            grow_flag(mask, count, dq, f.saturated, grown, tmp, ny, nx, n_grow, nt);
        }
    }

    if (frame_mean && frame_last && frame_count) {
        /* Backward pass for frame-averaged groups: the group before the first saturated one
         * may hold saturated frames when its diluted value reaches the diluted threshold. */
        for (size_t gg = ngroups - 1; gg-- > 0;) {
            const double dil = frame_mean[gg] / frame_last[gg];
            if (dil == 1.0) continue;
            const float *plane = data + gg * npix;
            uint8_t *dq = gdq + gg * npix;
            const uint8_t *next = gdq + (gg + 1) * npix;
            uint8_t *flag = n_grow > 0 ? mask : NULL; /* collect, then grow */
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
            for (size_t i = 0; i < npix; i++) {
                const double d = (nosat && nosat[i]) ? 1.0 : dil;
                const int hit = (plane[i] >= (float)(thresh[i] * d)) &&
                                !(dq[i] & (f.saturated | f.do_not_use)) &&
                                (next[i] & f.saturated);
                if (flag)
                    flag[i] = (uint8_t)hit;
                else if (hit)
                    dq[i] |= f.do_not_use;
            }
            if (flag) {
                size_t count = 0;
                for (size_t i = 0; i < npix; i++) count += flag[i];
                grow_flag(flag, count, dq, f.do_not_use, grown, tmp, ny, nx, n_grow, nt);
            }
        }
        if (ngroups > 2) {
            /* Group 2: if the group-1 rate extrapolated to the last frame of group 3 stays
             * under the threshold, yet group 2 rose by more than the room left per frame and
             * group 3 saturated while group 2 did not, group 2 holds saturated frames. */
            const double m0 = frame_mean[0], last2 = frame_last[2], n1 = frame_count[1];
            const float *d0 = data, *d1 = data + npix;
            uint8_t *dq1 = gdq + npix;
            const uint8_t *dq2 = gdq + 2 * npix;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
            for (size_t i = 0; i < npix; i++) {
                const float b = bias ? bias[i] : 0.0f;
                const float s1 = d0[i] - b;
                const float pred = (float)((s1 / m0) * last2) + b;
                const float step = d1[i] - d0[i];
                const float room = (float)((thresh[i] - d0[i]) / n1);
                if (pred < thresh[i] && step > room && (dq2[i] & f.saturated) &&
                    !(dq1[i] & f.saturated))
                    dq1[i] |= f.do_not_use;
            }
        }
    }

    if (zframe) {
        /* The ZEROFRAME gets the same tests; flagged values are zeroed for ramp fitting. */
        uint8_t *zm = mask;
        for (size_t i = 0; i < npix; i++) zm[i] = zframe[i] >= thresh[i];
        if (n_grow > 0) {
            jw_dilate_square(zm, grown, tmp, ny, nx, n_grow, nt);
            memcpy(zm, grown, npix);
        }
        for (size_t i = 0; i < npix; i++)
            if (zm[i] || zframe[i] <= 0.0f) zframe[i] = 0.0f;
    }
    free(crossed);
    free(mask);
    free(grown);
    free(tmp);
    return JW_OK;
}
