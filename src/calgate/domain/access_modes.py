# SPDX-License-Identifier: Apache-2.0
"""Calendar Access Modes: the one place that knows what each mode may do.

The product spec (Cronofy's "Calendar Access Modes") defines three modes a person chooses when
connecting through the OAuth flow. Each has one immutable ``AccessModePolicy`` answering every
question the rest of calgate asks: may we store event details, how do the app's events reach
the person, which providers are offered, which application feature must be on, what the mode
looks like on the wire. Nothing outside this module compares mode names.

    mode          store details  writes reach the person   Read Events shows       feature needed
    read_write    yes            written to the calendar   the calendar's events   (always offered)
    free_busy     no             email invitations (iMIP)  the app's own only      "Free/Busy access mode"
    no_calendar   hosted only    email invitations (iMIP)  the hosted calendar's   "No Calendar Access mode"

A person may connect the same calendar again in another mode (``mode_change``): what that
change does is answered here too (``ModeChange``), and how each of the application's events
reaches the person afterwards (``event_delivery``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from calgate.domain import scopes
from calgate.domain.errors import AuthorizeError


class WriteDelivery(enum.Enum):
    PROVIDER = "provider"  # written straight into the person's calendar
    EMAIL_INVITE = "email_invite"  # sent as iTIP REQUEST/CANCEL by email (RFC 6047)


# Providers calgate knows, with the label the chooser shows.
PROVIDERS: dict[str, str] = {
    "google": "Google",
    "ms_graph": "Microsoft 365 / Outlook.com",
    "apple": "iCloud",
    "caldav": "Other CalDAV server",
}
# Other names applications send for the same providers (wire notes §2.1).
PROVIDER_ALIASES: dict[str, str] = {"office365": "ms_graph", "live_connect": "ms_graph"}
HOSTED_PROVIDER = "cronofy"


@dataclass(frozen=True)
class AccessModePolicy:
    name: str
    label: str
    explanation: str  # what the person reads in the chooser
    feature: str | None  # application feature that must be enabled; None = always offered
    feature_label: str | None  # the feature's name in the dashboard (the product spec's words)
    stores_event_details: bool
    hosted: bool  # calgate hosts the calendar; no provider is connected
    # May Read Events show events other than the application's own (what the calendar holds)?
    # Where not, Read Events answers as if only_managed=true; Free/Busy is never restricted.
    reads_calendar_events: bool
    write_delivery: WriteDelivery
    providers: tuple[str, ...]
    provider_suffix: str = ""
    # Extra individual scopes that a bundle grants in this mode (free_busy_write reads events
    # where calgate holds them, the hosted calendar, and in free_busy mode the app's own only).
    bundle_extras: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def initial_participation_status(self) -> str:
        """A person invited by email has not answered yet; an event written into their
        calendar is theirs already. (Either way it counts as busy until declined.)"""
        return "needs_action" if self.write_delivery is WriteDelivery.EMAIL_INVITE else "accepted"

    def wire_provider_name(self, provider: str | None) -> str:
        """The provider_name Cronofy shows for a profile in this mode (e.g. google_free_busy)."""
        if self.hosted or provider is None:
            return HOSTED_PROVIDER
        return f"{provider}{self.provider_suffix}"

    def grants(self, requested: list[str]) -> frozenset[str]:
        return scopes.expand(requested, self.bundle_extras)

    def describe(self, requested: list[str]) -> list[scopes.ScopeInfo]:
        described = scopes.describe(requested, self.bundle_extras)
        if self.reads_calendar_events:
            return described
        return [_OWN_EVENTS if info.name == scopes.READ_EVENTS else info for info in described]


# What read_events amounts to where the policy shows only the application's own events.
_OWN_EVENTS = scopes.ScopeInfo(scopes.READ_EVENTS, "Read the events it made for you")


READ_WRITE = AccessModePolicy(
    name="read_write",
    label="Read-Write",
    explanation=(
        "Connect your calendar. The app sees your events and free time, and the events it "
        "creates are added straight into your calendar."
    ),
    feature=None,
    feature_label=None,
    stores_event_details=True,
    hosted=False,
    reads_calendar_events=True,
    write_delivery=WriteDelivery.PROVIDER,
    providers=("google", "ms_graph", "apple", "caldav"),
)
FREE_BUSY = AccessModePolicy(
    name="free_busy",
    label="Free/Busy",
    explanation=(
        "Connect your calendar, but share only when you are busy: no titles, descriptions, "
        "locations or attendees leave your calendar. Events the app creates arrive as email "
        "invitations you can accept."
    ),
    feature="free_busy",
    feature_label="Free/Busy access mode",
    stores_event_details=False,
    hosted=False,
    reads_calendar_events=False,
    write_delivery=WriteDelivery.EMAIL_INVITE,
    providers=("google", "ms_graph", "apple", "caldav"),
    provider_suffix="_free_busy",
    bundle_extras={scopes.FREE_BUSY_WRITE: frozenset({scopes.READ_EVENTS})},
)
NO_CALENDAR = AccessModePolicy(
    name="no_calendar",
    label="No Access",
    explanation=(
        "Don't connect a calendar at all. You confirm your email address; events the app "
        "creates arrive as email invitations, and you manage your availability by hand."
    ),
    feature="no_calendar",
    feature_label="No Calendar Access mode",
    stores_event_details=True,
    hosted=True,
    reads_calendar_events=True,
    write_delivery=WriteDelivery.EMAIL_INVITE,
    providers=(),
    bundle_extras={scopes.FREE_BUSY_WRITE: frozenset({scopes.READ_EVENTS})},
)

POLICIES: dict[str, AccessModePolicy] = {p.name: p for p in (READ_WRITE, FREE_BUSY, NO_CALENDAR)}
# Features an application can switch on in the dashboard, in the chooser's order.
FEATURES: dict[str, AccessModePolicy] = {p.feature: p for p in POLICIES.values() if p.feature}
FEATURE_LABELS: dict[str, str] = {name: p.feature_label or name for name, p in FEATURES.items()}


def policy(mode: str) -> AccessModePolicy:
    return POLICIES[mode]


def enabled_modes(features: set[str] | frozenset[str]) -> list[AccessModePolicy]:
    """Modes an application offers: Read-Write always, the others when their feature is on."""
    return [p for p in POLICIES.values() if p.feature is None or p.feature in features]


@dataclass(frozen=True)
class ModeChoice:
    """What an authorization request pre-selects: a mode, a provider, both or neither."""

    mode: AccessModePolicy | None
    provider: str | None


def resolve_choice(
    access_mode: str | None, provider_name: str | None, requested_scopes: list[str], features: set[str]
) -> ModeChoice:
    """Interpret access_mode and provider_name (with Cronofy's aliases) for one application.

    Raises ``AuthorizeError`` (redirectable) for unknown, conflicting or disabled choices.
    """
    access_mode = access_mode or None
    provider_name = provider_name or None
    implied_mode: str | None = None
    provider: str | None = None
    if provider_name is not None:
        if provider_name == HOSTED_PROVIDER:
            implied_mode = NO_CALENDAR.name
        elif provider_name.endswith(FREE_BUSY.provider_suffix):
            implied_mode = FREE_BUSY.name
            provider = provider_name[: -len(FREE_BUSY.provider_suffix)]
        else:
            provider = provider_name
        if provider is not None:
            provider = PROVIDER_ALIASES.get(provider, provider)
            if provider not in PROVIDERS:
                raise AuthorizeError("invalid_request", f"provider_name {provider_name!r} is not known")
    if access_mode is not None and access_mode not in POLICIES:
        raise AuthorizeError(
            "invalid_request",
            f"access_mode {access_mode!r} is not one of {', '.join(POLICIES)}",
        )
    if access_mode and implied_mode and access_mode != implied_mode:
        raise AuthorizeError(
            "invalid_request", f"provider_name {provider_name!r} belongs to access_mode {implied_mode}"
        )
    mode_name = access_mode or implied_mode
    chosen = POLICIES[mode_name] if mode_name else None
    if chosen is not None:
        if chosen is not READ_WRITE and scopes.FREE_BUSY_WRITE not in requested_scopes:
            raise AuthorizeError(
                "invalid_scope", f"access_mode {chosen.name} requires the free_busy_write scope"
            )
        if chosen.feature is not None and chosen.feature not in features:
            raise AuthorizeError(
                "unauthorized_client",
                f"access_mode {chosen.name} is not enabled for this application",
            )
        if provider is not None and provider not in chosen.providers:
            raise AuthorizeError(
                "invalid_request", f"provider_name {provider_name!r} is not offered in access_mode {chosen.name}"
            )
    elif scopes.FREE_BUSY_WRITE not in requested_scopes or len(enabled_modes(features)) == 1:
        # The chooser appears only for free_busy_write with a choice to make; otherwise the
        # person connects a calendar in Read-Write.
        chosen = READ_WRITE
    return ModeChoice(mode=chosen, provider=provider)


@dataclass(frozen=True)
class ModeChange:
    """What connecting an already connected calendar again in another mode does to it.

    - ``reads_details``: the calendar is read again, in full and with details, before the
      person is sent back (free_busy → read_write); its busy blocks go in that transaction.
    - ``erases_details``: every detail of the person's own events is deleted in the
      transaction that changes the mode, their busy time kept as busy blocks until the next
      (busy-only) sync replaces them (read_write → free_busy).
    - ``hands_over``: the application's events written into the calendar become invitations:
      their later changes reach the person by email, since the new mode may not write there.
    """

    before: AccessModePolicy
    after: AccessModePolicy

    @property
    def changes(self) -> bool:
        return self.before is not self.after

    @property
    def reads_details(self) -> bool:
        return self.changes and self.after.stores_event_details and not self.before.stores_event_details

    @property
    def erases_details(self) -> bool:
        return self.changes and self.before.stores_event_details and not self.after.stores_event_details

    @property
    def hands_over(self) -> bool:
        return (
            self.changes and self.before.write_delivery is WriteDelivery.PROVIDER
            and self.after.write_delivery is WriteDelivery.EMAIL_INVITE
        )


def mode_change(before: str, after: str) -> ModeChange:
    return ModeChange(policy(before), policy(after))


def event_delivery(held: str | None, profile_policy: AccessModePolicy) -> WriteDelivery:
    """How a change to one of the application's events reaches the person: the way its first
    version did (``Event.delivery``), whatever the mode is now, so an invitation the person
    accepted is never written into their calendar beside it after an upgrade; an event with
    none recorded yet takes the profile's mode. (A downgrade re-records the events written
    into the calendar as invitations: ``ModeChange.hands_over``.)"""
    if held is not None:
        return WriteDelivery(held)
    return profile_policy.write_delivery
