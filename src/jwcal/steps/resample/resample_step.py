"""The resample step for imaging: one exposure or an association onto one output grid."""

from __future__ import annotations

import math
import os

import numpy as np

from jwcore.resample import DEFAULT_STEP

from ... import datamodels
from ...errors import ConfigError, InputError
from ...stpipe import Param, Step
from ...stpipe.stepio import is_model
from .._library import ExposureLibrary
from .driz import Resampler, group_id_of
from .grid import CustomGrid, OutputGrid, grid_from_models, mean_pixel_area
from .output import fill_product_meta

__all__ = ["ResampleStep", "KERNELS"]

KERNELS = ("square", "gaussian", "point", "turbo", "lanczos2", "lanczos3")


class ResampleStep(Step):
    """Drizzle 2-D images onto a distortion-free tangent-plane grid (Fruchter & Hook 2002).

    The output frame is jwst 3.0's: centred on the inputs' S_REGION footprints, oriented
    like the first input (or by ``rotation``), at its pixel scale times
    ``pixel_scale_ratio`` (or ``pixel_scale`` arcsec), just covering the footprints (or
    ``output_shape``/``crpix``/``crval``); ``output_wcs`` names an ASDF file holding a gwcs
    to use instead.  SCI is the weighted mean (weights 1/VAR_RNOISE for ``ivm``, the
    exposure time for ``exptime``; DO_NOT_USE and NON_SCIENCE pixels excluded), WHT the
    total weight, CON the context bits, the three variances and ERR combined as jwst does.

    Each input's gwcs is evaluated on a coarse grid only (every ``pixmap_stepsize`` pixels,
    32 by default, interpolated by cubic polynomials, about 1e-6 pixel from exact for flight
    distortion; ``pixmap_stepsize=1``, the default for the Lanczos kernels, evaluates every
    pixel); the output projection and the drizzle (science and variances in one pass) are
    jwcore's C.  Inputs named by file are read one
    at a time.

    The Gaussian kernel, like jwst's, samples the kernel at output pixel centres and does not
    conserve flux (a few per cent off for a narrow kernel); ``normalize_kernel=True`` (a
    jwcal extension) divides each input pixel's weight by the sum of its kernel samples,
    which makes it conserve flux exactly.
    """

    class_alias = "resample"
    cal_step = "resample"
    params = {
        "pixfrac": Param(float, 1.0, "pixel shrinkage factor", min=0.0, max=1.0),
        "kernel": Param(str, "square", "flux distribution kernel", choices=KERNELS),
        "fillval": Param(str, "NAN", "output value of pixels with no weight"),
        "weight_type": Param(
            str,
            "ivm",
            "input weighting: ivm or exptime",
            choices=("ivm", "exptime"),
            allow_none=True,
        ),  # fmt: skip
        "output_shape": Param(list, None, "output shape [nx, ny]", item_type=int),
        "crpix": Param(list, None, "0-based [x, y] of the reference pixel", item_type=float),
        "crval": Param(
            list, None, "[RA, Dec] of the reference pixel, degrees", item_type=float
        ),  # fmt: skip
        "rotation": Param(float, None, "position angle of the output +y axis, degrees"),
        "pixel_scale_ratio": Param(float, 1.0, "output pixel scale over the input's"),
        "pixel_scale": Param(float, None, "output pixel scale, arcsec"),
        "output_wcs": Param(str, "", "ASDF file with a custom output gwcs"),
        "single": Param(bool, False, "resample each exposure to its own output"),
        "blendheaders": Param(bool, True, "blend input metadata (jwcal: first input's kept)"),
        "in_memory": Param(bool, True, "keep images in memory (jwcal reads files one by one)"),
        "enable_ctx": Param(bool, True, "compute the context array"),
        "enable_err": Param(bool, True, "compute the err array"),
        "report_var": Param(bool, True, "write the variance arrays"),
        "propagate_dq": Param(bool, False, "OR the DQ of contributing pixels into DQ"),
        "pixmap_stepsize": Param(
            float,
            None,
            "input WCS evaluated every N pixels (1: all; default 32, 1 for lanczos)",
            min=1.0,
        ),  # fmt: skip
        "pixmap_order": Param(
            int, 1, "accepted for jwst compatibility (jwcal: cubic)", choices=(1, 3)
        ),  # fmt: skip
        "normalize_kernel": Param(
            bool, False, "gaussian kernel: weights of each input pixel sum to 1 (conserves flux)"
        ),
        "maximum_cores": Param(str, "1", "threads: a number, quarter, half or all"),
    }

    def process(self, input):
        items, asn = self._items(input)
        if not items:
            raise InputError("resample: no input images")
        check = self._open(items[0], meta_only=True)
        if check.data.ndim != 2:
            raise InputError(f"resample: {check.meta.get('filename') or 'input'} is not a 2-D "
                             "image")  # fmt: skip
        grid = self._grid(items, check)
        self._close(items[0], check)
        if self.single:
            groups: dict[str, list] = {}
            for it in items:
                model = self._open(it, meta_only=True)
                groups.setdefault(group_id_of(model), []).append(it)
                self._close(it, model)
            return [self._resample(g, grid, asn) for g in groups.values()]
        return self._resample(items, grid, asn)

    # ----- inputs -------------------------------------------------------------------------
    def _items(self, input):
        from ...associations import Association

        obj = input
        if isinstance(obj, (str, os.PathLike)) and str(obj).lower().endswith(".json"):
            obj = self.prepare_output(obj)
        if isinstance(obj, Association):
            paths = [obj.member_path(m) for m in obj.members("science", product=0)]
            return [str(p) for p in paths], obj
        if isinstance(obj, ExposureLibrary):
            # stage 3: the exposures as tweakreg, skymatch and outlier_detection left them,
            # read one at a time
            return [_LibItem(obj, i) for i in range(len(obj))], _LibAsn(obj)
        if isinstance(obj, (list, tuple)):
            return [self._own(o) for o in obj], None
        return [self._own(obj)], None

    @staticmethod
    def _close(item, model) -> None:
        """Done with a model from :meth:`_open` (files are closed, library members
        released; models given by the caller are left alone)."""
        if isinstance(item, _LibItem):
            item.lib.release(item.index, model)
        elif not is_model(item):
            model.close()

    def _own(self, obj):
        # The inputs are only read (invalid pixels get zero weight): no copy is needed.
        if is_model(obj):
            return self.prepare_output(obj, make_copy=False)
        return os.fspath(self.make_input_path(obj))

    def _open(self, item, meta_only=False):
        if isinstance(item, _LibItem):
            return item.open(meta_only)
        if is_model(item):
            return item
        model = datamodels.open(item)
        if not isinstance(model, datamodels.ImageModel):
            raise InputError(f"resample: {item} is not a 2-D image")
        return model

    def _footprint(self, item):
        """What the grid needs of an input other than the first (its S_REGION), without
        keeping its file open."""
        if isinstance(item, _LibItem):
            lib, i = item.lib, item.index
            return _MetaOnly({"wcsinfo.s_region": lib.s_region(i),
                              "filename": lib.members[i].filename})  # fmt: skip
        model = self._open(item, meta_only=True)
        keep = {k: model.meta.get(k) for k in ("wcsinfo.s_region", "filename")}
        self._close(item, model)
        return _MetaOnly(keep)

    # ----- the output grid ----------------------------------------------------------------
    def _grid(self, items, first):
        shape = _pair(self.output_shape, "output_shape", minimum=1)
        if self.output_wcs:
            return self._custom_grid(first, shape)
        metas = [first] + [self._footprint(it) for it in items[1:]]
        return grid_from_models(
            metas,
            pixel_scale_ratio=self.pixel_scale_ratio,
            pixel_scale=self.pixel_scale,
            rotation=self.rotation,
            output_shape=None if shape is None else shape[::-1],
            crpix=_pair(self.crpix, "crpix"),
            crval=_pair(self.crval, "crval"),
            log=self.log,
        )

    def _custom_grid(self, first, shape):
        from ...datamodels.asdf_setup import load_asdf

        asdf = load_asdf()

        with asdf.open(self.output_wcs, lazy_load=False, memmap=False) as af:
            wcs = af.tree["wcs"]
            area = af.tree.get("pixel_area")
            pscale = af.tree.get("pixel_scale")
            pshape = af.tree.get("pixel_shape")
            ashape = af.tree.get("array_shape", None if pshape is None else pshape[::-1])
        if pscale is None and area is not None:
            pscale = math.sqrt(area)
        if shape is not None:
            wcs.array_shape = shape[::-1]
        elif wcs.array_shape is None:
            if ashape is not None:
                wcs.array_shape = tuple(ashape)
            elif getattr(wcs, "bounding_box", None) is not None:
                bb = wcs.bounding_box.bounding_box(order="C")
                wcs.array_shape = tuple(int(iv[1] + 0.5) for iv in bb)
            else:
                raise ConfigError("output_shape is needed: the output_wcs has no array_shape, "
                                  "pixel_shape or bounding_box")  # fmt: skip
        out_shape = tuple(int(v) for v in wcs.array_shape)
        if pscale is None:
            out_area = mean_pixel_area(wcs, out_shape)
            pscale = 3600.0 * np.rad2deg(math.sqrt(out_area))
        grid = _tan_grid_of(wcs, out_shape, pscale)
        in_sr = first.meta.get("photometry.pixelarea_steradians")
        if not in_sr:
            in_sr = mean_pixel_area(first.meta.wcs, first.shape)
        ratio = pscale / (3600.0 * np.rad2deg(math.sqrt(in_sr)))
        if grid is None:
            return CustomGrid(wcs, out_shape, float(pscale), ratio)
        grid.pixel_scale_ratio = ratio
        return grid

    # ----- drizzling ----------------------------------------------------------------------
    def _pixmap_step(self) -> int:
        # drizzle's Lanczos weights come from a table in 0.01-pixel bins: a map interpolated
        # to 5e-7 pixel still moves a few samples across a bin edge (weights change by up
        # to 1%), so for those kernels the WCS is evaluated on every pixel, as jwst does.
        if self.pixmap_stepsize is not None:
            return max(1, int(round(self.pixmap_stepsize)))
        return 1 if self.kernel.startswith("lanczos") else DEFAULT_STEP

    def _resample(self, items, grid, asn):
        fill = _fillval(self.fillval)
        pars = {
            "kernel": self.kernel, "pixfrac": self.pixfrac, "fillval": self.fillval,
            "weight_type": self.weight_type,
        }  # fmt: skip
        self.log.info("Driz parameter kernel: %s, pixfrac: %s, fillval: %s, weight_type: %s",
                      self.kernel, self.pixfrac, self.fillval, self.weight_type)  # fmt: skip
        res = Resampler(
            grid, len(items), kernel=self.kernel, pixfrac=self.pixfrac, fillval=fill,
            weight_type=self.weight_type, enable_ctx=self.enable_ctx,
            enable_var=self.enable_err and not self.single, propagate_dq=self.propagate_dq,
            pixmap_step=self._pixmap_step(), normalize_kernel=self.normalize_kernel,
            n_threads=self.n_threads,
        )  # fmt: skip
        first = None
        sregions, wcs0 = [], None
        for it in items:
            model = self._open(it)
            self.log.info("Resampling %s %s --> %s", model.meta.get("filename") or "image",
                          model.shape, tuple(grid.shape))  # fmt: skip
            res.add(model)
            sregions.append(model.meta.get("wcsinfo.s_region"))
            if first is None:
                first = _meta_copy(model)
                wcs0 = model.meta.light_wcs()
            self._close(it, model)
            del model
        result = res.finalize()
        out = first
        out.data = result["data"]
        out.wht = result["wht"]
        if result["con"] is not None:
            out.con = result["con"]
        if result["dq"] is not None:
            out.dq = result["dq"]
        if self.enable_err and not self.single:
            out.err = result["err"]
            if self.report_var:
                for name in ("var_rnoise", "var_flat", "var_poisson"):
                    setattr(out, name, result[name])
        else:
            out.meta.bunit_err = None
        wcs = grid.to_wcs(wcs0.input_frame, wcs0.output_frame)
        fill_product_meta(out, result, grid, pars, [s for s in sregions if s], wcs)
        if asn is not None:
            if asn.get("asn_pool"):
                out.meta.asn.pool_name = asn.get("asn_pool")
            if asn.table_name:
                out.meta.asn.table_name = asn.table_name
            name = asn.products[0].get("name")
            if name:
                out.meta.filename = f"{name}_i2d.fits"
        return out


