# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from calgate.services import Services, create_services
from calgate.store.migrate import upgrade
from tests.support.radicale import Radicale
from tests.support.server import LiveServer, database_url, make_settings

if TYPE_CHECKING:  # the stand-ins load only when a test asks for them
    from tests.standins.google import GoogleStandin
    from tests.support.graph_standin import GraphStandin

BACKENDS = ["sqlite", "postgresql"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="session", params=BACKENDS)
def live_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One calgate per backend for the whole run, on its own loopback port."""
    directory = tmp_path_factory.mktemp(f"calgate-{request.param}")
    with database_url(request.param, directory) as url:
        server = LiveServer(make_settings(url, directory)).start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def calgate(live_server: LiveServer) -> Iterator[LiveServer]:
    """The live server with empty tables and an empty mail folder."""
    live_server.reset()
    yield live_server


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture(params=BACKENDS)
def services(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Services]:
    """Fresh, migrated calgate services (no HTTP server, no background runner) per backend."""
    with database_url(request.param, tmp_path) as url:
        built = create_services(make_settings(url, tmp_path))
        upgrade(built.db.engine)
        try:
            yield built
        finally:
            built.db.dispose()


@pytest.fixture(scope="session")
def radicale(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Radicale]:
    """One Radicale (a real CalDAV server) for the whole run, on its own loopback port."""
    server = Radicale(tmp_path_factory.mktemp("radicale")).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def graph_standin() -> Iterator["GraphStandin"]:
    """One Microsoft Graph stand-in for the whole run; tests call ``reset()`` (or use the
    module's own fixture that does) before setting up their users."""
    from tests.support.graph_standin import GraphStandin

    server = GraphStandin().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def google_standin() -> Iterator["GoogleStandin"]:
    """One Google stand-in (OAuth + Calendar v3, checked against the discovery document) for
    the whole run; tests call its ``reset()``."""
    from tests.standins.google import GoogleStandin

    server = GoogleStandin().start()
    try:
        yield server
    finally:
        server.stop()
