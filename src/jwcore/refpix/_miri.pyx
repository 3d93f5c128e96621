# cython: freethreading_compatible = True
"""Bridge to src/rp_miri.c: shapes are checked here, the C code runs without the GIL."""

from libc.stdint cimport uint8_t


cdef extern from "src/rp_miri.h" nogil:
    int rp_miri_correct(const float *inp, float *out, size_t nints, size_t ngroups, size_t ny,
                        size_t nx, const uint8_t *ref_ok, int odd_even_rows, double siglimit,
                        int n_threads)


def correct(const float[:, :, :, ::1] data, float[:, :, :, ::1] out,
            const uint8_t[:, :, ::1] ref_ok, bint odd_even_rows, double siglimit,
            int n_threads=1):
    """Correct MIRI groups ``data`` into ``out``; ``ref_ok`` is (2, 4, ny)."""
    cdef Py_ssize_t ni = data.shape[0], ng = data.shape[1]
    cdef Py_ssize_t ny = data.shape[2], nx = data.shape[3]
    if (out.shape[0] != ni or out.shape[1] != ng or out.shape[2] != ny
            or out.shape[3] != nx):
        raise ValueError("output shape does not match the data")
    if ref_ok.shape[0] != 2 or ref_ok.shape[1] != 4 or ref_ok.shape[2] != ny:
        raise ValueError("reference-pixel mask must have shape (2, 4, ny)")
    if nx < 8:
        raise ValueError("MIRI data need at least 8 columns")
    if ni * ng * ny == 0:
        return
    cdef int code
    with nogil:
        code = rp_miri_correct(&data[0, 0, 0, 0], &out[0, 0, 0, 0], ni, ng, ny, nx,
                               &ref_ok[0, 0, 0], odd_even_rows, siglimit, n_threads)
    if code == 1:
        raise MemoryError("jwcore.refpix: could not allocate scratch memory")
    if code != 0:
        raise ValueError(f"jwcore.refpix: invalid arguments (status {code})")
