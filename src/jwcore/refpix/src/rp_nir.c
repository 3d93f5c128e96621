/* Near-infrared reference-pixel correction: see rp_nir.h.
 *
 * After JWST's refpix step (jwst.refpix.reference_pixels), which follows the JWST
 * Calibration Working Group recommendation of 2013 (top/bottom sigma-clipped means per
 * amplifier and column parity, then smoothed side reference pixels for 1/f noise), and
 * the SIRS convolution kernels of T. Brandt and B. Rauscher (spacetelescope/jwst#8482).
 */
#include "rp_nir.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rp_side.h"
#include "rp_stats.h"

#ifdef _OPENMP
#include <omp.h>
#endif

typedef struct {
    float *bf;         /* gather buffer, float32 precision */
    double *bd;        /* gather buffer, float64 precision */
    double *lev_cls;   /* [ncls] level subtracted from each class (0 when none) */
    rp_side_work side; /* side-pixel work space */
} nir_scratch;

static size_t max_set_len(const rp_nir_plan *p) {
    size_t m = 0;
    for (int s = 0; s < p->nsets; s++) {
        const size_t len = (size_t)(p->set_off[s + 1] - p->set_off[s]);
        if (len > m) m = len;
    }
    return m;
}

static void scratch_free(nir_scratch *sc) {
    free(sc->bf);
    free(sc->bd);
    free(sc->lev_cls);
    rp_side_free(&sc->side);
}

static int scratch_alloc(nir_scratch *sc, const rp_nir_plan *p) {
    memset(sc, 0, sizeof(*sc));
    const size_t nset = max_set_len(p) + 1;
    sc->bf = (float *)malloc(nset * sizeof(float));
    sc->bd = (double *)malloc(nset * sizeof(double));
    sc->lev_cls = (double *)calloc((size_t)p->ncls + 1, sizeof(double));
    int bad = !sc->bf || !sc->bd || !sc->lev_cls;
    if (!bad && p->side_mode != RP_SIDE_NONE) bad = rp_side_alloc(&sc->side, p) != 0;
    if (bad) {
        scratch_free(sc);
        return RP_ERR_ALLOC;
    }
    return RP_OK;
}

/* Reference level of every class for one group plane. */
static void class_levels(const rp_nir_plan *p, const float *plane, int f32, nir_scratch *sc,
                         rp_level *cls_lev) {
    for (int c = 0; c < p->ncls; c++) {
        rp_level part[2];
        const int32_t sets[2] = {p->cls_set_a[c], p->cls_set_b[c]};
        for (int k = 0; k < 2; k++) {
            part[k].valid = 0;
            part[k].is_f64 = 0;
            part[k].value = NAN;
            const int32_t s = sets[k];
            if (s < 0) continue;
            const int64_t *idx = p->set_idx + p->set_off[s];
            const size_t n = (size_t)(p->set_off[s + 1] - p->set_off[s]);
            if (f32) {
                for (size_t i = 0; i < n; i++) sc->bf[i] = plane[idx[i]];
                part[k] = rp_clipped_mean_f(sc->bf, n, p->siglimit, p->siglimit);
            } else {
                for (size_t i = 0; i < n; i++) sc->bd[i] = (double)plane[idx[i]];
                part[k] = rp_clipped_mean_d(sc->bd, n, p->siglimit, p->siglimit);
            }
        }
        cls_lev[c] = rp_avg_level(part[0], part[1]);
    }
    /* odd and even columns of an amplifier are corrected together or not at all */
    for (int c = 0; c < p->ncls; c++) {
        const int32_t q = p->cls_partner[c];
        const int on = cls_lev[c].valid && (q < 0 || cls_lev[q].valid);
        sc->lev_cls[c] = on ? cls_lev[c].value : 0.0;
    }
}

/* Subtract the class levels (and the side signal) from stored row y, a into b: each output
 * depends only on the input of the same pixel, so b may be a itself.  Inlined into the two
 * callers below, which tell the compiler whether they are one array or two, so that the
 * loops vectorize either way. */
