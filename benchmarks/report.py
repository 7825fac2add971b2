# SPDX-License-Identifier: Apache-2.0
"""docs/benchmarks.md holds one section per benchmark script; each run replaces only its own."""

from __future__ import annotations

import re
from pathlib import Path

HEADER = "# Benchmarks\n\nWritten by `make bench` (`benchmarks/`); each section from one run on the machine it names.\n"


def write_section(path: Path, name: str, text: str) -> None:
    begin, end = f"<!-- begin {name} -->", f"<!-- end {name} -->"
    block = f"{begin}\n{text.rstrip()}\n{end}\n"
    current = path.read_text() if path.exists() else HEADER
    if not current.startswith("# Benchmarks"):
        current = HEADER
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end) + r"\n?", re.DOTALL)
    updated = pattern.sub(lambda _: block, current) if pattern.search(current) else current.rstrip() + "\n\n" + block
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(updated)
