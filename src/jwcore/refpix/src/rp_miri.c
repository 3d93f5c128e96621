/* MIRI reference-pixel correction: see rp_miri.h. */
#include "rp_miri.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rp_stats.h"

#ifdef _OPENMP
#include <omp.h>
#endif

/* Group values relative to the first group, as the official step stores them: float32. */
static inline float rel(float x, float first) { return (float)((double)x - (double)first); }

/* Levels of one group: [amp][parity] (parity 0 = rows 0, 2, ...; 1 = rows 1, 3, ...; with
 * odd_even_rows off only parity 0 is used and holds all rows).  Returns 0 when a level has no
 * usable pixels. */
static int group_levels(const float *g, const float *first, size_t ny, size_t nx,
                        const uint8_t *ref_ok, int odd_even, double siglimit, float *buf,
                        double lev[4][2]) {
    const size_t npar = odd_even ? 2 : 1, step = odd_even ? 2 : 1;
    for (size_t amp = 0; amp < 4; amp++) {
        for (size_t par = 0; par < npar; par++) {
            rp_level side[2];
            for (size_t s = 0; s < 2; s++) {
                const size_t col = s == 0 ? amp : nx - 4 + amp;
                const uint8_t *ok = ref_ok + (s * 4 + amp) * ny;
                size_t n = 0;
                for (size_t r = par; r < ny; r += step)
                    if (ok[r]) buf[n++] = rel(g[r * nx + col], first[r * nx + col]);
                side[s] = rp_clipped_mean_f(buf, n, siglimit, siglimit);
                if (!side[s].valid) return 0;
            }
            lev[amp][par] = rp_avg_level(side[0], side[1]).value;
        }
        if (!odd_even) lev[amp][1] = lev[amp][0];
    }
    return 1;
}

int rp_miri_correct(const float *in, float *out, size_t nints, size_t ngroups, size_t ny,
                    size_t nx, const uint8_t *ref_ok, int odd_even_rows, double siglimit,
                    int n_threads) {
    if (!in || !out || !ref_ok || nx < 8 || ny == 0 || ngroups == 0) return 2;
    const size_t npix = ny * nx, nplanes = nints * ngroups;
    double(*lev)[4][2] = (double(*)[4][2])malloc(nplanes * sizeof(*lev) + 1);
    uint8_t *good = (uint8_t *)calloc(nplanes + 1, 1);
    if (!lev || !good) {
        free(lev);
        free(good);
        return 1;
    }
    const int nt = n_threads > 0 ? n_threads : 1;
    int nerr = 0;
    (void)nt;
    /* Pass 1: the levels of every group from the reference columns only. */
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) reduction(+ : nerr)
#endif
    {
        float *buf = (float *)malloc(ny * sizeof(float) + 1);
        if (!buf) nerr += 1;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 4)
#endif
        for (size_t k = 0; k < nplanes; k++) {
            const size_t i = k / ngroups, g = k % ngroups;
            if (!buf || g == 0) continue;
            const float *first = in + i * ngroups * npix;
            good[k] = (uint8_t)group_levels(in + k * npix, first, ny, nx, ref_ok, odd_even_rows,
                                            siglimit, buf, lev[k]);
        }
        free(buf);
    }
    if (nerr) {
        free(lev);
        free(good);
        return 1;
    }
    /* The official loop stops at the first group without reference pixels and never resumes
     * (its flag is not reset between integrations). */
    int stopped = 0;
    for (size_t k = 0; k < nplanes; k++) {
        if (k % ngroups == 0) continue;
        if (stopped || !good[k]) {
            stopped = 1;
            good[k] = 0;
        }
    }
    /* Pass 2: subtract, planes of later groups first so that in-place calls keep the first
     * group of each integration until its last use. */
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
    for (size_t y = 0; y < ny; y++) {
        for (size_t i = 0; i < nints; i++) {
            const float *first = in + (i * ngroups) * npix + y * nx;
            for (size_t g = ngroups; g-- > 0;) {
                const size_t k = i * ngroups + g;
                const float *a = in + k * npix + y * nx;
                float *b = out + k * npix + y * nx;
                if (g > 0 && good[k]) {
                    const size_t par = y % 2;
                    const double l4[4] = {lev[k][0][par], lev[k][1][par], lev[k][2][par],
                                          lev[k][3][par]};
                    for (size_t x = 0; x < nx; x++) {
                        const float d = (float)((double)rel(a[x], first[x]) - l4[x % 4]);
                        b[x] = (float)((double)d + (double)first[x]);
                    }
                } else {
                    /* subtracted and added back all the same: the float32 round trip stays */
                    for (size_t x = 0; x < nx; x++)
                        b[x] = (float)((double)rel(a[x], first[x]) + (double)first[x]);
                }
            }
        }
    }
    free(lev);
    free(good);
    return 0;
}
