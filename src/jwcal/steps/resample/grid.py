"""The output frame of the resample step: a distortion-free tangent-plane pixel grid.

jwst 3.0 builds it from the inputs' S_REGION footprints (stcal's ``wcs_from_sregions``):
the tangent point is the centre of the footprints (or ``crval``), the axes follow the first
input's V3 roll (or ``rotation``), the pixel scale is the first input's at its reference
point times ``pixel_scale_ratio`` (or ``pixel_scale``), and the grid just covers every
footprint (or has ``output_shape`` and ``crpix``).  The grid projects sky positions with
jwcore's TAN projection, so a pixel map needs the input gwcs only on a coarse grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from jwcore.resample import tan_pixel_to_world, tan_world_to_pixel

from ...errors import InputError
from .sky import angular_separation, footprint_center, polygon_solid_angle, sregion_polygons

__all__ = ["OutputGrid", "CustomGrid", "grid_from_models", "input_pixel_scale", "rotation_matrix"]


def rotation_matrix(roll_ref: float, v3yangle: float, vparity: int) -> np.ndarray:
    """PC matrix of a frame whose axes follow the aperture's ideal frame (radians in)."""
    if vparity not in (1, -1):
        raise InputError(f"VPARITY must be 1 or -1, got {vparity}")
    rel = roll_ref - vparity * v3yangle
    return np.array([[vparity * np.cos(rel), np.sin(rel)], [vparity * -np.sin(rel), np.cos(rel)]])


@dataclass
class OutputGrid:
    """A FITS TAN frame: ``world = TAN(cdelt * pc @ (pixel - crpix))`` about ``crval``.

    ``crpix`` is 0-based; ``shape`` is (ny, nx); ``bounding_box`` is ((x0, x1), (y0, y1)).
    """

    crval: tuple[float, float]
    crpix: tuple[float, float]
    cdelt: float
    pc: np.ndarray
    shape: tuple[int, int]
    bounding_box: tuple
    pixel_scale_ratio: float | None = None
    scale_arcsec: float | None = None  #: the pixel scale to report, when not 3600 * cdelt

    @property
    def cd(self) -> np.ndarray:
        return self.cdelt * np.asarray(self.pc, dtype=float)

    @property
    def pixel_scale(self) -> float:
        """Pixel scale in arcseconds."""
        return 3600.0 * self.cdelt if self.scale_arcsec is None else self.scale_arcsec

    def world_to_pixel(self, ra, dec, n_threads: int = 1):
        return tan_world_to_pixel(ra, dec, self.crval, self.crpix, self.cd, n_threads=n_threads)

    def pixel_to_world(self, x, y, n_threads: int = 1):
        return tan_pixel_to_world(x, y, self.crval, self.crpix, self.cd, n_threads=n_threads)

    def footprint(self) -> np.ndarray:
        """(RA, Dec) of the corners of the bounding box, shape (4, 2)."""
        (x0, x1), (y0, y1) = self.bounding_box
        ra, dec = self.pixel_to_world(np.array([x0, x0, x1, x1]), np.array([y0, y1, y1, y0]))
        return np.stack([ra, dec], axis=1)

    def to_wcs(self, input_frame=None, output_frame=None):
        """The grid as a WCS for the product: a :class:`~jwcal.transforms.TreeWCS` (no gwcs
        import) when the frames are those of a TreeWCS, else a gwcs (:meth:`to_gwcs`)."""
        from ...transforms import tree as T
        from ...transforms.wcs import Frame, TreeWCS

        if isinstance(input_frame, Frame) and isinstance(output_frame, Frame):
            fwd = T.fitswcs_imaging(self.crpix, self.crval, [self.cdelt, self.cdelt],
                                    self.pc, self.bounding_box)  # fmt: skip
            steps = [(input_frame.node, fwd), (output_frame.node, None)]
            return TreeWCS.from_steps(steps, pixel_shape=self.shape[::-1])
        return self.to_gwcs(input_frame, output_frame)

    def to_gwcs(self, input_frame=None, output_frame=None):
        """The grid as a gwcs (jwst's FITSImagingWCSTransform where gwcs has it)."""
        import gwcs
        from astropy import coordinates as coord
        from astropy import units as u
        from astropy.modeling import models as am
        from gwcs import coordinate_frames as cf

        try:
            from gwcs.fitswcs import FITSImagingWCSTransform
        except ImportError:  # older gwcs: the same transform as a compound model
            FITSImagingWCSTransform = None
        if FITSImagingWCSTransform is not None:
            fwd = FITSImagingWCSTransform(
                am.Pix2Sky_TAN(), crpix=list(self.crpix), crval=list(self.crval),
                cdelt=[self.cdelt, self.cdelt], pc=np.asarray(self.pc),
            )  # fmt: skip
        else:
            fwd = (
                (am.Shift(-self.crpix[0]) & am.Shift(-self.crpix[1]))
                | am.AffineTransformation2D(matrix=self.cd)
                | am.Pix2Sky_TAN()
                | am.RotateNative2Celestial(self.crval[0], self.crval[1], 180.0)
            )
        if input_frame is None:
            input_frame = cf.Frame2D(name="detector", axes_order=(0, 1), unit=(u.pix, u.pix))
        if output_frame is None:
            output_frame = cf.CelestialFrame(
                reference_frame=coord.ICRS(), name="world", unit=(u.deg, u.deg),
                axes_names=("lon", "lat"), axes_order=(0, 1),
            )  # fmt: skip
        w = gwcs.WCS([(input_frame, fwd), (output_frame, None)])
        w.bounding_box = self.bounding_box
        w.pixel_shape = self.shape[::-1]
        return w


