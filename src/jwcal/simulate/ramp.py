"""Ramp physics: frames of one integration, averaged into groups per the read pattern.

Per frame: photo-electrons and dark electrons arrive (Poisson), cosmic rays add charge at
their frame, the charge (with the integration's kTC reset offset) goes through the
non-linearity (the exact inverse of the LINEARITY polynomial), clips at the full well and
couples to its neighbours (IPC); the bias and the readout drifts are added.  Frames in a
group are averaged and read noise is added per group (its variance ``rn_frame^2/nframes``
is that of the average of independent frame noises, and drawing it once is cheaper);
frames in a group gap only collect charge.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .cosmic import Hit, draw_hits
from .detector import DetectorMaps, ReadoutGeometry, apply_ipc, delinearize
from .instruments import DetectorSpec, ReadPattern, SubarraySpec
from .readout import FrameDrifts, IRS2Layout

__all__ = ["RampSetup", "IntegrationResult", "simulate_integration", "group_frames"]


@dataclass
class RampSetup:
    """Everything that stays the same between the integrations of an exposure."""

    det: DetectorSpec
    sub: SubarraySpec
    rp: ReadPattern
    ngroups: int
    tframe: float
    maps: DetectorMaps  #: cut to the subarray
    geo: ReadoutGeometry
    rate_dn: np.ndarray  #: true signal rate (flat applied), DN/s, (ny, nx)
    ipc_kernel: np.ndarray | None
    ipc_region: tuple[slice, slice]
    sat_threshold: np.ndarray  #: the SATURATION reference (raw DN), (ny, nx)
    switches: dict
    ktc_sigma: float = 12.0
    zeroframe: bool = False
    # MIRI effects: reset anomaly (nint_ref, ngroups, ny, nx), RSCD amplitude per DN of the
    # previous integration's signal, last-frame offset map (ny, nx), first-frame offset map.
    reset_anomaly: np.ndarray | None = None
    rscd_coeff: float = 0.0
    rscd_tau: float = 0.7
    lastframe: np.ndarray | None = None
    firstframe: np.ndarray | None = None
    irs2: IRS2Layout | None = None
    irs2_bias: np.ndarray | None = None  #: (2048, 3200) detector-orientation bias
    irs2_rn: float = 0.0
    extra: dict = field(default_factory=dict)


@dataclass
class IntegrationResult:
    raw: np.ndarray  #: uint16 (ngroups, ny, nx) (IRS2: (ngroups, 3200, 2048))
    zeroframe: np.ndarray | None
    first_sat: np.ndarray  #: int16 (ny, nx); ngroups where the pixel never saturates
    jumps: list  #: rows (integration, group, y, x, amplitude DN, event id, kind)
    final_signal: np.ndarray  #: measured signal at the last frame (for MIRI RSCD)
    n_events: int


def group_frames(rp: ReadPattern, ngroups: int) -> list[range]:
    """Frame indices (0-based from the reset) averaged into each group."""
    step = rp.nframes + rp.groupgap
    return [range(g * step, g * step + rp.nframes) for g in range(ngroups)]


def _quantize(v: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(v), 0, 65535).astype(np.uint16)


def simulate_integration(
    s: RampSetup,
    integ: int,
    rng: np.random.Generator,
    event_base: int = 0,
    prev_signal: np.ndarray | None = None,
) -> IntegrationResult:
    """Simulate integration ``integ`` (0-based)."""
    sw = s.switches
    ny, nx = s.sub.ysize, s.sub.xsize
    m = s.maps
    f32 = np.float32
    groups = group_frames(s.rp, s.ngroups)
    nframes_total = groups[-1][-1] + 1
    read_frame = {k: g for g, r in enumerate(groups) for k in r}

    sensitive = ~m.refpix
    gain = m.gain
    lam = np.zeros((ny, nx), dtype=np.float64)
    if sw["scene"]:
        lam += s.rate_dn * gain
    if sw["dark"]:
        lam += m.dark * gain
    lam *= s.tframe
    lam[~sensitive] = 0.0
    poisson = sw["poisson"]

    hits: list[Hit] = []
    if sw["cosmic_rays"]:
        hits = draw_hits(
            rng,
            ny=ny,
            nx=nx,
            nframes_total=nframes_total,
            tframe=s.tframe,
            pixel_um=s.det.pixel_um,
            sensitive=sensitive,
            rate_per_cm2_s=sw["cr_rate"],
            large_events=sw["large_events"],
            miri=s.det.is_miri,
            full_well_e=float(s.det.well * s.det.gain),
            det_area_px=s.det.ny * s.det.nx,
        )
    ktc = (
        rng.normal(0, s.ktc_sigma, (ny, nx)).astype(f32) if sw["bias"] else np.zeros((ny, nx), f32)
    )
    ktc[~sensitive] = 0.0
    drifts = None
    if sw["refpix_drifts"]:
        drifts = FrameDrifts(
            rng,
            s.geo,
            nframes_total,
            amp_walk=sw["amp_drift"],
            flicker_rms=0.0 if s.irs2 is not None else sw["flicker_rms"],
            miri=s.det.is_miri,
        )
    bias = m.superbias if sw["bias"] else np.zeros((ny, nx), f32)
    rn_frame = (m.rn_cds / np.sqrt(2.0)).astype(f32) if sw["read_noise"] else None
    nf = s.rp.nframes

    charge = np.zeros((ny, nx), dtype=np.float64)  # electrons
    raw = np.empty((s.ngroups,) + ((3200, 2048) if s.irs2 else (ny, nx)), dtype=np.uint16)
    zeroframe = None
    zf_noise = None
    first_sat = np.full((ny, nx), s.ngroups, dtype=np.int16)
    gsum = np.zeros((ny, nx), dtype=f32)
    jumps: list = []
    hit_i = 0
    last_read = -1
    final_signal = None

    for k in range(nframes_total):
        if k not in read_frame:
            continue
        # Charge collected since the last read frame (a group gap lumps several frames).
        nk = k - last_read
        mean = lam * nk
        charge += rng.poisson(mean) if poisson else mean
        while hit_i < len(hits) and hits[hit_i].frame <= k:
            h = hits[hit_i]
            charge[h.ys, h.xs] += h.electrons
            g = read_frame[k]
            amp = h.electrons / gain[h.ys, h.xs]
            ev = event_base + hit_i
            for y, x, a in zip(h.ys.tolist(), h.xs.tolist(), amp.tolist(), strict=True):
                jumps.append((integ, g, y, x, a, ev, h.kind))
            hit_i += 1
        last_read = k
        t = (charge / gain).astype(f32) + ktc
        sig = delinearize(t, m.lin_c2, m.lin_c3) if sw["nonlinearity"] else t
        sig = np.minimum(sig, m.well)
        if s.ipc_kernel is not None and sw["ipc"]:
            sig = apply_ipc(sig, s.ipc_kernel, s.ipc_region)
        frame = bias + sig
        if drifts is not None:
            frame = frame + drifts.frame(k)
        if k == 0 and s.zeroframe:
            zf_noise = (
                rng.standard_normal((ny, nx), dtype=f32) * rn_frame
                if rn_frame is not None
                else np.zeros((ny, nx), f32)
            )
            zeroframe = frame + zf_noise
        gsum += frame
        g = read_frame[k]
        if k != groups[g][-1]:
            continue
        avg = gsum / nf
        gsum[:] = 0.0
        if rn_frame is not None:
            if zf_noise is not None and g == 0:
                rest = rng.standard_normal((ny, nx), dtype=f32) * rn_frame * np.sqrt(nf - 1)
                avg += (zf_noise + rest) / nf
            else:
                avg += rng.standard_normal((ny, nx), dtype=f32) * (rn_frame / np.sqrt(nf))
        if s.det.is_miri:
            avg = _miri_group_effects(s, avg, integ, g, prev_signal)
        if g == s.ngroups - 1:
            final_signal = sig
        if s.irs2 is not None:
            raw[g] = _quantize(_irs2_frame(s, avg, rng, drifts, k))
        else:
            raw[g] = _quantize(avg)
        sat_now = (raw[g] if s.irs2 is None else _quantize(avg)) >= s.sat_threshold
        first_sat[(first_sat == s.ngroups) & sat_now] = g
    zf = _quantize(zeroframe) if zeroframe is not None else None
    if zf is not None and s.irs2 is not None:
        zf = None  # IRS2 exposures have no zero frame
    return IntegrationResult(raw, zf, first_sat, jumps, final_signal, len(hits))


def _miri_group_effects(s: RampSetup, avg, integ: int, g: int, prev_signal):
    """Reset anomaly (subtracted by jwst's RESET step), first-frame and RSCD transients
    (flagged by the RSCD step) and the last-frame offset (flagged by LASTFRAME)."""
    sw = s.switches
    if not sw["miri_effects"]:
        return avg
    if s.reset_anomaly is not None:
        ir = min(integ, s.reset_anomaly.shape[0] - 1)
        if g < s.reset_anomaly.shape[1]:
            avg = avg + s.reset_anomaly[ir, g]
    if s.firstframe is not None and g == 0:
        avg = avg + s.firstframe
    if integ > 0 and prev_signal is not None and s.rscd_coeff:
        avg = avg - s.rscd_coeff * prev_signal * np.float32(np.exp(-g / s.rscd_tau))
    if s.lastframe is not None and g == s.ngroups - 1:
        avg = avg + s.lastframe
    return avg


def _irs2_frame(s: RampSetup, avg_normal, rng, drifts, k):
    """Embed the normal pixels in the IRS2 layout with the interleaved reference samples."""
    lay = s.irs2
    extra = s.irs2_bias.copy()
    if drifts is not None:
        amp = drifts.amp[k][:, 0]
        col_amp = lay.amp
        offs = np.where(col_amp >= 0, amp[np.clip(col_amp, 0, 3)], amp.mean())
        extra += offs[None, :].astype(np.float32)
    if s.switches["read_noise"]:
        extra += rng.standard_normal(extra.shape, dtype=np.float32) * np.float32(
            s.irs2_rn / np.sqrt(2.0) / np.sqrt(s.rp.nframes)
        )
    return lay.assemble(avg_normal, extra, s.det.name)
