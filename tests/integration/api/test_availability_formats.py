"""POST /v1/availability's answer shapes (wire notes §4.5): periods, slots, overlapping slots,
query slots, buffers, max_results; the older field names the SDKs still send."""

import pytest

from tests.integration.api._availability import WORKDAY, application, ask, at, busy, ok, people, query, spans


@pytest.fixture
def ada(calgate):
    app = application(calgate)
    [ada] = people(calgate, app, 1)
    ada.app = app
    busy(calgate, ada, "standup", at(10), at(11))
    return ada


def test_slots_back_to_back_on_the_start_interval(calgate, ada):
    body = ok(ask(calgate, ada.app.client_secret, query(ada.account_id, start_interval={"minutes": 30}, response_format="slots")))
    assert "available_periods" not in body
    assert spans(body, "available_slots") == [(at(h), at(h + 1)) for h in (9, 11, 12, 13, 14, 15, 16)]
    assert body["available_slots"][0]["participants"] == [{"sub": ada.account_id}]


def test_overlapping_slots_and_max_results(calgate, ada):
    asked = query(ada.account_id, start_interval={"minutes": 30}, response_format="overlapping_slots")
    starts = [s for s, _ in spans(ok(ask(calgate, ada.app.client_secret, asked)), "available_slots")]
    assert starts == [at(9)] + [at(11 + half // 2, 30 * (half % 2)) for half in range(11)]
    capped = ok(ask(calgate, ada.app.client_secret, {**asked, "max_results": 3}))
    assert [s for s, _ in spans(capped, "available_slots")] == starts[:3]


def test_query_slots_answer_only_the_starts_asked(calgate, ada):
    asked = query(ada.account_id, response_format="slots")
    del asked["query_periods"]
    asked["query_slots"] = [{"start": at(11)}, {"start": at(9)}, {"start": at(10, 30)}]
    assert spans(ok(ask(calgate, ada.app.client_secret, asked)), "available_slots") == [(at(9), at(10)), (at(11), at(12))]


def test_buffers_keep_busy_time_away(calgate, ada):
    busy(calgate, ada, "lunch", at(12), at(13))
    asked = query(ada.account_id, periods=[{"start": at(11), "end": at(17)}], buffer={"before": {"minutes": 30}, "after": {"minutes": 15}})
    # a meeting needs 30 free minutes before it and 15 after it
    assert spans(ok(ask(calgate, ada.app.client_secret, asked))) == [(at(13, 30), at(17))]
    ranged = {**asked, "buffer": {"before": {"minimum": {"minutes": 30}, "maximum": {"minutes": 60}}, "after": {"minimum": {"minutes": 15}}}}
    assert spans(ok(ask(calgate, ada.app.client_secret, ranged))) == [(at(13, 30), at(17))]


def test_the_older_names_and_shapes_the_sdks_send(calgate, ada):
    # pycronofy: available_periods for query_periods, bare subs, start_interval None, buffer {}
    body = {
        "participants": [{"members": [ada.account_id]}],
        "required_duration": {"hours": 1},
        "available_periods": [WORKDAY],
        "start_interval": None,
        "buffer": {},
        "include_member_statuses": False,
    }
    assert spans(ok(ask(calgate, ada.app.client_secret, body))) == [(at(9), at(10)), (at(11), at(17))]
    # one group may come unwrapped
    single = {**body, "participants": {"members": [{"sub": ada.account_id}], "required": "all"}}
    assert spans(ok(ask(calgate, ada.app.client_secret, single))) == [(at(9), at(10)), (at(11), at(17))]


def test_member_available_periods_limit_that_member(calgate, ada):
    member = {"sub": ada.account_id, "available_periods": [{"start": at(9, 30), "end": at(12)}, {"start": at(15), "end": at(18)}]}
    assert spans(ok(ask(calgate, ada.app.client_secret, query(member)))) == [(at(11), at(12)), (at(15), at(17))]
