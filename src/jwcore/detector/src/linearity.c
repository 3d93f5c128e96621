/* Non-linearity correction: see linearity.h.
 *
 * The arithmetic follows the JWST linearity step (stcal 1.20) operation for operation, so
 * that results agree bit for bit: the group path is single precision throughout, the
 * read-level path double precision with single-precision coefficients (as numpy promotes
 * them there).  Compiled without FMA contraction (ISO C mode), products are rounded before
 * they are added, as numpy does.
 */
#include "linearity.h"

#include "clones.h"

#include <stdlib.h>

#ifdef _OPENMP
#include <omp.h>
#endif

static inline float horner_f(float x, const float *c, size_t ncoeffs, size_t npix) {
    float r = c[(ncoeffs - 1) * npix] * x;
    for (size_t j = ncoeffs - 2; j > 0; j--) {
        r += c[j * npix];
        r *= x;
    }
    return r + c[0];
}

static inline double horner_d(double x, const float *c, size_t ncoeffs, size_t npix) {
    double r = (double)c[(ncoeffs - 1) * npix] * x;
    for (size_t j = ncoeffs - 2; j > 0; j--) {
        r += (double)c[j * npix];
        r *= x;
    }
    return r + (double)c[0];
}

/* One group of pixels [i0, i1): saturated groups keep their value.  The polynomial is
 * evaluated on every lane and the result selected, so that the loop vectorises. */
DET_CLONES
static void lin_block(float *restrict plane, const uint8_t *restrict dq,
                      const float *restrict coeffs, size_t ncoeffs, size_t npix, size_t i0,
                      size_t i1, uint8_t sat_flag) {
    if (!dq) {
        for (size_t i = i0; i < i1; i++) plane[i] = horner_f(plane[i], coeffs + i, ncoeffs, npix);
        return;
    }
    for (size_t i = i0; i < i1; i++) {
        const float v = horner_f(plane[i], coeffs + i, ncoeffs, npix);
        plane[i] = (dq[i] & sat_flag) ? plane[i] : v;
    }
}

int jw_linearize_groups(float *data, const uint8_t *gdq, const float *coeffs, size_t ncoeffs,
                        size_t ngroups, size_t npix, uint8_t sat_flag, int n_threads) {
    if (!data || !coeffs || ncoeffs < 2) return JW_ERR_ARG;
    const int nt = n_threads > 0 ? n_threads : 1;
    (void)nt;
    /* Blocks of pixels, all groups of a block at once: the coefficients of a block are
     * read from memory once rather than once per group. */
    const size_t block = 4096, nblocks = (npix + block - 1) / block;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
    for (size_t b = 0; b < nblocks; b++) {
        const size_t i0 = b * block, i1 = i0 + block < npix ? i0 + block : npix;
        for (size_t g = 0; g < ngroups; g++)
            lin_block(data + g * npix, gdq ? gdq + g * npix : NULL, coeffs, ncoeffs, npix, i0, i1,
                      sat_flag);
    }
    return JW_OK;
}

int jw_linearize_reads(float *data, const uint8_t *gdq, const float *coeffs, size_t ncoeffs,
                       const float *icoeffs, size_t nicoeffs, const double *reads,
                       const size_t *read_start, size_t ngroups, size_t npix, uint8_t sat_flag,
                       int n_threads) {
    if (!data || !gdq || !coeffs || !icoeffs || !reads || !read_start || ncoeffs < 2 ||
        nicoeffs < 2 || ngroups < 1)
        return JW_ERR_ARG;
    size_t maxreads = 0;
    for (size_t g = 0; g < ngroups; g++) {
        if (read_start[g + 1] <= read_start[g]) return JW_ERR_ARG;
        const size_t n = read_start[g + 1] - read_start[g];
        if (n > maxreads) maxreads = n;
    }
    double *mean_read = (double *)malloc(ngroups * sizeof(double));
    if (!mean_read) return JW_ERR_ALLOC;
    for (size_t g = 0; g < ngroups; g++) {
        double s = 0.0;
        const size_t n = read_start[g + 1] - read_start[g];
        for (size_t r = read_start[g]; r < read_start[g + 1]; r++) s += reads[r];
        mean_read[g] = s / (double)n;
    }
    const int nt = n_threads > 0 ? n_threads : 1;
    (void)nt;
    int status = JW_OK;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) reduction(| : status)
#endif
    {
        double *buf = (double *)malloc(maxreads * sizeof(double));
        if (!buf) status |= JW_ERR_ALLOC;
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
        for (size_t i = 0; i < npix; i++) {
            if (!buf) continue;
            /* The last unsaturated group is treated as saturated too: it may hold
             * saturated reads.  At least groups 0 and 1 are used. */
            long n_unsat = -1;
            for (size_t g = 0; g < ngroups; g++) n_unsat += (gdq[g * npix + i] & sat_flag) == 0;
            if (n_unsat < 2) n_unsat = 2;
            const size_t last = (size_t)(n_unsat - 1);
            if (last >= ngroups) continue; /* fewer than 2 groups: nothing to rebuild */
            const float d0 = data[i];
            const float first_lin = (gdq[i] & sat_flag) ? d0 : horner_f(d0, coeffs + i, ncoeffs, npix);
            const float dl = data[last * npix + i];
            const float last_lin =
                (gdq[last * npix + i] & sat_flag) ? dl : horner_f(dl, coeffs + i, ncoeffs, npix);
            const double rate = (double)(last_lin - first_lin) / (mean_read[last] - mean_read[0]);
            for (size_t g = 0; g < ngroups; g++) {
                const size_t r0 = read_start[g], nr = read_start[g + 1] - r0;
                float *val = data + g * npix + i;
                double pred = 0.0;
                for (size_t r = 0; r < nr; r++) {
                    const double lin = (double)first_lin + rate * (reads[r0 + r] - mean_read[0]);
                    buf[r] = horner_d(lin, icoeffs + i, nicoeffs, npix);
                    pred += buf[r];
                }
                const double offset = (double)*val - pred / (double)nr;
                double sum = 0.0;
                for (size_t r = 0; r < nr; r++)
                    sum += horner_d(buf[r] + offset, coeffs + i, ncoeffs, npix);
                if (!(gdq[g * npix + i] & sat_flag)) *val = (float)(sum / (double)nr);
            }
        }
        free(buf);
    }
    free(mean_read);
    return status ? JW_ERR_ALLOC : JW_OK;
}
