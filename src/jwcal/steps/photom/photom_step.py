"""The photom step for imaging: DN/s to MJy/sr, the pixel-area map and PIXAR_SR/PIXAR_A2."""

from __future__ import annotations

import numpy as np

from ... import datamodels
from ...errors import InputError, ReferenceFileError
from ...references import NOT_APPLICABLE
from ...references.subarray import check_instrument
from ...stpipe import Param, Step
from ..flat_field.flat_field_step import match_nans_and_flags
from .tables import find_row, has_column, time_correction

__all__ = ["PhotomStep", "MJSR_TO_UJA2", "A2_TO_SR"]

#: Square arcseconds to steradians.
A2_TO_SR = (np.pi / (180.0 * 3600.0)) ** 2
#: MJy/sr to microJy/arcsec^2.
MJSR_TO_UJA2 = 1e12 * A2_TO_SR

#: Exposure types whose PHOTOM rows are spectral (wavelength-dependent): not in jwcal.
_SPECTRAL = ("NRC_WFSS", "NRC_TSGRISM", "NIS_WFSS", "NIS_SOSS", "MIR_WFSS", "MIR_LRS-FIXEDSLIT",
             "MIR_LRS-SLITLESS", "MIR_MRS")  # fmt: skip
_VARIANCES = ("var_poisson", "var_rnoise", "var_flat")


class PhotomStep(Step):
    """Flux-calibrate imaging data: multiply by PHOTMJSR ((MJy/sr) / (DN/s)).

    The row of the PHOTOM table is chosen as jwst 3.0 does: NIRCam by FILTER and PUPIL (and
    SUBARRAY when the table has that column), NIRISS by FILTER and PUPIL, the MIRI imager
    by FILTER and SUBARRAY (then SUBARRAY=GENERIC), FGS the first row.  The factor is
    divided by the time-dependent throughput when the file has TIMECOEFF tables (and
    ``apply_time_correction``).  SCI and ERR are multiplied by it, the variances by its
    square; PHOTMJSR/PHOTUJA2 and BUNIT (MJy/sr) are set.  The AREA reference, cut to the
    exposure's subarray, becomes the AREA array, and its PIXAR_SR/PIXAR_A2 the exposure's
    (from the PHOTOM file when AREA is N/A).  ``inverse`` divides instead.

    As in jwst, NIRISS cubes (``_rateints``) are skipped, and an exposure with no matching
    row keeps its DN/s (a warning says so).  Spectroscopic modes and NIRSpec are not
    supported by jwcal's photom.
    """

    class_alias = "photom"
    cal_step = "photom"
    params = {
        "inverse": Param(bool, False, "invert the operation (MJy/sr back to DN/s)"),
        "source_type": Param(str, None, "process as this source type (spectroscopy only)"),
        "apply_time_correction": Param(bool, True, "apply time-dependent corrections"),
    }
    reference_file_types = ("photom", "area")

    def process(self, input):
        model = self.prepare_output(input)
        if not isinstance(model, (datamodels.ImageModel, datamodels.CubeModel)):
            self.log.warning("photom expects an ImageModel or CubeModel, got %s: skipped",
                             type(model).__name__)  # fmt: skip
            self.record_step_status(model, "SKIPPED")
            return model
        meta = model.meta
        instrument = str(meta.get("instrument.name") or "").upper()
        exp_type = str(meta.get("exposure.type") or "").upper()
        if instrument == "NIRSPEC" or exp_type in _SPECTRAL:
            raise InputError(f"photom of {instrument} {exp_type} data is not available in jwcal")
        phot_path = self.get_reference_file(model, "photom")
        area_path = self.get_reference_file(model, "area")
        if phot_path == NOT_APPLICABLE:
            self.log.warning("No PHOTOM reference file: photom skipped")
            self.record_step_status(model, "SKIPPED")
            return model
        ref = datamodels.open(phot_path) if isinstance(phot_path, str) else phot_path
        check_instrument(ref, model, "PHOTOM")
        if ref.phot_table is None:
            raise ReferenceFileError(f"PHOTOM reference {phot_path} has no PHOTOM table")
        self._attach_area(model, ref, area_path)
        if instrument == "NIRISS" and isinstance(model, datamodels.CubeModel):
            self.log.error("Unexpected data model type CubeModel for NIRISS: photom skipped")
            self.record_step_status(model, "SKIPPED")
            return model
        row = self._row(ref, model, instrument)
        if row is not None:
            corr = None
            if self.apply_time_correction:
                table = time_correction(ref, meta.get("exposure.mid_time"))
                corr = None if table is None else table[row]
            self._apply(model, ref.phot_table, row, corr)
        else:
            self.log.warning("No PHOTOM row matches the exposure: the data stay in DN/s")
        self.record_step_status(model, "COMPLETE")
        return model

    # ----- the PHOTOM row ---------------------------------------------------------------
    def _row(self, ref, model, instrument):
        meta = model.meta
        table = ref.phot_table
        filt, pupil = meta.get("instrument.filter"), meta.get("instrument.pupil")
        sub = meta.get("subarray.name")
        self.log.info("Using instrument %s, detector %s, exp_type %s, filter %s, pupil %s",
                      instrument, meta.get("instrument.detector"),
                      meta.get("exposure.type"), filt, pupil)  # fmt: skip
        if instrument == "FGS":
            return 0
        if instrument == "MIRI":
            det = str(meta.get("instrument.detector") or "").upper()
            if det != "MIRIMAGE":
                raise InputError(f"photom of MIRI {det} data is not available in jwcal")
            row = find_row(table, {"subarray": sub, "filter": filt})
            if row is None:
                row = find_row(table, {"subarray": "GENERIC", "filter": filt})
            return row
        if instrument in ("NIRCAM", "NIRISS"):
            fields = {"filter": filt, "pupil": pupil}
            if instrument == "NIRCAM" and has_column(table, "subarray"):
                self.log.info("Matching to subarray %s", sub)
                fields["subarray"] = sub
            return find_row(table, fields)
        raise InputError(f"photom: instrument {instrument or '(none)'} is not recognised")

    def _apply(self, model, table, row, corr) -> None:
        # The table's float32 factor is used as it is (float32 arithmetic, as jwst); a time
        # correction turns it into a float64 quotient, again as jwst.
        names = [n for n in table.dtype.names if n.lower() == "photmjsr"]
        if not names:
            raise ReferenceFileError("PHOTOM table has no PHOTMJSR column (imaging needs it)")
        conv = table[names[0]][row]
        if corr is not None and corr != 1.0:
            self.log.info("Multiplicative time dependence correction is %.6g", corr)
            conv = conv / corr
        self.log.info("PHOTMJSR value: %.6g", conv)
        model.meta.photometry.conversion_megajanskys = float(conv)
        # a float32 factor gives a float32 product, as in jwst (PHOTUJA2 is written from it)
        model.meta.photometry.conversion_microjanskys = float(conv * MJSR_TO_UJA2)
        conv2 = conv * conv
        scale = np.divide if self.inverse else np.multiply
        for name, factor in (("data", conv), ("err", conv)) + tuple((v, conv2) for v in _VARIANCES):
            if not model.has(name):
                continue
            arr = _writeable(model, name)
            scale(arr, factor, out=arr, casting="same_kind")
        unit = "DN/s" if self.inverse else "MJy/sr"
        model.meta.bunit_data = unit
        model.meta.bunit_err = unit
        match_nans_and_flags(model)

    # ----- pixel area -------------------------------------------------------------------
    def _attach_area(self, model, ref, area_path) -> None:
        meta = model.meta
        if area_path != NOT_APPLICABLE:
            area = datamodels.open(area_path) if isinstance(area_path, str) else area_path
            check_instrument(area, model, "AREA")
            model.area = _cut_area(area, model)
            self.log.info("Pixel area map copied to output")
            sr, a2 = _pixar(area)
            where = "AREA"
        else:
            sr, a2 = _pixar(ref)
            where = "PHOTOM"
        for key, value in (("PIXAR_SR", sr), ("PIXAR_A2", a2)):
            if value is None:
                self.log.warning("The %s keyword is missing from the %s reference", key, where)
        meta.photometry.pixelarea_steradians = None if sr is None else float(sr)
        meta.photometry.pixelarea_arcsecsq = None if a2 is None else float(a2)


