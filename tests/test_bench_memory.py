"""The bench's memory figures: a child process's own peak, not its parent's."""

import os
import sys

from outreach.bench.memory import run_for_peak


def test_a_small_child_of_a_large_process_is_reported_small(tmp_path):
    # The bench process holds a lot by the time it runs the import; the kernel's own figure
    # for the child (wait4's ru_maxrss) would carry that across the exec.
    ballast = bytearray(300 * 1024 * 1024)
    ballast[::4096] = b"\1" * len(ballast[::4096])  # resident, not just reserved

    code, peak_kib = run_for_peak([sys.executable, "-c", "import time; time.sleep(0.3)"],
                                  dict(os.environ), tmp_path / "out")

    assert code == 0
    assert 0 < peak_kib < 100 * 1024
    del ballast


def test_a_child_that_grows_is_reported_at_its_peak(tmp_path):
    grow = ("import time; b = bytearray(150 * 1024 * 1024); b[::4096] = b'1' * len(b[::4096]);"
            " time.sleep(0.3); del b; time.sleep(0.3); print('done')")

    code, peak_kib = run_for_peak([sys.executable, "-c", grow], dict(os.environ),
                                  tmp_path / "out")

    assert code == 0
    assert peak_kib > 150 * 1024  # the peak, though it had let go of it before the end
    assert (tmp_path / "out").read_text() == "done\n"


def test_a_failing_child_says_so(tmp_path):
    code, _ = run_for_peak([sys.executable, "-c", "raise SystemExit(3)"], dict(os.environ),
                           tmp_path / "out")

    assert code == 3
