# cython: freethreading_compatible = True
"""Bridge to src/snowball.c, src/shower.c and src/regions.c (shapes checked, GIL released)."""

from libc.stdint cimport int64_t, uint8_t, uint32_t
from libc.stdlib cimport free

import numpy as np


cdef extern from "src/regions.h" nogil:
    ctypedef struct jw_region:
        double cx, cy, h, w, angle
        int64_t area, area_filled
    ctypedef struct jw_span:
        int row, c0, c1
    int jw_find_regions(const uint8_t *cur, const uint8_t *prev, uint8_t bits, size_t ny,
                        size_t nx, double min_area, jw_region **out, int *nout)
    int jw_ellipse_spans(size_t ny, size_t nx, double cx, double cy, double axis1,
                         double axis2, double alpha, jw_span **spans, int *cap)


cdef extern from "src/events.h" nogil:
    ctypedef struct jw_snowball_params:
        double min_jump_area, min_sat_area, expand_factor
        int sat_required_snowball
        double min_sat_radius_extend, sat_expand
        int edge_size
        double max_extended_width
        int mask_persist_next_int, persist_grps_flagged
        uint8_t fl_sat, fl_jump
    ctypedef struct jw_shower_params:
        double snr_threshold, min_area, inner_radius, outer_radius, expand_ratio
        int groups_masked_after
        double max_amplitude, max_extended_width
        int minimum_sigclip_groups, min_diffs
        double nframes
        uint8_t fl_dnu, fl_sat, fl_jump
        uint32_t fl_ref
    int jw_flag_snowballs(uint8_t *gdq, size_t nints, size_t ngroups, size_t ny, size_t nx,
                          const jw_snowball_params *p, int n_threads, int64_t *n_events)
    int jw_flag_showers(const float *data, uint8_t *gdq, const uint32_t *pdq,
                        const float *gain, const float *rnoise, size_t nints,
                        size_t ngroups, size_t ny, size_t nx, const jw_shower_params *p,
                        int n_threads, int64_t *n_events)


cdef int _status(int code) except -1:
    if code == 1:
        raise MemoryError("jwcore.jump: could not allocate scratch memory")
    if code != 0:
        raise ValueError(f"jwcore.jump: invalid arguments (status {code})")
    return 0


def find_regions(const uint8_t[:, ::1] mask, double min_area):
    """Regions as a list of (cx, cy, h, w, angle, area, area_filled)."""
    cdef jw_region *out = NULL
    cdef int n = 0, code = 0
    cdef Py_ssize_t ny = mask.shape[0], nx = mask.shape[1]
    if ny * nx == 0:
        return []
    with nogil:
        code = jw_find_regions(&mask[0, 0], NULL, 1, ny, nx, min_area, &out, &n)
    try:
        _status(code)
        return [(out[i].cx, out[i].cy, out[i].h, out[i].w, out[i].angle, out[i].area,
                 out[i].area_filled) for i in range(n)]
    finally:
        free(out)


def ellipse_mask(Py_ssize_t ny, Py_ssize_t nx, double cx, double cy, double axis1,
                 double axis2, double alpha):
    """Boolean image of the pixels stcal's ellipse_subim fills."""
    cdef jw_span *spans = NULL
    cdef int cap = 0, n
    out = np.zeros((ny, nx), dtype=bool)
    with nogil:
        n = jw_ellipse_spans(ny, nx, cx, cy, axis1, axis2, alpha, &spans, &cap)
    try:
        if n < 0:
            raise MemoryError("jwcore.jump: could not allocate scratch memory")
        for i in range(n):
            out[spans[i].row, spans[i].c0:spans[i].c1] = True
        return out
    finally:
        free(spans)


def snowballs(uint8_t[:, :, :, ::1] gdq, *, double min_jump_area, double min_sat_area,
              double expand_factor, bint sat_required_snowball, double min_sat_radius_extend,
              double sat_expand, int edge_size, double max_extended_width,
              bint mask_persist_next_int, int persist_grps_flagged, int saturated,
              int jump_det, int n_threads=1):
    cdef jw_snowball_params p
    p.min_jump_area = min_jump_area
    p.min_sat_area = min_sat_area
    p.expand_factor = expand_factor
    p.sat_required_snowball = sat_required_snowball
    p.min_sat_radius_extend = min_sat_radius_extend
    p.sat_expand = sat_expand
    p.edge_size = edge_size
    p.max_extended_width = max_extended_width
    p.mask_persist_next_int = mask_persist_next_int
    p.persist_grps_flagged = persist_grps_flagged
    p.fl_sat = <uint8_t>saturated
    p.fl_jump = <uint8_t>jump_det
    cdef Py_ssize_t ni = gdq.shape[0], ng = gdq.shape[1], ny = gdq.shape[2], nx = gdq.shape[3]
    cdef int64_t n = 0
    cdef int code = 0
    if ni * ng * ny * nx == 0:
        return 0
    with nogil:
        code = jw_flag_snowballs(&gdq[0, 0, 0, 0], ni, ng, ny, nx, &p, n_threads, &n)
    _status(code)
    return n


def showers(const float[:, :, :, ::1] data, uint8_t[:, :, :, ::1] gdq,
            const uint32_t[:, ::1] pdq, const float[:, ::1] gain, const float[:, ::1] rnoise,
            *, double snr_threshold, double min_area, double inner_radius,
            double outer_radius, double expand_ratio, int groups_masked_after,
            double max_amplitude, double max_extended_width, int minimum_sigclip_groups,
            int min_diffs, double nframes, int do_not_use, int saturated, int jump_det,
            unsigned int reference_pixel, int n_threads=1):
    cdef Py_ssize_t ni = data.shape[0], ng = data.shape[1]
    cdef Py_ssize_t ny = data.shape[2], nx = data.shape[3]
    if (gdq.shape[0] != ni or gdq.shape[1] != ng or gdq.shape[2] != ny
            or gdq.shape[3] != nx):
        raise ValueError("groupdq shape does not match the data")
    for name, arr in (("pixeldq", pdq), ("gain", gain), ("readnoise", rnoise)):
        if arr.shape[0] != ny or arr.shape[1] != nx:
            raise ValueError(f"{name} shape does not match the data")
    cdef jw_shower_params p
    p.snr_threshold = snr_threshold
    p.min_area = min_area
    p.inner_radius = inner_radius
    p.outer_radius = outer_radius
    p.expand_ratio = expand_ratio
    p.groups_masked_after = groups_masked_after
    p.max_amplitude = max_amplitude
    p.max_extended_width = max_extended_width
    p.minimum_sigclip_groups = minimum_sigclip_groups
    p.min_diffs = min_diffs
    p.nframes = nframes
    p.fl_dnu = <uint8_t>do_not_use
    p.fl_sat = <uint8_t>saturated
    p.fl_jump = <uint8_t>jump_det
    p.fl_ref = <uint32_t>reference_pixel
    cdef int64_t n = 0
    cdef int code = 0
    if ni * ng * ny * nx == 0:
        return 0
    with nogil:
        code = jw_flag_showers(&data[0, 0, 0, 0], &gdq[0, 0, 0, 0], &pdq[0, 0], &gain[0, 0],
                               &rnoise[0, 0], ni, ng, ny, nx, &p, n_threads, &n)
    _status(code)
    return n
