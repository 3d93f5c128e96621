import numpy as np
import pytest

from jwcore import dqflags


def test_pixel_flags_are_the_32_jwst_bits():
    values = [v for k, v in dqflags.pixel.items() if k != "GOOD"]
    assert sorted(values) == [1 << i for i in range(32)]
    assert dqflags.pixel["REFERENCE_PIXEL"] == 2**31
    assert dqflags.PIXEL.NO_SAT_CHECK == 2**21


def test_group_flags_share_pixel_values():
    for name, value in dqflags.group.items():
        assert dqflags.pixel[name] == value
    assert max(dqflags.group.values()) < 256


def test_interpret_and_decode():
    assert dqflags.interpret_bit_flags("DO_NOT_USE+SATURATED") == 3
    assert dqflags.interpret_bit_flags(["HOT", 4]) == 2048 | 4
    assert dqflags.combine("JUMP_DET", "dead") == 4 | 1024
    assert dqflags.dqflags_to_mnemonics(0) == {"GOOD"}
    assert dqflags.dqflags_to_mnemonics(1 | 2**31) == {"DO_NOT_USE", "REFERENCE_PIXEL"}
    assert dqflags.describe(3) == "DO_NOT_USE+SATURATED"
    with pytest.raises(ValueError, match="unknown DQ flag"):
        dqflags.interpret_bit_flags("NOT_A_FLAG")


def test_flag_counts():
    dq = np.array([0, 1, 3, 2**31], dtype=np.uint32)
    assert dqflags.flag_counts(dq) == {"DO_NOT_USE": 2, "SATURATED": 1, "REFERENCE_PIXEL": 1}
