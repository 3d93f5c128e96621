import pytest

from jwcal.errors import ConfigError
from jwcal.stpipe import Param
from jwcal.stpipe.params import parse_bool


@pytest.mark.parametrize("text", ["true", "True", "yes", "on", "1", "T"])
def test_booleans_true(text):
    assert parse_bool(text) is True
    assert Param(bool, False).convert(text) is True


@pytest.mark.parametrize("text", ["false", "False", "no", "off", "0"])
def test_booleans_false(text):
    assert Param(bool, True).convert(text) is False


def test_types_from_text_and_objects():
    assert Param(int, 1).convert("5") == 5
    assert Param(int, 1).convert(5.0) == 5
    assert Param(float, 1.0).convert("2.5") == 2.5
    assert Param(float, 1.0).convert(3) == 3.0 and isinstance(Param(float, 1.0).convert(3), float)
    assert Param(str, "1").convert(2) == "2"
    assert Param(list, None, item_type=float).convert("1, 2.5") == [1.0, 2.5]
    assert Param(list, None).convert("[1, 'a']") == [1, "a"]
    assert Param(list, []).convert(("x",)) == ["x"]


def test_none_handling():
    p = Param(str, None)
    assert p.convert(None) is None and p.convert("None") is None
    assert Param(float, None).convert("None") is None
    with pytest.raises(ConfigError, match="cannot be None"):
        Param(int, 1).convert(None)
    # a string parameter that cannot be None keeps the word
    assert Param(str, "x").convert("None") == "None"


def test_errors_name_the_parameter():
    with pytest.raises(ConfigError, match=r"jump.edge_size: 'abc' is not an integer"):
        Param(int, 25).convert("abc", "jump.edge_size")
    with pytest.raises(ConfigError, match="is not an integer"):
        Param(int, 25).convert(2.5)
    with pytest.raises(ConfigError, match="is not an integer"):
        Param(int, 25).convert(True)
    with pytest.raises(ConfigError, match="is not a boolean"):
        Param(bool, True).convert("maybe")
    with pytest.raises(ConfigError, match="below its minimum 0"):
        Param(float, 4.0, min=0).convert("-1", "rejection_threshold")
    with pytest.raises(ConfigError, match="above its maximum"):
        Param(int, 1, max=3).convert(4)


def test_choices_are_case_insensitive():
    p = Param(str, "OLS_C", choices=("OLS_C", "LIKELY"))
    assert p.convert("likely") == "likely"
    with pytest.raises(ConfigError, match="is not one of OLS_C, LIKELY"):
        p.convert("GLS")


def test_bad_declarations_fail_early():
    with pytest.raises(TypeError):
        Param(dict, {})
    with pytest.raises(ConfigError):
        Param(int, "x")
