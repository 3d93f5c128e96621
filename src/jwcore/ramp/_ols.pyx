# cython: freethreading_compatible = True
"""Bridge to src/ols.c: shapes are checked here, the C code runs without the GIL."""

from libc.stdint cimport uint8_t, uint32_t

from ._layout cimport plane_stride as _plane_stride


cdef extern from "src/ols.h" nogil:
    ctypedef struct jw_ramp_flags:
        uint32_t dnu, sat, jump, pers, chargeloss, no_gain
    ctypedef struct jw_ols_params:
        size_t nints, ngroups, ny, nx
        double frame_time, group_time
        int nframes, groupgap, dropframes
        int suppress_one_group
        int bitwise
        jw_ramp_flags flags
    ctypedef struct jw_ols_input:
        const float *data
        const uint8_t *gdq
        const uint32_t *pixeldq
        const float *readnoise
        const float *gain
        const float *dark
        const float *zeroframe
    ctypedef struct jw_ramp_products:
        float *slope
        float *var_poisson
        float *var_rnoise
        float *err
        uint32_t *dq
        size_t plane_stride
    ctypedef struct jw_ols_opt:
        size_t max_segs, max_crs
        float *slope
        float *sigslope
        float *var_poisson
        float *var_rnoise
        float *yint
        float *sigyint
        float *weights
        float *pedestal
        float *crmag
    ctypedef struct jw_ols_accum:
        double *inv_vp
        double *inv_vr
        double *slope_num
        double *inv_vr_cl
        uint8_t *state
    int jw_ols_median_sum(const jw_ols_params *p, const jw_ols_input *inp, double *median_sum,
                          int n_threads)
    int jw_ols_fit(const jw_ols_params *p, const jw_ols_input *inp, const double *median_sum,
                   double median_nints, jw_ramp_products *ints, jw_ols_accum *acc,
                   jw_ramp_products *rate, jw_ols_opt *opt, int n_threads)
    void jw_ols_accum_init(jw_ols_accum *acc, size_t npix)
    int jw_ols_finish(const jw_ols_params *p, const uint32_t *pixeldq, const float *gain,
                      const jw_ols_accum *acc, jw_ramp_products *rate, int n_threads)
    int jw_ols_count(const jw_ols_params *p, const jw_ols_input *inp, size_t *max_segs,
                     size_t *max_crs, int n_threads)


cdef int _status(int code) except -1:
    if code == 1:
        raise MemoryError("jwcore.ramp: could not allocate scratch memory")
    if code == 3:
        raise ValueError("jwcore.ramp: an optional-product axis is too short for the segments")
    if code != 0:
        raise ValueError(f"jwcore.ramp: invalid arguments (status {code})")
    return 0


cdef class OlsSetup:
    """Parameters of an OLS fit: read pattern, flag values, options."""

    cdef jw_ols_params p

    def __init__(self, double frame_time, double group_time, int nframes, int groupgap,
                 int dropframes, bint suppress_one_group, flags, bint bitwise=False):
        self.p.frame_time = frame_time
        self.p.group_time = group_time
        self.p.nframes = nframes
        self.p.groupgap = groupgap
        self.p.dropframes = dropframes
        self.p.suppress_one_group = suppress_one_group
        self.p.bitwise = bitwise
        (self.p.flags.dnu, self.p.flags.sat, self.p.flags.jump, self.p.flags.pers,
         self.p.flags.chargeloss, self.p.flags.no_gain) = flags


cdef void _shape(jw_ols_params *p, const float[:, :, :, ::1] data) noexcept:
    p.nints = data.shape[0]
    p.ngroups = data.shape[1]
    p.ny = data.shape[2]
    p.nx = data.shape[3]


