# cython: freethreading_compatible = True
"""Bridge to src/rampflags.c: shapes are checked here, the C code runs without the GIL."""

from libc.stdint cimport int32_t, uint8_t

import numpy as np


cdef extern from "src/rampflags.h" nogil:
    int jw_flag_persistence(uint8_t *gdq, const float *data, double *window,
                            const double *times, size_t ngroups, size_t npix, double duration,
                            float dn_threshold, uint8_t sat_flag, uint8_t flag, long *n_reset,
                            int n_threads)
    int jw_flag_charge_migration(uint8_t *gdq, const float *data, size_t ngroups, size_t ny,
                                 size_t nx, float threshold, uint8_t skip_dq, uint8_t flag,
                                 int32_t *first, int n_threads)


def flag_persistence(uint8_t[:, :, ::1] gdq, const float[:, :, ::1] data,
                     double[:, ::1] window, const double[::1] times, double duration,
                     float dn_threshold, int sat_flag, int flag, int n_threads=1):
    cdef Py_ssize_t ng = gdq.shape[0], ny = gdq.shape[1], nx = gdq.shape[2]
    if window.shape[0] != ny or window.shape[1] != nx:
        raise ValueError("window plane does not match the group DQ")
    if times.shape[0] != ng:
        raise ValueError("one time per group is needed")
    cdef const float *p_data = NULL
    if data is not None:
        if data.shape[0] != ng or data.shape[1] != ny or data.shape[2] != nx:
            raise ValueError("data shape does not match the group DQ")
        if ng * ny * nx:
            p_data = &data[0, 0, 0]
    cdef long n_reset = 0
    if ng * ny * nx == 0:
        return 0
    cdef int code
    with nogil:
        code = jw_flag_persistence(&gdq[0, 0, 0], p_data, &window[0, 0], &times[0], ng,
                                   ny * nx, duration, dn_threshold, <uint8_t>sat_flag,
                                   <uint8_t>flag, &n_reset, n_threads)
    if code != 0:
        raise ValueError(f"jwcore.detector: invalid arguments (status {code})")
    return n_reset


def flag_charge_migration(uint8_t[:, :, ::1] gdq, const float[:, :, ::1] data,
                          float threshold, int skip_dq, int flag, int n_threads=1):
    cdef Py_ssize_t ng = gdq.shape[0], ny = gdq.shape[1], nx = gdq.shape[2]
    if data.shape[0] != ng or data.shape[1] != ny or data.shape[2] != nx:
        raise ValueError("data shape does not match the group DQ")
    if ng * ny * nx == 0:
        return
    first = np.empty((ny, nx), dtype=np.int32)
    cdef int32_t[:, ::1] f = first
    cdef int code
    with nogil:
        code = jw_flag_charge_migration(&gdq[0, 0, 0], &data[0, 0, 0], ng, ny, nx, threshold,
                                        <uint8_t>skip_dq, <uint8_t>flag, &f[0, 0], n_threads)
    if code != 0:
        raise ValueError(f"jwcore.detector: invalid arguments (status {code})")
