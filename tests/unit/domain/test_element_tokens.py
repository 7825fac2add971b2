"""The element token rules that need no database: origins, the request, what each permission
reaches, and the ceiling an element caller's scopes have."""

from __future__ import annotations

import datetime as dt

import pytest

from calgate.domain import element_tokens, model, scopes
from calgate.domain.errors import Forbidden, ValidationFailed

NOW = dt.datetime(2027, 1, 11, 12, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    ("given", "normal"),
    [
        ("http://localhost", "http://localhost"),
        ("http://localhost:80", "http://localhost"),
        ("HTTPS://Example.COM", "https://example.com"),
        ("https://example.com:8443/", "https://example.com:8443"),
        ("http://127.0.0.1:3000", "http://127.0.0.1:3000"),
        ("http://[::1]", "http://[::1]"),
        ("https://example.com/path", None),
        ("https://example.com/?", None),
        ("https://example.com#top", None),
        ("https://a:b@example.com", None),
        ("https://", None),
        ("example.com", None),
        ("javascript:alert(1)", None),
        ("file:///etc/passwd", None),
        (" https://example.com", None),
        ("https://example.com:0x50", None),
        ("null", None),
        ("http://exa\nmple.com", None),
        ("http://exa\tmple.com", None),
        ("http://exa mple.com", None),
        ("http://%41.com", None),
        ("http://-bad.example", None),
        ("http://app_1.example", None),
        ("", None),
    ],
)
def test_origins(given, normal):
    assert element_tokens.normalise_origin(given) == normal


def test_parse_keeps_order_and_drops_repeats():
    asked = element_tokens.parse(
        {"permissions": ["availability", "agenda", "availability"], "subs": ["acc_b", "acc_a", "acc_b"], "origin": "http://localhost/"}
    )
    assert asked == element_tokens.Request(permissions=("availability", "agenda"), subs=("acc_b", "acc_a"), origin="http://localhost")


def test_parse_names_every_problem():
    with pytest.raises(ValidationFailed) as raised:
        element_tokens.parse({"version": 2, "permissions": ["agenda", "everything"], "origin": "nope", "bookable_event_ids": ["x"]})
    assert set(raised.value.errors) == {"version", "permissions", "subs", "origin", "bookable_event_ids"}
    assert [key for key, _ in raised.value.errors["permissions"]] == ["errors.invalid"]
    assert "'everything'" in raised.value.errors["permissions"][0][1]


def _access(*permissions: str, subs: tuple[str, ...] = ("acc_1",)) -> element_tokens.ElementAccess:
    app = model.Application(id="app_1", developer_id="dev_1", name="A", client_id="c", client_secret_digest="d", client_secret_sealed="s")
    stored = model.ElementToken(digest="x", application_id=app.id, permissions=list(permissions), subs=list(subs), origin="http://localhost", expires_at=NOW)
    return element_tokens.ElementAccess(application=app, stored=stored)


@pytest.mark.parametrize(
    ("permission", "reached"),
    [
        ("agenda", {"read_events", "read_free_busy"}),
        ("availability", {"availability"}),
        ("managed_availability", {"availability_rules", "available_periods"}),
        ("account_management", set()),
    ],
)
def test_what_each_permission_reaches(permission, reached):
    operations = {"read_events", "read_free_busy", "availability", "availability_rules", "available_periods"}
    access = _access(permission)
    assert {op for op in operations if access.reaches(op)} == reached
    for op in operations - reached:
        with pytest.raises(Forbidden):
            access.require(op)


def test_check_members():
    access = _access("availability", subs=("acc_1", "acc_2"))
    element_tokens.check_members(access, ["acc_2", "acc_1", "acc_1"])
    with pytest.raises(Forbidden, match="acc_3"):
        element_tokens.check_members(access, ["acc_1", "acc_3"])
    with pytest.raises(Forbidden, match="explain"):
        element_tokens.check_members(access, ["acc_1"], explain=True)
    with pytest.raises(Forbidden):
        element_tokens.check_members(_access("agenda"), ["acc_1"])


def test_an_element_caller_never_holds_more_than_its_permissions_allow():
    access = _access("agenda")
    grant = model.Grant(id="gr_1", application_id="app_1", account_id="acc_1", scope="read_write", access_mode="read_write")
    account = model.Account(id="acc_1", application_id="app_1", email="a@example.com", name="A")
    caller = element_tokens.ElementCaller(application=access.application, grant=grant, account=account, permitted=access.scopes)
    assert caller.granted == {scopes.READ_EVENTS, scopes.READ_FREE_BUSY}
    narrower = model.Grant(id="gr_2", application_id="app_1", account_id="acc_1", scope="free_busy", access_mode="read_write")
    caller = element_tokens.ElementCaller(application=access.application, grant=narrower, account=account, permitted=access.scopes)
    assert caller.granted == {scopes.READ_FREE_BUSY}