@dataclass
class CustomGrid:
    """A user's output gwcs (``output_wcs``): projected through the gwcs itself."""

    wcs: object
    shape: tuple[int, int]
    pixel_scale: float  #: arcsec
    pixel_scale_ratio: float | None = None

    @property
    def bounding_box(self):
        bb = getattr(self.wcs, "bounding_box", None)
        if bb is None:
            return ((-0.5, self.shape[1] - 0.5), (-0.5, self.shape[0] - 0.5))
        return tuple(tuple(float(v) for v in iv) for iv in bb.bounding_box(order="F"))

    def world_to_pixel(self, ra, dec, n_threads: int = 1):
        x, y = self.wcs.world_to_pixel_values(ra, dec)
        return np.asarray(x, float), np.asarray(y, float)

    def pixel_to_world(self, x, y, n_threads: int = 1):
        ra, dec = self.wcs(x, y, with_bounding_box=False)
        return np.asarray(ra, float), np.asarray(dec, float)

    def footprint(self) -> np.ndarray:
        return np.asarray(self.wcs.footprint(), float)[:, :2]

    def to_gwcs(self, input_frame=None, output_frame=None):
        return self.wcs

    to_wcs = to_gwcs


def invert(wcs, ra: float, dec: float) -> tuple[float, float]:
    """Pixel position of one sky position: the gwcs inverse, else Newton's method on the
    forward transform (gwcs's own numerical inverse fails on some transform chains)."""
    try:
        x, y = wcs.invert(ra, dec, with_bounding_box=False)
        if np.isfinite(x) and np.isfinite(y):
            return float(x), float(y)
    except Exception:  # noqa: BLE001 - any failure: solve it ourselves
        pass
    bb = getattr(wcs, "bounding_box", None)
    if bb is not None:
        (xa, xb), (ya, yb) = bb.bounding_box(order="F")
        p = np.array([(xa + xb) / 2.0, (ya + yb) / 2.0])
    else:
        p = np.zeros(2)
    cosd = np.cos(np.deg2rad(dec))

    def offset(q):
        r, d = wcs(q[0], q[1], with_bounding_box=False)
        return np.array([((r - ra + 180.0) % 360.0 - 180.0) * cosd, d - dec])

    for _ in range(50):
        f = offset(p)
        jac = np.column_stack([offset(p + [1.0, 0.0]) - f, offset(p + [0.0, 1.0]) - f])
        step = np.linalg.solve(jac, f)
        p = p - step
        if np.abs(step).max() < 1e-10:
            break
    return float(p[0]), float(p[1])


