/* Compare-exchange networks that put the median of n values in place, for the vectorised
 * medians of the ramp kernels: Batcher's merge-exchange sorting network (Knuth, TAOCP 3,
 * 5.2.2 algorithm M) pruned to the comparators the middle position(s) depend on
 * (22 for n = 9 instead of 36 for odd-even transposition).
 */
#ifndef JWCORE_MEDIAN_NETWORK_H
#define JWCORE_MEDIAN_NETWORK_H

#include <stdint.h>
#include <stdlib.h>

/* Room for the network of n values, in comparators. */
static inline size_t median_network_capacity(int n) {
    size_t t = 1;
    while (((size_t)1 << t) < (size_t)n) t++;
    return (size_t)n * (t * (t + 1) / 2 + 1);
}

/* Fill lo/hi with the comparators (lo[k] < hi[k]): after them, position n/2 (and n/2 - 1
 * when n is even) holds what a full sort would put there.  Returns their number, or -1
 * when memory is short. */
static inline int median_network(int n, uint16_t *lo, uint16_t *hi) {
    if (n < 2) return 0;
    int t = 0;
    while ((1 << t) < n) t++;
    const size_t cap = median_network_capacity(n);
    uint16_t *a = (uint16_t *)malloc(cap * sizeof(uint16_t));
    uint16_t *b = (uint16_t *)malloc(cap * sizeof(uint16_t));
    uint8_t *need = (uint8_t *)calloc((size_t)n, 1);
    if (!a || !b || !need) {
        free(a);
        free(b);
        free(need);
        return -1;
    }
    size_t m = 0;
    for (int p = 1 << (t - 1); p > 0; p >>= 1) {
        int q = 1 << (t - 1), r = 0, d = p;
        for (;;) {
            for (int i = 0; i + d < n; i++)
                if ((i & p) == r) {
                    a[m] = (uint16_t)i;
                    b[m] = (uint16_t)(i + d);
                    m++;
                }
            if (q == p) break;
            d = q - p;
            q >>= 1;
            r = p;
        }
    }
    /* keep, from the last comparator back, those touching a position still needed */
    uint8_t *keep = (uint8_t *)calloc(m + 1, 1);
    if (!keep) {
        free(a);
        free(b);
        free(need);
        return -1;
    }
    need[n / 2] = 1;
    if (n % 2 == 0) need[n / 2 - 1] = 1;
    for (size_t k = m; k-- > 0;)
        if (need[a[k]] || need[b[k]]) {
            need[a[k]] = need[b[k]] = 1;
            keep[k] = 1;
        }
    size_t kept = 0;
    for (size_t k = 0; k < m; k++)
        if (keep[k]) {
            lo[kept] = a[k];
            hi[kept] = b[k];
            kept++;
        }
    free(keep);
    free(a);
    free(b);
    free(need);
    return (int)kept;
}

#endif
