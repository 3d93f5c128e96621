# cython: freethreading_compatible = True
"""Bridge to src/rp_irs2.c: shapes are checked here, the C code runs without the GIL."""

from libc.stdint cimport int32_t, int64_t, uint8_t


cdef extern from "src/rp_irs2.h" nogil:
    ctypedef struct rp_irs2_plan:
        size_t ny, nx
        size_t nr
        const int64_t *row_off
        const int64_t *col_off
        size_t sector
        size_t row
        const int32_t *src_col
        const int32_t *tpos
        size_t n_hs
        const int32_t *hs
        const int32_t *ht
        const uint8_t *is_norm
        const int32_t *n_out
        const int32_t *out_u
        const int64_t *out_col_off
        const uint8_t *out_addb
        const int64_t *out_row_off
        size_t out_plane
        const float *alpha
        const float *beta
        const double *aa
        const uint8_t *aa_rows
        const float *cos_w
        size_t wlen
        int n_iter
    int rp_irs2_correct(const rp_irs2_plan *p, const float *inp, float *out, size_t ngroups,
                        int n_threads)
    void rp_irs2_pair_stats(const float *inp, size_t ngroups, size_t ny, size_t nx,
                            const int64_t *rows, size_t npairs, double *mean_absdiff,
                            double *mean, double *std, int n_threads)


cdef extern from "src/rp_fft.h" nogil:
    ctypedef struct rp_fft_plan:
        size_t P, Q, N
    int rp_fft_init(rp_fft_plan *p, size_t P, size_t Q)
    void rp_fft_free(rp_fft_plan *p)
    void rp_fft_forward(const rp_fft_plan *p, double *z, const uint8_t *need_k1,
                        const uint8_t *live_n1, int n_threads)
    void rp_fft_inverse(const rp_fft_plan *p, double *z, const uint8_t *nonzero_k1,
                        int n_threads)


def fft(double complex[:, ::1] z, bint forward, const uint8_t[::1] rows=None,
        int n_threads=1):
    """In-place FFT of the (P, Q) layout used by the IRS2 kernel (for tests).

    Forward: z[n1, n2] = x[n1 + P n2] becomes X[Q k1 + k2] at z[k1, k2]; inverse undoes it
    (with 1/N).  ``rows``: spectrum rows needed (forward) or non-zero (inverse).
    """
    cdef rp_fft_plan p
    cdef size_t P = z.shape[0], Q = z.shape[1]
    if rows is not None and <size_t>rows.shape[0] != P:
        raise ValueError("rows must have one flag per spectrum row")
    cdef int code = rp_fft_init(&p, P, Q)
    if code == 1:
        raise MemoryError("jwcore.refpix: could not allocate FFT tables")
    if code != 0:
        rp_fft_free(&p)
        raise ValueError("FFT length must be an odd P times a power of 2 >= 16")
    cdef const uint8_t *r = &rows[0] if rows is not None else NULL
    cdef double *zp = <double *>&z[0, 0]
    with nogil:
        if forward:
            rp_fft_forward(&p, zp, r, NULL, n_threads)
        else:
            rp_fft_inverse(&p, zp, r, n_threads)
    rp_fft_free(&p)


