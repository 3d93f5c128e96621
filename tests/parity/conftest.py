import pytest

pytest.importorskip("stdatamodels", reason="the parity tests need the test extra (jwst 3.0.0)")
