/* Near-infrared reference-pixel correction of up-the-ramp groups (NIRCam, NIRISS, NIRSpec,
 * FGS): full frame, subarrays, multistripe and the IRS2 mean offset.
 *
 * Every mode is the same computation on a different "plan", which the Python layer builds
 * from the geometry once per exposure:
 *   1. reference sets: lists of pixels whose sigma-clipped mean is a reference level
 *      (top and bottom rows per amplifier and column parity, or every flagged reference pixel
 *      of a subarray), given as flat indices into the group plane in the order the official
 *      pipeline gathers them (which fixes the float32 rounding of the mean);
 *   2. classes of detector columns (amplifier x parity): the level of a class is the average
 *      of up to two sets (top and bottom) and is subtracted from every pixel of the class;
 *   3. optionally the side reference columns (4 at each end of a detector row), corrected by
 *      step 2, then smoothed along detector rows by a running median (or convolved with the
 *      SIRS kernels) and subtracted row by row.
 * Detector columns run along one axis of the stored (DMS) plane and detector rows along the
 * other; line_cls/line_chan are indexed along the first, cross_row along the second.
 *
 * Working precision.  The official code keeps its group buffer in float32 until the first
 * side-pixel correction returns a float64 array, and reuses that float64 buffer for every
 * later group.  Group 0 of a call is computed in float32 when `first_f32` is set and the
 * side correction is on; with the side correction off everything is float32.
 */
#ifndef JWCORE_RP_NIR_H
#define JWCORE_RP_NIR_H

#include <stddef.h>
#include <stdint.h>

#define RP_OK 0
#define RP_ERR_ALLOC 1
#define RP_ERR_ARG 2

#define RP_SIDE_NONE 0
#define RP_SIDE_MEDIAN 1
#define RP_SIDE_SIRS 2

typedef struct {
    size_t ny, nx;              /* the stored plane of one group */
    int det_cols_along_x;       /* 1: detector columns run along x (|fastaxis| == 1) */
    const int16_t *line_cls;    /* class of each detector column, per stored column/row; -1 */
    const int16_t *line_chan;   /* SIRS channel per stored column/row (NULL unless SIRS) */
    const int32_t *cross_row;   /* detector row per stored row/column (NULL without side) */

    int nsets;
    const int64_t *set_off;     /* [nsets + 1] */
    const int64_t *set_idx;     /* flat plane indices, official gathering order */
    int ncls;
    const int32_t *cls_set_a;   /* [ncls] set averaged into the class level, or -1 */
    const int32_t *cls_set_b;   /* [ncls] second set (bottom rows), or -1 */
    const int32_t *cls_partner; /* [ncls] class that must also have a level, or -1 */
    double siglimit;            /* sigma-clipping limit of the reference means */

    int side_mode;              /* RP_SIDE_* */
    size_t nrows_det;           /* detector rows covered by the side columns */
    const int64_t *side_idx;    /* [2][nrows_det][4] plane index, -1 outside the data */
    const uint8_t *side_ok;     /* [2][nrows_det][4] usable for the running median */
    const int16_t *side_cls;    /* [2][4] class of the 8 side columns, -1 none */
    int smooth_len;             /* running-median window, detector rows */
    double side_gain;

    int nchan;                  /* SIRS channels (amplifiers) */
    size_t klen;                /* SIRS kernel length */
    const double *kern_left;    /* [nchan][klen] */
    const double *kern_right;   /* [nchan][klen] */
    double sigreject;           /* SIRS outlier rejection, in robust sigmas */
} rp_nir_plan;

/* Correct `ngroups` planes of in[ngroups][ny][nx] into out (which may alias in).
 * Returns RP_OK, RP_ERR_ALLOC or RP_ERR_ARG. */
int rp_nir_correct(const rp_nir_plan *p, const float *in, float *out, size_t ngroups,
                   int first_f32, int n_threads);

#endif