def _cut_area(area, model) -> np.ndarray:
    """The exposure's part of the pixel-area map: the map itself when it has the data's
    shape, else the SUBSTRT/SUBSIZE region of the (full-frame) map, as jwst cuts it."""
    data = area.data
    ny, nx = model.shape[-2:]
    if data.shape == (ny, nx):
        return np.array(data, dtype=np.float32)
    x0 = int(model.meta.get("subarray.xstart") or 1) - 1
    y0 = int(model.meta.get("subarray.ystart") or 1) - 1
    cut = data[y0 : y0 + ny, x0 : x0 + nx]
    if cut.shape != (ny, nx):
        raise ReferenceFileError(
            f"AREA reference of shape {data.shape} does not cover the exposure's subarray "
            f"(columns {x0 + 1}-{x0 + nx}, rows {y0 + 1}-{y0 + ny})"
        )
    return np.array(cut, dtype=np.float32)


def _pixar(ref) -> tuple:
    """PIXAR_SR and PIXAR_A2 of a reference: its metadata, else its primary header (CRDS
    files keep them there, where the keyword table does not look for them)."""
    sr = ref.meta.get("photometry.pixelarea_steradians")
    a2 = ref.meta.get("photometry.pixelarea_arcsecsq")
    path = getattr(ref, "path", None)
    if (sr is None or a2 is None) and path is not None and path.suffix.lower() == ".fits":
        from astropy.io import fits

        hdr = fits.getheader(path, 0)
        sr = hdr.get("PIXAR_SR") if sr is None else sr
        a2 = hdr.get("PIXAR_A2") if a2 is None else a2
    return sr, a2


def _writeable(model, name) -> np.ndarray:
    arr = getattr(model, name)
    if not (arr.flags.writeable and arr.dtype.isnative):
        arr = np.array(arr, dtype=arr.dtype.newbyteorder("="), copy=True)
        setattr(model, name, arr)
    return arr
