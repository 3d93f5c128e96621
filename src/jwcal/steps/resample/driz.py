"""Drizzling exposures onto one output grid: science, weights, context and the variances,
with the arithmetic of jwst 3.0 (stcal's ``Resample``) and one jwcore pass per exposure."""

from __future__ import annotations

import logging
import math

import numpy as np

from jwcore.resample import DEFAULT_STEP, drizzle_add_image

from ...dqflags import pixel as PIXEL
from .pixmap import ExposurePixmap, input_box

__all__ = ["Resampler", "VARIANCES", "BAD_BITS", "bad_bits_of", "drizzle_weight", "group_id_of"]

log = logging.getLogger(__name__)

#: Input rows drizzled per call: the pixel map, weights and errors of one block exist at a
#: time (8 MB of map for a 2048-pixel-wide input instead of 64 MB for the whole frame).
ROWS_PER_BLOCK = 256
#: Variances resampled, in jwst's order (that of the sum that gives ERR).
VARIANCES = ("var_rnoise", "var_flat", "var_poisson")
#: Flags that exclude a pixel (jwst's good bits are "~DO_NOT_USE+NON_SCIENCE").
BAD_BITS = PIXEL["DO_NOT_USE"] | PIXEL["NON_SCIENCE"]


def bad_bits_of(good_bits) -> int:
    """DQ bits that exclude a pixel, from a jwst ``good_bits`` string (astropy bit-flag
    syntax: the bits to ignore, ``~`` for all but those; None: none excludes)."""
    from astropy.nddata.bitmask import interpret_bit_flags

    ignore = interpret_bit_flags(good_bits, flag_name_map=dict(PIXEL))
    if ignore is None:
        return 0
    return int(~int(ignore) & 0xFFFFFFFF)


def drizzle_weight(
    model, weight_type: str | None, bad_bits: int = BAD_BITS, rows: slice | None = None
) -> np.ndarray:
    """Per-pixel weight of an input: 1 / VAR_RNOISE (``ivm``; 1 where it is missing), the
    measurement (else exposure) time (``exptime``), or 1 (None); 0 for DO_NOT_USE and
    NON_SCIENCE pixels.  float32, as stcal's ``build_driz_weight``.  ``rows``: only those
    rows of the image.

    A pixel that is NaN in SCI, ERR or a variance also gets 0: jwst first flags those
    DO_NOT_USE in the model (``match_nans_and_flags``); the weight is the only place where
    that matters (drizzle skips pixels of zero weight), so the input is left untouched.
    """
    full = _shape(model, "data")
    good = (np.asarray(_rows(model, "dq", rows)) & np.uint32(bad_bits)) == 0
    shape = good.shape
    for name in ("data", "err") + VARIANCES:
        if _shape(model, name) == full:
            good &= ~np.isnan(_rows(model, name, rows))
    good = good.view(np.uint8)
    if weight_type == "ivm":
        if _shape(model, "var_rnoise") == full:
            with np.errstate(divide="ignore", invalid="ignore"):
                inv = 1.0 / _rows(model, "var_rnoise", rows)
            inv[~np.isfinite(inv)] = 0
        else:
            log.warning("'var_rnoise' array not available: drizzle weights set to 1")
            inv = np.ones(shape, np.float32)
        out = inv * good
    elif weight_type == "exptime":
        out = np.float32(_tmeasure(model)[0]) * good
    elif weight_type is None:
        out = good
    else:
        raise ValueError(f"weight_type must be ivm, exptime or None, got {weight_type!r}")
    return out.astype(np.float32, copy=False)


def _nint(x):
    # drizzle's rounding: half away from zero
    return np.where(x >= 0, np.floor(x + 0.5), -np.floor(0.5 - x))


