/* Up-the-ramp slope fitting by ordinary least squares with optimal weighting.
 *
 * Plain C11 on pointers and sizes: no Python, no globals.  Arrays are C-contiguous:
 * planes are ny*nx, ramps are [nints][ngroups][ny][nx].  The algorithm and every
 * flag convention are those of the JWST ramp_fit step (stcal's OLS_C), see ols.c.
 */
#ifndef JWCORE_OLS_H
#define JWCORE_OLS_H

#include <stddef.h>
#include <stdint.h>

#define JW_RAMP_OK 0
#define JW_RAMP_ERR_ALLOC 1
#define JW_RAMP_ERR_ARG 2
#define JW_RAMP_ERR_CAPACITY 3 /* an optional-product axis was too short */

typedef struct {
    uint32_t dnu;        /* DO_NOT_USE */
    uint32_t sat;        /* SATURATED */
    uint32_t jump;       /* JUMP_DET */
    uint32_t pers;       /* PERSISTENCE */
    uint32_t chargeloss; /* CHARGELOSS */
    uint32_t no_gain;    /* NO_GAIN_VALUE (pixel flag) */
} jw_ramp_flags;

typedef struct {
    size_t nints, ngroups, ny, nx; /* shape of the ramps given to this call */
    double frame_time, group_time; /* seconds */
    int nframes, groupgap, dropframes;
    int suppress_one_group; /* ramps with a single good group count as having none */
    int bitwise; /* unflagged ramps too with stcal's expressions in stcal's order (its bits) */
    jw_ramp_flags flags;
} jw_ols_params;

typedef struct {
    const float *data;        /* [nints][ngroups][ny][nx] DN */
    const uint8_t *gdq;       /* [nints][ngroups][ny][nx] */
    const uint32_t *pixeldq;  /* [ny][nx] */
    const float *readnoise;   /* [ny][nx] CDS read noise, DN */
    const float *gain;        /* [ny][nx] e-/DN */
    const float *dark;        /* [ny][nx] average dark current DN/s, or NULL */
    const float *zeroframe;   /* [nints][ny][nx] or NULL */
} jw_ols_input;

/* Products for n planes of ny*nx (n = 1 for the rate, nints for rateints).  Rows are
 * contiguous; plane_stride is the distance, in elements, from one plane to the next (ny*nx
 * for contiguous arrays; any larger value lets the planes sit, say, in the groups of the
 * ramps they are fitted from). */
typedef struct {
    float *slope, *var_poisson, *var_rnoise, *err;
    uint32_t *dq;
    size_t plane_stride;
} jw_ramp_products;

/* Optional per-segment products, zero-filled by the caller. */
typedef struct {
    size_t max_segs, max_crs; /* lengths of the segment and cosmic-ray axes */
    float *slope, *sigslope, *var_poisson, *var_rnoise, *yint, *sigyint, *weights;
    /* each [nints][max_segs][ny][nx] */
    float *pedestal; /* [nints][ny][nx] */
    float *crmag;    /* [nints][max_crs][ny][nx] */
} jw_ols_opt;

/* Exposure sums carried from one integration to the next when integrations are fitted
 * one call at a time.  All [ny][nx]; initialise with jw_ols_accum_init. */
typedef struct {
    double *inv_vp, *inv_vr, *slope_num, *inv_vr_cl;
    uint8_t *state;
} jw_ols_accum;

/* Add each pixel's median rate of every integration in `in` to median_sum [ny][nx]
 * (the exposure median rate is median_sum / total number of integrations). */
int jw_ols_median_sum(const jw_ols_params *p, const jw_ols_input *in, double *median_sum,
                      int n_threads);

/* Fit the integrations in `in`.
 *
 * Row y of integration i's ramps is last read before the rateints products of that row
 * and integration are written, and every integration's row y before the rate products of
 * row y: the products of row y may therefore lie over row y of the ramps (of integration
 * i for its rateints, of any integration for the rate), so that the ramps' memory can hold
 * them.
 *   median_sum: NULL to take the median rate from these integrations (a whole exposure),
 *               else the sum from jw_ols_median_sum over `median_nints` integrations.
 *   ints:       per-integration products [nints][ny][nx] (required).
 *   acc:        NULL, or exposure sums to update (streaming).
 *   rate:       NULL, or the exposure products [ny][nx] to finish after these integrations.
 *   opt:        NULL, or the optional products.
 */
int jw_ols_fit(const jw_ols_params *p, const jw_ols_input *in, const double *median_sum,
               double median_nints, jw_ramp_products *ints, jw_ols_accum *acc,
               jw_ramp_products *rate, jw_ols_opt *opt, int n_threads);

void jw_ols_accum_init(jw_ols_accum *acc, size_t npix);

/* Finish the exposure products from streamed sums. */
int jw_ols_finish(const jw_ols_params *p, const uint32_t *pixeldq, const float *gain,
                  const jw_ols_accum *acc, jw_ramp_products *rate, int n_threads);

/* Longest segment list and cosmic-ray list over the integrations in `in`. */
int jw_ols_count(const jw_ols_params *p, const jw_ols_input *in, size_t *max_segs,
                 size_t *max_crs, int n_threads);

#endif
