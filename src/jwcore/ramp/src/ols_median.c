/* Medians of the group differences of clean ramps, P pixels at a time (see ols_pixel.h).
 *
 * Kept apart from ols_clean.c because the unrolled networks (one per group count) are most
 * of the compile time of the OLS kernels; meson builds this file without RTL global common
 * subexpression elimination, which does nothing for straight-line compare-exchanges but
 * took minutes on them.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "median_tables.h"
#include "ols_pixel.h"
#include "ols_vec.h"

/* Compare-exchange of two vectors: a[l] = b[l] < a[l] ? b[l] : a[l] and b[l] the other,
 * the scalar path's selects lane by lane. */
#define OLS_CX(a, b)                                                          \
    do {                                                                      \
        const v8l m_ = (b) < (a);                                             \
        const v8d lo_ = (v8d)((m_ & (v8l)(b)) | (~m_ & (v8l)(a)));            \
        (b) = (v8d)((m_ & (v8l)(a)) | (~m_ & (v8l)(b)));                      \
        (a) = lo_;                                                            \
    } while (0)

/* Medians of the M values w[k * P + x] of the lanes of whole blocks of 8, by the network
 * `net` (n comparators) known at compile time: unrolled, every value stays in a register.
 * Returns the number of lanes done. */
static inline __attribute__((always_inline)) int median_blocks(const double *w, int P, double gt,
                                                               double *med, int M,
                                                               const uint8_t (*net)[2], int n) {
    int x0 = 0;
    for (; x0 + 8 <= P; x0 += 8) {
        v8d v[OLS_NET_MAX];
        for (int k = 0; k < M; k++) memcpy(&v[k], w + (size_t)k * P + x0, sizeof(v8d));
#pragma GCC unroll 1024
        for (int k = 0; k < n; k++) OLS_CX(v[net[k][0]], v[net[k][1]]);
        const int h = M >> 1;
        const v8d r = ((M & 1) ? v[h] : (v[h] + v[h - 1]) / 2.0) / gt;
        memcpy(med + x0, &r, sizeof(v8d));
    }
    return x0;
}

OLS_CLONES
void ols_clean_medians(const ols_ctx *c, const double *y, int P, double *med, double *w) {
    const int ng = c->ng, m = ng - 1;
    /* The median of the differences, divided once by the group time, is that of the rates
     * (the division is monotonic); for an even count, the mean of the middle two is
     * divided.  The differences of single-precision values are exact unless their
     * exponents are far apart.  c->bitwise: stcal's order, the differences of the values
     * divided by the group time (then divided by 1 below, which changes nothing). */
    const double gt = c->bitwise ? 1.0 : c->gt;
    if (c->bitwise) {
        const double rgt = c->rgt, g = c->gt;
        for (int k = 0; k < ng; k++) {
            double *restrict wk = w + (size_t)k * P;
            const double *restrict yk = y + (size_t)k * P;
            /* the values are floats: a finite one's quotient is in ols_qdiv's range, a
             * zero's is its product (signed); the other lanes' medians are not used */
            if (c->use_fma)
                FORX {
                    const double a = yk[x];
                    const double q = ols_qdiv(a, g, rgt);
                    wk[x] = a == 0.0 ? a * rgt : q;
                }
            else
                FORX wk[x] = yk[x] / g;
        }
        for (int k = 0; k < m; k++) {
            double *restrict w0 = w + (size_t)k * P;
            const double *restrict w1 = w0 + P;
            FORX w0[x] = w1[x] - w0[x];
        }
    } else {
        for (int k = 0; k < m; k++) {
            double *restrict w0 = w + (size_t)k * P;
            const double *restrict y0 = y + (size_t)k * P, *restrict y1 = y0 + P;
            FORX w0[x] = y1[x] - y0[x];
        }
    }
    /* whole blocks of 8 lanes by a network known at compile time */
    int x0 = 0;
    switch (m) {
#define OLS_MED_CASE(M)                                                                \
    case M:                                                                            \
        x0 = median_blocks(w, P, gt, med, M, OLS_NET_##M, (int)(sizeof OLS_NET_##M / 2)); \
        break;
        OLS_MED_CASE(2)
        OLS_MED_CASE(3)
        OLS_MED_CASE(4)
        OLS_MED_CASE(5)
        OLS_MED_CASE(6)
        OLS_MED_CASE(7)
        OLS_MED_CASE(8)
        OLS_MED_CASE(9)
        OLS_MED_CASE(10)
        OLS_MED_CASE(11)
        OLS_MED_CASE(12)
        OLS_MED_CASE(13)
        OLS_MED_CASE(14)
        OLS_MED_CASE(15)
        OLS_MED_CASE(16)
        OLS_MED_CASE(17)
        OLS_MED_CASE(18)
        OLS_MED_CASE(19)
        OLS_MED_CASE(20)
        OLS_MED_CASE(21)
        OLS_MED_CASE(22)
        OLS_MED_CASE(23)
        OLS_MED_CASE(24)
#undef OLS_MED_CASE
    default:
        break;
    }
    if (x0 == P) return;
    /* the other lanes: the same compare-exchanges, from the network built at run time */
    for (int k = 0; k < c->net_n; k++) {
        double *restrict a = w + (size_t)c->net_lo[k] * P, *restrict b = w + (size_t)c->net_hi[k] * P;
        for (int x = x0; x < P; x++) {
            const double u = a[x], v = b[x];
            a[x] = v < u ? v : u;
            b[x] = v < u ? u : v;
        }
    }
    const int h = m >> 1;
    const double *restrict hi = w + (size_t)h * P;
    const double *restrict lo = w + (size_t)(h > 0 ? h - 1 : 0) * P;
    if (m & 1)
        for (int x = x0; x < P; x++) med[x] = hi[x] / gt;
    else
        for (int x = x0; x < P; x++) med[x] = (hi[x] + lo[x]) / 2.0 / gt;
}
