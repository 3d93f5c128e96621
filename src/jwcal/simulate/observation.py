"""``simulate_dithers``: several exposures of one field with dither offsets, the stage-2 and
stage-3 associations that calibrate them, and the truth.

All exposures share the detector (its seed) and the sky catalogue (the scene seed); each
points at its dither position, so the truth catalogue (``truth_catalog.ecsv``) holds every
source once and each exposure's ``truth/<name>_truth_sources.ecsv`` where it fell (with its
other truth files, kept apart from the products).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import ConfigError
from .exposure_wcs import dither_pixels_to_arcsec
from .geometry import aperture_for, sees_the_sky
from .headers import ExposureId
from .instruments import detector_spec

__all__ = ["simulate_dithers", "DitherResult", "dither_pattern"]

#: Offsets (pixels) of the default pattern: a few tens of pixels with sub-pixel phases, so
#: that the exposures sample the PSF at different phases and move across bad pixels.
_PATTERN_PIXELS = (
    (0.0, 0.0),
    (14.5, 8.5),
    (-8.5, 15.5),
    (6.5, -12.5),
    (-13.5, -6.5),
    (20.25, -3.75),
    (-3.75, -20.25),
    (10.75, 19.75),
)


def dither_pattern(det, n: int, use_pysiaf: bool | None = None) -> list[tuple[float, float]]:
    """The first ``n`` offsets (XOFFSET, YOFFSET, arcsec in the ideal frame) of the default
    pattern for a detector."""
    if not 1 <= n <= len(_PATTERN_PIXELS):
        raise ConfigError(f"the default dither pattern has 1 to {len(_PATTERN_PIXELS)} points")
    ap = aperture_for(det, use_pysiaf)
    return [
        tuple(float(v) for v in dither_pixels_to_arcsec(ap, dx, dy))
        for dx, dy in _PATTERN_PIXELS[:n]
    ]


@dataclass
class DitherResult:
    """What :func:`simulate_dithers` wrote."""

    exposures: list  #: one SimResult (uncal) or RateResult (rate) per dither position
    outdir: Path
    offsets: list  #: (XOFFSET, YOFFSET) arcsec of each exposure
    asn_image2: Path
    asn_image3: Path
    truth_catalog: Path
    refs: dict = field(default_factory=dict)

    @property
    def inputs(self) -> list[Path]:
        """The files to calibrate: the ``_rate`` or ``_uncal`` products."""
        return [getattr(e, "rate", None) or e.uncal for e in self.exposures]


def simulate_dithers(
    outdir,
    instrument: str | None = None,
    detector: str | None = None,
    subarray: str | None = None,
    *,
    dithers=4,
    level: str = "rate",
    seed: int = 0,
    scene_seed: int | None = None,
    detector_seed: int | None = None,
    product_name: str | None = None,
    use_pysiaf: bool | None = None,
    **kwargs,
) -> DitherResult:
    """Simulate a dithered observation of one field.

    Parameters
    ----------
    outdir : path
        Where the exposures, ``refs/``, the truth and the associations go.
    instrument, detector, subarray
        As for :func:`~jwcal.simulate.simulate_exposure`; an imager.
    dithers : int or list of (float, float)
        The number of positions of the default pattern, or the offsets themselves
        (XOFFSET, YOFFSET: where the target lands in the ideal frame, arcsec).
    level : {"rate", "uncal"}
        Write ``_rate.fits`` products directly (fast; for stage 2 and 3) or raw ramps.
    seed : int
        Noise seed of the first exposure (exposure n uses ``seed + n - 1``).
    scene_seed, detector_seed : int, optional
        The sky and the detector, shared by all exposures (``scene_seed`` defaults to seed).
    product_name : str, optional
        Name of the stage-3 product (default: ``jw<program>-o<obs>_t001_<detector>``).
    **kwargs
        Passed on to :func:`~jwcal.simulate.simulate_rate` or
        :func:`~jwcal.simulate.simulate_exposure` (filter, pupil, pointing, switches, ...).
    """
    from ..associations import asn_from_list
    from .api import simulate_exposure
    from .ratefile import simulate_rate

    det = detector_spec(instrument, detector)
    if det.instrument == "NIRSPEC":
        kwargs.setdefault("exp_type", "NRS_IMAGE")
    if not sees_the_sky(det, kwargs.get("exp_type")):
        raise ConfigError(f"simulate_dithers makes imaging exposures; {det.name} has none")
    if level not in ("rate", "uncal"):
        raise ConfigError(f"level must be 'rate' or 'uncal', not {level!r}")
    if isinstance(dithers, int):
        offsets = dither_pattern(det, dithers, use_pysiaf)
    else:
        offsets = [(float(a), float(b)) for a, b in dithers]
    ap = aperture_for(det, use_pysiaf)
    reach = max(np.hypot(a, b) for a, b in offsets) / min(ap.scales)
    margin = int(64 + np.ceil(reach))
    outdir = Path(outdir)
    exposures = []
    for n, off in enumerate(offsets, start=1):
        name = ExposureId(exposure=n).basename(det.name)
        common = dict(
            seed=seed + n - 1,
            scene_seed=seed if scene_seed is None else scene_seed,
            detector_seed=detector_seed,
            exposure_number=n,
            dither_arcsec=off,
            truth_prefix=f"truth/{name}_",
            catalog_margin=margin,
            use_pysiaf=use_pysiaf,
            **kwargs,
        )
        if level == "rate":
            exposures.append(simulate_rate(outdir, instrument, det.name, subarray, **common))
        else:
            exposures.append(simulate_exposure(outdir, instrument, det.name, subarray, **common))
    inputs = [getattr(e, "rate", None) or e.uncal for e in exposures]
    cals = [
        p.name.replace("_rate.fits", "_cal.fits").replace("_uncal.fits", "_cal.fits")
        for p in inputs
    ]
    product = product_name or f"jw01234-o001_t001_{det.name.lower()}"
    a2 = asn_from_list(
        [p.name for p in inputs], rule="level2", acid="o001", asn_pool="jwcal_sim_pool"
    ).save(outdir / "image2_asn.json")
    a3 = asn_from_list(cals, product_name=product, rule="level3", asn_pool="jwcal_sim_pool").save(
        outdir / "image3_asn.json"
    )
    return DitherResult(
        exposures=exposures,
        outdir=outdir,
        offsets=offsets,
        asn_image2=Path(a2),
        asn_image3=Path(a3),
        truth_catalog=outdir / "truth_catalog.ecsv",
        refs=dict(exposures[-1].refs),
    )
