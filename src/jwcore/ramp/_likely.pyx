# cython: freethreading_compatible = True
"""Bridge to src/likely.c: shapes are checked here, the C code runs without the GIL."""

from libc.stdint cimport uint8_t, uint32_t

from ._layout cimport plane_stride as _plane_stride


cdef extern from "src/likely.h" nogil:
    ctypedef struct jw_likely_params:
        size_t nints, ngroups, ny, nx
        const double *alpha_ph
        const double *alpha_rn
        const double *beta_ph
        const double *beta_rn
        const double *delta_t
        const uint8_t *two_omit
        int any_two_omit
        double thresh_one, thresh_two
        int use_zeroframe
        int nframes
        uint32_t dnu, sat, jump
        size_t plane_stride
    ctypedef struct jw_likely_rate:
        float *slope
        uint32_t *dq
        float *var_poisson
        float *var_rnoise
        float *err
        float *chisq
    int jw_likely_fit(const jw_likely_params *p, const float *data, const uint8_t *gdq,
                      const uint32_t *pixeldq, const float *readnoise, const float *gain,
                      const float *dark, const float *zeroframe, uint8_t *gdq_jump,
                      float *slope, uint32_t *dq, float *var_poisson, float *var_rnoise,
                      float *err, float *chisq, const jw_likely_rate *rate, int n_threads)
    int jw_likely_combine(size_t nints, size_t npix, const float *slope, const uint32_t *dq,
                          const float *var_poisson, const float *var_rnoise,
                          const float *chisq, uint32_t dnu, float *r_slope, uint32_t *r_dq,
                          float *r_var_poisson, float *r_var_rnoise, float *r_err,
                          float *r_chisq, int n_threads)


cdef int _status(int code) except -1:
    if code == 1:
        raise MemoryError("jwcore.ramp: could not allocate scratch memory")
    if code != 0:
        raise ValueError(f"jwcore.ramp: invalid arguments (status {code})")
    return 0


cdef int _same3(Py_ssize_t *shape, Py_ssize_t a, Py_ssize_t b, Py_ssize_t c) except -1:
    if shape[0] != a or shape[1] != b or shape[2] != c:
        raise ValueError("a per-integration array does not match the data")
    return 0


cdef int _same2(Py_ssize_t *shape, Py_ssize_t a, Py_ssize_t b) except -1:
    if shape[0] != a or shape[1] != b:
        raise ValueError("a rate output does not match the data")
    return 0


cdef int _rate_shapes(float[:, ::1] r_slope, uint32_t[:, ::1] r_dq,
                      float[:, ::1] r_var_poisson, float[:, ::1] r_var_rnoise,
                      float[:, ::1] r_err, float[:, ::1] r_chisq,
                      Py_ssize_t ny, Py_ssize_t nx) except -1:
    """The six exposure (rate) outputs are all (ny, nx)."""
    _same2(r_slope.shape, ny, nx)
    _same2(r_dq.shape, ny, nx)
    _same2(r_var_poisson.shape, ny, nx)
    _same2(r_var_rnoise.shape, ny, nx)
    _same2(r_err.shape, ny, nx)
    if r_chisq is not None:
        _same2(r_chisq.shape, ny, nx)
    return 0