static inline __attribute__((always_inline)) void
apply_row_impl(const rp_nir_plan *p, const float *a, float *b, size_t y, int f32,
               const double *restrict ll, const double *restrict sig) {
    const size_t nx = p->nx, nr = p->nrows_det;
    if (!sig) {
        /* float32 buffer: the level (float32 or float64 scalar) is subtracted and the
         * result rounded once to float32 */
        if (p->det_cols_along_x) {
            for (size_t x = 0; x < nx; x++) b[x] = (float)((double)a[x] - ll[x]);
        } else {
            const double l = ll[y];
            for (size_t x = 0; x < nx; x++) b[x] = (float)((double)a[x] - l);
        }
        return;
    }
    if (p->det_cols_along_x) {
        const size_t r = (size_t)p->cross_row[y];
        if (p->line_chan) {
            for (size_t x = 0; x < nx; x++) {
                const double s = sig[(size_t)p->line_chan[x] * nr + r];
                if (f32) {
                    const float t = (float)((double)a[x] - ll[x]);
                    b[x] = (float)((double)t - s);
                } else {
                    b[x] = (float)(((double)a[x] - ll[x]) - s);
                }
            }
        } else {
            const double s = sig[r];
            if (f32) {
                for (size_t x = 0; x < nx; x++) {
                    const float t = (float)((double)a[x] - ll[x]);
                    b[x] = (float)((double)t - s);
                }
            } else {
                for (size_t x = 0; x < nx; x++) b[x] = (float)(((double)a[x] - ll[x]) - s);
            }
        }
    } else {
        const double l = ll[y];
        const double *srow = sig + (p->line_chan ? (size_t)p->line_chan[y] * nr : 0);
        const int32_t *cr = p->cross_row;
        if (f32) {
            for (size_t x = 0; x < nx; x++) {
                const float t = (float)((double)a[x] - l);
                b[x] = (float)((double)t - srow[cr[x]]);
            }
        } else {
            for (size_t x = 0; x < nx; x++) b[x] = (float)(((double)a[x] - l) - srow[cr[x]]);
        }
    }
}

/* On x86-64 glibc systems (ifunc) the row loops are also compiled for AVX-512 and AVX2 and
 * picked at run time: the same IEEE operations on wider registers (contraction is off). */
#if defined(__GNUC__) && defined(__x86_64__) && defined(__GLIBC__) && !defined(__clang__) && \
    !defined(JW_NO_CLONES)
#define RP_CLONES __attribute__((target_clones("avx512f", "arch=x86-64-v3", "default")))
#else
#define RP_CLONES
#endif

RP_CLONES
static void apply_row(const rp_nir_plan *p, const float *restrict a, float *restrict b,
                      size_t y, int f32, const double *restrict ll, const double *restrict sig) {
    apply_row_impl(p, a, b, y, f32, ll, sig);
}

RP_CLONES
static void apply_row_inplace(const rp_nir_plan *p, float *restrict b, size_t y, int f32,
                              const double *restrict ll, const double *restrict sig) {
    apply_row_impl(p, b, b, y, f32, ll, sig);
}

/* Phase 1 for one group: the level of each stored line and, with SIRS side pixels, the
 * signal of each detector row, into lev[nline] and sig[nchan * nrows_det]; the class levels
 * also into lev_cls[ncls] (the running medians of the side pixels use them). */
static void group_levels(const rp_nir_plan *p, const float *in, int f32, nir_scratch *sc,
                         rp_level *cls_lev, double *lev, double *sig, double *lev_cls) {
    class_levels(p, in, f32, sc, cls_lev);
    memcpy(lev_cls, sc->lev_cls, (size_t)p->ncls * sizeof(double));
    const size_t nline = p->det_cols_along_x ? p->nx : p->ny;
    for (size_t i = 0; i < nline; i++) {
        const int16_t c = p->line_cls[i];
        lev[i] = c >= 0 ? sc->lev_cls[c] : 0.0;
    }
    if (sig) {
        rp_side_signal(p, in, f32, sc->lev_cls, &sc->side);
        memcpy(sig, sc->side.signal, (size_t)(p->nchan > 0 ? p->nchan : 1) * p->nrows_det *
                                         sizeof(double));
    }
}

