# cython: freethreading_compatible = True
"""Bridge to src/saturation.c: shapes are checked here, the C code runs without the GIL."""

from libc.stdint cimport uint8_t

import numpy as np


cdef extern from "src/saturation.h" nogil:
    ctypedef struct jw_sat_flags:
        uint8_t saturated
        uint8_t do_not_use
        uint8_t ad_floor
    int jw_flag_saturation(const float *data, const float *thresh, const uint8_t *nosat,
                           const float *bias, const double *frame_mean,
                           const double *frame_last, const double *frame_count,
                           uint8_t *gdq, float *zframe, size_t ngroups, size_t ny, size_t nx,
                           int n_grow, jw_sat_flags flags, int n_threads)
    void jw_dilate_square(const uint8_t *inp, uint8_t *out, uint8_t *tmp, size_t ny,
                          size_t nx, int n, int n_threads)


cdef int _status(int code) except -1:
    if code == 1:
        raise MemoryError("jwcore.detector: could not allocate scratch memory")
    if code != 0:
        raise ValueError(f"jwcore.detector: invalid arguments (status {code})")
    return 0


def flag_integration(const float[:, :, ::1] data, const float[:, ::1] thresh,
                     uint8_t[:, :, ::1] gdq, const uint8_t[:, ::1] nosat=None,
                     const float[:, ::1] bias=None, const double[::1] frame_mean=None,
                     const double[::1] frame_last=None, const double[::1] frame_count=None,
                     float[:, ::1] zframe=None, int n_grow=1, int saturated=2,
                     int do_not_use=1, int ad_floor=64, int n_threads=1):
    cdef Py_ssize_t ng = data.shape[0], ny = data.shape[1], nx = data.shape[2]
    if thresh.shape[0] != ny or thresh.shape[1] != nx:
        raise ValueError("threshold shape does not match the data")
    if gdq.shape[0] != ng or gdq.shape[1] != ny or gdq.shape[2] != nx:
        raise ValueError("groupdq shape does not match the data")
    if nosat is not None and (nosat.shape[0] != ny or nosat.shape[1] != nx):
        raise ValueError("no-sat-check mask shape does not match the data")
    if bias is not None and (bias.shape[0] != ny or bias.shape[1] != nx):
        raise ValueError("bias shape does not match the data")
    if zframe is not None and (zframe.shape[0] != ny or zframe.shape[1] != nx):
        raise ValueError("zeroframe shape does not match the data")
    cdef bint use_rp = frame_mean is not None
    if use_rp and (frame_last is None or frame_count is None or frame_mean.shape[0] != ng
                   or frame_last.shape[0] != ng or frame_count.shape[0] != ng):
        raise ValueError("read-pattern arrays must all have one entry per group")
    cdef jw_sat_flags fl
    fl.saturated = <uint8_t>saturated
    fl.do_not_use = <uint8_t>do_not_use
    fl.ad_floor = <uint8_t>ad_floor
    cdef const uint8_t *p_nosat = &nosat[0, 0] if nosat is not None and ny * nx else NULL
    cdef const float *p_bias = &bias[0, 0] if bias is not None and ny * nx else NULL
    cdef float *p_z = &zframe[0, 0] if zframe is not None and ny * nx else NULL
    cdef const double *p_mean = &frame_mean[0] if use_rp else NULL
    cdef const double *p_last = &frame_last[0] if use_rp else NULL
    cdef const double *p_cnt = &frame_count[0] if use_rp else NULL
    cdef int code = 0
    if ng * ny * nx == 0:
        return
    with nogil:
        code = jw_flag_saturation(&data[0, 0, 0], &thresh[0, 0], p_nosat, p_bias, p_mean,
                                  p_last, p_cnt, &gdq[0, 0, 0], p_z, ng, ny, nx, n_grow, fl,
                                  n_threads)
    _status(code)


def dilate_square(const uint8_t[:, ::1] mask, uint8_t[:, ::1] out, int n, int n_threads=1):
    cdef Py_ssize_t ny = mask.shape[0], nx = mask.shape[1]
    if out.shape[0] != ny or out.shape[1] != nx:
        raise ValueError("output shape does not match the mask")
    if ny * nx == 0:
        return
    tmp = np.empty((ny, nx), dtype=np.uint8)
    cdef uint8_t[:, ::1] t = tmp
    with nogil:
        jw_dilate_square(&mask[0, 0], &out[0, 0], &t[0, 0], ny, nx, n, n_threads)
