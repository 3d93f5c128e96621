"""Plans for the near-IR kernel: which pixels are averaged and what is subtracted where.

Everything here is about geometry, not arithmetic: the official pipeline works on each group
transformed to the detector frame (embedded in a full frame for subarrays), so the plan
records, in the stored (DMS) layout of the data, the pixels it would gather and in which
order, the class (amplifier x column parity) of every detector column and the detector row
of every stored line.  The C kernel then never copies or transposes a group.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import dqflags

DO_NOT_USE = dqflags.pixel["DO_NOT_USE"]
REFERENCE_PIXEL = dqflags.pixel["REFERENCE_PIXEL"]

_I16 = np.int16
_EMPTY_I16 = np.zeros(0, _I16)


@dataclass
class NirPlan:
    """The arrays of ``rp_nir_plan`` (see src/rp_nir.h)."""

    ny: int
    nx: int
    det_cols_along_x: bool
    line_cls: np.ndarray
    set_off: np.ndarray
    set_idx: np.ndarray
    cls_set_a: np.ndarray
    cls_set_b: np.ndarray
    cls_partner: np.ndarray
    siglimit: float
    side_mode: int = 0
    nrows_det: int = 0
    cross_row: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    side_idx: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    side_ok: np.ndarray = field(default_factory=lambda: np.zeros(0, np.uint8))
    side_cls: np.ndarray = field(default_factory=lambda: np.zeros(0, _I16))
    smooth_len: int = 0
    side_gain: float = 1.0
    line_chan: np.ndarray = field(default_factory=lambda: _EMPTY_I16)
    nchan: int = 0
    klen: int = 0
    kern_left: np.ndarray = field(default_factory=lambda: np.zeros(0))
    kern_right: np.ndarray = field(default_factory=lambda: np.zeros(0))
    sigreject: float = 4.0
    n_refpix: int = 0


class Frame:
    """A stored plane placed in a (DMS) frame, and that frame's detector orientation.

    ``shape`` is the DMS frame (the full detector for embedded subarrays), ``origin`` the
    0-based (row, column) of the stored plane in it.  The detector frame follows the JWST
    FASTAXIS/SLOWAXIS convention: |fastaxis| == 1 flips, == 2 also transposes.
    """

    def __init__(self, shape, origin, plane_shape, fastaxis, slowaxis):
        if (
            abs(fastaxis) not in (1, 2)
            or abs(slowaxis) not in (1, 2)
            or abs(fastaxis) == abs(slowaxis)
        ):
            raise ValueError(f"invalid fastaxis/slowaxis {fastaxis}/{slowaxis}")
        self.H, self.W = shape
        self.row0, self.col0 = origin
        self.ny, self.nx = plane_shape
        self.fast, self.slow = fastaxis, slowaxis
        self.transposed = abs(fastaxis) == 2
        self.det_shape = (self.W, self.H) if self.transposed else (self.H, self.W)

    def det_to_plane(self, r, c):
        """Flat plane index of detector pixels (r, c), -1 where outside the stored plane."""
        r = np.asarray(r, np.int64)
        c = np.asarray(c, np.int64)
        if self.transposed:
            Y = c if self.fast > 0 else self.H - 1 - c
            X = r if self.slow > 0 else self.W - 1 - r
        else:
            Y = r if self.slow > 0 else self.H - 1 - r
            X = c if self.fast > 0 else self.W - 1 - c
        y = Y - self.row0
        x = X - self.col0
        inside = (y >= 0) & (y < self.ny) & (x >= 0) & (x < self.nx)
        return np.where(inside, y * self.nx + x, -1)

    def det_offsets(self):
        """Plane offsets such that detector pixel (r, c) is at ``row_off[r] + col_off[c]``
        (for a plane at the frame origin)."""
        nr, nc = self.det_shape
        r, c = np.arange(nr), np.arange(nc)
        if self.transposed:
            row_off = r if self.slow > 0 else self.W - 1 - r
            col_off = (c if self.fast > 0 else self.H - 1 - c) * self.nx
        else:
            row_off = (r if self.slow > 0 else self.H - 1 - r) * self.nx
            col_off = c if self.fast > 0 else self.W - 1 - c
        return row_off.astype(np.int64), col_off.astype(np.int64)

    def det_col_of_line(self):
        """Detector column of each stored column (or row, when transposed)."""
        if self.transposed:
            Y = np.arange(self.ny) + self.row0
            return Y if self.fast > 0 else self.H - 1 - Y
        X = np.arange(self.nx) + self.col0
        return X if self.fast > 0 else self.W - 1 - X

    def det_row_of_cross(self):
        """Detector row of each stored row (or column, when transposed)."""
        if self.transposed:
            X = np.arange(self.nx) + self.col0
            return X if self.slow > 0 else self.W - 1 - X
        Y = np.arange(self.ny) + self.row0
        return Y if self.slow > 0 else self.H - 1 - Y


class _Sets:
    def __init__(self):
        self.chunks: list[np.ndarray] = []

    def add(self, idx) -> int:
        """Register a reference set; -1 when it is empty (the official "None")."""
        idx = np.asarray(idx, np.int64)
        if idx.size == 0:
            return -1
        self.chunks.append(idx)
        return len(self.chunks) - 1

    def arrays(self):
        sizes = [c.size for c in self.chunks]
        off = np.zeros(len(sizes) + 1, np.int64)
        off[1:] = np.cumsum(sizes)
        idx = np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.int64)
        return off, idx


def _grid(frame: Frame, dq_flat: np.ndarray, r, c):
    """Plane indices of detector pixels r x c (rows by columns, -1 outside the plane) and
    whether each is inside and usable."""
    idx = frame.det_to_plane(np.asarray(r)[:, None], np.asarray(c)[None, :])
    ok = idx >= 0
    ok[ok] = (dq_flat[idx[ok]] & DO_NOT_USE) == 0
    return idx, ok


def _good(grid, sel):
    """Plane indices of the usable pixels of columns ``sel`` of a :func:`_grid`, row-major."""
    idx, ok = grid
    return idx[:, sel][ok[:, sel]]


def _amplifier_plan(frame, dq_flat, namps, odd_mask, odd_even, siglimit):
    """Top/bottom reference rows per amplifier (and parity): full frames, 4-output subarrays
    and the IRS2 mean offset."""
    nrd, ncd = frame.det_shape
    ampw = ncd // namps
    sets = _Sets()
    n_per = 2 if odd_even else 1
    ncls = namps * n_per
    a = np.full(ncls, -1, np.int32)
    b = np.full(ncls, -1, np.int32)
    partner = np.full(ncls, -1, np.int32)
    top = np.arange(nrd - 4, nrd)
    bottom = np.arange(4)
    cols_all = np.arange(ncd)
    # the reference rows of every column at once: built per amplifier and parity they took
    # 1.5 ms a call, a tenth of a two-thread correction of a 10-group full frame
    top_grid = _grid(frame, dq_flat, top, cols_all)
    bottom_grid = _grid(frame, dq_flat, bottom, cols_all)
    # "odd" columns are the first of each pair (even 0-based index) or IRS2's own pattern
    is_odd = odd_mask if odd_mask is not None else (cols_all % 2 == 0)
    for amp in range(namps):
        cols = cols_all[amp * ampw : (amp + 1) * ampw]
        for p in range(n_per):
            if odd_even:
                sel = cols[is_odd[cols]] if p == 0 else cols[~is_odd[cols]]
            else:
                sel = cols
            k = amp * n_per + p
            a[k] = sets.add(_good(top_grid, sel))
            b[k] = sets.add(_good(bottom_grid, sel))
            if odd_even:
                partner[k] = amp * n_per + (1 - p)
    det_col = frame.det_col_of_line()
    amp_of = np.minimum(det_col // ampw, namps - 1)
    line_cls = amp_of * n_per
    if odd_even:
        line_cls = line_cls + np.where(is_odd[det_col], 0, 1)
    off, idx = sets.arrays()
    return NirPlan(
        ny=frame.ny,
        nx=frame.nx,
        det_cols_along_x=not frame.transposed,
        line_cls=line_cls.astype(_I16),
        set_off=off,
        set_idx=idx,
        cls_set_a=a,
        cls_set_b=b,
        cls_partner=partner,
        siglimit=float(siglimit),
        n_refpix=int(idx.size),
    )


def _sorted_refpix(frame, refmask_plane):
    """Usable reference pixels of the plane, in detector row-major order."""
    y, x = np.nonzero(refmask_plane)
    if frame.transposed:
        Y, X = y + frame.row0, x + frame.col0
        c = Y if frame.fast > 0 else frame.H - 1 - Y
        r = X if frame.slow > 0 else frame.W - 1 - X
    else:
        Y, X = y + frame.row0, x + frame.col0
        r = Y if frame.slow > 0 else frame.H - 1 - Y
        c = X if frame.fast > 0 else frame.W - 1 - X
    order = np.lexsort((c, r))
    return (y * frame.nx + x)[order], c[order]


def _single_output_plan(frame, pixeldq, odd_even, siglimit):
    """Subarrays read through one output: every flagged reference pixel of the subarray,
    split by the parity of its full-frame detector column."""
    refmask = ((pixeldq & REFERENCE_PIXEL) != 0) & ((pixeldq & DO_NOT_USE) == 0)
    idx, c = _sorted_refpix(frame, refmask)
    sets = _Sets()
    det_col = frame.det_col_of_line()
    if idx.size == 0:
        # no reference pixels: the official step leaves the data alone
        ncls, a, line_cls = 0, np.zeros(0, np.int32), np.full(det_col.size, -1)
    elif odd_even:
        ncls = 2
        a = np.array([sets.add(idx[c % 2 == 0]), sets.add(idx[c % 2 == 1])], np.int32)
        line_cls = det_col % 2
    else:
        ncls = 1
        a = np.array([sets.add(idx)], np.int32)
        line_cls = np.zeros(det_col.size, np.int64)
    off, sidx = sets.arrays()
    return NirPlan(
        ny=frame.ny,
        nx=frame.nx,
        det_cols_along_x=not frame.transposed,
        line_cls=line_cls.astype(_I16),
        set_off=off,
        set_idx=sidx,
        cls_set_a=a,
        cls_set_b=np.full(ncls, -1, np.int32),
        cls_partner=np.full(ncls, -1, np.int32),
        siglimit=float(siglimit),
        n_refpix=int(idx.size),
    )


def _multistripe_plan(frame, pixeldq, fastmin, odd_even, siglimit, amp_width=512, namps=4):
    """Multistripe subarrays: per amplifier of the full-frame fast axis, reference pixels
    chosen by their flags, parity taken from the column index within the stored array."""
    nrd, ncd = frame.det_shape
    cols = np.arange(ncd)
    amp_of = (cols + fastmin) // amp_width
    refmask = ((pixeldq & REFERENCE_PIXEL) != 0) & ((pixeldq & DO_NOT_USE) == 0)
    idx, c = _sorted_refpix(frame, refmask)
    sets = _Sets()
    n_per = 2 if odd_even else 1
    ncls = namps * n_per
    a = np.full(ncls, -1, np.int32)
    partner = np.full(ncls, -1, np.int32)
    for amp in range(namps):
        in_amp = amp_of[c] == amp
        for p in range(n_per):
            k = amp * n_per + p
            a[k] = sets.add(idx[in_amp & (c % 2 == p)] if odd_even else idx[in_amp])
            if odd_even:
                partner[k] = amp * n_per + (1 - p)
    det_col = frame.det_col_of_line()
    amp_line = (det_col + fastmin) // amp_width
    line_cls = np.where(
        (amp_line >= 0) & (amp_line < namps),
        amp_line * n_per + (det_col % 2 if odd_even else 0),
        -1,
    )
    off, sidx = sets.arrays()
    return NirPlan(
        ny=frame.ny,
        nx=frame.nx,
        det_cols_along_x=not frame.transposed,
        line_cls=line_cls.astype(_I16),
        set_off=off,
        set_idx=sidx,
        cls_set_a=a,
        cls_set_b=np.full(ncls, -1, np.int32),
        cls_partner=partner,
        siglimit=float(siglimit),
        n_refpix=int(idx.size),
    )


def add_side(
    plan: NirPlan, frame: Frame, dq_flat, smooth_len, side_gain, kernels=None, sigreject=4.0
):
    """Add the side reference columns (4 at each end of the detector rows) to a plan."""
    nrd, ncd = frame.det_shape
    rows = np.arange(nrd)
    left = np.arange(4)
    right = np.arange(ncd - 4, ncd)
    (li, lok), (ri, rok) = (_grid(frame, dq_flat, rows, cols) for cols in (left, right))
    idx, ok = np.stack([li, ri]), np.stack([lok, rok])  # (2, nrd, 4)
    det_col = frame.det_col_of_line()
    cls_of_col = np.full(ncd, -1, np.int64)
    cls_of_col[det_col] = plan.line_cls
    plan.side_idx = np.ascontiguousarray(idx.ravel(), np.int64)
    plan.side_ok = np.ascontiguousarray(ok.ravel(), np.uint8)
    plan.side_cls = np.concatenate([cls_of_col[left], cls_of_col[right]]).astype(_I16)
    plan.cross_row = frame.det_row_of_cross().astype(np.int32)
    plan.nrows_det = int(nrd)
    plan.smooth_len = int(smooth_len)
    plan.side_gain = float(side_gain)
    plan.side_mode = 1
    if kernels is not None:
        kl, kr = kernels
        nchan, klen = kl.shape
        plan.side_mode = 2
        plan.nchan = int(nchan)
        plan.klen = int(klen)
        plan.kern_left = np.ascontiguousarray(kl, np.float64).ravel()
        plan.kern_right = np.ascontiguousarray(kr, np.float64).ravel()
        plan.line_chan = np.minimum(det_col // (ncd // nchan), nchan - 1).astype(_I16)
        plan.sigreject = float(sigreject)
    return plan
