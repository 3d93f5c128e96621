"""source_catalog: detect and measure the sources of a combined image (``_cat.ecsv``)."""

from .source_catalog_step import SourceCatalogStep

__all__ = ["SourceCatalogStep"]
