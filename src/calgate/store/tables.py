# SPDX-License-Identifier: Apache-2.0
"""The schema. Migrations under ``migrations/versions`` must produce exactly this
(``tests/integration/store/test_migrations.py`` compares them). Past 400 lines on purpose:
every table in one place, which ``store.orm`` maps one to one onto ``domain.model``."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    false,
    text,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: object) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(dt.timezone.utc)

    def process_result_value(self, value: dt.datetime | None, dialect: object) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


def _created() -> Column[dt.datetime]:
    return Column("created_at", UTCDateTime(), nullable=False)


developers = Table(
    "developers",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("password_hash", String(200), nullable=False),
    _created(),
    Column("session_epoch", Integer, nullable=False, server_default="0"),
    Column("failed_sign_ins", Integer, nullable=False, server_default="0"),
    Column("locked_until", UTCDateTime()),
)

applications = Table(
    "applications",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("developer_id", String(40), ForeignKey("developers.id"), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("client_id", String(64), nullable=False, unique=True),
    Column("client_secret_digest", String(64), nullable=False, unique=True),
    Column("client_secret_sealed", Text, nullable=False),
    Column("redirect_uris", JSON, nullable=False),
    Column("free_busy_enabled", Boolean, nullable=False),
    Column("no_calendar_enabled", Boolean, nullable=False),
    _created(),
)

accounts = Table(
    "accounts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("application_id", String(40), ForeignKey("applications.id"), nullable=False),
    Column("email", String(254), nullable=False),
    Column("name", String(200), nullable=False),
    Column("default_tzid", String(64), nullable=False),
    Column("application_calendar_id", String(64)),
    _created(),
    Index("ix_accounts_application_email", "application_id", "email", unique=True),
    Index("ix_accounts_application_calendar", "application_id", "application_calendar_id", unique=True),
)

profiles = Table(
    "profiles",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("provider", String(32), nullable=False),
    Column("access_mode", String(32), nullable=False),
    Column("name", String(254), nullable=False),
    Column("connected", Boolean, nullable=False),
    Column("revoked_at", UTCDateTime()),
    _created(),
    Column("credentials_sealed", Text),
    Column("initial_sync_done", Boolean, nullable=False, server_default=false()),
    Column("last_synced_at", UTCDateTime()),
    Column("sync_error", Text),
    Column("sync_failures", Integer, nullable=False, server_default="0"),
    Column("service_account_id", String(40), ForeignKey("service_accounts.id"), index=True),
)

calendars = Table(
    "calendars",
    metadata,
    Column("id", String(80), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("profile_id", String(40), ForeignKey("profiles.id"), nullable=False, index=True),
    Column("name", String(255), nullable=False),
    Column("primary", Boolean, nullable=False),
    Column("readonly", Boolean, nullable=False),
    Column("deleted", Boolean, nullable=False),
    Column("color", String(16)),
    _created(),
    Column("remote_id", Text),
    Column("sync_state", Text),
)

events = Table(
    "events",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("calendar_id", String(80), ForeignKey("calendars.id"), nullable=False),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("application_id", String(40), ForeignKey("applications.id")),
    Column("event_id", String(200)),
    Column("summary", Text, nullable=False),
    Column("description", Text),
    Column("start", JSON, nullable=False),
    Column("end", JSON, nullable=False),
    Column("start_at", UTCDateTime(), nullable=False),
    Column("end_at", UTCDateTime(), nullable=False),
    Column("location", JSON),
    Column("url", Text),
    Column("reminders", JSON, nullable=False),
    Column("transparency", String(16), nullable=False),
    Column("color", String(16)),
    Column("attendees", JSON, nullable=False),
    Column("participation_status", String(16), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("deleted", Boolean, nullable=False),
    _created(),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("remote_id", Text),
    Column("etag", Text),
    Column("recurrence_id", String(64)),
    Column("remote_uid", Text),
    Column("moved_from_start_at", UTCDateTime()),
    Column("moved_from_end_at", UTCDateTime()),
    Column("tags", JSON, nullable=False, server_default=text("'[]'")),
    # A recurring managed event's rules (``domain/recurrence``) on the series' row; each other
    # stored occurrence names that row in ``series_id`` and shares its ``event_id``.
    Column("recurrence", JSON),
    Column("series_id", String(40), index=True),
    Column("conferencing", JSON),
    Column("event_private", Boolean, nullable=False, server_default=false()),
    Column("extended_transparency", String(32)),
    Column("delivery", String(16)),
    Index(
        "ix_events_calendar_event_id", "calendar_id", "event_id", unique=True,
        sqlite_where=text("series_id IS NULL"), postgresql_where=text("series_id IS NULL"),
    ),
    Index("ix_events_calendar_remote", "calendar_id", "remote_id"),
    Index("ix_events_account_window", "account_id", "start_at", "end_at"),
    Index("ix_events_account_updated", "account_id", "updated_at"),
)

busy_blocks = Table(
    "busy_blocks",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("calendar_id", String(80), ForeignKey("calendars.id"), nullable=False, index=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("start_at", UTCDateTime(), nullable=False),
    Column("end_at", UTCDateTime(), nullable=False),
    Column("status", String(16), nullable=False),
    Index("ix_busy_blocks_account_window", "account_id", "start_at", "end_at"),
)

# Each calendar's busy time, kept ready to read (``domain/busy_timeline``): rebuilt from the
# calendar's events and busy blocks in the transaction that changes them (``store/busy_timelines``).
busy_timelines = Table(
    "busy_timelines",
    metadata,
    Column("calendar_id", String(80), ForeignKey("calendars.id"), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("size", Integer, nullable=False),
    Column("tentative", Integer, nullable=False),
    Column("index", LargeBinary, nullable=False),
    Column("details", LargeBinary, nullable=False),
    Column("refs", Text, nullable=False),
    Column("apart", Text, nullable=False),
    Column("built_at", UTCDateTime(), nullable=False),
)

channels = Table(
    "channels",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("application_id", String(40), ForeignKey("applications.id"), nullable=False),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False, index=True),
    Column("callback_url", Text, nullable=False),
    Column("filters", JSON, nullable=False),
    Column("closed_at", UTCDateTime()),
    _created(),
)

smart_invites = Table(
    "smart_invites",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("application_id", String(40), ForeignKey("applications.id"), nullable=False),
    Column("smart_invite_id", String(200), nullable=False),
    Column("event", JSON, nullable=False),
    Column("callback_url", Text),
    Column("organizer_name", String(200)),
    Column("sequence", Integer, nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("cancelled_at", UTCDateTime()),
    _created(),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_smart_invites_application_invite", "application_id", "smart_invite_id", unique=True),
)

smart_invite_recipients = Table(
    "smart_invite_recipients",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("invite_id", String(40), ForeignKey("smart_invites.id"), nullable=False),
    Column("email", String(254), nullable=False),
    Column("status", String(16), nullable=False),
    Column("cancelled_at", UTCDateTime()),
    Column("replied_at", UTCDateTime()),
    _created(),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_smart_invite_recipients_invite_email", "invite_id", "email", unique=True),
)

availability_rules = Table(
    "availability_rules",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("availability_rule_id", String(64), nullable=False),
    Column("tzid", String(64), nullable=False),
    Column("calendar_ids", JSON),
    Column("weekly_periods", JSON, nullable=False),
    _created(),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_availability_rules_account_rule", "account_id", "availability_rule_id", unique=True),
)

available_periods = Table(
    "available_periods",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("account_id", String(40), ForeignKey("accounts.id"), nullable=False),
    Column("available_period_id", String(64), nullable=False),
    Column("start_at", UTCDateTime(), nullable=False),
    Column("end_at", UTCDateTime(), nullable=False),
    Column("tzid", String(64), nullable=False),
    _created(),
    Column("updated_at", UTCDateTime(), nullable=False),
    Index("ix_available_periods_account_period", "account_id", "available_period_id", unique=True),
    Index("ix_available_periods_account_window", "account_id", "start_at", "end_at"),
)

service_accounts = Table(
    "service_accounts",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("application_id", String(40), ForeignKey("applications.id"), nullable=False, index=True),
    Column("provider", String(32), nullable=False),
    Column("access_mode", String(32), nullable=False),
    Column("scope", Text, nullable=False),
    Column("delegated_scope", Text, nullable=False),
    Column("domain", String(254), nullable=False),
    Column("email", String(254), nullable=False),
    Column("credentials_sealed", Text, nullable=False),
    Column("revoked_at", UTCDateTime()),
    _created(),
)

grants = Table(
    "grants",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("application_id", String(40), ForeignKey("applications.id"), nullable=False),
    Column("account_id", String(40), ForeignKey("accounts.id")),
    Column("scope", Text, nullable=False),
    Column("access_mode", String(32), nullable=False),
    Column("revoked_at", UTCDateTime()),
    _created(),
    Column("service_account_id", String(40), ForeignKey("service_accounts.id"), index=True),
    Index("ix_grants_application_account", "application_id", "account_id"),
)

calendar_subscriptions = Table(
    "calendar_subscriptions",
    metadata,
    Column("token_digest", String(64), primary_key=True),
    Column("calendar_id", String(80), ForeignKey("calendars.id"), nullable=False, index=True),
    Column("grant_id", String(40), ForeignKey("grants.id"), nullable=False),
    Column("revoked_at", UTCDateTime()),
    _created(),
)

tokens = Table(
    "tokens",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("grant_id", String(40), ForeignKey("grants.id"), nullable=False, index=True),
    Column("expires_at", UTCDateTime()),
    Column("revoked_at", UTCDateTime()),
    _created(),
)

scheduling_links = Table(
    "scheduling_links",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("application_id", String(40), ForeignKey("applications.id"), nullable=False, index=True),
    Column("token_digest", String(64), nullable=False, unique=True),
    Column("token_sealed", Text, nullable=False),
    Column("request", JSON, nullable=False),
    Column("status", String(16), nullable=False),
    Column("display_message", Text),
    Column("booking", JSON),
    Column("no_times_displayed_at", UTCDateTime()),
    _created(),
    Column("updated_at", UTCDateTime(), nullable=False),
)

element_tokens = Table(
    "element_tokens",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("application_id", String(40), ForeignKey("applications.id"), nullable=False, index=True),
    Column("permissions", JSON, nullable=False),
    Column("subs", JSON, nullable=False),
    Column("origin", String(300), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    _created(),
)

authorization_codes = Table(
    "authorization_codes",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("application_id", String(40), ForeignKey("applications.id"), nullable=False),
    Column("grant_id", String(40), ForeignKey("grants.id"), nullable=False),
    Column("redirect_uri", Text, nullable=False),
    Column("code_challenge", String(128)),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("used_at", UTCDateTime()),
    _created(),
)

email_verifications = Table(
    "email_verifications",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("email", String(254), nullable=False, index=True),
    Column("code_digest", String(64), nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("verified_at", UTCDateTime()),
    _created(),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("kind", String(64), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("ordering_key", String(120)),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("run_after", UTCDateTime(), nullable=False),
    Column("locked_until", UTCDateTime()),
    Column("last_error", Text),
    _created(),
    Column("finished_at", UTCDateTime()),
    Index("ix_jobs_status_run_after", "status", "run_after"),
    Index("ix_jobs_ordering_key", "ordering_key", "status"),
)
