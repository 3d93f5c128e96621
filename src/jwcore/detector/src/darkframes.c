/* Dark-current frames: see darkframes.h. */
#include "darkframes.h"

#include <math.h>

#ifdef _OPENMP
#include <omp.h>
#endif

int jw_average_frames(const float *frames, size_t nframes, size_t npix, float *out,
                      int n_threads) {
    if (!frames || !out || nframes == 0) return JW_ERR_ARG;
    const int nt = n_threads > 0 ? n_threads : 1;
    (void)nt;
    const float n = (float)nframes;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static)
#endif
    for (size_t i = 0; i < npix; i++) {
        /* The JWST step replaces NaN in the dark by 0 before averaging. */
        float s = frames[i];
        if (isnan(s)) s = 0.0f;
        for (size_t f = 1; f < nframes; f++) {
            const float v = frames[f * npix + i];
            s += isnan(v) ? 0.0f : v;
        }
        out[i] = nframes == 1 ? s : s / n;
    }
    return JW_OK;
}
