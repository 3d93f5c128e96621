"""Every jwst 3.0.0 pipeline and step, by alias, with the jwcal class that implements it.

A static table, so that the command line resolves a name without importing every step.
Each entry names the jwcal module and class (``"jwcal.steps.jump:JumpStep"``); an entry
whose module is not (yet) part of jwcal gives a one-line error when used.  The jwst class
names map parameter files written by jwst (``class: jwst.jump.jump_step.JumpStep``) to the
jwcal classes.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass

from ..errors import ConfigError

__all__ = [
    "Entry",
    "PIPELINES",
    "STEPS",
    "SHORT_NAMES",
    "lookup",
    "resolve_class",
    "is_available",
    "load_class",
    "entry_for_class",
]


@dataclass(frozen=True)
class Entry:
    """A pipeline or step jwst users know."""

    alias: str  #: jwst alias (``calwebb_detector1``, ``jump``)
    target: str  #: jwcal ``module:Class``
    jwst_class: str  #: jwst class name (last component; e.g. ``Detector1Pipeline``)
    description: str
    config: str | None = None  #: shipped .cfg (in ``jwcal/configs``) giving a variant's settings
    is_pipeline: bool = False

    @property
    def module(self) -> str:
        return self.target.partition(":")[0]

    @property
    def class_name(self) -> str:
        return self.target.partition(":")[2]


# alias, jwcal module (None: a step), class, description.  Each has a shipped <alias>.cfg
# naming its class and, for the variants (tso1, tso-image2, ...), their settings.
_PIPELINE_ROWS = (
    ("calwebb_detector1", "detector1", "Detector1Pipeline", "stage 1: ramps to count rates"),
    ("calwebb_tso1", "detector1", "Detector1Pipeline",
     "stage 1 for time series (skips ipc, lastframe, persistence)"),
    ("calwebb_sloper", "detector1", "Detector1Pipeline",
     "stage 1 under its build-7 name, SloperPipeline (ipc skipped)"),
    ("calwebb_dark", "dark", "DarkPipeline",
     "stage 1 for darks (up to, not including, dark_current)"),
    ("calwebb_guider", "guider", "GuiderPipeline", "stages 1+2 for FGS guiding modes"),
    ("calwebb_image2", "image2", "Image2Pipeline", "stage 2: calibrated images"),
    ("calwebb_tso-image2", "image2", "Image2Pipeline",
     "stage 2 for time-series imaging (no background, no resample)"),
    ("calwebb_wfs-image2", "image2", "Image2Pipeline", "stage 2 for WFS&C imaging (no resample)"),
    ("calwebb_spec2", "spec2", "Spec2Pipeline", "stage 2: calibrated spectra"),
    ("calwebb_tso-spec2", "spec2", "Spec2Pipeline", "stage 2 for time-series spectroscopy"),
    ("calwebb_nrslamp-spec2", "spec2", "Spec2Pipeline", "stage 2 for NIRSpec lamp exposures"),
    ("calwebb_image3", "image3", "Image3Pipeline", "stage 3: combined images and catalogs"),
    ("calwebb_wfs-image3", None, "WfsCombineStep", "stage 3 for WFS&C image pairs"),
    ("calwebb_spec3", "spec3", "Spec3Pipeline", "stage 3: combined spectra"),
    ("calwebb_coron3", "coron3", "Coron3Pipeline", "stage 3: coronagraphic PSF subtraction"),
    ("calwebb_ami3", "ami3", "Ami3Pipeline", "stage 3: NIRISS AMI fringe analysis"),
    ("calwebb_tso3", "tso3", "Tso3Pipeline", "stage 3: time-series photometry and spectra"),
)  # fmt: skip


def _pipeline_entry(alias, module, cls, desc) -> Entry:
    target = f"jwcal.pipelines.{module}:{cls}" if module else f"jwcal.steps.wfs_combine:{cls}"
    jwst_class = "SloperPipeline" if alias == "calwebb_sloper" else cls
    return Entry(alias, target, jwst_class, desc, f"{alias}.cfg", is_pipeline=True)


#: The pipelines, in processing order.
PIPELINES: dict[str, Entry] = {row[0]: _pipeline_entry(*row) for row in _PIPELINE_ROWS}

#: Other names the JWST documentation uses for the same pipelines.
PIPELINE_ALIASES = {"calwebb_dark1": "calwebb_dark"}

#: The short forms of the command line.
SHORT_NAMES = {
    "detector1": "calwebb_detector1",
    "tso1": "calwebb_tso1",
    "sloper": "calwebb_sloper",
    "dark": "calwebb_dark",
    "guider": "calwebb_guider",
    "image2": "calwebb_image2",
    "tso-image2": "calwebb_tso-image2",
    "wfs-image2": "calwebb_wfs-image2",
    "spec2": "calwebb_spec2",
    "tso-spec2": "calwebb_tso-spec2",
    "nrslamp-spec2": "calwebb_nrslamp-spec2",
    "image3": "calwebb_image3",
    "wfs-image3": "calwebb_wfs-image3",
    "spec3": "calwebb_spec3",
    "coron3": "calwebb_coron3",
    "ami3": "calwebb_ami3",
    "tso3": "calwebb_tso3",
}

# alias, jwst class, description; the jwcal class is jwcal.steps.<alias>:<class>.
_STEPS = (
    ("group_scale", "GroupScaleStep", "rescale groups averaged with a non-power-of-2 NFRAMES"),
    ("dq_init", "DQInitStep", "initialise pixel DQ from the MASK reference"),
    ("emicorr", "EmiCorrStep", "MIRI electromagnetic-interference correction"),
    ("saturation", "SaturationStep", "flag saturated and A/D-floor groups"),
    ("ipc", "IPCStep", "inter-pixel capacitance correction"),
    ("superbias", "SuperBiasStep", "subtract the superbias"),
    ("refpix", "RefPixStep", "reference-pixel correction"),
    ("rscd", "RscdStep", "MIRI reset-switch charge decay: flag first groups"),
    ("firstframe", "FirstFrameStep", "MIRI: flag the first group"),
    ("lastframe", "LastFrameStep", "MIRI: flag the last group"),
    ("linearity", "LinearityStep", "classical non-linearity correction"),
    ("dark_current", "DarkCurrentStep", "subtract the dark current"),
    ("reset", "ResetStep", "MIRI reset anomaly correction"),
    ("persistence", "PersistenceStep", "persistence correction"),
    ("charge_migration", "ChargeMigrationStep", "flag charge migration (brighter-fatter)"),
    ("jump", "JumpStep", "detect cosmic-ray jumps"),
    ("picture_frame", "PictureFrameStep", "NIRSpec picture-frame thermal correction"),
    ("clean_flicker_noise", "CleanFlickerNoiseStep", "1/f and flicker noise removal"),
    ("ramp_fit", "RampFitStep", "fit ramps to count rates"),
    ("gain_scale", "GainScaleStep", "rescale for a non-standard gain setting"),
    ("guider_cds", "GuiderCdsStep", "FGS guider correlated double sampling"),
    ("assign_wcs", "AssignWcsStep", "attach the world coordinate system"),
    ("badpix_selfcal", "BadpixSelfcalStep", "flag bad pixels from the data themselves"),
    ("msa_flagging", "MSAFlagOpenStep", "flag failed-open MSA shutters"),
    ("bkg_subtract", "BackgroundStep", "background subtraction"),
    ("imprint", "ImprintStep", "NIRSpec MSA imprint subtraction"),
    ("extract_2d", "Extract2dStep", "cut out 2-D spectra"),
    ("master_background", "MasterBackgroundStep", "master background subtraction"),
    ("master_background_mos", "MasterBackgroundMosStep", "MOS master background"),
    ("targ_centroid", "TargCentroidStep", "target centroid for fixed-slit sources"),
    ("wavecorr", "WavecorrStep", "NIRSpec wavelength zero-point correction"),
    ("flat_field", "FlatFieldStep", "flat-field correction"),
    ("srctype", "SourceTypeStep", "point or extended source type"),
    ("straylight", "StraylightStep", "MIRI MRS stray light"),
    ("fringe", "FringeStep", "MIRI MRS fringe correction"),
    ("residual_fringe", "ResidualFringeStep", "MIRI MRS residual fringe"),
    ("pathloss", "PathLossStep", "slit path-loss correction"),
    ("barshadow", "BarShadowStep", "NIRSpec MSA bar shadow"),
    ("wfss_contam", "WfssContamStep", "WFSS contamination"),
    ("photom", "PhotomStep", "photometric calibration"),
    ("adaptive_trace_model", "AdaptiveTraceModelStep", "spectral trace model"),
    ("pixel_replace", "PixelReplaceStep", "replace bad pixels in spectra"),
    ("resample", "ResampleStep", "drizzle images onto a common grid"),
    ("resample_spec", "ResampleSpecStep", "rectify 2-D spectra"),
    ("cube_build", "CubeBuildStep", "build IFU cubes"),
    ("extract_1d", "Extract1dStep", "extract 1-D spectra"),
    ("assign_mtwcs", "AssignMTWcsStep", "moving-target WCS"),
    ("tweakreg", "TweakRegStep", "relative and absolute astrometric alignment"),
    ("skymatch", "SkyMatchStep", "match sky levels between exposures"),
    ("outlier_detection", "OutlierDetectionStep", "flag outliers between exposures"),
    ("source_catalog", "SourceCatalogStep", "source catalog of a combined image"),
    ("combine_1d", "Combine1dStep", "combine 1-D spectra"),
    ("spectral_leak", "SpectralLeakStep", "MIRI MRS spectral leak"),
    ("stack_refs", "StackRefsStep", "stack coronagraphic PSF references"),
    ("align_refs", "AlignRefsStep", "align PSF references"),
    ("klip", "KlipStep", "KLIP PSF subtraction"),
    ("hlsp", "HlspStep", "high-level science products for coronagraphy"),
    ("ami_analyze", "AmiAnalyzeStep", "AMI fringe fitting"),
    ("ami_normalize", "AmiNormalizeStep", "AMI normalisation by a reference star"),
    ("tso_photometry", "TSOPhotometryStep", "time-series aperture photometry"),
    ("white_light", "WhiteLightStep", "white-light curve of time-series spectra"),
    ("wfs_combine", "WfsCombineStep", "combine WFS&C image pairs"),
)

STEPS: dict[str, Entry] = {
    alias: Entry(alias, f"jwcal.steps.{alias}:{cls}", cls, desc) for alias, cls, desc in _STEPS
}

# Pipeline sub-step names (and jwst entry-point aliases) that differ from the step alias.
STEP_ALIASES = {"imprint_subtract": "imprint", "background": "bkg_subtract"}

_BY_CLASS: dict[str, Entry] = {}
for _e in list(STEPS.values()) + list(PIPELINES.values()):
    _BY_CLASS.setdefault(_e.jwst_class, _e)
_BY_CLASS["Tso3Pipeline"] = PIPELINES["calwebb_tso3"]
_BY_CLASS["TSO3Pipeline"] = PIPELINES["calwebb_tso3"]
_BY_CLASS["Spec2NRSLamp"] = PIPELINES["calwebb_nrslamp-spec2"]


def _version() -> str:
    from .. import __version__

    return __version__


def lookup(name: str) -> Entry | None:
    """The entry for an alias, short form, jwst/jwcal class name (bare or dotted), or None."""
    key = name.strip()
    low = key.lower()
    if low in SHORT_NAMES:
        return PIPELINES[SHORT_NAMES[low]]
    if low in PIPELINE_ALIASES:
        return PIPELINES[PIPELINE_ALIASES[low]]
    if low in PIPELINES:
        return PIPELINES[low]
    if low in STEP_ALIASES:
        return STEPS[STEP_ALIASES[low]]
    if low in STEPS:
        return STEPS[low]
    last = key.replace(":", ".").rsplit(".", 1)[-1]
    if "." in key or ":" in key:
        if key.startswith(("jwst.", "jwcal.")) and last in _BY_CLASS:
            return _BY_CLASS[last]
        return None
    return _BY_CLASS.get(key)


def entry_for_class(cls) -> Entry | None:
    """The registry entry a jwcal class implements (by its module and name), or None."""
    for e in list(STEPS.values()) + list(PIPELINES.values()):
        if e.class_name == cls.__name__ and cls.__module__.startswith(e.module):
            return e
    return None


def is_available(entry: Entry) -> bool:
    """True when the jwcal module of ``entry`` exists (it is not imported)."""
    try:
        return importlib.util.find_spec(entry.module) is not None
    except (ImportError, ValueError):
        return False


def load_class(entry: Entry):
    """Import and return the jwcal class of ``entry``; ConfigError when jwcal lacks it."""
    if not is_available(entry):
        raise ConfigError(f"{entry.alias} is not available in jwcal {_version()}")
    mod = importlib.import_module(entry.module)
    try:
        return getattr(mod, entry.class_name)
    except AttributeError:
        raise ConfigError(f"{entry.alias} is not available in jwcal {_version()}") from None


def resolve_class(name: str):
    """The Step or Pipeline class a name stands for.

    Parameters
    ----------
    name : str
        An alias (``jump``, ``calwebb_image2``), a short form (``image2``), a jwst or jwcal
        class name (``JumpStep``, ``jwst.pipeline.Detector1Pipeline``) or any importable
        ``package.module.Class`` that is a jwcal Step.

    Returns
    -------
    (cls, Entry or None)
    """
    from .step import Step

    entry = lookup(name)
    if entry is not None:
        return load_class(entry), entry
    dotted = name.replace(":", ".")
    if "." in dotted:
        modname, _, clsname = dotted.rpartition(".")
        try:
            mod = importlib.import_module(modname)
        except ImportError:
            mod = None
        cls = getattr(mod, clsname, None) if mod is not None else None
        if isinstance(cls, type) and issubclass(cls, Step):
            return cls, entry_for_class(cls)
        if isinstance(cls, type):
            raise ConfigError(f"{name} is not a jwcal Step or Pipeline")
    raise ConfigError(
        f"{name!r} is not a pipeline, a step or a parameter file (see python -m jwcal list)"
    )
