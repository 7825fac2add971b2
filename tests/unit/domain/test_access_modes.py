"""The access-mode policy, as a table (one row per question, one column per mode)."""

import pytest

from calgate.domain import access_modes as am
from calgate.domain import scopes
from calgate.domain.errors import AuthorizeError

ALL = {"free_busy", "no_calendar"}


@pytest.mark.parametrize(
    "mode, stores_details, hosted, reads_calendar_events, delivery, feature, wire_google",
    [
        ("read_write", True, False, True, am.WriteDelivery.PROVIDER, None, "google"),
        ("free_busy", False, False, False, am.WriteDelivery.EMAIL_INVITE, "free_busy", "google_free_busy"),
        ("no_calendar", True, True, True, am.WriteDelivery.EMAIL_INVITE, "no_calendar", "cronofy"),
    ],
)
def test_policy_table(mode, stores_details, hosted, reads_calendar_events, delivery, feature, wire_google):
    policy = am.policy(mode)
    assert policy.stores_event_details is stores_details
    assert policy.hosted is hosted
    assert policy.reads_calendar_events is reads_calendar_events
    assert policy.write_delivery is delivery
    assert policy.feature == feature
    assert policy.wire_provider_name("google") == wire_google


def test_no_calendar_offers_no_provider_and_the_others_offer_google_and_graph():
    assert am.NO_CALENDAR.providers == ()
    for policy in (am.READ_WRITE, am.FREE_BUSY):
        assert {"google", "ms_graph"} <= set(policy.providers)


@pytest.mark.parametrize(
    "features, offered",
    [
        (set(), ["read_write"]),
        ({"free_busy"}, ["read_write", "free_busy"]),
        ({"no_calendar"}, ["read_write", "no_calendar"]),
        (ALL, ["read_write", "free_busy", "no_calendar"]),
    ],
)
def test_read_write_is_always_offered_and_the_others_by_feature(features, offered):
    assert [p.name for p in am.enabled_modes(features)] == offered


FBW = ["free_busy_write"]


@pytest.mark.parametrize(
    "access_mode, provider_name, requested, features, mode, provider",
    [
        (None, None, FBW, ALL, None, None),  # the chooser
        (None, None, FBW, set(), "read_write", None),  # nothing to choose between
        (None, None, ["read_events"], ALL, "read_write", None),  # no free_busy_write, no chooser
        ("free_busy", None, FBW, ALL, "free_busy", None),
        ("free_busy", "google", FBW, ALL, "free_busy", None or "google"),
        ("read_write", "ms_graph", FBW, ALL, "read_write", "ms_graph"),
        ("no_calendar", None, FBW, {"no_calendar"}, "no_calendar", None),
        (None, "cronofy", FBW, ALL, "no_calendar", None),
        (None, "google_free_busy", FBW, ALL, "free_busy", "google"),
        (None, "ms_graph_free_busy", FBW, ALL, "free_busy", "ms_graph"),
        ("free_busy", "ms_graph_free_busy", FBW, ALL, "free_busy", "ms_graph"),
        (None, "office365", FBW, ALL, None, "ms_graph"),
        ("", "", FBW, ALL, None, None),  # pycronofy sends empty provider_name
    ],
)
def test_resolve_choice(access_mode, provider_name, requested, features, mode, provider):
    choice = am.resolve_choice(access_mode, provider_name, requested, features)
    assert (choice.mode.name if choice.mode else None) == mode
    assert choice.provider == provider


@pytest.mark.parametrize(
    "access_mode, provider_name, requested, features, error",
    [
        ("banana", None, FBW, ALL, "invalid_request"),
        (None, "yahoo", FBW, ALL, "invalid_request"),
        ("read_write", "google_free_busy", FBW, ALL, "invalid_request"),
        ("free_busy", "cronofy", FBW, ALL, "invalid_request"),
        ("free_busy", None, FBW, {"no_calendar"}, "unauthorized_client"),
        ("no_calendar", None, FBW, {"free_busy"}, "unauthorized_client"),
        (None, "cronofy", FBW, {"free_busy"}, "unauthorized_client"),
        ("no_calendar", None, ["read_events"], ALL, "invalid_scope"),
        ("no_calendar", "google", FBW, ALL, "invalid_request"),
    ],
)
def test_resolve_choice_errors_redirect(access_mode, provider_name, requested, features, error):
    with pytest.raises(AuthorizeError) as caught:
        am.resolve_choice(access_mode, provider_name, requested, features)
    assert caught.value.error == error
    assert caught.value.redirectable


def test_free_busy_write_reads_events_where_calgate_holds_them_or_the_apps_own():
    # No Access: calgate hosts the calendar. Free/Busy: Read Events shows only the app's own
    # events there (reads_calendar_events is false). Read-Write: not part of the bundle.
    assert scopes.READ_EVENTS in am.NO_CALENDAR.grants(FBW)
    assert scopes.READ_EVENTS in am.FREE_BUSY.grants(FBW)
    assert scopes.READ_EVENTS not in am.READ_WRITE.grants(FBW)
    for policy in am.POLICIES.values():
        assert {scopes.READ_FREE_BUSY, scopes.CREATE_EVENT, scopes.DELETE_EVENT} <= policy.grants(FBW)


def test_the_consent_screen_says_what_read_events_shows_in_each_mode():
    def read_events_line(policy):
        return next(i.description for i in policy.describe(FBW + ["read_events"]) if i.name == scopes.READ_EVENTS)

    assert read_events_line(am.FREE_BUSY) == "Read the events it made for you"
    assert read_events_line(am.NO_CALENDAR) == scopes.INDIVIDUAL[scopes.READ_EVENTS].description
    assert read_events_line(am.READ_WRITE) == scopes.INDIVIDUAL[scopes.READ_EVENTS].description


def test_people_invited_by_email_start_without_an_answer():
    assert am.NO_CALENDAR.initial_participation_status == "needs_action"
    assert am.FREE_BUSY.initial_participation_status == "needs_action"
    assert am.READ_WRITE.initial_participation_status == "accepted"


@pytest.mark.parametrize(
    "before, after, changes, reads_details, erases_details, hands_over",
    [
        ("free_busy", "read_write", True, True, False, False),
        ("read_write", "free_busy", True, False, True, True),
        ("read_write", "read_write", False, False, False, False),
        ("free_busy", "free_busy", False, False, False, False),
        ("no_calendar", "read_write", True, False, False, False),  # hosted details were calgate's already
        ("no_calendar", "free_busy", True, False, True, False),
    ],
)
def test_mode_change_table(before, after, changes, reads_details, erases_details, hands_over):
    what = am.mode_change(before, after)
    assert (what.changes, what.reads_details, what.erases_details, what.hands_over) == (changes, reads_details, erases_details, hands_over)


@pytest.mark.parametrize(
    "held, mode, delivery",
    [
        (None, "read_write", am.WriteDelivery.PROVIDER),  # a new event takes the mode's way
        (None, "free_busy", am.WriteDelivery.EMAIL_INVITE),
        ("email_invite", "read_write", am.WriteDelivery.EMAIL_INVITE),  # an invitation stays one after an upgrade
        ("provider", "read_write", am.WriteDelivery.PROVIDER),
        ("email_invite", "free_busy", am.WriteDelivery.EMAIL_INVITE),
    ],
)
def test_an_event_keeps_the_way_it_reaches_the_person(held, mode, delivery):
    assert am.event_delivery(held, am.policy(mode)) is delivery


def test_an_unknown_stored_delivery_is_an_error_not_a_guess():
    with pytest.raises(ValueError):
        am.event_delivery("carrier_pigeon", am.READ_WRITE)
