/* See prefault.h. */
#define _DEFAULT_SOURCE /* madvise */

#include "prefault.h"

#include <stdint.h>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#define RAMP_PREFAULT_STEP ((uintptr_t)2 << 20)

void ramp_prefault_share(void *p, size_t nbytes, int tid, int nth) {
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
    if (!p || nbytes == 0 || nth < 1) return;
    const uintptr_t page = 4096, S = RAMP_PREFAULT_STEP;
    const uintptr_t lo = (uintptr_t)p & ~(page - 1), hi = (uintptr_t)p + nbytes;
    /* steps between 2 MB boundaries (the first and last partial), a run of them per thread */
    const uintptr_t base = lo & ~(S - 1);
    const size_t steps = (size_t)((hi - base + S - 1) / S);
    const size_t s0 = steps * (size_t)tid / (size_t)nth;
    const size_t s1 = steps * (size_t)(tid + 1) / (size_t)nth;
    if (s0 == s1) return;
    const uintptr_t a = s0 == 0 ? lo : base + s0 * S;
    const uintptr_t b = s1 == steps ? (hi + page - 1) & ~(page - 1) : base + s1 * S;
    (void)madvise((void *)a, (size_t)(b - a), MADV_POPULATE_WRITE); /* advice only */
#else
    (void)p;
    (void)nbytes;
    (void)tid;
    (void)nth;
#endif
}

