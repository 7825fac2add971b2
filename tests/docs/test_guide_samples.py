# SPDX-License-Identifier: Apache-2.0
"""Every fenced code block of docs/guide/*.md runs here, so the guides cannot rot.

The convention (also stated at the top of docs/guide/index.md):

- ```` ```sh ```` / ```` ```bash ````: run with ``bash -e -u -o pipefail`` in an empty directory,
  with ``.venv/bin`` first on ``PATH`` (so ``calgate`` is the CLI, on the live server's database);
- ```` ```python ````: run as a script by the venv's Python (pycronofy is installed);
- both get the environment variables of ``sample_env`` below and must exit 0, each against a
  fresh live calgate (SQLite and PostgreSQL);
- ```` ```json ```` must parse; ```` ```text ````, ```` ```ini ````, ```` ```yaml ````,
  ```` ```http ```` and ```` ```console ```` are shown, not run;
- the ``no-run`` flag (```` ```sh no-run ````) marks a sample that needs a browser, a real
  Google or Microsoft account or a long-running process: it is only syntax-checked
  (``bash -n``, Python's ``compile``, ``node --check``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.docs.guides import builder
from tests.support.connect import connect_hosted
from tests.support.factories import make_application
from tests.support.server import LiveServer
from tests.support.webhooks import Receiver

VENV_BIN = Path(sys.executable).parent
TIMEOUT = 90

RUNNERS = {"sh": "bash", "bash": "bash", "python": "python"}
PARSED = {"json"}
SHOWN = {"text", "ini", "yaml", "http", "console"}
CHECKED_ONLY = {"js"}  # always no-run: syntax-checked with node
FLAGS = {"no-run"}

BLOCKS = [b for path in sorted(builder.GUIDE_DIR.glob("*.md")) for b in builder.code_blocks(path)]
RUNNABLE = [b for b in BLOCKS if b.lang in RUNNERS and b.runs]
STATIC = [b for b in BLOCKS if b not in RUNNABLE]


def where(block) -> str:  # type: ignore[no-untyped-def]
    return f"docs/guide/{block.path.name}, block {block.index} (line {block.line}, ```{block.lang})"


def test_the_guides_have_samples() -> None:
    assert len(RUNNABLE) >= 20, [b.name for b in RUNNABLE]


@pytest.mark.parametrize("block", BLOCKS, ids=[b.name for b in BLOCKS])
def test_every_block_follows_the_convention(block) -> None:  # type: ignore[no-untyped-def]
    known = set(RUNNERS) | PARSED | SHOWN | CHECKED_ONLY
    assert block.lang in known, f"{where(block)}: give the block one of the languages {sorted(known)}"
    assert set(block.flags) <= FLAGS, f"{where(block)}: unknown flags {block.flags} (known: {sorted(FLAGS)})"
    if block.lang in CHECKED_ONLY:
        assert not block.runs, f"{where(block)}: ```{block.lang} blocks cannot run here; mark them no-run"


@pytest.mark.parametrize("block", STATIC, ids=[b.name for b in STATIC])
def test_static_block_is_well_formed(block, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    if block.lang == "json":
        json.loads(block.code)
    elif block.lang in ("sh", "bash"):
        _check(["bash", "-n"], block, tmp_path, "sample.sh")
    elif block.lang == "python":
        compile(block.code, where(block), "exec")
    elif block.lang == "js":
        if shutil.which("node") is None:
            pytest.skip("node is not installed")
        _check(["node", "--check"], block, tmp_path, "sample.js")


def _check(command: list[str], block, tmp_path: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    script = tmp_path / name
    script.write_text(block.code, encoding="utf-8")
    result = subprocess.run([*command, str(script)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, f"{where(block)} does not parse:\n{result.stderr}"


# --- running the samples against a live calgate ---------------------------------------------


@pytest.fixture(scope="session")
def receiver() -> Iterator[Receiver]:
    """Where samples point callback URLs (push notifications, Enterprise Connect): answers 200."""
    server = Receiver().start()
    try:
        yield server
    finally:
        server.stop()


def connect_person(calgate: LiveServer, app, email: str, name: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A No Access person connected through the real flow (email code, consent), and their
    tokens, account, profile and hosted calendar."""
    result = connect_hosted(calgate, app, email=email, name=name)
    assert "code" in result, result
    tokens = httpx.post(
        f"{calgate.url}/oauth/token",
        json={
            "client_id": app.client_id,
            "client_secret": app.client_secret,
            "grant_type": "authorization_code",
            "code": result["code"],
            "redirect_uri": app.redirect_uri,
        },
    ).json()
    [calendar] = httpx.get(
        f"{calgate.url}/v1/calendars", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    ).json()["calendars"]
    return {
        "ACCESS_TOKEN": tokens["access_token"],
        "REFRESH_TOKEN": tokens["refresh_token"],
        "SUB": tokens["sub"],
        "CALENDAR_ID": calendar["calendar_id"],
        "PROFILE_ID": calendar["profile_id"],
        "EMAIL": email,
    }


