# cython: freethreading_compatible = True
"""Bridge to src/rp_nir.c: shapes are checked here, the C code runs without the GIL."""

from libc.stdint cimport int16_t, int32_t, int64_t, uint8_t


cdef extern from "src/rp_stats.h" nogil:
    ctypedef struct rp_level:
        double value
        int is_f64
        int valid
    rp_level rp_clipped_mean_f(float *buf, size_t n, double low, double high)
    rp_level rp_clipped_mean_d(double *buf, size_t n, double low, double high)
    float rp_median_f(float *buf, size_t n)
    double rp_median_d(double *buf, size_t n)


cdef extern from "src/rp_nir.h" nogil:
    ctypedef struct rp_nir_plan:
        size_t ny, nx
        int det_cols_along_x
        const int16_t *line_cls
        const int16_t *line_chan
        const int32_t *cross_row
        int nsets
        const int64_t *set_off
        const int64_t *set_idx
        int ncls
        const int32_t *cls_set_a
        const int32_t *cls_set_b
        const int32_t *cls_partner
        double siglimit
        int side_mode
        size_t nrows_det
        const int64_t *side_idx
        const uint8_t *side_ok
        const int16_t *side_cls
        int smooth_len
        double side_gain
        int nchan
        size_t klen
        const double *kern_left
        const double *kern_right
        double sigreject
    int rp_nir_correct(const rp_nir_plan *p, const float *inp, float *out, size_t ngroups,
                       int first_f32, int n_threads)


cdef int _status(int code) except -1:
    if code == 1:
        raise MemoryError("jwcore.refpix: could not allocate scratch memory")
    if code != 0:
        raise ValueError(f"jwcore.refpix: invalid arguments (status {code})")
    return 0


