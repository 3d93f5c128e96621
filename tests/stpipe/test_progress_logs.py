import io
import logging

from jwcal.stpipe import progress
from jwcal.stpipe.logs import configure, format_summary, peak_rss_mb
from jwcal.stpipe.progress import Progress, set_enabled


class FakeTTY(io.StringIO):
    def isatty(self):
        return True


def test_progress_draws_only_on_a_terminal():
    plain = io.StringIO()
    assert list(Progress(range(5), desc="ints", delay=0, stream=plain)) == list(range(5))
    assert plain.getvalue() == ""
    tty = FakeTTY()
    bar = Progress(range(3), desc="ints", delay=0, stream=tty)
    bar._last_draw = -1.0
    for _ in bar:
        bar._last_draw = -1.0  # draw on every item
    text = tty.getvalue()
    assert "ints [" in text and "3/3" in text and text.endswith("\n")


def test_progress_waits_before_drawing_and_can_be_disabled():
    tty = FakeTTY()
    with Progress(total=10, desc="groups", delay=60, stream=tty) as bar:
        for _ in range(10):
            bar.update()
    assert tty.getvalue() == ""
    set_enabled(False)
    try:
        tty = FakeTTY()
        list(Progress(range(3), delay=0, stream=tty))
        assert tty.getvalue() == ""
    finally:
        set_enabled(True)
    assert list(progress([1, 2])) == [1, 2]


def test_summary_table_and_memory():
    text = format_summary([("dq_init", "COMPLETE", 0.5), ("ipc", "SKIPPED", 0.01)], 0.6)
    lines = text.splitlines()
    assert lines[0].split() == ["step", "status", "seconds"]
    assert lines[1].split() == ["dq_init", "COMPLETE", "0.50"]
    assert lines[-1].split() == ["total", "0.60"]
    assert peak_rss_mb() > 10


def test_configure_levels_and_file(tmp_path, capsys):
    logger = logging.getLogger("jwcal.test")
    try:
        configure("WARNING", log_file=str(tmp_path / "x.log"))
        logger.info("hidden")
        logger.warning("shown")
        out = capsys.readouterr().out
        assert "shown" in out and "hidden" not in out
        assert "shown" in (tmp_path / "x.log").read_text()
    finally:
        root = logging.getLogger("jwcal")
        for h in list(root.handlers):
            if getattr(h, "_jwcal_cli", False):
                root.removeHandler(h)
                h.close()
        root.setLevel(logging.NOTSET)


def test_python_warnings_go_to_the_log_not_stderr():
    import subprocess
    import sys

    code = (
        "import warnings; from jwcal.stpipe.logs import configure; configure('INFO'); "
        "warnings.warn('something odd', UserWarning, stacklevel=1)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "something odd" in run.stdout and run.stderr == ""