def sample_env(calgate: LiveServer, receiver: Receiver, block) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """What every runnable sample may use:

    CALGATE_URL                   the server
    CLIENT_ID, CLIENT_SECRET      an application offering Free/Busy and No Access
    REDIRECT_URI                  its registered redirect URI
    ACCESS_TOKEN, REFRESH_TOKEN   a person (Ada, ada@example.com) connected in No Access mode
    SUB, PROFILE_ID, CALENDAR_ID  her account, profile and hosted calendar; EMAIL her address
    SUB_2, ACCESS_TOKEN_2, CALENDAR_ID_2, EMAIL_2
                                  a second such person (Grace), made when the sample uses them
    CALLBACK_URL                  a receiver that answers 200 to any POST
    CALGATE_DATABASE_URL, CALGATE_SECRET_KEY, CALGATE_PUBLIC_URL, CALGATE_MAIL_DIR
                                  the server's own settings, so the `calgate` CLI acts on it
    """
    app = make_application(calgate.services, features={"free_busy", "no_calendar"})
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALGATE_")}
    env.update(
        PATH=f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        CALGATE_URL=calgate.url,
        CLIENT_ID=app.client_id,
        CLIENT_SECRET=app.client_secret,
        REDIRECT_URI=app.redirect_uri,
        CALLBACK_URL=receiver.url,
        CALGATE_DATABASE_URL=calgate.settings.database_url,
        CALGATE_SECRET_KEY=calgate.settings.secret_key.get_secret_value(),
        CALGATE_PUBLIC_URL=calgate.url,
        CALGATE_MAIL_DIR=str(calgate.mail_dir),
        CALGATE_ORGANIZER_EMAIL=calgate.settings.organizer_email,
        CALGATE_LOG_FORMAT="text",
    )
    env.update(connect_person(calgate, app, "ada@example.com", "Ada Lovelace"))
    if "_2" in block.code:
        grace = connect_person(calgate, app, "grace@example.com", "Grace Hopper")
        env.update({f"{k}_2": v for k, v in grace.items()})
    return env


@pytest.mark.parametrize("block", RUNNABLE, ids=[b.name for b in RUNNABLE])
def test_sample_runs(block, calgate: LiveServer, receiver: Receiver, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    env = sample_env(calgate, receiver, block)
    if RUNNERS[block.lang] == "bash":
        script = tmp_path / "sample.sh"
        command = ["bash", "-e", "-u", "-o", "pipefail", str(script)]
    else:
        script = tmp_path / "sample.py"
        command = [sys.executable, str(script)]
    script.write_text(block.code, encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    result = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, (
        f"{where(block)} exited {result.returncode}\n--- sample\n{block.code}"
        f"--- stdout\n{result.stdout}--- stderr\n{result.stderr}"
    )