int rp_nir_correct(const rp_nir_plan *p, const float *in, float *out, size_t ngroups,
                   int first_f32, int n_threads) {
    if (!p || !in || !out || p->ncls < 0 || p->nsets < 0) return RP_ERR_ARG;
    if (p->side_mode != RP_SIDE_NONE && (!p->cross_row || !p->side_idx || !p->side_ok))
        return RP_ERR_ARG;
    if (p->side_mode == RP_SIDE_SIRS && (!p->line_chan || !p->kern_left || !p->kern_right))
        return RP_ERR_ARG;
    const size_t npix = p->ny * p->nx, nline = p->det_cols_along_x ? p->nx : p->ny;
    const int side = p->side_mode != RP_SIDE_NONE;
    const size_t nsig = side ? (size_t)(p->nchan > 0 ? p->nchan : 1) * p->nrows_det : 0;
    /* the running medians of the two sides of every group are computed in parallel */
    const int split = p->side_mode == RP_SIDE_MEDIAN;
    const size_t nr = p->nrows_det, ncls = (size_t)p->ncls + 1;
    double *lev_all = (double *)malloc(ngroups * nline * sizeof(double) + 1);
    double *sig_all = side ? (double *)malloc(ngroups * nsig * sizeof(double) + 1) : NULL;
    double *cls_all = (double *)malloc(ngroups * ncls * sizeof(double) + 1);
    double *med_all = split ? (double *)malloc(2 * ngroups * nr * sizeof(double) + 1) : NULL;
    if (!lev_all || (side && !sig_all) || !cls_all || (split && !med_all)) {
        free(lev_all);
        free(sig_all);
        free(cls_all);
        free(med_all);
        return RP_ERR_ALLOC;
    }
    int nerr = 0;
    (void)n_threads;
    /* Phase 1 reads only reference pixels and all of it precedes phase 2, which writes every
     * pixel: in-place calls are safe, and the pixels are shared out evenly whatever the
     * number of groups. */
#ifdef _OPENMP
#pragma omp parallel num_threads(n_threads > 0 ? n_threads : 1) reduction(+ : nerr)
#endif
    {
        nir_scratch sc;
        rp_level *cls_lev = (rp_level *)malloc(((size_t)p->ncls + 1) * sizeof(rp_level));
        const int ok = cls_lev && scratch_alloc(&sc, p) == RP_OK;
        if (!ok) nerr += 1;
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
        for (size_t g = 0; g < ngroups; g++) {
            if (!ok) continue;
            /* float32 until the first side correction has produced a float64 buffer */
            const int f32 = !side || (g == 0 && first_f32);
            group_levels(p, in + g * npix, f32, &sc, cls_lev, lev_all + g * nline,
                         side && !split ? sig_all + g * nsig : NULL, cls_all + g * ncls);
        }
        if (split) {
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 1)
#endif
            for (size_t k = 0; k < 2 * ngroups; k++) {
                if (!ok) continue;
                const size_t g = k / 2;
                const int f32 = g == 0 && first_f32;
                rp_side_median(p, in + g * npix, f32, cls_all + g * ncls, k % 2, &sc.side,
                               med_all + k * nr);
            }
#ifdef _OPENMP
#pragma omp for schedule(static)
#endif
            for (size_t g = 0; g < ngroups; g++)
                rp_side_combine(p, med_all + 2 * g * nr, med_all + (2 * g + 1) * nr,
                                sig_all + g * nsig);
        }
#ifdef _OPENMP
#pragma omp for schedule(dynamic, 32)
#endif
        for (size_t k = 0; k < ngroups * p->ny; k++) {
            if (!ok) continue;
            const size_t g = k / p->ny, y = k % p->ny;
            const int f32 = !side || (g == 0 && first_f32);
            const float *a = in + g * npix + y * p->nx;
            float *b = out + g * npix + y * p->nx;
            const double *ll = lev_all + g * nline, *sig = side ? sig_all + g * nsig : NULL;
            if (a == b)
                apply_row_inplace(p, b, y, f32, ll, sig);
            else
                apply_row(p, a, b, y, f32, ll, sig);
        }
        if (ok) scratch_free(&sc);
        free(cls_lev);
    }
    free(lev_all);
    free(sig_all);
    free(cls_all);
    free(med_all);
    return nerr ? RP_ERR_ALLOC : RP_OK;
}
