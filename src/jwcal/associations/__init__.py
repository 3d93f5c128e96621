"""Associations: reading, validating and writing ``asn.json`` files, and making them.

.. code-block:: python

    from jwcal.associations import load_asn, asn_from_list
    asn = load_asn("jw01234-o001_image3_asn.json")
    asn_from_list(["a_cal.fits", "b_cal.fits"], product_name="mosaic").save("my_asn.json")
"""

from .asn import MEMBER_TYPES, Association, AssociationError, load_asn, validate
from .from_list import asn_from_list

__all__ = [
    "Association",
    "AssociationError",
    "MEMBER_TYPES",
    "asn_from_list",
    "load_asn",
    "validate",
]