cdef int _check_inputs(const float[:, :, :, ::1] data, const uint8_t[:, :, :, ::1] gdq,
                       const float[:, :, ::1] zeroframe) except -1:
    cdef Py_ssize_t k
    for k in range(4):
        if gdq.shape[k] != data.shape[k]:
            raise ValueError("groupdq shape does not match the data")
    if zeroframe is not None and (zeroframe.shape[0] != data.shape[0]
                                  or zeroframe.shape[1] != data.shape[2]
                                  or zeroframe.shape[2] != data.shape[3]):
        raise ValueError("zeroframe shape does not match the data")
    return 0


cdef int _check_plane(arr, Py_ssize_t ny, Py_ssize_t nx, str name) except -1:
    if arr.shape[0] != ny or arr.shape[1] != nx:
        raise ValueError(f"{name} shape does not match the data")
    return 0


cdef int _check_rows(tuple planes, Py_ssize_t ny, Py_ssize_t nx, str name) except -1:
    for arr in planes:
        _check_plane(arr, ny, nx, name)
        if arr.strides[1] != 4 or (ny > 1 and arr.strides[0] != 4 * nx):
            raise ValueError(f"{name} outputs need contiguous rows")
    return 0


def median_sum(OlsSetup setup, const float[:, :, :, ::1] data,
               const uint8_t[:, :, :, ::1] gdq, const float[:, :, ::1] zeroframe,
               const float[:, ::1] gain, double[:, ::1] out, int n_threads=1):
    _check_inputs(data, gdq, zeroframe)
    _check_plane(gain, data.shape[2], data.shape[3], "gain")
    _check_plane(out, data.shape[2], data.shape[3], "median_sum")
    cdef jw_ols_params p = setup.p
    _shape(&p, data)
    if data.size == 0:
        return
    # The median pass reads the data, the group DQ, the zero frame and the gain (which
    # ramps are clean); the other inputs are not used and are set to NULL, not left as
    # stack garbage.
    cdef jw_ols_input inp
    inp.data = &data[0, 0, 0, 0]
    inp.gdq = &gdq[0, 0, 0, 0]
    inp.pixeldq = NULL
    inp.readnoise = NULL
    inp.dark = NULL
    inp.gain = &gain[0, 0]
    inp.zeroframe = &zeroframe[0, 0, 0] if zeroframe is not None else NULL
    cdef int code
    with nogil:
        code = jw_ols_median_sum(&p, &inp, &out[0, 0], n_threads)
    _status(code)


