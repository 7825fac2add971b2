from calgate.domain import scopes


def test_parse_keeps_order_and_drops_repeats():
    assert scopes.parse(" read_events  create_event read_events ") == ["read_events", "create_event"]
    assert scopes.parse(None) == []


def test_bundles_expand_to_individual_scopes():
    assert scopes.expand(["read_write"]) == frozenset(scopes.INDIVIDUAL)
    assert scopes.expand(["read_only"]) == {"read_account", "list_calendars", "read_events", "read_free_busy"}


def test_read_events_implies_read_free_busy():
    assert "read_free_busy" in scopes.expand(["read_events"])
    assert "read_events" not in scopes.expand(["read_free_busy"])


def test_unknown_scopes_are_reported():
    assert scopes.unknown(["read_events", "launch_missiles"]) == ["launch_missiles"]


def test_describe_lists_what_each_scope_allows_in_a_stable_order():
    names = [s.name for s in scopes.describe(["create_event", "read_account"])]
    assert names == ["read_account", "create_event"]
