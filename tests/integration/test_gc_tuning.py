# SPDX-License-Identifier: Apache-2.0
"""A served process sets its garbage collector once startup is done (``calgate.gc_tuning``):
what startup loaded frozen, the youngest generation's threshold raised. ``create_app`` alone
(tests, embedders) leaves CPython's defaults."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from calgate import gc_tuning

PROBE = """
import gc, json, sys
from calgate import app
before = (gc.get_freeze_count(), gc.get_threshold())
getattr(app, sys.argv[1])()
print(json.dumps({"before": before, "after": (gc.get_freeze_count(), gc.get_threshold())}))
"""


def probe(factory: str, tmp_path: Path) -> dict[str, list[object]]:
    env = {
        **os.environ,
        "CALGATE_DATABASE_URL": f"sqlite:///{tmp_path / 'calgate.db'}",
        "CALGATE_MAIL_DIR": str(tmp_path / "mail"),
        "CALGATE_RUN_JOBS_IN_PROCESS": "false",
    }
    done = subprocess.run([sys.executable, "-c", PROBE, factory], env=env, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_a_served_process_freezes_its_startup_and_raises_the_threshold(tmp_path: Path) -> None:
    seen = probe("create_served_app", tmp_path)
    frozen, threshold = seen["after"]
    assert seen["before"][0] == 0 and frozen > 10_000  # modules, the app, its routes
    assert threshold == [gc_tuning.YOUNG_THRESHOLD, *gc_tuning.OLDER_THRESHOLDS]


def test_create_app_alone_keeps_cpythons_defaults(tmp_path: Path) -> None:
    seen = probe("create_app", tmp_path)
    assert seen["after"] == seen["before"]
