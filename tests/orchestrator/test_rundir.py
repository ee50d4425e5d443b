"""Private run folders: a live one is never swept; a SIGKILLed owner's is, at the next start."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from bizops.rundir import RUNS, private_dir, sweep

HOLDER = """
import sys, time
from pathlib import Path
from bizops.rundir import private_dir
with private_dir(Path(sys.argv[1]), "run") as folder:
    (folder / "tap.json").write_text('{"client_secret": "s3cret"}')
    print(folder, flush=True)
    time.sleep(600)
"""


def test_a_live_folder_is_kept_and_a_killed_owners_folder_is_swept(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        folder = Path(holder.stdout.readline().strip())
        with private_dir(tmp_path, "run") as mine:  # starting a run sweeps: the live one stays
            assert folder.is_dir() and mine.is_dir()
            assert sweep(tmp_path / RUNS) == []
        assert not mine.exists()
        assert folder.is_dir()
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert (folder / "tap.json").is_file()  # a kill cannot clean up...
    assert sweep(tmp_path / RUNS) == [folder.name]  # ...the next start does
    assert sorted(p.name for p in (tmp_path / RUNS).iterdir()) == []


def test_a_sweep_never_removes_a_folder_whose_owner_is_alive(tmp_path: Path) -> None:
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        with private_dir(tmp_path, "run") as folder:
            sweep(tmp_path / RUNS)
            assert folder.is_dir()
