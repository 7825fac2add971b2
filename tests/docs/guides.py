# SPDX-License-Identifier: Apache-2.0
"""docs/build_guides.py, loaded for the tests (docs/ is no package)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BUILDER_PATH = Path(__file__).resolve().parents[2] / "docs" / "build_guides.py"


def _load():  # type: ignore[no-untyped-def]
    name = "calgate_docs_build_guides"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BUILDER_PATH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


builder = _load()