def correct_integration(const float[:, :, ::1] data, float[:, :, ::1] out, plan,
                        int n_threads=1):
    """Correct one IRS2 integration (ngroups, ny, nx) into out (ngroups, oy, ox)."""
    cdef Py_ssize_t ng = data.shape[0], ny = data.shape[1], nx = data.shape[2]
    cdef const int64_t[::1] row_off = plan.row_off
    cdef const int64_t[::1] col_off = plan.col_off
    cdef const int32_t[::1] src_col = plan.src_col
    cdef const int32_t[::1] tpos = plan.tpos
    cdef const int32_t[::1] hs = plan.hs
    cdef const int32_t[::1] ht = plan.ht
    cdef const uint8_t[::1] is_norm = plan.is_norm
    cdef const int32_t[::1] n_out = plan.n_out
    cdef const int32_t[::1] out_u = plan.out_u
    cdef const int64_t[::1] out_col_off = plan.out_col_off
    cdef const uint8_t[::1] out_addb = plan.out_addb
    cdef const int64_t[::1] out_row_off = plan.out_row_off
    cdef const float[::1] alpha = plan.alpha
    cdef const float[::1] beta = plan.beta
    cdef const double[::1] aa = plan.aa
    cdef const uint8_t[::1] aa_rows = plan.aa_rows
    cdef const float[::1] cos_w = plan.cos_w
    cdef Py_ssize_t nr = row_off.shape[0], sector = plan.sector, row = plan.row
    cdef Py_ssize_t N = nr * row, oplane = out.shape[1] * out.shape[2], i, j
    if ny != plan.ny or nx != plan.nx:
        raise ValueError("the plan was built for another plane shape")
    if out.shape[0] != ng:
        raise ValueError("output has another number of groups")
    if col_off.shape[0] != 5 * sector or src_col.shape[0] != 5 * sector:
        raise ValueError("inconsistent IRS2 column maps")
    if tpos.shape[0] != sector or is_norm.shape[0] != row or hs.shape[0] != ht.shape[0]:
        raise ValueError("inconsistent IRS2 time maps")
    if (n_out.shape[0] != 5 or out_u.shape[0] != 5 * sector
            or out_col_off.shape[0] != 5 * sector or out_addb.shape[0] != 5 * sector
            or out_row_off.shape[0] != nr):
        raise ValueError("inconsistent IRS2 output maps")
    if alpha.shape[0] != 8 * N or beta.shape[0] != 8 * N or aa.shape[0] != N:
        raise ValueError("IRS2 filters do not match the time series length")
    for i in range(nr):
        if row_off[i] < 0 or out_row_off[i] < 0:
            raise ValueError("negative row offset")
    for i in range(5 * sector):
        if src_col[i] < 0 or src_col[i] >= 5 * sector:
            raise ValueError("source column outside the detector")
        if col_off[i] < 0 or row_off[nr - 1] + col_off[i] >= ny * nx:
            raise ValueError("column offset outside the plane")
    for i in range(sector):
        if tpos[i] < 0 or tpos[i] >= row:
            raise ValueError("time position outside the row")
    for i in range(hs.shape[0]):
        if hs[i] < 0 or hs[i] >= row or ht[i] < 0 or ht[i] >= row:
            raise ValueError("reference spread positions outside the row")
    for i in range(5):
        if n_out[i] < 0 or n_out[i] > sector:
            raise ValueError("bad output count")
        for j in range(n_out[i]):
            if out_u[i * sector + j] < 0 or out_u[i * sector + j] >= sector:
                raise ValueError("output sample outside the sector")
            if out_col_off[i * sector + j] < 0 or (
                    out_row_off[nr - 1] + out_col_off[i * sector + j] >= oplane):
                raise ValueError("output offset outside the plane")
    cdef rp_irs2_plan p
    p.ny = ny
    p.nx = nx
    p.nr = nr
    p.row_off = &row_off[0]
    p.col_off = &col_off[0]
    p.sector = sector
    p.row = row
    p.src_col = &src_col[0]
    p.tpos = &tpos[0]
    p.n_hs = hs.shape[0]
    p.hs = &hs[0]
    p.ht = &ht[0]
    p.is_norm = &is_norm[0]
    p.n_out = &n_out[0]
    p.out_u = &out_u[0]
    p.out_col_off = &out_col_off[0]
    p.out_addb = &out_addb[0]
    p.out_row_off = &out_row_off[0]
    p.out_plane = oplane
    p.alpha = &alpha[0]
    p.beta = &beta[0]
    p.aa = &aa[0]
    p.aa_rows = &aa_rows[0]
    p.cos_w = &cos_w[0]
    p.wlen = cos_w.shape[0]
    p.n_iter = plan.n_iter
    cdef int code
    with nogil:
        code = rp_irs2_correct(&p, &data[0, 0, 0], &out[0, 0, 0], ng, n_threads)
    if code == 1:
        raise MemoryError("jwcore.refpix: could not allocate IRS2 work memory")
    if code != 0:
        raise ValueError(f"jwcore.refpix: invalid IRS2 arguments (status {code})")


def pair_stats(const float[:, :, ::1] data, const int64_t[::1] rows, int n_threads=1):
    """Mean |difference|, mean and std of the row pairs (rows[i], rows[i] + 1)."""
    import numpy as np

    cdef Py_ssize_t ng = data.shape[0], ny = data.shape[1], nx = data.shape[2]
    cdef Py_ssize_t n = rows.shape[0], i
    for i in range(n):
        if rows[i] < 0 or rows[i] + 1 >= ny:
            raise ValueError("pair rows outside the data")
    d = np.zeros(n)
    m = np.zeros(n)
    s = np.zeros(n)
    cdef double[::1] dv = d, mv = m, sv = s
    if n == 0 or ng * nx == 0:
        return d, m, s
    with nogil:
        rp_irs2_pair_stats(&data[0, 0, 0], ng, ny, nx, &rows[0], n, &dv[0], &mv[0], &sv[0],
                           n_threads)
    return d, m, s