def gaussian_kernel_sums(pixmap, pixfrac: float, ratio: float, oshape) -> np.ndarray:
    """Sum over the output grid of the Gaussian kernel weights of each input pixel.

    drizzle's Gaussian kernel samples ``es exp(-r**2 efac)`` (FWHM ``pixfrac / ratio``
    output pixels) at the output pixel centres within ``pfo`` of the mapped centre; the
    samples of one input pixel add up to 1 only on average, so the kernel does not conserve
    flux.  Dividing each input pixel's weight by this sum makes it conserve flux exactly
    (Fruchter & Hook's normalisation), the sampling kept as drizzle's.

    Returns
    -------
    ndarray of shape (ny, nx), float64 (NaN where the map is undefined)
    """
    pfo = max(2.5 * pixfrac / 2.3548 / ratio, 1.2 / ratio)
    efac = (2.3548 * 2.3548) * (ratio * ratio) / (pixfrac * pixfrac) / 2.0
    es = efac / np.pi
    ony, onx = oshape
    span = int(np.ceil(2 * pfo)) + 2
    sums = []
    for c, n in ((pixmap[..., 0], onx), (pixmap[..., 1], ony)):
        lo = np.maximum(_nint(c - pfo), 0)
        hi = np.minimum(_nint(c + pfo), n - 1)
        tot = np.zeros(c.shape)
        for k in range(span):
            idx = lo + k
            d = c - idx
            tot += np.where(idx <= hi, np.exp(-d * d * efac), 0.0)
        sums.append(tot)
    return es * sums[0] * sums[1]


def _tmeasure(model):
    t = model.meta.get("exposure.measurement_time")
    if t is None:
        return model.meta.get("exposure.exposure_time"), False
    return t, True


def group_id_of(model) -> str:
    """The exposure a model belongs to, as jwst's ModelLibrary names it (detectors of one
    exposure share it); ``meta.group_id`` when set."""
    gid = model.meta.get("group_id")
    if gid:
        return str(gid)
    o = model.meta.get("observation") or {}
    keys = ("program_number", "observation_number", "visit_number", "visit_group",
            "sequence_id", "activity_id", "exposure_number")  # fmt: skip
    vals = [o.get(k) for k in keys]
    if any(v is None for v in vals):
        return str(model.meta.get("filename") or id(model))
    return "jw{}{}{}_{}{}{}_{}".format(*vals)


