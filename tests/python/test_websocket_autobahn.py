"""The Autobahn TestSuite, the field's WebSocket conformance standard, against both front-ends.

`scripts/autobahn.py --cases fast` runs cases 1-7, 10 and the first case of each
compression group (12.x.1, 13.x.1) against the Lesto API's echo route and a Starlette
route on the ASGI front-end; it exits 1 when any case is FAILED, NON-STRICT or anything
but OK / INFORMATIONAL / UNIMPLEMENTED. The whole suite is `--cases all` (bench/autobahn.md).
"""

import glob
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def has_python2() -> bool:
    # The suite is Python 2 only; the script installs it (pip --user) into a Python 2.7.
    return bool(shutil.which("wstest") or os.path.exists(os.path.expanduser("~/.local/bin/wstest"))
                or glob.glob(os.path.expanduser("~/.pyenv/versions/2.7*/bin/python"))
                or shutil.which("python2.7"))


@pytest.mark.timeout(600)
@pytest.mark.skipif(not has_python2(), reason="the Autobahn TestSuite needs a Python 2.7 "
                    "(pyenv install 2.7.18)")
def test_the_fast_autobahn_cases_pass_on_both_front_ends(tmp_path):
    result = subprocess.run([sys.executable, "scripts/autobahn.py", "--cases", "fast",
                             "--keep", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                            timeout=580)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = [line for line in result.stdout.splitlines() if line.startswith("| lesto")]
    assert [row.split("|")[1].strip() for row in rows] == ["lesto", "lesto-asgi-starlette"]
    for row in rows:
        cells = [cell.strip() for cell in row.split("|")[2:-1]]
        cases, ok, non_strict, failed, other = (int(cells[i]) for i in (0, 1, 2, 5, 6))
        assert cases > 250 and ok > 250, row
        assert non_strict == failed == other == 0, row