class _LibItem:
    """Member ``index`` of an ExposureLibrary, opened with its stage-3 changes."""

    def __init__(self, lib, index: int):
        self.lib, self.index = lib, index

    def open(self, meta_only: bool = False):
        return self.lib.meta_model(self.index) if meta_only else self.lib.load(self.index)


class _LibAsn:
    """The association facts of a library, as the product naming reads them."""

    def __init__(self, lib):
        self._asn = lib.asn or {}
        self.table_name = self._asn.get("table_name")
        self.products = self._asn.get("products") or [{}]

    def get(self, key, default=None):
        return self._asn.get(key, default)


class _MetaOnly:
    """A stand-in for a model of which only a few metadata values are needed."""

    class _Meta(dict):
        def get(self, key, default=None):
            return super().get(key, default)

    def __init__(self, values: dict):
        self.meta = self._Meta(values)


def _meta_copy(model):
    """An empty ImageModel with a copy of ``model``'s metadata, but not its WCS (copying a
    gwcs costs a quarter of a second, and the product gets its own)."""
    tree = model.meta.to_dict()
    wcs = tree.pop("wcs", None)
    try:
        out = datamodels.ImageModel()
        out.update(model)
    finally:
        if wcs is not None:
            tree["wcs"] = wcs
    return out