class Resampler:
    """Accumulates drizzled exposures on an output grid.

    Parameters
    ----------
    grid : OutputGrid or CustomGrid
        The output frame.
    n_models : int
        Number of exposures that will be added (sizes the context planes).
    kernel, pixfrac, weight_type
        As the resample step's parameters.
    fillval : float
        Value of output pixels that receive no weight.
    enable_ctx, enable_var, propagate_dq : bool
        Whether to keep the context image, resample the variances, OR the DQ.
    normalize_kernel : bool
        With the Gaussian kernel, scale each input pixel's weights to sum to one over the
        output (flux-conserving; jwst's Gaussian kernel is not).
    pixmap_step : int
        Coarse-grid spacing of the input WCS evaluation.
    n_threads : int
        Threads of the compiled kernels.
    bad_bits : int
        DQ bits that give a pixel zero weight (DO_NOT_USE | NON_SCIENCE; outlier detection
        uses DO_NOT_USE alone, its ``good_bits`` default).
    """

    def __init__(self, grid, n_models=1, *, kernel="square", pixfrac=1.0, fillval=np.nan,
                 weight_type="ivm", enable_ctx=True, enable_var=True, propagate_dq=False,
                 pixmap_step=DEFAULT_STEP, normalize_kernel=False, n_threads=1,
                 bad_bits=BAD_BITS):  # fmt: skip
        self.grid = grid
        self.kernel = kernel
        self.pixfrac = pixfrac
        self.fillval = fillval
        self.weight_type = weight_type
        self.enable_var = enable_var
        self.pixmap_step = pixmap_step
        self.normalize_kernel = normalize_kernel and kernel == "gaussian"
        self.n_threads = n_threads
        self.bad_bits = bad_bits
        self.pixel_scale_ratio = grid.pixel_scale_ratio
        shape = tuple(grid.shape)
        self.shape = shape
        self.data = np.zeros(shape, np.float32)
        self.wht = np.zeros(shape, np.float32)
        self.con = (np.zeros((max(1, math.ceil(n_models / 32)),) + shape, np.int32)
                    if enable_ctx else None)  # fmt: skip
        self.dq = np.zeros(shape, np.uint32) if propagate_dq else None
        self._var = {}
        self._wt = _VarianceWeights(shape)
        self.n_added = 0
        self._groups: list[str] = []
        self._times = {"exposure_time": 0.0, "duration": 0.0, "measurement_time": 0.0,
                       "start": [], "end": [], "measured": []}  # fmt: skip

    # ----- one exposure -----------------------------------------------------------------
    def add(self, model) -> None:
        """Drizzle one 2-D exposure (SCI, and its variances when enabled)."""
        # The input's arrays are read a block of rows at a time (from its file, when the
        # model has not loaded them): an exposure costs no memory beyond its blocks.
        shape = _shape(model, "data")
        if shape is None or len(shape) != 2:
            raise ValueError(f"{model.meta.get('filename') or 'input'} is not a 2-D image")
        wcs = model.meta.light_wcs()
        level = model.meta.get("background.level")
        if level is None or model.meta.get("background.subtracted"):
            level = None
        ny = shape[0]
        pmap = ExposurePixmap(wcs, shape, self.grid, step=self.pixmap_step,
                              n_threads=self.n_threads)  # fmt: skip
        xmin, xmax, ymin, ymax = input_box(shape, wcs)
        exptime = model.meta.get("exposure.exposure_time") or 1.0
        names = [n for n in VARIANCES if self.enable_var and _has(model, n, shape)]
        outs = [np.zeros(self.shape, np.float32) for _ in names]
        wht_e = np.zeros(self.shape, np.float32) if names else None
        # Blocks of input rows, each with the map rows its corners need around it: the
        # pixel map, weights and errors exist for one block at a time (the result is that
        # of one pass over the frame).  The Gaussian normalisation needs the whole map.
        block = ny if self.normalize_kernel else ROWS_PER_BLOCK
        halo = math.ceil(self.pixfrac / 2) + 1
        nmiss = 0
        for r0 in range(ymin, ymax + 1, block):
            r1 = min(r0 + block - 1, ymax)
            h0, h1 = max(r0 - halo, 0), min(r1 + halo, ny - 1)
            rows = slice(h0, h1 + 1)
            pm = pmap.rows(h0, h1 + 1)
            weight = drizzle_weight(model, self.weight_type, self.bad_bits, rows)
            if self.normalize_kernel:
                sums = gaussian_kernel_sums(pm, self.pixfrac, self.pixel_scale_ratio or 1.0,
                                            self.shape)  # fmt: skip
                ok = np.isfinite(sums) & (sums > 0)
                weight = np.where(ok, weight / np.where(ok, sums, 1.0), 0.0).astype(np.float32)
                del sums, ok
            errs = [np.sqrt(_rows(model, n, rows)) for n in names]
            dq = None if self.dq is None else np.asarray(_rows(model, "dq", rows), np.uint32)
            data = _rows(model, "data", rows)
            if level is not None:
                data = data - level
            nmiss += drizzle_add_image(
                data, pm, self.data, self.wht, self.con, con_id=self.n_added,
                weight=weight, extra=errs, out_extra=outs, out_wht_extra=wht_e, dq=dq,
                out_dq=self.dq, kernel=self.kernel, pixfrac=self.pixfrac, in_units="cps",
                exptime=exptime if exptime > 0 else 1.0, iscale=1.0,
                pixel_scale_ratio=self.pixel_scale_ratio or 1.0, xmin=xmin, xmax=xmax,
                ymin=r0, ymax=r1, fillval=np.nan if r1 == ymax else None, row0=h0,
                frame_rows=ny, n_threads=self.n_threads,
            )  # fmt: skip
            del pm, errs, weight, dq, data
        del wht_e  # the errors' own running weight is done with: one output array less
        if nmiss:
            log.debug("%d input pixels fall outside the output grid", nmiss)
        if names:
            drizzled = dict(zip(names, outs, strict=True))
            del outs
            self._add_variances(model, drizzled)
        self.n_added += 1
        self._update_time(model)

    def _add_variances(self, model, drizzled) -> None:
        # stcal's running sums: each resampled variance weighted by the square of the
        # exposure's output-plane weight (1 / resampled VAR_RNOISE, or its exposure time),
        # with its float32/float64 roundings; done in place on the drizzled arrays, which
        # become the sums for the first exposure.  Elementwise, so in blocks of rows: the
        # float64 terms exist for one block at a time.
        if self.weight_type == "ivm":
            rn = drizzled.get("var_rnoise")
            if rn is None:
                return
        else:
            t = _tmeasure(model)[0] if self.weight_type == "exptime" else 1.0
        first = {name: name not in self._var for name in drizzled}
        for name in drizzled:
            if first[name]:
                self._var[name] = drizzled[name]
        self._wt.begin(drizzled)
        for r0 in range(0, self.shape[0], ROWS_PER_BLOCK):
            rows = slice(r0, r0 + ROWS_PER_BLOCK)
            if self.weight_type == "ivm":
                rn2 = rn[rows] * rn[rows]
                ok = np.isfinite(rn2) & (rn2 > 0)
                weight = np.zeros(rn2.shape, np.float32)
                np.reciprocal(rn2, out=weight, where=ok)
                wpos = weight > 0
            else:
                weight = np.float64(t)
                wpos = np.bool_(t > 0)
            masks = {}
            for name, full in drizzled.items():
                var = full[rows]
                np.multiply(var, var, out=var)
                with np.errstate(invalid="ignore"):
                    mask = masks[name] = np.isfinite(var) & (var >= 0) & wpos
                term = var.astype(np.float64)
                term *= weight
                term *= weight
                wsum = self._var[name][rows]
                if first[name]:
                    np.copyto(wsum, term, casting="same_kind")
                    wsum[~mask] = np.nan
                else:
                    fresh = mask & np.isnan(wsum)
                    more = mask & ~fresh
                    np.copyto(wsum, term, where=fresh, casting="same_kind")
                    term += wsum
                    np.copyto(wsum, term, where=more, casting="same_kind")
            self._wt.add(rows, weight, masks)

    def _update_time(self, model) -> None:
        gid = group_id_of(model)
        if gid in self._groups:
            return
        self._groups.append(gid)
        t = self._times
        m = model.meta
        t["start"].append(m.get("exposure.start_time"))
        t["end"].append(m.get("exposure.end_time"))
        if m.get("exposure.exposure_time") is not None:
            t["exposure_time"] += m.get("exposure.exposure_time")
        tm, ok = _tmeasure(model)
        t["measured"].append(ok)
        if tm is not None:
            t["measurement_time"] += tm
        if m.get("exposure.duration") is not None:
            t["duration"] += m.get("exposure.duration")

    # ----- the result -------------------------------------------------------------------
    def finalize(self) -> dict:
        """The output arrays (SCI, WHT, CON, DQ, ERR and the variances) and times."""
        if not self.n_added:
            raise ValueError("no exposure was resampled")
        out = {"data": self.data, "wht": self.wht, "con": self.con, "dq": self.dq}
        if not (isinstance(self.fillval, float) and math.isnan(self.fillval)):
            self.data[self.wht == 0] = self.fillval
        ratio = self.pixel_scale_ratio
        scaling = 1.0 if ratio is None else 1.0 / ratio**2
        if self.enable_var:
            for name in VARIANCES:
                wsum = self._var.pop(name, None)
                if wsum is None:
                    out[name] = np.full(self.shape, np.nan, np.float32)
                    continue
                wt = self._wt.of(name)
                with np.errstate(divide="ignore", invalid="ignore"):
                    wsum *= np.float32(scaling) if scaling != 1.0 else 1
                    wsum /= wt
                    wsum /= wt
                out[name] = wsum
            out["err"] = _err_from_variances([out[n] for n in VARIANCES])
        t = self._times
        starts = [s for s in t["start"] if s is not None]
        ends = [e for e in t["end"] if e is not None]
        out.update(
            pointings=len(self._groups),
            exposure_time=t["exposure_time"],
            start_time=min(starts) if starts else None,
            end_time=max(ends) if ends else None,
            duration=t["duration"],
            measurement_time=t["measurement_time"] if all(t["measured"]) else None,
        )
        return out


