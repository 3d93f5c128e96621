"""Readout electronics: drifts common to an amplifier or a row, and the IRS2 layout.

Near-IR detectors: each frame, every amplifier's output shifts (a random walk of a few DN,
with a separate value for even and odd columns), and a 1/f ("flicker") drift in time is
common to all amplifiers, so that every row of a frame carries its own offset.  jwst's
refpix step removes the amplifier part from the top/bottom reference rows and the row part
from the left/right reference columns.  MIRI: the amplifiers are interleaved by column and
the drift differs between even and odd rows, as MIRI's reference-column correction assumes.
"""

from __future__ import annotations

import numpy as np

from .detector import ReadoutGeometry

__all__ = ["FrameDrifts", "IRS2Layout"]


class FrameDrifts:
    """Per-frame amplifier and row offsets of one integration."""

    def __init__(
        self,
        rng: np.random.Generator,
        geo: ReadoutGeometry,
        nframes: int,
        *,
        amp_walk: float = 1.5,
        oddeven_walk: float = 0.5,
        flicker_rms: float = 1.0,
        miri: bool = False,
    ):
        self.geo = geo
        namp = 4
        steps = rng.normal(0, amp_walk, (nframes, namp, 1)) + rng.normal(
            0, oddeven_walk, (nframes, namp, 2)
        )
        # Start each integration at a random level: the reset changes the output offsets.
        start = rng.normal(0, 3 * amp_walk, (1, namp, 2))
        if miri:
            # MIRI's outputs jitter about a level rather than wander: jwst corrects them
            # only in full frame (subarrays skip refpix), where the flight data show small
            # residual drifts.
            self.amp = (start + 0.2 * steps).astype(np.float32)
        else:
            self.amp = (start + np.cumsum(steps, axis=0)).astype(np.float32)
        self._sep = None
        if not miri:
            if np.all(geo.det_col == geo.det_col[0:1, :]):  # fast axis along x
                self._sep = (1, geo.amp[0], geo.parity[0], geo.det_row[:, 0])
            elif np.all(geo.det_col == geo.det_col[:, 0:1]):  # fast axis along y
                self._sep = (2, geo.amp[:, 0], geo.parity[:, 0], geo.det_row[0, :])
        self.rows = None
        if flicker_rms > 0 and not miri:
            r0, r1 = int(geo.det_row.min()), int(geo.det_row.max()) + 1
            self.row0 = r0
            self.rows = _pink(rng, nframes, r1 - r0, flicker_rms)

    def frame(self, k: int) -> np.ndarray:
        """The offset image (ny, nx) of frame ``k`` of the integration."""
        g = self.geo
        if self._sep is None:
            out = self.amp[k][g.amp, g.parity]
            if self.rows is not None:
                out = out + self.rows[k][g.det_row - self.row0]
            return out
        # Near-IR: amplifier and column parity vary along one DMS axis and the readout row
        # along the other, so the offset image is a sum of two broadcast vectors.
        fast_axis, amp_i, par_i, row_i = self._sep
        a = self.amp[k][amp_i, par_i]
        a = a[None, :] if fast_axis == 1 else a[:, None]
        if self.rows is None:
            return np.broadcast_to(a, g.amp.shape)
        r = self.rows[k][row_i - self.row0]
        return a + (r[:, None] if fast_axis == 1 else r[None, :])


def _pink(rng, nframes: int, nrows: int, rms: float, knee: float = 1 / 32) -> np.ndarray:
    """Row offsets with a 1/f power spectrum along the readout (rows follow each other in
    time), one independent realisation per frame; scaled to ``rms``.

    The spectrum flattens below ``knee`` (cycles per row): without a knee almost all the
    power would sit in a near-constant offset per frame, which the reference rows of a
    subarray see only at its edge, and which then biases whole subarrays instead of
    adding the row-to-row noise seen in flight data."""
    n = max(nrows, 2)
    white = rng.standard_normal((nframes, n))
    spec = np.fft.rfft(white, axis=1)
    f = np.fft.rfftfreq(n)
    spec *= 1 / np.sqrt(np.maximum(f, knee))
    spec[:, 0] = 0.0
    out = np.fft.irfft(spec, n=n, axis=1)
    out *= rms / max(out.std(), 1e-12)
    return out[:, :nrows].astype(np.float32)


class IRS2Layout:
    """NIRSpec IRS2 readout: 3200 fast-axis samples per line in detector orientation.

    A 640-sample reference output comes first, then each of the four amplifiers reads 512
    normal pixels interleaved with 128 reference samples: 8 normal, 4 reference, then
    16 normal, 4 reference, ... and 8 normal at the end (NRS_NORM=16, NRS_REF=4), as
    jwst's ``x_irs2.make_mask`` describes.  DMS orientation is the transpose (NRS1), flipped
    in both axes for NRS2.
    """

    n_norm = 16
    n_ref = 4
    width = 3200
    refout = 640

    def __init__(self):
        mask = np.ones(self.width, dtype=bool)
        mask[: self.refout] = False
        for i in range(self.refout + self.n_norm // 2, self.width + 1, self.n_norm + self.n_ref):
            mask[i : i + self.n_ref] = False
        self.normal = mask  #: True where a detector column holds a normal pixel
        self.normal_cols = np.flatnonzero(mask)
        self.ref_cols = np.flatnonzero(~mask)
        amp = np.full(self.width, -1, dtype=np.int8)
        for a in range(4):
            amp[self.refout + 640 * a : self.refout + 640 * (a + 1)] = a
        self.amp = amp  #: amplifier of each detector column (-1: reference output)

    def to_dms(self, det_img: np.ndarray, detector: str) -> np.ndarray:
        """(..., 2048, 3200) detector orientation -> (..., 3200, 2048) DMS orientation."""
        out = np.swapaxes(det_img, -1, -2)
        if detector == "NRS2":
            out = out[..., ::-1, ::-1]
        return np.ascontiguousarray(out)

    def normal_to_det(self, dms_normal: np.ndarray, detector: str) -> np.ndarray:
        """(..., 2048, 2048) DMS image of the normal pixels -> detector orientation."""
        out = dms_normal
        if detector == "NRS2":
            out = out[..., ::-1, ::-1]
        return np.swapaxes(out, -1, -2)

    def assemble(self, dms_normal: np.ndarray, det_extra: np.ndarray, detector: str):
        """An IRS2 DMS frame: normal pixels from ``dms_normal`` (2048 x 2048, DMS) and the
        reference samples from ``det_extra`` (2048 x 3200, detector orientation)."""
        det = det_extra.copy()
        det[:, self.normal_cols] = self.normal_to_det(dms_normal, detector)
        return self.to_dms(det, detector)
