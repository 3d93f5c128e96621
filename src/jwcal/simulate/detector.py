"""Per-pixel properties of a simulated detector, and the readout geometry.

The properties depend only on the detector and a detector seed, not on the exposure, so
dithered exposures of one detector share their bias, flat, bad pixels and non-linearity (as
they would on the sky), and the reference files written beside each exposure agree.
Maps are made for the full frame and then cut to the subarray.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from ..dqflags import pixel as DQ
from .instruments import DetectorSpec, SubarraySpec

__all__ = [
    "DetectorMaps",
    "make_detector_maps",
    "readout_geometry",
    "ReadoutGeometry",
    "ipc_forward_kernel",
    "ipc_inverse_kernel",
    "apply_ipc",
    "linearize",
    "delinearize",
    "reference_pixel_mask",
]

#: Fractions of science pixels with each defect.
DEFECT_RATES = {"dead": 5e-4, "hot": 8e-4, "warm": 3e-3, "low_qe": 2e-3}


@dataclass
class DetectorMaps:
    """Full-frame (DMS orientation) properties; arrays of shape (ny, nx)."""

    superbias: np.ndarray  #: mean raw level at zero signal, DN (includes amplifier offsets)
    gain: np.ndarray  #: e-/DN
    rn_cds: np.ndarray  #: CDS read noise, DN
    dark: np.ndarray  #: dark current, DN/s
    qe: np.ndarray  #: relative quantum efficiency (the flat field), 0 for dead pixels
    well: np.ndarray  #: hard saturation above bias, measured (non-linear) DN
    lin_c2: np.ndarray  #: linearity correction C(m) = m + c2 m^2 + c3 m^3
    lin_c3: np.ndarray
    dq: np.ndarray  #: MASK flags, uint32
    refpix: np.ndarray  #: True on reference pixels
    amp_offsets: np.ndarray  #: (4, 2) mean offset per amplifier and column (or row) parity

    def cut(self, sub: SubarraySpec) -> DetectorMaps:
        ys = slice(sub.ystart - 1, sub.ystart - 1 + sub.ysize)
        xs = slice(sub.xstart - 1, sub.xstart - 1 + sub.xsize)
        out = {}
        for name, arr in self.__dict__.items():
            out[name] = arr if name == "amp_offsets" else np.ascontiguousarray(arr[ys, xs])
        return DetectorMaps(**out)


def _detector_rng(det: DetectorSpec, detector_seed: int | None) -> np.random.Generator:
    base = zlib.crc32(det.name.encode())
    return np.random.default_rng([base, 0 if detector_seed is None else int(detector_seed)])


def reference_pixel_mask(det: DetectorSpec) -> np.ndarray:
    """True on reference pixels: the 4-pixel border of near-IR detectors, the 4 columns at
    each side of the MIRI array."""
    ref = np.zeros((det.ny, det.nx), dtype=bool)
    if det.is_miri:
        ref[:, :4] = True
        ref[:, -4:] = True
    else:
        ref[:4, :] = True
        ref[-4:, :] = True
        ref[:, :4] = True
        ref[:, -4:] = True
    return ref


@dataclass
class ReadoutGeometry:
    """Where each DMS pixel of a region sits in the readout (detector frame)."""

    det_row: np.ndarray  #: (ny, nx) slow-axis index in the full detector frame
    det_col: np.ndarray  #: (ny, nx) fast-axis index in the full detector frame
    amp: np.ndarray  #: (ny, nx) amplifier 0..3 (0 for single-output subarrays)
    parity: np.ndarray  #: (ny, nx) 0/1: column parity (near-IR) or row parity (MIRI)


def readout_geometry(det: DetectorSpec, sub: SubarraySpec) -> ReadoutGeometry:
    """Detector-frame coordinates of the subarray's pixels (jwst's science/detector transform:
    a flip by the sign of FASTAXIS/SLOWAXIS, and a transpose when the fast axis is y)."""
    y = np.arange(sub.ystart - 1, sub.ystart - 1 + sub.ysize)[:, None]
    x = np.arange(sub.xstart - 1, sub.xstart - 1 + sub.xsize)[None, :]
    if abs(det.fastaxis) == 1:
        col = x if det.fastaxis > 0 else det.nx - 1 - x
        row = y if det.slowaxis > 0 else det.ny - 1 - y
    else:
        col = y if det.fastaxis > 0 else det.ny - 1 - y
        row = x if det.slowaxis > 0 else det.nx - 1 - x
    col, row = np.broadcast_arrays(col, row)
    if det.is_miri:
        amp = col % 4
        parity = row % 2
    else:
        amp = col // 512 if sub.noutputs == 4 else np.zeros_like(col)
        parity = col % 2
    return ReadoutGeometry(
        np.ascontiguousarray(row, dtype=np.int32),
        np.ascontiguousarray(col, dtype=np.int32),
        np.ascontiguousarray(amp, dtype=np.int8),
        np.ascontiguousarray(parity, dtype=np.int8),
    )


def make_detector_maps(
    det: DetectorSpec, detector_seed: int | None = None, *, defects: bool = True
) -> DetectorMaps:
    """Full-frame per-pixel properties of ``det`` (deterministic for a detector seed).

    With ``defects=False`` there are no dead, hot, warm or low-QE pixels."""
    rng = _detector_rng(det, detector_seed)
    ny, nx = det.ny, det.nx
    f32 = np.float32
    ref = reference_pixel_mask(det)
    sci = ~ref

    # Bias: a smooth gradient, column structure (the readout) and pixel-to-pixel scatter.
    yy = np.linspace(-1, 1, ny, dtype=f32)[:, None]
    xx = np.linspace(-1, 1, nx, dtype=f32)[None, :]
    bias = det.bias + 250.0 * yy + 150.0 * xx * xx
    bias = bias + rng.normal(0, 40.0, (1, nx)).astype(f32)
    bias = bias + rng.normal(0, 120.0, (ny, nx)).astype(f32)
    amp_offsets = rng.normal(0, 60.0, (4, 2)).astype(f32)
    amp_offsets[:, 1] = amp_offsets[:, 0] + rng.normal(0, 8.0, 4).astype(f32)
    geo = readout_geometry(det, SubarraySpec("FULL", 1, 1, nx, ny, 4))
    bias = (bias + amp_offsets[geo.amp, geo.parity]).astype(f32)

    gain = (det.gain * (1 + rng.normal(0, 0.03, (ny, nx)))).astype(f32)
    rn = (det.rn_cds * (1 + rng.normal(0, 0.08, (ny, nx)))).clip(0.5 * det.rn_cds).astype(f32)
    dark = (det.dark * rng.gamma(4.0, 0.25, (ny, nx))).astype(f32)
    # A low-order illumination pattern times pixel-to-pixel response: the flat field.
    qe = (1 + 0.03 * np.cos(2.2 * xx + 0.5) * np.cos(1.7 * yy - 0.3)).astype(f32)
    qe = (qe * (1 + rng.normal(0, 0.015, (ny, nx)))).astype(f32)
    well = (det.well * (1 + rng.normal(0, 0.03, (ny, nx)))).astype(f32)
    # About 10% (near-IR) or 15% (MIRI) loss of response at the hard-saturation level.
    frac = 0.15 if det.is_miri else 0.10
    c2 = (0.7 * frac / det.well * (1 + rng.normal(0, 0.1, (ny, nx)))).astype(f32)
    c3 = (0.3 * frac / det.well**2 * (1 + rng.normal(0, 0.1, (ny, nx)))).astype(f32)

    dq = np.zeros((ny, nx), dtype=np.uint32)
    dq[ref] |= DQ["REFERENCE_PIXEL"]
    u = rng.random((ny, nx))
    edges = np.cumsum([0.0] + list(DEFECT_RATES.values()))
    kinds = {k: sci & (u >= edges[i]) & (u < edges[i + 1]) for i, k in enumerate(DEFECT_RATES)}
    if not defects:
        kinds = {k: np.zeros_like(v) for k, v in kinds.items()}
    qe[kinds["dead"]] = 0.0
    dq[kinds["dead"]] |= DQ["DEAD"] | DQ["DO_NOT_USE"]
    nh = int(kinds["hot"].sum())
    dark[kinds["hot"]] = 10 ** rng.uniform(0.0, 2.0, nh)
    dq[kinds["hot"]] |= DQ["HOT"] | DQ["DO_NOT_USE"]
    nw = int(kinds["warm"].sum())
    dark[kinds["warm"]] = 10 ** rng.uniform(-1.0, 0.0, nw)
    dq[kinds["warm"]] |= DQ["WARM"]
    nl = int(kinds["low_qe"].sum())
    qe[kinds["low_qe"]] = rng.uniform(0.3, 0.7, nl)
    dq[kinds["low_qe"]] |= DQ["LOW_QE"]
    dark[ref] = 0.0
    qe[ref] = 0.0
    return DetectorMaps(bias, gain, rn, dark, qe, well, c2, c3, dq, ref, amp_offsets)


# ----- inter-pixel capacitance ------------------------------------------------------------
def ipc_forward_kernel(alpha: float) -> np.ndarray:
    """3x3 forward coupling: ``alpha`` to the left/right, 1.1 alpha up/down, alpha/20 on the
    diagonals (H2RG coupling is slightly anisotropic); sums to 1."""
    k = np.zeros((3, 3), dtype=np.float64)
    k[1, 0] = k[1, 2] = alpha
    k[0, 1] = k[2, 1] = 1.1 * alpha
    k[0, 0] = k[0, 2] = k[2, 0] = k[2, 2] = alpha / 20
    k[1, 1] = 1 - (k.sum() - k[1, 1])
    return k


def ipc_inverse_kernel(forward: np.ndarray, size: int = 5) -> np.ndarray:
    """The deconvolution kernel jwst's IPC reference holds: the inverse of ``forward``,
    computed on a large periodic grid by FFT and cut to ``size`` x ``size``.

    The cut drops terms of order alpha^3 (~1e-7 for flight coupling)."""
    n = 64
    grid = np.zeros((n, n))
    c = forward.shape[0] // 2
    for j in range(forward.shape[0]):
        for i in range(forward.shape[1]):
            grid[(j - c) % n, (i - c) % n] = forward[j, i]
    inv = np.real(np.fft.ifft2(1.0 / np.fft.fft2(grid)))
    h = size // 2
    out = np.empty((size, size))
    for j in range(size):
        for i in range(size):
            out[j, i] = inv[(j - h) % n, (i - h) % n]
    return out


def apply_ipc(img: np.ndarray, kernel: np.ndarray, region: tuple[slice, slice]) -> np.ndarray:
    """Convolve ``img[region]`` with a symmetric ``kernel``, zero outside the region (the
    boundary jwst's IPC step assumes); pixels outside the region are returned unchanged."""
    out = img.copy()
    sub = img[region]
    ky, kx = kernel.shape
    hy, hx = ky // 2, kx // 2
    ny, nx = sub.shape
    pad = np.zeros((ny + 2 * hy, nx + 2 * hx), dtype=img.dtype)
    pad[hy : hy + ny, hx : hx + nx] = sub
    acc = np.zeros_like(sub)
    for j in range(ky):
        for i in range(kx):
            w = kernel[j, i]
            if w != 0:
                acc += np.asarray(w, dtype=img.dtype) * pad[j : j + ny, i : i + nx]
    out[region] = acc
    return out


# ----- non-linearity ----------------------------------------------------------------------
def linearize(m, c2, c3):
    """The correction the LINEARITY reference applies: C(m) = m + c2 m^2 + c3 m^3."""
    return m + m * m * (c2 + c3 * m)


def delinearize(t, c2, c3):
    """The injected non-linearity: the measured signal m with C(m) = t, so that the
    reference polynomial undoes it exactly.  A third-order series inverse (error of tens of
    DN at saturation), then two Newton steps (quadratic convergence: < 0.05 DN)."""
    m = t - c2 * t * t + (2 * c2 * c2 - c3) * t * t * t
    for _ in range(2):
        f = linearize(m, c2, c3) - t
        d = 1 + m * (2 * c2 + 3 * c3 * m)
        m = m - f / d
    return m
