# cython: freethreading_compatible = True
"""Bridge to src/twopoint.c: shapes are checked here, the C code runs without the GIL."""

from libc.stdint cimport int64_t, uint8_t


cdef extern from "src/select.h" nogil:
    int jw_nanmedian_f32(const float *a, size_t n, int n_threads, float *out)


cdef extern from "src/twopoint.h" nogil:
    ctypedef struct jw_twopt_params:
        double rejection_threshold
        double three_group_threshold
        double four_group_threshold
        int flag_4_neighbors
        double max_jump_to_flag_neighbors
        double min_jump_to_flag_neighbors
        double after_jump_e1
        double after_jump_e2
        int after_jump_n1
        int after_jump_n2
        int min_diffs_single_pass
        int minimum_groups
        int minimum_sigclip_groups
        int only_use_ints
        double nframes
        uint8_t fl_dnu
        uint8_t fl_sat
        uint8_t fl_jump
    ctypedef struct jw_twopt_result:
        int mode
        int64_t n_primary
    int jw_jump_twopoint(const float *data, uint8_t *gdq, const float *gain,
                         const float *rnoise, size_t nints, size_t ngroups, size_t ny,
                         size_t nx, const jw_twopt_params *p, int n_threads,
                         jw_twopt_result *res)


cdef int _status(int code) except -1:
    if code == 1:
        raise MemoryError("jwcore.jump: could not allocate scratch memory")
    if code != 0:
        raise ValueError(f"jwcore.jump: invalid arguments (status {code})")
    return 0


def twopoint(const float[:, :, :, ::1] data, uint8_t[:, :, :, ::1] gdq,
             const float[:, ::1] gain, const float[:, ::1] rnoise, *,
             double rejection_threshold, double three_group_threshold,
             double four_group_threshold, bint flag_4_neighbors,
             double max_jump_to_flag_neighbors, double min_jump_to_flag_neighbors,
             double after_jump_e1, double after_jump_e2, int after_jump_n1,
             int after_jump_n2, int min_diffs_single_pass, int minimum_groups,
             int minimum_sigclip_groups, bint only_use_ints, double nframes,
             int do_not_use, int saturated, int jump_det, int n_threads=1):
    """Run the C kernel; returns (mode, number of primary jumps)."""
    cdef Py_ssize_t ni = data.shape[0], ng = data.shape[1]
    cdef Py_ssize_t ny = data.shape[2], nx = data.shape[3]
    if (gdq.shape[0] != ni or gdq.shape[1] != ng or gdq.shape[2] != ny
            or gdq.shape[3] != nx):
        raise ValueError("groupdq shape does not match the data")
    if gain.shape[0] != ny or gain.shape[1] != nx:
        raise ValueError("gain shape does not match the data")
    if rnoise.shape[0] != ny or rnoise.shape[1] != nx:
        raise ValueError("readnoise shape does not match the data")
    cdef jw_twopt_params p
    p.rejection_threshold = rejection_threshold
    p.three_group_threshold = three_group_threshold
    p.four_group_threshold = four_group_threshold
    p.flag_4_neighbors = flag_4_neighbors
    p.max_jump_to_flag_neighbors = max_jump_to_flag_neighbors
    p.min_jump_to_flag_neighbors = min_jump_to_flag_neighbors
    p.after_jump_e1 = after_jump_e1
    p.after_jump_e2 = after_jump_e2
    p.after_jump_n1 = after_jump_n1
    p.after_jump_n2 = after_jump_n2
    p.min_diffs_single_pass = min_diffs_single_pass
    p.minimum_groups = minimum_groups
    p.minimum_sigclip_groups = minimum_sigclip_groups
    p.only_use_ints = only_use_ints
    p.nframes = nframes
    p.fl_dnu = <uint8_t>do_not_use
    p.fl_sat = <uint8_t>saturated
    p.fl_jump = <uint8_t>jump_det
    cdef jw_twopt_result res
    res.mode = 0
    res.n_primary = 0
    cdef int code = 0
    if ni * ng * ny * nx == 0:
        return 0, 0
    with nogil:
        code = jw_jump_twopoint(&data[0, 0, 0, 0], &gdq[0, 0, 0, 0], &gain[0, 0],
                                &rnoise[0, 0], ni, ng, ny, nx, &p, n_threads, &res)
    _status(code)
    return res.mode, res.n_primary


def nanmedian_f32(const float[:, ::1] a, int n_threads=1):
    """numpy.nanmedian of a float32 image, computed in parallel (NaN if all are NaN)."""
    cdef float out = 0.0
    cdef int code = 0
    cdef size_t n = <size_t>(a.shape[0] * a.shape[1])
    if n == 0:
        return float("nan")
    with nogil:
        code = jw_nanmedian_f32(&a[0, 0], n, n_threads, &out)
    _status(code)
    return out
