/* Large jump events: near-IR snowballs and MIRI showers (stcal 1.20.0 algorithms).
 *
 * Plain C11, no globals.  Ramps are C-contiguous [nints][ngroups][ny][nx].
 */
#ifndef JWCORE_JUMP_EVENTS_H
#define JWCORE_JUMP_EVENTS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    double min_jump_area;         /* pixels (hole-filled) for a jump region to count */
    double min_sat_area;          /* pixels for a newly saturated core to count */
    double expand_factor;         /* growth of the snowball ellipse */
    int sat_required_snowball;    /* a new saturated core must lie inside the jump ellipse */
    double min_sat_radius_extend; /* minor axis above which the core itself is grown */
    double sat_expand;            /* pixels added to the core's axes */
    int edge_size;                /* no core is required this close to the edge */
    double max_extended_width;    /* largest full axis of a grown ellipse */
    int mask_persist_next_int;    /* flag the cores in the next integration */
    int persist_grps_flagged;     /* groups (from the second) flagged there */
    uint8_t fl_sat, fl_jump;
} jw_snowball_params;

/* Find snowballs and flag them in gdq (JUMP_DET, and SATURATED for grown cores).
 * *n_events receives the number of snowballs.  Returns 0, 1 (memory) or 2 (arguments). */
int jw_flag_snowballs(uint8_t *gdq, size_t nints, size_t ngroups, size_t ny, size_t nx,
                      const jw_snowball_params *p, int n_threads, int64_t *n_events);

typedef struct {
    double snr_threshold;       /* smoothed significance that counts as extended emission */
    double min_area;            /* pixels (hole-filled) of an extended region */
    double inner_radius;        /* ring kernel: inner radius */
    double outer_radius;        /* ring kernel: outer radius (inner + width) */
    double expand_ratio;        /* growth of the shower ellipse */
    int groups_masked_after;    /* later groups flagged too */
    double max_amplitude;       /* largest change of the mean difference the flags may cause */
    double max_extended_width;  /* largest full axis of a grown ellipse */
    int minimum_sigclip_groups; /* integrations from which statistics are sigma clipped */
    int min_diffs;              /* fewer usable differences: no detection */
    double nframes;
    uint8_t fl_dnu, fl_sat, fl_jump;
    uint32_t fl_ref; /* pixel DQ value of reference pixels */
} jw_shower_params;

/* Find MIRI showers and flag them (JUMP_DET) in gdq.
 *
 * data   [nints][ngroups][ny][nx] DN;  gdq updated;  pdq [ny][nx];
 * gain, rnoise [ny][nx] (e-/DN, CDS read noise in DN).
 * *n_events receives the number of showers.  Returns 0, 1 (memory) or 2 (arguments). */
int jw_flag_showers(const float *data, uint8_t *gdq, const uint32_t *pdq, const float *gain,
                    const float *rnoise, size_t nints, size_t ngroups, size_t ny, size_t nx,
                    const jw_shower_params *p, int n_threads, int64_t *n_events);

#endif
