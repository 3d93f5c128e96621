import numpy as np

from jwcal import datamodels as dm


def test_unsigned_table_columns_read_back(tmp_path):
    """FITS stores unsigned table columns as signed ones offset by TZERO: reading must undo
    the offset (the IRS2 reference file's DQ table has uint16/uint32 columns)."""
    m = dm.IRS2Model()
    n = 2 * 4
    m.irs2_table = np.zeros(
        n, dtype=[(f"{a}_{k}", "f4") for a in ("alpha", "beta") for k in range(4)]
    )
    dq = np.zeros(3, dtype=[("OUTPUT", "u2"), ("ODD_EVEN", "u2"), ("MASK", "u4")])
    dq["OUTPUT"], dq["ODD_EVEN"], dq["MASK"] = [1, 2, 4], [1, 2, 1], [0, 1 << 31, 12]
    m.dq_table = dq
    m.meta.reftype = "REFPIX"
    path = m.save(tmp_path / "refpix.fits")
    back = dm.open(path).dq_table
    for name in ("OUTPUT", "ODD_EVEN", "MASK"):
        np.testing.assert_array_equal(back[name], dq[name])
        assert back[name].dtype == dq[name].dtype
