# SPDX-License-Identifier: Apache-2.0
"""The ``calgate`` command run in-process (click's CliRunner) against the test's database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from calgate.cli import main
from calgate.services import Services


def cli_env(services: Services, tmp_path: Path) -> dict[str, str]:
    """The settings the command needs to reach what ``services`` uses."""
    return {
        "CALGATE_DATABASE_URL": services.settings.database_url,
        "CALGATE_SECRET_KEY": services.settings.secret_key.get_secret_value(),
        "CALGATE_MAIL_DIR": str(tmp_path / "mail"),
    }


def run_cli(services: Services, tmp_path: Path, *args: Any, input: bytes | str | None = None) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], env=cli_env(services, tmp_path), input=input, catch_exceptions=False)
