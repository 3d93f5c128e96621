/* Two-point difference jump detection on up-the-ramp data (JWST/stcal algorithm).
 *
 * Plain C11 on pointers and sizes: no Python, no globals.  Ramps are C-contiguous
 * [nints][ngroups][ny][nx]; reference planes are [ny][nx].
 */
#ifndef JWCORE_TWOPOINT_H
#define JWCORE_TWOPOINT_H

#include <stddef.h>
#include <stdint.h>

#define JW_OK 0
#define JW_ERR_ALLOC 1
#define JW_ERR_ARG 2

/* Which detection the kernel ran (decided from the counts of fully DO_NOT_USE groups). */
enum {
    JW_TP_SKIPPED = 0,     /* too few usable groups: only redundant JUMP bits were removed */
    JW_TP_ITERATIVE = 1,   /* clip the largest outlier, re-estimate, repeat */
    JW_TP_SINGLE_PASS = 2, /* one comparison against the median of all differences */
    JW_TP_SIGMA_CLIP = 3   /* sigma clipping across integrations (or all differences) */
};

typedef struct {
    double rejection_threshold;  /* sigma, 4 or more usable differences */
    double three_group_threshold; /* sigma, 2 usable differences (3 groups) */
    double four_group_threshold;  /* sigma, 3 usable differences (4 groups) */
    int flag_4_neighbors;
    double max_jump_to_flag_neighbors; /* sigma */
    double min_jump_to_flag_neighbors; /* sigma */
    double after_jump_e1, after_jump_e2; /* jump amplitudes in electrons */
    int after_jump_n1, after_jump_n2;    /* groups flagged after such jumps */
    int min_diffs_single_pass;
    int minimum_groups;
    int minimum_sigclip_groups;
    int only_use_ints;
    double nframes; /* frames averaged per group */
    uint8_t fl_dnu, fl_sat, fl_jump;
} jw_twopt_params;

typedef struct {
    int mode;          /* JW_TP_* */
    int64_t n_primary; /* groups carrying JUMP_DET before neighbour/after-jump flagging */
} jw_twopt_result;

/* Detect jumps and update gdq in place.
 *
 * data    [nints][ngroups][ny][nx] group values in DN
 * gdq     [nints][ngroups][ny][nx] group DQ, updated
 * gain    [ny][nx] e-/DN; the detection works in electrons (data*gain, readnoise*gain)
 * rnoise  [ny][nx] correlated-double-sample read noise in DN
 *
 * Returns JW_OK, JW_ERR_ALLOC or JW_ERR_ARG.
 */
int jw_jump_twopoint(const float *data, uint8_t *gdq, const float *gain, const float *rnoise,
                     size_t nints, size_t ngroups, size_t ny, size_t nx,
                     const jw_twopt_params *p, int n_threads, jw_twopt_result *res);

#endif
