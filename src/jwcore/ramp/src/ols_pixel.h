/* OLS ramp fitting of one pixel: internal to ols.c (see ols_pixel.c). */
#ifndef JWCORE_OLS_PIXEL_H
#define JWCORE_OLS_PIXEL_H

#include <math.h>
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

/* Pixels of a row the vectorised path for unflagged ramps takes at a time. */
#define OLS_CHUNK 64

/* Segments longer than this take their weights from powf() instead of the table. */
#define OLS_WTAB_LMAX 64

typedef struct {
    int ng;
    double gt, ft, one_group_time, ped_tmp;
    double rgt;  /* 1 / gt, correctly rounded (for ols_qdiv) */
    double root, rroot; /* sqrt(2 nframes) and its reciprocal */
    int use_fma; /* fma() is a hardware instruction here (see ols_qdiv) */
    int suppress;
    uint8_t dnu, sat, jump, pers, cl; /* group flags */
    uint32_t pdnu, psat, pjump, ppers, pngval;
    const float *wtab; /* weights per (segment length, exponent), see ols_weight_table */
    const size_t *wtab_off;
    /* unflagged ramps of ng >= 3 groups: slope = sum over k of ctab[8 k + p] * d[k] for
     * the weighting exponent index p (see ols_clean_coefficients), and the read-noise
     * variance rn^2 kr / gain^2 */
    const double *ctab;
    double kr;
    int bitwise; /* unflagged ramps with stcal's expressions too (the _exact functions) */
    const uint16_t *net_lo, *net_hi; /* median network of the ng - 1 first differences */
    int net_n;
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

/* The exposure sums of a run of pixels, one array per member of ols_state. */
typedef struct {
    double *inv_vp, *inv_vr, *slope_num, *inv_vr_cl;
    uint8_t *state;
} ols_soa;

static inline ols_soa ols_soa_at(const ols_soa *a, size_t x) {
    return (ols_soa){a->inv_vp + x, a->inv_vr + x, a->slope_num + x, a->inv_vr_cl + x,
                     a->state + x};
}

static inline ols_state ols_soa_get(const ols_soa *a, size_t x) {
    return (ols_state){a->inv_vp[x], a->inv_vr[x], a->slope_num[x], a->inv_vr_cl[x],
                       a->state[x]};
}

static inline void ols_soa_set(const ols_soa *a, size_t x, const ols_state *s) {
    a->inv_vp[x] = s->inv_vp;
    a->inv_vr[x] = s->inv_vr;
    a->slope_num[x] = s->slope_num;
    a->inv_vr_cl[x] = s->inv_vr_cl;
    a->state[x] = s->state;
}

/* Per-segment values kept for the optional product. */
typedef struct {
    int nseg;
    double *slope, *sigslope, *var_p, *var_r, *yint, *sigyint, *weight; /* [ng] each */
} ols_seg_out;

typedef struct {
    int start, len;
} ols_seg;

static const double OLS_POWERS[6] = {0.0, 0.4, 1.0, 3.0, 6.0, 10.0};

/* Weight of group k of an L-group segment for exponent index pidx (before 1/rn^2). */
static inline float ols_weight(const ols_ctx *c, int L, int pidx, int k) {
    if (L <= OLS_WTAB_LMAX) return c->wtab[c->wtab_off[L] + (size_t)pidx * L + k];
    const double mid = (double)(L - 1) / 2.0, invmid = 1.0 / mid;
    return powf((float)fabs(((double)k - mid) * invmid), (float)OLS_POWERS[pidx]);
}

/* a / b correctly rounded, from rb = 1 / b (correctly rounded) with fused multiply-adds:
 * two Newton corrections of the quotient a * rb (Markstein's theorem: once the quotient is
 * within an ulp, q + (a - b q) rb rounds to the quotient of a by b).  Valid when neither
 * a * rb nor the residuals leave the normal range: callers check |a * rb| with
 * ols_qdiv_ok and divide the other lanes.  Only worth it where fma() is an instruction. */
static inline double ols_qdiv(double a, double b, double rb) {
    double q = a * rb;
    double r = fma(-q, b, a);
    q = fma(r, rb, q);
    r = fma(-q, b, a);
    return fma(r, rb, q);
}

/* a * rb lies where ols_qdiv is exact (also false for 0, infinities and NaN). */
static inline int ols_qdiv_ok(double q0) {
    const double m = fabs(q0);
    return m >= 0x1p-800 && m <= 0x1p800;
}

/* A fitted segment. */
typedef struct {
    double slope, sigslope, var_p, var_r, var_e, yint, sigyint, weight;
} ols_seg_fit;

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

/* Ramps with no flagged group, P pixels at a time (ols_clean.c).  Arrays of groups are
 * read with `stride` between groups; per-pixel arrays are [P].  Such a ramp is one segment
 * of all ng groups, so its read-noise and Poisson variances, and every value derived from
 * them alone, are the same in each integration: ols_clean_consts computes them once per
 * pixel, ols_clean_slope and ols_clean_int the rest for each integration.
 *
 * These are the general path's quantities in fewer operations (the fit's weights as fixed
 * coefficients of the data, a variance instead of the inverse of its inverse): they agree
 * with it to a few parts in 1e15, not to the bit (see ols_clean.c). */

/* The slope coefficients of an unflagged ng-group ramp (DN/s per DN), [ng][8]: for group
 * k, those of the six exponents then two zeros.  From the weight table (c->wtab set); NULL
 * when ng < 3 or on allocation failure. */
double *ols_clean_coefficients(const ols_ctx *c);
/* Per-pixel inputs of P pixels of a row (any ramp): read noise per frame in electrons as
 * stcal derives it (rn * gain / sqrt(2 nframes), rounded to float), gain and dark current
 * (dark NULL: zero) as doubles, and the pixel DQ with DO_NOT_USE + NO_GAIN_VALUE for bad
 * gains.  work: scratch [2 * P]. */
void ols_pixel_consts(const ols_ctx *c, int P, const float *gain, const float *readnoise,
                      const float *dark, const uint32_t *pixeldq, double *gd, double *rn,
                      double *dk, uint32_t *pdq, double *work);
/* clean[x]: lane x is an unflagged ramp of ng >= 3 finite values, whose median rate comes
 * from ols_clean_medians; y: [ng][P] the ramps as doubles, as ols_clean_load gives them. */
void ols_clean_mask(const ols_ctx *c, const float *bd, const uint8_t *bg, size_t stride, int P,
                    uint8_t *clean, double *y);
/* fit[x]: clean[x] with a positive finite gain and read noise, fitted by ols_clean_consts,
 * _slope and _int (the others by the general path); returns their number. */
int ols_clean_usable(int P, const uint8_t *clean, const double *gain, const double *rn,
                     uint8_t *fit);
/* y[k * P + x] = bd[k * stride + x] as doubles, for the next two (where a mask is known). */
void ols_clean_load(const ols_ctx *c, const float *bd, size_t stride, int P, double *y);
/* med[x]: median rate of the ramps y (from ols_clean_load) of the clean lanes (the others'
 * are not used); w: scratch [ng * P] */
void ols_clean_medians(const ols_ctx *c, const double *y, int P, double *med, double *w);

/* out[x] = the median of an unflagged lane (clean[x]), else 0; NaN medians are 0 when
 * nan_zero (several groups). */
void ols_clean_pick(int P, const uint8_t *clean, const double *med, int nan_zero, double *out);

/* The per-pixel values of unflagged ramps (see ols_clean_consts), [P] each. */
typedef struct {
    double *invrn2;      /* 1 / rn^2 (bitwise only) */
    double *var_r;       /* read-noise variance of the segment (bitwise only) */
    double *ir, *ip;     /* its inverse read-noise and Poisson variances (exposure sums) */
    double *vr_thr;      /* integration read-noise variance, thresholded */
    double *o_vp, *o_vr, *o_err; /* integration products (zero for an invalid pixel) */
    double *cl_add;      /* added to the CHARGELOSS read-noise sum */
    int64_t *bad;        /* the pixel DQ makes the integration's slope NaN */
} ols_clean_k;

/* rn, gain, dark, mrate, pdq: [P] inputs. */
void ols_clean_consts(const ols_ctx *c, int P, const double *rn, const double *gain,
                      const double *dark, const double *mrate, const uint32_t *pdq,
                      const ols_clean_k *k);
/* Slope of each lane's single segment (DN/s) from its ramp y (ols_clean_load).
 * work: scratch [P] */
void ols_clean_slope(const ols_ctx *c, const double *y, int P, const double *rn,
                     const double *gain, double *slope, double *work);
/* The same two with stcal's expressions in stcal's order, for c->bitwise (its bits).
 * work: scratch [2 * P] and [6 * P] */
void ols_clean_consts_exact(const ols_ctx *c, int P, const double *rn, const double *gain,
                            const double *dark, const double *mrate, const uint32_t *pdq,
                            const ols_clean_k *k, double *work);
void ols_clean_slope_exact(const ols_ctx *c, const double *y, int P, const double *rn,
                           const double *gain, const double *invrn2, double *slope,
                           double *work);
/* An integration of the unflagged lanes (clean[x]): the exposure sums `st` updated and the
 * integration products written for every lane (the caller overwrites the flagged lanes'),
 * or with `only_clean` for the unflagged lanes alone (the others' memory may still hold
 * their ramps, products laid over the ramps). */
void ols_clean_int(const ols_ctx *c, int P, const uint8_t *clean, const uint32_t *pdq,
                   const ols_clean_k *k, const double *slope, const ols_soa *st, float *o_slope,
                   float *o_vp, float *o_vr, float *o_err, uint32_t *o_dq, int only_clean);

/* Exposure products of n pixels from their sums (bad gains add DO_NOT_USE and NO_GAIN_VALUE
 * to pixeldq): the inverse-variance combination of the integrations, stcal's flag rules. */
void ols_finish_row(const ols_ctx *c, size_t n, const ols_soa *st, const uint32_t *pixeldq,
                    const float *gain, float *slope, float *var_p, float *var_r, float *err,
                    uint32_t *dq);

#endif
