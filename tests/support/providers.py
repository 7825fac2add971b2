# SPDX-License-Identifier: Apache-2.0
"""A calgate with Google and Microsoft configured, pointed at the stand-ins under tests/."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

from tests.standins.google import CLIENT_ID as GOOGLE_CLIENT, CLIENT_SECRET as GOOGLE_SECRET, GoogleStandin
from tests.support.graph_standin import CLIENT_ID as GRAPH_CLIENT, CLIENT_SECRET as GRAPH_SECRET, GraphStandin
from tests.support.server import LiveServer, database_url, make_settings


@contextlib.contextmanager
def calgate_with_providers(backend: str, directory: Path, google: GoogleStandin, graph: GraphStandin) -> Iterator[LiveServer]:
    with database_url(backend, directory) as url:
        settings = make_settings(
            url, directory,
            google_client_id=GOOGLE_CLIENT, google_client_secret=GOOGLE_SECRET,
            google_auth_url=google.auth_url, google_token_url=f"{google.url}/token",
            google_revoke_url=f"{google.url}/revoke", google_api_url=f"{google.url}/calendar/v3",
            google_userinfo_url=f"{google.url}/oauth2/v3/userinfo", google_directory_url=google.url,
            microsoft_client_id=GRAPH_CLIENT, microsoft_client_secret=GRAPH_SECRET,
            microsoft_authority=graph.url, microsoft_graph_url=f"{graph.url}/v1.0",
        )
        live = LiveServer(settings).start()
        try:
            yield live
        finally:
            live.stop()
