/* Likelihood ramp fitting on resultant differences with its jump test (Brandt 2024,
 * PASP 136, 045004 and 045005): the JWST ramp_fit step's LIKELY algorithm.
 *
 * Plain C11 on pointers and sizes: no Python, no globals.  Ramps are
 * [nints][ngroups][ny][nx], planes [ny][nx]; per-integration products [nints][ny][nx].
 */
#ifndef JWCORE_LIKELY_H
#define JWCORE_LIKELY_H

#include <stddef.h>
#include <stdint.h>

#define JW_LIKELY_OK 0
#define JW_LIKELY_ERR_ALLOC 1
#define JW_LIKELY_ERR_ARG 2

typedef struct {
    size_t nints, ngroups, ny, nx;
    /* Covariance of the resultant differences per unit rate (photon noise) and per unit
     * read variance, for the nres - 1 differences (nres = ngroups, or ngroups + 1 when the
     * ZEROFRAME is used as a resultant): alpha [ndiff], beta [ndiff - 1]. */
    const double *alpha_ph, *alpha_rn, *beta_ph, *beta_rn;
    const double *delta_t;    /* [ndiff] time between resultant means */
    const uint8_t *two_omit;  /* [ndiff - 1] the pair (i, i+1) may be dropped together */
    int any_two_omit;         /* some pair may be dropped */
    double thresh_one, thresh_two; /* chi-square improvements that flag a jump */
    int use_zeroframe;
    int nframes;
    uint32_t dnu, sat, jump;
    /* Elements from one integration's plane of the per-integration products (slope, dq,
     * var_poisson, var_rnoise, err; not chisq) to the next: 0 or ny * nx when contiguous;
     * larger lets the planes sit in the groups of the ramps (see jw_likely_fit). */
    size_t plane_stride;
} jw_likely_params;

/* Exposure products [ny][nx] (see jw_likely_combine). */
typedef struct {
    float *slope;
    uint32_t *dq;
    float *var_poisson, *var_rnoise, *err, *chisq;
} jw_likely_rate;

/* Fit every integration.  readnoise is the CDS read noise in DN; dark may be NULL.
 * gdq_jump: NULL, or [nints][ngroups][ny][nx] where the jumps found are OR-ed in (may be
 * the group DQ itself).  Outputs are nints planes of [ny][nx], p->plane_stride apart (chisq
 * [nints][ny][nx]).  rate: NULL, or the exposure products, then combined as
 * jw_likely_combine does, row by row while the integrations' products are still in cache.
 * chisq may be NULL (no chi squares), then rate->chisq must be too.
 * The products (not chisq) may lie in the memory of data: each pixel's ramp in integration
 * i is read before its products there are written, and every integration's row y before
 * the rate products of row y, so the products of integration i and row y may sit over row
 * y of integration i's ramps (any group), and the rate's of row y over row y of any
 * integration's. */
int jw_likely_fit(const jw_likely_params *p, const float *data, const uint8_t *gdq,
                  const uint32_t *pixeldq, const float *readnoise, const float *gain,
                  const float *dark, const float *zeroframe, uint8_t *gdq_jump, float *slope,
                  uint32_t *dq, float *var_poisson, float *var_rnoise, float *err, float *chisq,
                  const jw_likely_rate *rate, int n_threads);

/* Combine integrations into the exposure products as stcal does for nints > 1:
 * DQ is the OR (DO_NOT_USE only when every integration has it), the rate is a
 * Poisson-rescaled inverse-variance mean started from the median, chisq the sum (chisq
 * and r_chisq may both be NULL). */
int jw_likely_combine(size_t nints, size_t npix, const float *slope, const uint32_t *dq,
                      const float *var_poisson, const float *var_rnoise, const float *chisq,
                      uint32_t dnu, float *r_slope, uint32_t *r_dq, float *r_var_poisson,
                      float *r_var_rnoise, float *r_err, float *r_chisq, int n_threads);

#endif
