"""Write the versions installed in this environment to .ci/constraints.txt (see .ci/upgrade).

Local build labels are dropped (``torch==2.13.0+cpu`` -> ``torch==2.13.0``) so that the
same file serves the CPU and the CUDA builds; the project itself is left out.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

CONSTRAINTS = Path(__file__).parent / "constraints.txt"
HEADER = """\
# The exact versions the lessons were executed and the tests passed with.
# .ci/setup installs these (pip -c); .ci/upgrade moves them to the newest releases and
# rewrites this file with .ci/freeze_constraints.py. Do not edit by hand.
"""


def main() -> int:
    frozen = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable", "--disable-pip-version-check"],
        capture_output=True, text=True, check=True,
    ).stdout
    pins = sorted(
        (line.split("+")[0] for line in frozen.splitlines() if "==" in line and not line.startswith("tiny-audio")),
        key=str.lower,
    )
    with tempfile.NamedTemporaryFile("w", dir=CONSTRAINTS.parent, delete=False, suffix=".tmp") as tmp:
        tmp.write(HEADER + "\n".join(pins) + "\n")
    os.replace(tmp.name, CONSTRAINTS)
    print(f"wrote {len(pins)} pins to {CONSTRAINTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
