/* Vector types, lane loops and run-time dispatch shared by the clean-ramp OLS kernels
 * (ols_clean.c, ols_median.c). */
#ifndef JWCORE_OLS_VEC_H
#define JWCORE_OLS_VEC_H

#include <stdint.h>
#include <stdlib.h> /* defines __GLIBC__ where there is one */

/* Eight doubles: GCC's generic vectors, lowered to the clone's registers (one AVX-512,
 * two AVX or four SSE2 registers). */
typedef double v8d __attribute__((vector_size(64)));
typedef int64_t v8l __attribute__((vector_size(64)));

#if defined(__GNUC__) && !defined(__clang__)
#define FORX _Pragma("GCC ivdep") for (int x = 0; x < P; x++)
#else
#define FORX for (int x = 0; x < P; x++)
#endif

/* On x86-64 glibc systems (ifunc) these are also compiled for AVX-512 and AVX2 with FMA
 * (x86-64-v3) and picked at run time; without FMA contraction (C11 mode) every lane
 * computes the same IEEE operations, and fma() is exact, so results do not change. */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__GLIBC__) && !defined(__clang__) && \
    !defined(JW_NO_CLONES)
#define OLS_CLONES __attribute__((target_clones("avx512f", "arch=x86-64-v3", "default")))
#else
#define OLS_CLONES
#endif

#endif
