/* Run-time dispatch of the per-pixel loops of the detector kernels.
 *
 * On x86-64 glibc systems (ifunc) a function marked DET_CLONES is also compiled for AVX2
 * and AVX-512 and the best version is picked when the module loads.  The sources are
 * compiled without FMA contraction (ISO C mode), so every vector lane performs the same
 * IEEE operations as the scalar code: results do not depend on the machine.
 */
#ifndef JWCORE_DET_CLONES_H
#define JWCORE_DET_CLONES_H

#include <stdlib.h> /* defines __GLIBC__ where there is one */

#if defined(__GNUC__) && defined(__x86_64__) && defined(__GLIBC__) && !defined(__clang__)
#define DET_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define DET_CLONES
#endif

#endif