def fit(OlsSetup setup, const float[:, :, :, ::1] data, const uint8_t[:, :, :, ::1] gdq,
        const uint32_t[:, ::1] pixeldq, const float[:, ::1] readnoise,
        const float[:, ::1] gain, const float[:, ::1] dark, const float[:, :, ::1] zeroframe,
        const double[:, ::1] median_sum_in, double median_nints, tuple ints, tuple acc,
        tuple rate, tuple opt, int n_threads=1):
    """ints/rate: (slope, var_poisson, var_rnoise, err, dq); acc: (inv_vp, inv_vr,
    slope_num, inv_vr_cl, state); opt: (slope, sigslope, var_poisson, var_rnoise, yint,
    sigyint, weights, pedestal, crmag)."""
    _check_inputs(data, gdq, zeroframe)
    cdef Py_ssize_t nints = data.shape[0], ny = data.shape[2], nx = data.shape[3]
    for arr, name in ((pixeldq, "pixeldq"), (readnoise, "readnoise"), (gain, "gain")):
        _check_plane(arr, ny, nx, name)
    if dark is not None:
        _check_plane(dark, ny, nx, "average_dark_current")
    if median_sum_in is not None:
        _check_plane(median_sum_in, ny, nx, "median_sum")
    # Strided views: the planes may sit apart (in the groups of the ramps); rows are
    # checked to be contiguous.
    cdef float[:, :, :] i_slope = ints[0], i_vp = ints[1], i_vr = ints[2], i_err = ints[3]
    cdef uint32_t[:, :, :] i_dq = ints[4]
    cdef size_t i_stride = _plane_stride(ints, nints, ny, nx, "rateints")
    cdef float[:, ::1] r_slope, r_vp, r_vr, r_err
    cdef uint32_t[:, ::1] r_dq
    if rate is not None:
        r_slope, r_vp, r_vr, r_err, r_dq = rate
        _check_rows(rate, ny, nx, "rate")
    cdef double[:, ::1] a_vp, a_vr, a_sn, a_cl
    cdef uint8_t[:, ::1] a_st
    if acc is not None:
        a_vp, a_vr, a_sn, a_cl, a_st = acc
        for arr in acc:
            _check_plane(arr, ny, nx, "accumulator")
    cdef float[:, :, :, ::1] o_sl, o_ss, o_vp, o_vr, o_yi, o_sy, o_w, o_cr
    cdef float[:, :, ::1] o_ped
    if opt is not None:
        o_sl, o_ss, o_vp, o_vr, o_yi, o_sy, o_w, o_ped, o_cr = opt
        for arr in opt[:7]:
            if (arr.shape[0] != nints or arr.shape[1] != o_sl.shape[1]
                    or arr.shape[2] != ny or arr.shape[3] != nx):
                raise ValueError("optional segment output shape does not match the data")
        if o_ped.shape[0] != nints or o_ped.shape[1] != ny or o_ped.shape[2] != nx:
            raise ValueError("pedestal output shape does not match the data")
        if o_cr.shape[0] != nints or o_cr.shape[2] != ny or o_cr.shape[3] != nx:
            raise ValueError("crmag output shape does not match the data")

    cdef jw_ols_params p = setup.p
    _shape(&p, data)
    if data.size == 0:
        return
    cdef jw_ols_input inp
    inp.data = &data[0, 0, 0, 0]
    inp.gdq = &gdq[0, 0, 0, 0]
    inp.pixeldq = &pixeldq[0, 0]
    inp.readnoise = &readnoise[0, 0]
    inp.gain = &gain[0, 0]
    inp.dark = &dark[0, 0] if dark is not None else NULL
    inp.zeroframe = &zeroframe[0, 0, 0] if zeroframe is not None else NULL
    cdef const double *p_med = &median_sum_in[0, 0] if median_sum_in is not None else NULL
    cdef jw_ramp_products ip, rp
    ip.slope, ip.var_poisson, ip.var_rnoise = &i_slope[0, 0, 0], &i_vp[0, 0, 0], &i_vr[0, 0, 0]
    ip.err, ip.dq = &i_err[0, 0, 0], &i_dq[0, 0, 0]
    ip.plane_stride = i_stride
    cdef jw_ramp_products *p_rate = NULL
    if rate is not None:
        rp.slope, rp.var_poisson, rp.var_rnoise = &r_slope[0, 0], &r_vp[0, 0], &r_vr[0, 0]
        rp.err, rp.dq = &r_err[0, 0], &r_dq[0, 0]
        rp.plane_stride = ny * nx
        p_rate = &rp
    cdef jw_ols_accum ac
    cdef jw_ols_accum *p_acc = NULL
    if acc is not None:
        ac.inv_vp, ac.inv_vr, ac.slope_num = &a_vp[0, 0], &a_vr[0, 0], &a_sn[0, 0]
        ac.inv_vr_cl, ac.state = &a_cl[0, 0], &a_st[0, 0]
        p_acc = &ac
    cdef jw_ols_opt op
    cdef jw_ols_opt *p_opt = NULL
    cdef float dummy = 0
    if opt is not None:
        op.max_segs = o_sl.shape[1]
        op.max_crs = o_cr.shape[1]
        if op.max_segs > 0:
            op.slope, op.sigslope = &o_sl[0, 0, 0, 0], &o_ss[0, 0, 0, 0]
            op.var_poisson, op.var_rnoise = &o_vp[0, 0, 0, 0], &o_vr[0, 0, 0, 0]
            op.yint, op.sigyint = &o_yi[0, 0, 0, 0], &o_sy[0, 0, 0, 0]
            op.weights = &o_w[0, 0, 0, 0]
        else:
            op.slope = op.sigslope = op.var_poisson = op.var_rnoise = &dummy
            op.yint = op.sigyint = op.weights = &dummy
        op.pedestal = &o_ped[0, 0, 0]
        op.crmag = &o_cr[0, 0, 0, 0] if op.max_crs > 0 else &dummy
        p_opt = &op
    cdef int code
    with nogil:
        code = jw_ols_fit(&p, &inp, p_med, median_nints, &ip, p_acc, p_rate, p_opt, n_threads)
    _status(code)


