/* OLS ramp fitting of one pixel: internal to ols.c (see ols_pixel.c). */
#ifndef JWCORE_OLS_PIXEL_H
#define JWCORE_OLS_PIXEL_H

#include <stddef.h>
#include <stdint.h>

/* Variances at or above this are treated as "no information" (stcal's threshold). */
#define OLS_LARGE_VARIANCE_THRESHOLD 1.0e6

/* Bits of ols_state.state */
#define OLS_ALL_DNU 0x01u  /* every integration so far is DO_NOT_USE */
#define OLS_ALL_SAT 0x02u  /* every integration so far is SATURATED */
#define OLS_ANY_SAT 0x04u  /* some integration has a saturated group */
#define OLS_ANY_CL 0x08u   /* some integration has a CHARGELOSS group */
#define OLS_ANY_JUMP 0x10u /* some integration has a JUMP_DET group */
#define OLS_ANY_PERS 0x20u /* some integration has a PERSISTENCE group */
#define OLS_STATE_INIT (OLS_ALL_DNU | OLS_ALL_SAT)

/* Segments longer than this take their weights from powf() instead of the table. */
#define OLS_WTAB_LMAX 64

typedef struct {
    int ng;
    double gt, ft, one_group_time, ped_tmp;
    int suppress;
    uint8_t dnu, sat, jump, pers, cl; /* group flags */
    uint32_t pdnu, psat, pjump, ppers, pngval;
    const float *wtab; /* weights per (segment length, exponent), see ols_weight_table */
    const size_t *wtab_off;
} ols_ctx;

/* One integration of one pixel, ready to fit. */
typedef struct {
    double *d;  /* [ng] DN; saturated groups are NaN */
    uint8_t *g; /* [ng] group DQ after one-group suppression and ZEROFRAME use */
    int cnt_good, cnt_dnu, cnt_dnu_sat, cnt_sat;
    int any_jump, any_pers, any_cl;
    int is_0th, is_zframe;
} ols_ramp;

typedef struct {
    double inv_vp, inv_vr, slope_num, inv_vr_cl;
    uint8_t state;
} ols_state;

typedef struct {
    double slope, var_p, var_r, err, pedestal;
    uint32_t dq;
} ols_int_result;

/* Per-segment values kept for the optional product. */
typedef struct {
    int nseg;
    double *slope, *sigslope, *var_p, *var_r, *yint, *sigyint, *weight; /* [ng] each */
} ols_seg_out;

typedef struct {
    int start, len;
} ols_seg;

/* Build the weight table; returns NULL on allocation failure.  off[L] is the offset
 * of length L (3..OLS_WTAB_LMAX), each length holding 6 exponents x L groups. */
float *ols_weight_table(size_t *off);

/* Read one integration of one pixel (strided by `stride` between groups).
 * crmag: NULL, or [ng] to receive the cosmic-ray magnitudes; returns their count. */
int ols_prepare(const ols_ctx *c, const float *src, const uint8_t *gsrc, size_t stride,
                const float *zf, ols_ramp *r, double *crmag);

/* Median rate of one prepared integration (NaN when nothing is usable). */
double ols_median_rate(const ols_ctx *c, const ols_ramp *r, double *tmp);

/* Segments of a group-DQ ramp, stcal's rules; returns their number. */
int ols_segments(const ols_ctx *c, const uint8_t *g, ols_seg *segs);

/* Fit one prepared integration and add it to the exposure state.
 * g_orig: the group DQ as given (for the CHARGELOSS read-noise recomputation).
 * segs, tmp: scratch [ng]; so: NULL or per-segment outputs. */
void ols_fit_integration(const ols_ctx *c, const ols_ramp *r, const uint8_t *g_orig,
                         double rn, double gain, double dark, double mrate, uint32_t pdq,
                         ols_state *st, ols_int_result *o, ols_seg_out *so, ols_seg *segs,
                         uint8_t *tmp);

/* Exposure products of one pixel from its state. */
void ols_finish_pixel(const ols_ctx *c, const ols_state *st, uint32_t pdq, double *slope,
                      double *var_p, double *var_r, double *err, uint32_t *dq);

#endif
