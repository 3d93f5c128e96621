# cython: freethreading_compatible = True
"""Bridge to src/linemedian.c: shapes are checked here, the C code runs without the GIL."""

from libc.stdint cimport uint8_t


cdef extern from "src/linemedian.h" nogil:
    int jw_masked_line_medians(const float *img, const uint8_t *use, size_t ny, size_t nx,
                               int axis, float fill_value, float *out, int n_threads)


def masked_line_medians(const float[:, ::1] img, const uint8_t[:, ::1] use, int axis,
                        float fill_value, float[::1] out, int n_threads=1):
    cdef Py_ssize_t ny = img.shape[0], nx = img.shape[1]
    if use.shape[0] != ny or use.shape[1] != nx:
        raise ValueError("mask shape does not match the image")
    if axis not in (0, 1):
        raise ValueError("axis must be 0 or 1")
    if out.shape[0] != (ny if axis == 1 else nx):
        raise ValueError("out must have one value per line")
    if ny * nx == 0:
        return
    cdef int code
    with nogil:
        code = jw_masked_line_medians(&img[0, 0], &use[0, 0], ny, nx, axis, fill_value,
                                      &out[0], n_threads)
    if code == 1:
        raise MemoryError("jwcore.detector: could not allocate scratch memory")
    if code != 0:
        raise ValueError(f"jwcore.detector: invalid arguments (status {code})")