def correct_groups(const float[:, :, ::1] data, float[:, :, ::1] out, plan, bint first_f32,
                   int n_threads=1):
    """Correct every plane of ``data`` into ``out`` with a plan built by jwcore.refpix.nir."""
    cdef Py_ssize_t ng = data.shape[0], ny = data.shape[1], nx = data.shape[2]
    if out.shape[0] != ng or out.shape[1] != ny or out.shape[2] != nx:
        raise ValueError("output shape does not match the data")
    if plan.ny != ny or plan.nx != nx:
        raise ValueError("the plan was built for another plane shape")
    cdef const int16_t[::1] line_cls = plan.line_cls
    cdef const int16_t[::1] line_chan = plan.line_chan
    cdef const int32_t[::1] cross_row = plan.cross_row
    cdef const int64_t[::1] set_off = plan.set_off
    cdef const int64_t[::1] set_idx = plan.set_idx
    cdef const int32_t[::1] cls_a = plan.cls_set_a
    cdef const int32_t[::1] cls_b = plan.cls_set_b
    cdef const int32_t[::1] cls_p = plan.cls_partner
    cdef const int64_t[::1] side_idx = plan.side_idx
    cdef const uint8_t[::1] side_ok = plan.side_ok
    cdef const int16_t[::1] side_cls = plan.side_cls
    cdef const double[::1] kl = plan.kern_left
    cdef const double[::1] kr = plan.kern_right
    cdef Py_ssize_t nline = nx if plan.det_cols_along_x else ny
    cdef Py_ssize_t ncross = ny if plan.det_cols_along_x else nx
    cdef Py_ssize_t nsets = set_off.shape[0] - 1
    cdef Py_ssize_t ncls = cls_a.shape[0]
    if line_cls.shape[0] != nline:
        raise ValueError("class map length does not match the plane")
    if nsets < 0 or cls_b.shape[0] != ncls or cls_p.shape[0] != ncls:
        raise ValueError("inconsistent reference sets or classes")
    if set_off[nsets] != set_idx.shape[0]:
        raise ValueError("reference set offsets do not match the index list")
    for i in range(set_idx.shape[0]):
        if set_idx[i] < 0 or set_idx[i] >= ny * nx:
            raise ValueError("reference pixel index outside the plane")
    for i in range(nline):
        if line_cls[i] >= ncls:
            raise ValueError("class map refers to an unknown class")
    cdef rp_nir_plan p
    p.ny = ny
    p.nx = nx
    p.det_cols_along_x = 1 if plan.det_cols_along_x else 0
    p.line_cls = &line_cls[0]
    p.line_chan = NULL
    p.cross_row = NULL
    p.nsets = <int>nsets
    p.set_off = &set_off[0]
    p.set_idx = &set_idx[0] if set_idx.shape[0] else NULL
    p.ncls = <int>ncls
    p.cls_set_a = &cls_a[0] if ncls else NULL
    p.cls_set_b = &cls_b[0] if ncls else NULL
    p.cls_partner = &cls_p[0] if ncls else NULL
    p.siglimit = plan.siglimit
    p.side_mode = plan.side_mode
    p.nrows_det = plan.nrows_det
    p.side_idx = NULL
    p.side_ok = NULL
    p.side_cls = NULL
    p.smooth_len = plan.smooth_len
    p.side_gain = plan.side_gain
    p.nchan = plan.nchan
    p.klen = plan.klen
    p.kern_left = NULL
    p.kern_right = NULL
    p.sigreject = plan.sigreject
    if p.side_mode != 0:
        if (cross_row.shape[0] != ncross or side_idx.shape[0] != 8 * p.nrows_det
                or side_ok.shape[0] != 8 * p.nrows_det or side_cls.shape[0] != 8):
            raise ValueError("inconsistent side reference pixel plan")
        for i in range(ncross):
            if cross_row[i] < 0 or <size_t>cross_row[i] >= p.nrows_det:
                raise ValueError("detector row map outside the side columns")
        for i in range(side_idx.shape[0]):
            if side_idx[i] >= ny * nx:
                raise ValueError("side pixel index outside the plane")
        p.cross_row = &cross_row[0]
        p.side_idx = &side_idx[0]
        p.side_ok = &side_ok[0]
        p.side_cls = &side_cls[0]
    if p.side_mode == 2:
        if (line_chan.shape[0] != nline or kl.shape[0] != p.nchan * p.klen
                or kr.shape[0] != p.nchan * p.klen):
            raise ValueError("inconsistent SIRS kernels")
        for i in range(nline):
            if line_chan[i] < 0 or line_chan[i] >= p.nchan:
                raise ValueError("SIRS channel map outside the kernels")
        for i in range(side_idx.shape[0]):
            if side_idx[i] < 0:
                raise ValueError("SIRS needs every side pixel inside the data")
        p.line_chan = &line_chan[0]
        p.kern_left = &kl[0]
        p.kern_right = &kr[0]
    if ng * ny * nx == 0:
        return
    cdef int code
    with nogil:
        code = rp_nir_correct(&p, &data[0, 0, 0], &out[0, 0, 0], ng, first_f32, n_threads)
    _status(code)


def clipped_mean(values, double siglimit):
    """Sigma-clipped mean of a 1-D float32 or float64 array, rounded as NumPy rounds it.

    Returns ``(value, is_float64)``, or ``(None, False)`` for an empty array.
    """
    cdef float[::1] vf
    cdef double[::1] vd
    cdef rp_level r
    if values.dtype.itemsize == 4:
        vf = values.copy()
        with nogil:
            r = rp_clipped_mean_f(&vf[0] if vf.shape[0] else NULL, vf.shape[0], siglimit,
                                  siglimit)
    else:
        vd = values.copy()
        with nogil:
            r = rp_clipped_mean_d(&vd[0] if vd.shape[0] else NULL, vd.shape[0], siglimit,
                                  siglimit)
    if not r.valid:
        return None, False
    return r.value, bool(r.is_f64)


def median(values):
    """numpy.median of a 1-D float32 or float64 array (NaN when empty)."""
    cdef float[::1] vf
    cdef double[::1] vd
    if values.dtype.itemsize == 4:
        vf = values.copy()
        return rp_median_f(&vf[0] if vf.shape[0] else NULL, vf.shape[0])
    vd = values.copy()
    return rp_median_d(&vd[0] if vd.shape[0] else NULL, vd.shape[0])