def fit(const float[:, :, :, ::1] data, const uint8_t[:, :, :, ::1] gdq,
        const uint32_t[:, ::1] pixeldq, const float[:, ::1] readnoise,
        const float[:, ::1] gain, const float[:, ::1] dark, const float[:, :, ::1] zeroframe,
        const double[::1] alpha_ph, const double[::1] alpha_rn, const double[::1] beta_ph,
        const double[::1] beta_rn, const double[::1] delta_t, const uint8_t[::1] two_omit,
        double thresh_one, double thresh_two, int nframes, tuple flags,
        uint8_t[:, :, :, ::1] gdq_jump, float[:, :, :] slope, uint32_t[:, :, :] dq,
        float[:, :, :] var_poisson, float[:, :, :] var_rnoise, float[:, :, :] err,
        float[:, :, ::1] chisq, float[:, ::1] r_slope=None, uint32_t[:, ::1] r_dq=None,
        float[:, ::1] r_var_poisson=None, float[:, ::1] r_var_rnoise=None,
        float[:, ::1] r_err=None, float[:, ::1] r_chisq=None, int n_threads=1):
    """Fit the integrations into slope ... chisq; with the r_* arrays (all or none; r_chisq
    goes with chisq, which may be None), also combine them into the exposure products (as
    combine does).  slope ... err have contiguous rows and may have planes apart (in the
    memory of data: see likely.h)."""
    cdef Py_ssize_t k, nints = data.shape[0], ng = data.shape[1]
    cdef Py_ssize_t ny = data.shape[2], nx = data.shape[3]
    for k in range(4):
        if gdq.shape[k] != data.shape[k]:
            raise ValueError("groupdq shape does not match the data")
        if gdq_jump is not None and gdq_jump.shape[k] != data.shape[k]:
            raise ValueError("jump-flag output shape does not match the data")
    if (pixeldq.shape[0] != ny or pixeldq.shape[1] != nx or readnoise.shape[0] != ny
            or readnoise.shape[1] != nx or gain.shape[0] != ny or gain.shape[1] != nx):
        raise ValueError("a (ny, nx) input does not match the data")
    if dark is not None and (dark.shape[0] != ny or dark.shape[1] != nx):
        raise ValueError("average_dark_current shape does not match the data")
    cdef bint use_zf = zeroframe is not None
    if use_zf and (zeroframe.shape[0] != nints or zeroframe.shape[1] != ny
                   or zeroframe.shape[2] != nx):
        raise ValueError("zeroframe shape does not match the data")
    cdef Py_ssize_t ndiff = ng - 1 + (1 if use_zf else 0)
    if (alpha_ph.shape[0] != ndiff or alpha_rn.shape[0] != ndiff
            or delta_t.shape[0] != ndiff or beta_ph.shape[0] != ndiff - 1
            or beta_rn.shape[0] != ndiff - 1 or two_omit.shape[0] != ndiff - 1):
        raise ValueError("covariance arrays do not match the number of differences")
    cdef size_t stride = _plane_stride(
        (slope, dq, var_poisson, var_rnoise, err), nints, ny, nx, "rateints")
    if chisq is not None:
        _same3(chisq.shape, nints, ny, nx)
    cdef bint with_rate = r_slope is not None
    if with_rate:
        if (r_dq is None or r_var_poisson is None or r_var_rnoise is None or r_err is None
                or (r_chisq is None) != (chisq is None)):
            raise ValueError("the rate outputs go together")
        _rate_shapes(r_slope, r_dq, r_var_poisson, r_var_rnoise, r_err, r_chisq, ny, nx)
    cdef jw_likely_params p
    p.nints, p.ngroups, p.ny, p.nx = nints, ng, ny, nx
    p.alpha_ph, p.alpha_rn = &alpha_ph[0], &alpha_rn[0]
    p.beta_ph, p.beta_rn = &beta_ph[0], &beta_rn[0]
    p.delta_t, p.two_omit = &delta_t[0], &two_omit[0]
    p.any_two_omit = 0
    for k in range(ndiff - 1):
        if two_omit[k]:
            p.any_two_omit = 1
    p.thresh_one, p.thresh_two = thresh_one, thresh_two
    p.use_zeroframe = use_zf
    p.nframes = nframes
    p.dnu, p.sat, p.jump = flags
    p.plane_stride = stride
    if data.size == 0:
        return
    cdef const float *p_dark = &dark[0, 0] if dark is not None else NULL
    cdef const float *p_zf = &zeroframe[0, 0, 0] if use_zf else NULL
    cdef uint8_t *p_jump = &gdq_jump[0, 0, 0, 0] if gdq_jump is not None else NULL
    cdef float *p_chisq = &chisq[0, 0, 0] if chisq is not None else NULL
    cdef jw_likely_rate rate
    cdef const jw_likely_rate *p_rate = NULL
    if with_rate:
        rate.slope, rate.dq = &r_slope[0, 0], &r_dq[0, 0]
        rate.chisq = &r_chisq[0, 0] if r_chisq is not None else NULL
        rate.var_poisson, rate.var_rnoise = &r_var_poisson[0, 0], &r_var_rnoise[0, 0]
        rate.err = &r_err[0, 0]
        p_rate = &rate
    cdef int code
    with nogil:
        code = jw_likely_fit(&p, &data[0, 0, 0, 0], &gdq[0, 0, 0, 0], &pixeldq[0, 0],
                             &readnoise[0, 0], &gain[0, 0], p_dark, p_zf, p_jump,
                             &slope[0, 0, 0], &dq[0, 0, 0], &var_poisson[0, 0, 0],
                             &var_rnoise[0, 0, 0], &err[0, 0, 0], p_chisq, p_rate,
                             n_threads)
    _status(code)


def combine(const float[:, :, ::1] slope, const uint32_t[:, :, ::1] dq,
            const float[:, :, ::1] var_poisson, const float[:, :, ::1] var_rnoise,
            const float[:, :, ::1] chisq, uint32_t dnu, float[:, ::1] r_slope,
            uint32_t[:, ::1] r_dq, float[:, ::1] r_var_poisson, float[:, ::1] r_var_rnoise,
            float[:, ::1] r_err, float[:, ::1] r_chisq, int n_threads=1):
    cdef Py_ssize_t nints = slope.shape[0], ny = slope.shape[1], nx = slope.shape[2]
    _same3(dq.shape, nints, ny, nx)
    _same3(var_poisson.shape, nints, ny, nx)
    _same3(var_rnoise.shape, nints, ny, nx)
    if (chisq is None) != (r_chisq is None):
        raise ValueError("chisq and r_chisq go together")
    if chisq is not None:
        _same3(chisq.shape, nints, ny, nx)
    _rate_shapes(r_slope, r_dq, r_var_poisson, r_var_rnoise, r_err, r_chisq, ny, nx)
    if slope.size == 0:
        return
    cdef const float *p_chisq = &chisq[0, 0, 0] if chisq is not None else NULL
    cdef float *p_r_chisq = &r_chisq[0, 0] if r_chisq is not None else NULL
    cdef int code
    with nogil:
        code = jw_likely_combine(nints, ny * nx, &slope[0, 0, 0], &dq[0, 0, 0],
                                 &var_poisson[0, 0, 0], &var_rnoise[0, 0, 0], p_chisq,
                                 dnu, &r_slope[0, 0], &r_dq[0, 0], &r_var_poisson[0, 0],
                                 &r_var_rnoise[0, 0], &r_err[0, 0], p_r_chisq, n_threads)
    _status(code)