def accum_init(tuple acc):
    cdef double[:, ::1] a_vp, a_vr, a_sn, a_cl
    cdef uint8_t[:, ::1] a_st
    a_vp, a_vr, a_sn, a_cl, a_st = acc
    cdef jw_ols_accum ac
    if a_vp.size == 0:
        return
    ac.inv_vp, ac.inv_vr, ac.slope_num = &a_vp[0, 0], &a_vr[0, 0], &a_sn[0, 0]
    ac.inv_vr_cl, ac.state = &a_cl[0, 0], &a_st[0, 0]
    jw_ols_accum_init(&ac, a_vp.size)


def finish(OlsSetup setup, const uint32_t[:, ::1] pixeldq, const float[:, ::1] gain,
           tuple acc, tuple rate, int ngroups, int n_threads=1):
    cdef Py_ssize_t ny = pixeldq.shape[0], nx = pixeldq.shape[1]
    _check_plane(gain, ny, nx, "gain")
    cdef double[:, ::1] a_vp, a_vr, a_sn, a_cl
    cdef uint8_t[:, ::1] a_st
    a_vp, a_vr, a_sn, a_cl, a_st = acc
    cdef float[:, ::1] r_slope, r_vp, r_vr, r_err
    cdef uint32_t[:, ::1] r_dq
    r_slope, r_vp, r_vr, r_err, r_dq = rate
    for arr in acc:
        _check_plane(arr, ny, nx, "accumulator")
    _check_rows(rate, ny, nx, "rate")
    cdef jw_ols_params p = setup.p
    p.nints = 1
    p.ngroups = ngroups
    p.ny = ny
    p.nx = nx
    if ny * nx == 0:
        return
    cdef jw_ols_accum ac
    ac.inv_vp, ac.inv_vr, ac.slope_num = &a_vp[0, 0], &a_vr[0, 0], &a_sn[0, 0]
    ac.inv_vr_cl, ac.state = &a_cl[0, 0], &a_st[0, 0]
    cdef jw_ramp_products rp
    rp.slope, rp.var_poisson, rp.var_rnoise = &r_slope[0, 0], &r_vp[0, 0], &r_vr[0, 0]
    rp.err, rp.dq = &r_err[0, 0], &r_dq[0, 0]
    rp.plane_stride = ny * nx
    cdef int code
    with nogil:
        code = jw_ols_finish(&p, &pixeldq[0, 0], &gain[0, 0], &ac, &rp, n_threads)
    _status(code)


def count(OlsSetup setup, const float[:, :, :, ::1] data, const uint8_t[:, :, :, ::1] gdq,
          const float[:, :, ::1] zeroframe, int n_threads=1):
    _check_inputs(data, gdq, zeroframe)
    cdef jw_ols_params p = setup.p
    _shape(&p, data)
    cdef size_t ms = 0, mc = 0
    if data.size == 0:
        return 0, 0
    cdef jw_ols_input inp
    inp.data = &data[0, 0, 0, 0]
    inp.gdq = &gdq[0, 0, 0, 0]
    inp.pixeldq = NULL
    inp.readnoise = NULL
    inp.gain = NULL
    inp.dark = NULL
    inp.zeroframe = &zeroframe[0, 0, 0] if zeroframe is not None else NULL
    cdef int code
    with nogil:
        code = jw_ols_count(&p, &inp, &ms, &mc, n_threads)
    _status(code)
    return ms, mc