class _VarianceWeights:
    """The total weight behind each variance's running sum (stcal keeps one per variance).

    They differ only where one variance is invalid and another is not (a negative input
    variance, say): so one plane serves every variance that has always had the same pixels
    as the first, and a variance gets a plane of its own (a copy of the shared one) the
    first time its pixels differ -- the same sums, 35 MB less on a full-frame mosaic.
    """

    def __init__(self, shape):
        self.shape = shape
        self.shared = None
        self.members: list[str] = []  # the variances the shared plane serves, in order
        self.own: dict[str, np.ndarray] = {}

    def begin(self, names) -> None:
        """An exposure whose drizzled variances are ``names`` is about to be added."""
        if self.shared is None:
            self.shared = np.zeros(self.shape, np.float32)
            self.members = list(names)
            return
        for name in list(self.members):
            if name not in names:  # not updated by this exposure: on its own from now
                self._split(name)
        for name in names:
            if name not in self.members and name not in self.own:
                self.own[name] = np.zeros(self.shape, np.float32)

    def _split(self, name) -> None:
        self.own[name] = self.shared.copy()
        self.members.remove(name)

    def add(self, rows: slice, weight, masks: dict) -> None:
        """Add ``weight`` where each variance's ``masks[name]`` holds, on rows ``rows``."""
        shared = [n for n in self.members if n in masks]
        if shared:
            ref = masks[shared[0]]
            for name in shared[1:]:
                if not np.array_equal(masks[name], ref):
                    self._split(name)  # the shared plane holds its sums up to this band
            w = self.shared[rows]
            np.add(w, weight, out=w, where=ref, casting="same_kind")
        for name, plane in self.own.items():
            if name in masks:
                w = plane[rows]
                np.add(w, weight, out=w, where=masks[name], casting="same_kind")

    def of(self, name) -> np.ndarray:
        return self.own[name] if name in self.own else self.shared


