# SPDX-License-Identifier: Apache-2.0
"""Settings, read from ``CALGATE_*`` environment variables.

Every default runs the embedded deployment: a SQLite file and a local mail folder under
``./var``. The settings object is built once (``Settings()``) and passed into
``create_app``; nothing reads the environment at import time.
"""

from __future__ import annotations

from pathlib import Path

from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "calgate-development-key-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CALGATE_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/calgate.db",
        description="SQLAlchemy URL. SQLite file by default, postgresql+psycopg://… in production.",
    )
    database_pool_size: int = Field(
        default=10, ge=1,
        description="PostgreSQL connections each process keeps in its pool once opened (SQLite ignores it).",
    )
    database_max_overflow: int = Field(
        default=10, ge=0,
        description="Connections a process may open beyond the pool under a burst, closed again after use.",
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="Base of every absolute URL calgate emits (next_page, links in mail).",
    )
    secret_key: SecretStr = Field(
        default=SecretStr(DEV_SECRET_KEY),
        description="Signs session cookies and derives the key that encrypts secrets at rest.",
    )
    old_secret_keys: str = Field(
        default="", description="Comma-separated previous secret keys, accepted while rotating."
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="When set (not empty), GET /metrics asks for 'Authorization: Bearer <token>'. "
        "/healthz and /readyz stay open.",
    )
    smtp_url: str | None = Field(
        default=None,
        description="smtp://[user:password@]host:port (smtps:// for implicit TLS). "
        "Unset: mail is written as .eml files to mail_dir.",
    )
    mail_dir: Path = Field(default=Path("var/mail"), description="Where .eml files go without SMTP.")
    organizer_email: str = Field(
        default="calendar@calgate.localhost",
        description="From address of every message and ORGANIZER of every invitation.",
    )
    inbound_host: str = Field(
        default="127.0.0.1",
        description="Where `calgate inbound-smtp` listens for replies (the organizer address's MX).",
    )
    inbound_port: int = Field(default=2525, ge=1, le=65535, description="Port of `calgate inbound-smtp`.")
    access_token_ttl: int = Field(default=3600, description="Seconds an access token lives.")
    authorization_code_ttl: int = Field(default=600, description="Seconds an authorization code lives.")
    email_code_ttl: int = Field(default=900, description="Seconds an emailed verification code lives.")
    sync_interval: int = Field(
        default=300, ge=5, description="Seconds between syncs of a connected calendar (CalDAV polls; no push)."
    )
    provider_timeout: float = Field(default=20.0, gt=0, description="Seconds calgate waits for a calendar provider.")
    log_format: Literal["text", "json"] = Field(default="text", description="Log lines of the calgate commands: text, or one JSON object per line.")
    rate_limit: int = Field(
        default=1200, ge=0, description="Requests per minute per application and API process (0: no limit); over it, 429 with Retry-After."
    )
    rate_limit_burst: int | None = Field(default=None, ge=1, description="Largest burst per application (default: rate_limit).")
    stale_after: int = Field(
        default=3600, ge=60,
        description="Seconds after its last good read that a connected calendar is stale: Availability then offers none of the person's time.",
    )
    # Google and Microsoft: offered once their client id is set (see README, "Google and Microsoft").
    google_client_id: str = Field(default="", description="OAuth client id calgate is registered as at Google.")
    google_client_secret: SecretStr = Field(default=SecretStr(""), description="Its client secret.")
    google_auth_url: str = Field(default="https://accounts.google.com/o/oauth2/v2/auth")
    google_token_url: str = Field(default="https://oauth2.googleapis.com/token")
    google_revoke_url: str = Field(default="https://oauth2.googleapis.com/revoke")
    google_api_url: str = Field(default="https://www.googleapis.com/calendar/v3")
    google_userinfo_url: str = Field(default="https://openidconnect.googleapis.com/v1/userinfo")
    google_directory_url: str = Field(
        default="https://admin.googleapis.com", description="Admin SDK Directory API (Enterprise Connect's GET /v1/resources)."
    )
    microsoft_client_id: str = Field(default="", description="Application (client) id of calgate's Entra app registration.")
    microsoft_client_secret: SecretStr = Field(default=SecretStr(""), description="Its client secret.")
    microsoft_tenant: str = Field(default="common", description="Tenant: common, organizations, consumers or a tenant id.")
    microsoft_authority: str = Field(default="https://login.microsoftonline.com")
    microsoft_graph_url: str = Field(default="https://graph.microsoft.com/v1.0")
    page_size: int = Field(
        default=100, ge=1, le=1000, description="Events or free/busy blocks per page of Read Events and Free/Busy."
    )
    run_jobs_in_process: bool = Field(
        default=True, description="Run the job queue inside the server process (embedded default)."
    )
    secure_cookies: bool | None = Field(
        default=None, description="Mark cookies Secure; defaults to true when public_url is https."
    )

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("smtp_url")
    @classmethod
    def _empty_is_none(cls, value: str | None) -> str | None:
        return value or None

    @property
    def cookies_secure(self) -> bool:
        if self.secure_cookies is not None:
            return self.secure_cookies
        return self.public_url.startswith("https://")

    @property
    def old_keys(self) -> list[str]:
        return [k.strip() for k in self.old_secret_keys.split(",") if k.strip()]

    @property
    def uses_dev_secret(self) -> bool:
        return self.secret_key.get_secret_value() == DEV_SECRET_KEY
