# SPDX-License-Identifier: Apache-2.0
"""Where calgate's Microsoft Graph connection goes: the app registration and the endpoints
(overridable, e.g. for a national cloud or a test stand-in)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["GraphConfig"]


@dataclass(frozen=True)
class GraphConfig:
    client_id: str
    client_secret: str
    tenant: str = "common"
    authority: str = "https://login.microsoftonline.com"
    graph_base: str = "https://graph.microsoft.com/v1.0"

    @property
    def authorize_endpoint(self) -> str:
        return f"{self.authority.rstrip('/')}/{self.tenant}/oauth2/v2.0/authorize"

    @property
    def token_endpoint(self) -> str:
        return f"{self.authority.rstrip('/')}/{self.tenant}/oauth2/v2.0/token"

    def graph(self, path: str) -> str:
        return f"{self.graph_base.rstrip('/')}/{path.lstrip('/')}"

    def __repr__(self) -> str:  # never print the secret
        return f"GraphConfig(client_id={self.client_id!r}, tenant={self.tenant!r}, authority={self.authority!r}, graph_base={self.graph_base!r})"
