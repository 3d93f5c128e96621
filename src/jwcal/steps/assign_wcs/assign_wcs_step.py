"""The assign_wcs step: the gwcs of an imaging exposure, S_REGION and a FITS SIP header."""

from __future__ import annotations

from ... import datamodels
from ...errors import ReferenceFileError
from ...references import NOT_APPLICABLE
from ...stpipe import Param, Step
from .footprint import s_region
from .imaging import build_imaging_pipeline, imaging_mode
from .nirspec import NIRSPEC_REFTYPES, build_nirspec_pipeline
from .sip import fit_sip
from .transforms import array_bbox

__all__ = ["AssignWcsStep"]

# meta.wcsinfo entries a new SIP approximation replaces (jwst removes the same ones).
_SIP_STALE = (
    ["naxis", "cdelt1", "cdelt2", "pc1_1", "pc1_2", "pc2_1", "pc2_2"]
    + ["a_order", "b_order", "ap_order", "bp_order"]
    + [f"{s}_{i}_{j}" for i in range(10) for j in range(10) for s in ("a", "b", "ap", "bp")]
)


class AssignWcsStep(Step):
    """Attach the WCS of an imaging exposure (NIRCam, NIRISS, MIRI imager, FGS, NIRSpec
    imaging and target acquisition).

    The gwcs (detector -> v2v3 -> v2v3vacorr -> world) goes to ``meta.wcs`` and is saved in
    the product's ASDF extension; S_REGION is the footprint of its bounding box; with
    ``sip_approx`` the SCI header gets a FITS TAN-SIP approximation of it (CD, CRPIX, CRVAL,
    A/B/AP/BP).  Calibration exposure types jwst gives no WCS (darks, flats, lamps) are
    SKIPPED; spectroscopic modes are not supported by jwcal.
    """

    class_alias = "assign_wcs"
    cal_step = "assign_wcs"
    params = {
        "sip_approx": Param(bool, True, "fit a FITS SIP approximation for imaging modes"),
        "sip_max_pix_error": Param(float, 0.01, "worst forward SIP error, pixels", min=0.0),
        "sip_degree": Param(int, None, "forward SIP degree (None: lowest that fits)", max=6),
        "sip_max_inv_pix_error": Param(float, 0.01, "worst inverse SIP error, pixels"),
        "sip_inv_degree": Param(int, None, "inverse SIP degree (None: lowest that fits)", max=6),
        "sip_npoints": Param(int, 12, "grid points per axis for the SIP fit"),
        "slit_y_low": Param(float, -0.55, "lower slit edge (NIRSpec only; unused)"),
        "slit_y_high": Param(float, 0.55, "upper slit edge (NIRSpec only; unused)"),
        "nrs_ifu_slice_wcs": Param(bool, False, "NIRSpec IFU slice WCS (unused)"),
    }
    # jwst's sixteen, all of which can be overridden (N/A) as with jwst; the imagers read
    # DISTORTION and FILTEROFFSET, NIRSpec images its optical model (NIRSPEC_REFTYPES)
    reference_file_types = (
        "distortion",
        "filteroffset",
        "specwcs",
        "regions",
        "wavelengthrange",
        "camera",
        "chromcorr",
        "collimator",
        "disperser",
        "fore",
        "fpa",
        "msa",
        "ote",
        "ifupost",
        "ifufore",
        "ifuslicer",
    )

    def process(self, input):
        model = self.prepare_output(input)
        if not isinstance(model, (datamodels.ImageModel, datamodels.CubeModel)):
            self.log.warning(
                "assign_wcs expects an ImageModel or CubeModel, got %s: step skipped",
                type(model).__name__,
            )
            self.record_step_status(model, "SKIPPED")
            return model
        mode = imaging_mode(model.meta)
        if mode == "skip":
            self.log.critical(
                "WCS for EXP_TYPE of %s is not implemented.", model.meta.exposure.type
            )
            self.record_step_status(model, "SKIPPED")
            return model

        if mode == "nirspec":
            from gwcs import WCS

            refs = {rt: self._required_reference(model, rt) for rt in NIRSPEC_REFTYPES}
            wcs = WCS(build_nirspec_pipeline(model, refs))
            if wcs.bounding_box is None:
                # NIRSpec's pipeline has none: the array's, as jwst sets while finding S_REGION
                wcs.bounding_box = array_bbox(model.shape)
            model.meta.wcs = wcs
            celestial = type(wcs.output_frame).__name__ == "CelestialFrame"
            evaluator = wcs
        else:
            distortion = self._required_reference(model, "distortion")
            filteroffset = None
            if str(model.meta.instrument.name).upper() != "FGS":
                filteroffset = self._optional_reference(model, "filteroffset")
            # held as its ASDF tree, evaluated with numpy: no gwcs unless asked for
            wcs = build_imaging_pipeline(model, distortion, filteroffset)
            model.meta.wcs = wcs
            celestial = wcs.output_frame.celestial
            evaluator = wcs if wcs.evaluable else wcs.to_gwcs()
        self.record_step_status(model, "COMPLETE")

        bbox = wcs.bounding_box.bounding_box(order="F")
        if not celestial:
            # an OPAQUE NIRSpec exposure ends at the MSA: no sky footprint, no FITS WCS
            model.meta.wcsinfo.s_region = None
            self.log.warning(
                "The WCS ends in the %s frame: no S_REGION or SIP approximation",
                wcs.output_frame.name,
            )
            return model
        region = s_region(evaluator.forward_transform, bbox)
        if region is not None:
            model.meta.wcsinfo.s_region = region
            self.log.info("S_REGION: %s", region)
        if self.sip_approx:
            self._add_sip(model, evaluator, bbox)
        return model

    def _required_reference(self, model, reftype: str):
        ref = self.get_reference_file(model, reftype)
        if isinstance(ref, str) and ref == NOT_APPLICABLE:
            raise ReferenceFileError(
                f"assign_wcs needs a {reftype.upper()} reference for "
                f"{model.meta.instrument.name} {model.meta.exposure.type}; it is N/A"
            )
        return ref

    def _optional_reference(self, model, reftype: str):
        """The reference of ``reftype``, or None when there is none (N/A or not found)."""
        try:
            ref = self.get_reference_file(model, reftype)
        except ReferenceFileError as exc:
            self.log.warning("%s; filter offsets are not applied", exc)
            return None
        if isinstance(ref, str) and ref == NOT_APPLICABLE:
            return None
        return ref

    def _add_sip(self, model, wcs, bbox) -> None:
        info = model.meta.to_dict().setdefault("wcsinfo", {})
        crpix = (info.get("crpix1"), info.get("crpix2"))
        try:
            kws = fit_sip(
                wcs.forward_transform,
                bbox,
                crpix=None if None in crpix else crpix,
                max_pix_error=self.sip_max_pix_error,
                degree=self.sip_degree,
                max_inv_pix_error=self.sip_max_inv_pix_error,
                inv_degree=self.sip_inv_degree,
                npoints=self.sip_npoints,
                frame_name=wcs.output_frame.name,
            )
        except (ValueError, RuntimeError) as exc:
            self.log.warning("Failed to update meta.wcsinfo with a FITS SIP approximation: %s", exc)
            return
        for key in _SIP_STALE:
            info.pop(key, None)
        info.update(kws)
        self.log.info(
            "SIP approximation of degree %s (inverse %s): worst error %.4g pixel (inverse %.4g)",
            kws.get("a_order", 1),
            kws.get("ap_order", "-"),
            kws["sipmxerr"],
            kws.get("sipiverr", float("nan")),
        )
