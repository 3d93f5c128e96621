/* Persistence windows and charge migration: see rampflags.h.
 *
 * Both follow the JWST steps (persistence in jwst 3.0, charge_migration) pixel by pixel;
 * pixels are independent, so they are processed in parallel with identical results.
 */
#include "rampflags.h"

#ifdef _OPENMP
#include <omp.h>
#endif

int jw_flag_persistence(uint8_t *gdq, const float *data, double *window, const double *times,
                        size_t ngroups, size_t npix, double duration, float dn_threshold,
                        uint8_t sat_flag, uint8_t flag, long *n_reset, int n_threads) {
    if (!gdq || !window || !times) return JW_ERR_ARG;
    const int nt = n_threads > 0 ? n_threads : 1;
    (void)nt;
    long resets = 0;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static) reduction(+ : resets)
#endif
    for (size_t i = 0; i < npix; i++) {
        double w = window[i];
        unsigned nsat = 0;
        for (size_t g = 0; g < ngroups; g++) {
            const double t = times[g];
            if (w < t) w = 0.0;
            const double end = t + duration;
            uint8_t *dq = gdq + g * npix + i;
            if (*dq & sat_flag) nsat++;
            /* jwst opens the window wherever the saturation count is exactly 1, which is
             * the first saturated group as long as saturation is sticky. */
            if (nsat == 1) w = end;
            if (data && !(w > 0.0) && data[g * npix + i] > dn_threshold) w = end;
            if (w != 0.0 && w - end > 0.0) {
                /* a window that would start after this group: "backwards flagging" */
                w = 0.0;
                resets++;
            }
            if (w > 0.0) *dq |= flag;
        }
        window[i] = w;
    }
    if (n_reset) *n_reset = resets;
    return JW_OK;
}

int jw_flag_charge_migration(uint8_t *gdq, const float *data, size_t ngroups, size_t ny,
                             size_t nx, float threshold, uint8_t skip_dq, uint8_t flag,
                             int32_t *first, int n_threads) {
    if (!gdq || !data || !first) return JW_ERR_ARG;
    const size_t npix = ny * nx;
    const int nt = n_threads > 0 ? n_threads : 1;
    (void)nt;
    /* The triggering groups are found on the DQ as it was before any flagging. */
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
    for (size_t i = 0; i < npix; i++) {
        int32_t f = (int32_t)ngroups;
        for (size_t g = 0; g < ngroups; g++) {
            const size_t k = g * npix + i;
            if (data[k] > threshold && gdq[k] != skip_dq) {
                f = (int32_t)g;
                break;
            }
        }
        first[i] = f;
    }
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
    for (size_t y = 0; y < ny; y++) {
        for (size_t x = 0; x < nx; x++) {
            const size_t i = y * nx + x;
            int32_t s = first[i];
            if (y > 0 && first[i - nx] < s) s = first[i - nx];
            if (y + 1 < ny && first[i + nx] < s) s = first[i + nx];
            if (x > 0 && first[i - 1] < s) s = first[i - 1];
            if (x + 1 < nx && first[i + 1] < s) s = first[i + 1];
            for (size_t g = (size_t)s; g < ngroups; g++) gdq[g * npix + i] |= flag;
        }
    }
    return JW_OK;
}
