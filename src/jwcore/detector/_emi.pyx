# cython: freethreading_compatible = True
"""Bridge to src/emi.c: shapes are checked here, the C code runs without the GIL."""

from libc.stdint cimport int32_t, uint8_t


cdef extern from "src/emi.h" nogil:
    int jw_emi_phase_sums(const float *data, const uint8_t *ok, const int32_t *phase_index,
                          size_t ngroups, size_t ny, size_t nx, size_t nphases,
                          double *sum_y, double *count)


def phase_sums(const float[:, :, ::1] data, const uint8_t[:, ::1] ok,
               const int32_t[:, ::1] phase_index, double[:, ::1] sum_y, double[::1] count):
    cdef Py_ssize_t ng = data.shape[0], ny = data.shape[1], nx = data.shape[2]
    cdef Py_ssize_t nphases = sum_y.shape[0]
    if ok.shape[0] != ny or ok.shape[1] != nx:
        raise ValueError("ok mask does not match the data")
    if phase_index.shape[0] != ny or phase_index.shape[1] != nx // 4:
        raise ValueError("phase_index must have one entry per row and output channel column")
    if sum_y.shape[1] != ng or count.shape[0] != nphases:
        raise ValueError("sum_y must be (nphases, ngroups) and count (nphases,)")
    if ng * ny * nx == 0 or nphases == 0:
        return
    cdef int code
    with nogil:
        code = jw_emi_phase_sums(&data[0, 0, 0], &ok[0, 0], &phase_index[0, 0], ng, ny, nx,
                                 nphases, &sum_y[0, 0], &count[0])
    if code != 0:
        raise ValueError("jwcore.detector: phase index out of range")