def _pair(vals, name, minimum=None):
    if vals is None:
        return None
    if len(vals) != 2:
        raise ConfigError(f"{name} must have exactly two values")
    n = sum(v is None for v in vals)
    if n == 2:
        return None
    if n == 1:
        raise ConfigError(f"both {name} values must be given, or neither")
    if minimum is not None and min(vals) < minimum:
        raise ConfigError(f"{name} values must be at least {minimum}")
    return list(vals)


def _fillval(text) -> float:
    if text is None or str(text).strip().upper() in ("INDEF", "NAN", "NONE", ""):
        return float("nan")
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"fillval={text!r} is not a number, NaN or INDEF") from None


def _tan_grid_of(wcs, shape, pscale):
    """The custom gwcs as an OutputGrid when it is a plain FITS TAN frame (fast path)."""
    try:
        from gwcs.fitswcs import FITSImagingWCSTransform
    except ImportError:
        return None
    t = wcs.forward_transform
    if not isinstance(t, FITSImagingWCSTransform) or t.projection.prjprm.code != "TAN":
        return None
    cdelt = np.asarray(t.cdelt.value, float)
    if not np.isclose(cdelt[0], cdelt[1], rtol=1e-12):
        pc = np.asarray(t.pc.value, float) * cdelt[:, None] / cdelt[0]
    else:
        pc = np.asarray(t.pc.value, float)
    bb = getattr(wcs, "bounding_box", None)
    bbox = (
        tuple(tuple(float(v) for v in iv) for iv in bb.bounding_box(order="F"))
        if bb is not None
        else ((-0.5, shape[1] - 0.5), (-0.5, shape[0] - 0.5))
    )
    g = OutputGrid(tuple(np.asarray(t.crval.value, float)), tuple(np.asarray(t.crpix.value, float)),
                   float(cdelt[0]), pc, shape, bbox)  # fmt: skip
    g.scale_arcsec = float(pscale)
    return g
