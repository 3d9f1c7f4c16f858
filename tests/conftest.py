"""Shared fixtures: a fresh store path per test and a way to run the CLI in-process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from xposture.cli import main

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
SHARED_DATA = Path(os.environ.get("XPOSTURE_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "store" / "xposture.db"


@pytest.fixture
def cli(db: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., tuple[int, str, str]]:
    """Run ``xposture --db <tmp> ARGS`` in-process; returns (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--db", str(db), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run


def run_subprocess(db: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the real console entry (``python -m xposture``) as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "xposture", "--db", str(db), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=REPO,
    )


def shared_data_or_skip(*parts: str) -> Path:
    """A path under ../shared/data, or skip: corpus-wide tests are optional outside CI."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared corpus sits beside the repo only in CI and dev machines)")
    return path
