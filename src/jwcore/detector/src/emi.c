/* MIRI EMI phase sums: see emi.h. */
#include "emi.h"

int jw_emi_phase_sums(const float *data, const uint8_t *ok, const int32_t *phase_index,
                      size_t ngroups, size_t ny, size_t nx, size_t nphases, double *sum_y,
                      double *count) {
    if (!data || !ok || !phase_index || !sum_y || !count) return JW_ERR_ARG;
    const size_t nx4 = nx / 4, npix = ny * nx;
    for (size_t j = 0; j < ny; j++) {
        for (size_t k = 0; k < nx4; k++) {
            if (k == 1 || k == 2) continue;
            const int32_t b = phase_index[j * nx4 + k];
            if (b < 0 || (size_t)b >= nphases) return JW_ERR_ARG;
            double *acc = sum_y + (size_t)b * ngroups;
            for (size_t l = 0; l < 4; l++) {
                const size_t pix = j * nx + k * 4 + l;
                const int use = ok[pix] != 0;
                for (size_t g = 0; g < ngroups; g++) {
                    const float v = data[g * npix + pix];
                    acc[g] += (double)(use ? v : v * 0.0f);
                }
                count[b] += use;
            }
        }
    }
    return JW_OK;
}
