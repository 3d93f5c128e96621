import pytest

from jwcal.errors import ConfigError
from jwcal.stpipe.cfgfile import format_cfg, parse_cfg

TEXT = """
# a comment
name = "Detector1Pipeline"
class = "jwst.pipeline.Detector1Pipeline"   # trailing comment
save_calibrated_ramp = False
odd = 'has # inside'

    [steps]
      [[ipc]]
        skip = True
      [[jump]]
        rejection_threshold = 5.0
        groups = 1, 2, 3
        single = a,
      [[ramp_fit]]
"""


def test_parse_sections_lists_and_comments():
    cfg = parse_cfg(TEXT)
    assert cfg["name"] == "Detector1Pipeline"
    assert cfg["class"] == "jwst.pipeline.Detector1Pipeline"
    assert cfg["save_calibrated_ramp"] == "False"
    assert cfg["odd"] == "has # inside"
    assert cfg["steps"]["ipc"] == {"skip": "True"}
    assert cfg["steps"]["jump"]["groups"] == ["1", "2", "3"]
    assert cfg["steps"]["jump"]["single"] == ["a"]
    assert cfg["steps"]["ramp_fit"] == {}


def test_round_trip():
    cfg = parse_cfg(TEXT)
    again = parse_cfg(format_cfg(cfg))
    assert again == cfg


def test_errors_name_the_line():
    with pytest.raises(ConfigError, match="x.cfg, line 2: expected 'name = value'"):
        parse_cfg("a = 1\nnonsense\n", "x.cfg")
    with pytest.raises(
        ConfigError, match="line 1: section \\[\\[b\\]\\] is nested too deeply|nested"
    ):
        parse_cfg("[[b]]\n")
    with pytest.raises(ConfigError, match="given twice"):
        parse_cfg("a = 1\na = 2\n")
    with pytest.raises(ConfigError, match="unterminated quote"):
        parse_cfg("a = 'x\n")