def _shape(model, name):
    """Shape of an array of the model, without reading it when the model can tell."""
    if hasattr(model, "array_shape"):
        return model.array_shape(name) if model.has(name) else None
    arr = getattr(model, name, None)
    return None if arr is None else arr.shape


def _rows(model, name, rows: slice | None) -> np.ndarray:
    """Rows of an array of the model, read from its file alone when not loaded (all of it,
    loaded into the model, when ``rows`` is None)."""
    if rows is None:
        return getattr(model, name)
    if hasattr(model, "section"):
        return model.section(name, rows)
    return getattr(model, name)[rows]


def _has(model, name, shape) -> bool:
    if not model.has(name):
        return False
    got = _shape(model, name)
    return got is not None and got == tuple(shape) and int(np.prod(got)) > 0


def _err_from_variances(variances) -> np.ndarray:
    """sqrt of the NaN-ignoring sum of the variances; NaN where all are NaN."""
    total = None
    all_nan = None
    for v in variances:
        nan = np.isnan(v)
        if total is None:
            total = np.where(nan, np.float32(0), v)
            all_nan = nan
        else:
            np.add(total, v, out=total, where=~nan)
            all_nan &= nan
    np.sqrt(total, out=total)
    np.copyto(total, np.nan, where=all_nan)
    return total