def input_pixel_scale(wcs, ra_ref: float, dec_ref: float) -> float:
    """Pixel scale (degrees) of an input at (RA_REF, DEC_REF): the geometric mean of the
    sky lengths of one-pixel steps along x and y there (stcal's ``compute_scale``)."""
    x0, y0 = invert(wcs, ra_ref, dec_ref)
    x = np.array([x0, x0 + 1.0, x0], dtype=float)
    y = np.array([y0, y0, y0 + 1.0], dtype=float)
    ra, dec = wcs(x, y, with_bounding_box=False)
    xs = abs(angular_separation(ra[0], dec[0], ra[1], dec[1]))
    ys = abs(angular_separation(ra[0], dec[0], ra[2], dec[2]))
    return float(np.sqrt(xs * ys))


def mean_pixel_area(wcs, shape) -> float | None:
    """Mean solid angle (sr) of the pixels inside the bounding box: the sky area of its
    outline (points at most 15 pixels apart) over its area in pixels, as stcal computes it
    (edges that map outside the sky are moved inwards until the outline is finite)."""
    ny, nx = shape
    bb = getattr(wcs, "bounding_box", None)
    if bb is None:
        (xmin, xmax), (ymin, ymax) = (-0.5, nx - 0.5), (-0.5, ny - 0.5)
    else:
        (xmin, xmax), (ymin, ymax) = bb.bounding_box(order="F")
    xmin, xmax = sorted((xmin, xmax))
    ymin, ymax = sorted((ymin, ymax))
    lim = [
        max(0, int(ymin + 0.5)),
        min(nx - 1, int(xmax - 0.5)),
        min(ny - 1, int(ymax - 0.5)),
        max(0, int(xmin + 0.5)),
    ]  # bottom right top left
    step = [1, -1, -1, 1]
    k = 0
    while lim[3] < lim[1] and lim[0] < lim[2]:
        y0, x1, y1, x0 = lim
        dx, dy = min((x1 - x0) // 4, 15), min((y1 - y0) // 4, 15)
        x, y, edges = _outline(x0, x1, y0, y1, dx, dy)
        ra, dec = wcs(x, y)
        ok = True
        for _ in range(4):
            sl = edges[k]
            if not (np.all(np.isfinite(ra[sl])) and np.all(np.isfinite(dec[sl]))):
                lim[k] += step[k]
                k = (k + 1) % 4
                ok = False
                break
            k = (k + 1) % 4
        if ok:
            cra, cdec = wcs(0.5 * (x0 + x1), 0.5 * (y0 + y1))
            area = polygon_solid_angle(ra, dec, (cra, cdec))
            if area > 2 * np.pi:
                area = 4 * np.pi - area
            pix = (x1 - x0) * (y1 - y0)
            return area / pix if pix > 0 else None
    return None


def _outline(x0, x1, y0, y1, dx, dy):
    nx, ny = x1 - x0 + 1, y1 - y0 + 1
    dx = dx if dx and dx > 0 else nx
    dy = dy if dy and dy > 0 else ny
    sx, sy = max(1, math.ceil(nx / dx)), max(1, math.ceil(ny / dy))
    x = np.concatenate([np.linspace(x0, x1, sx, False), np.full(sy, float(x1)),
                        np.linspace(x1, x0, sx, False), np.full(sy, float(x0))])  # fmt: skip
    y = np.concatenate([np.full(sx, float(y0)), np.linspace(y0, y1, sy, False),
                        np.full(sx, float(y1)), np.linspace(y1, y0, sy, False)])  # fmt: skip
    edges = [slice(0, sx), slice(sx, sx + sy), slice(sx + sy, 2 * sx + sy),
             slice(2 * sx + sy, 2 * sx + 2 * sy)]  # fmt: skip
    return x, y, edges


def grid_from_models(
    models,
    *,
    pixel_scale_ratio: float = 1.0,
    pixel_scale: float | None = None,
    rotation: float | None = None,
    output_shape=None,
    crpix=None,
    crval=None,
    log=None,
) -> OutputGrid:
    """The output grid covering the footprints (S_REGION) of ``models``.

    Parameters
    ----------
    models : sequence
        Objects with ``meta.wcsinfo`` (S_REGION, RA_REF, DEC_REF, ROLL_REF, V3I_YANG,
        VPARITY) and, for the first, ``meta.wcs`` and ``shape``; metadata-only stand-ins are
        enough for all but the first.
    pixel_scale_ratio : float
        Output pixel scale over the first input's (ignored when ``pixel_scale`` is given).
    pixel_scale : float, optional
        Output pixel scale in arcseconds.
    rotation : float, optional
        Position angle of the output +y axis east of north, degrees; by default the first
        input's orientation.
    output_shape : (ny, nx), optional
    crpix : (x, y), optional
        0-based position of the tangent point on the grid.
    crval : (RA, Dec), optional
        The tangent point, degrees.
    """
    first = models[0]
    info = first.meta.wcsinfo
    footprints = []
    for m in models:
        sreg = m.meta.get("wcsinfo.s_region")
        if not sreg:
            raise InputError(
                f"{m.meta.get('filename') or 'input'} has no S_REGION: run assign_wcs first"
            )
        footprints.extend(sregion_polygons(sreg))
    light = getattr(first.meta, "light_wcs", None)
    ref_wcs = light() if light is not None else first.meta.wcs
    if ref_wcs is None:
        raise InputError(f"{first.meta.get('filename') or 'input'} has no WCS: run assign_wcs")
    if pixel_scale is None:
        pscale_in = input_pixel_scale(ref_wcs, info.ra_ref, info.dec_ref)
        pscale = pscale_in * pixel_scale_ratio
        ratio = pixel_scale_ratio
    else:
        pscale = pixel_scale / 3600.0
        area = mean_pixel_area(ref_wcs, first.shape[-2:])
        if not area:
            raise InputError("cannot measure the first input's pixel area from its WCS")
        pscale_in = float(np.rad2deg(math.sqrt(area)))
        ratio = pscale / pscale_in
    if log is not None:
        log.info("Output pixel scale %.8g arcsec (ratio to the input's %.8g)", 3600 * pscale,
                 ratio)  # fmt: skip
    fiducial = tuple(float(v) for v in crval) if crval is not None else footprint_center(footprints)
    v3y = np.deg2rad(info.v3yangle)
    vpar = int(info.vparity)
    roll = np.deg2rad(info.roll_ref) if rotation is None else np.deg2rad(rotation) + vpar * v3y
    pc = rotation_matrix(roll, v3y, vpar)
    cd = pscale * pc
    pts = np.vstack(footprints)
    dx, dy = tan_world_to_pixel(pts[:, 0], pts[:, 1], fiducial, (0.0, 0.0), cd)
    nx0, ny0 = tan_world_to_pixel(np.array([fiducial[0]]), np.array([fiducial[1]]), fiducial,
                                  (0.0, 0.0), cd)  # fmt: skip
    native = (float(nx0[0]), float(ny0[0]))
    dmin = np.array([dx.min(), dy.min()])
    dmax = np.array([dx.max(), dy.max()])
    if crpix is None:
        offsets = (native[0] - dmin[0], native[1] - dmin[1])
    else:
        offsets = (float(crpix[0]) - native[0], float(crpix[1]) - native[1])
    dmin = dmin + offsets
    dmax = dmax + offsets
    if output_shape is None:
        shape = (int(dmax[1] + 0.5), int(dmax[0] + 0.5))
        bbox = ((-0.5, shape[1] - 0.5), (-0.5, shape[0] - 0.5))
    else:
        shape = (int(output_shape[0]), int(output_shape[1]))
        bbox = tuple(
            (max(0, int(lo + 0.5)) - 0.5, min(int(hi + 0.5), n) - 0.5)
            for lo, hi, n in zip(dmin, dmax, shape[::-1], strict=True)
        )
    if min(shape) < 2:
        raise InputError(f"the output grid would be {shape[1]} x {shape[0]} pixels: too small")
    return OutputGrid(fiducial, offsets, pscale, pc, shape, bbox, ratio)
