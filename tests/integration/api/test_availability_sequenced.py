"""POST /v1/sequenced_availability (wire notes §4.5; domain/sequenced_availability)."""

from tests.integration.api._availability import WORKDAY, application, ask, at, busy, errors, ok, people


def step(sequence_id, ordinal, member, minutes, **fields):
    return {
        "sequence_id": sequence_id,
        "ordinal": ordinal,
        "participants": [{"members": [member], "required": "all"}],
        "required_duration": {"minutes": minutes},
        **fields,
    }


def test_steps_follow_each_other_in_ordinal_order(calgate):
    app = application(calgate)
    ada, bob = people(calgate, app, 2)
    busy(calgate, ada, "a", at(9), at(10))
    busy(calgate, bob, "b", at(10), at(11))
    body = {
        # the second step comes first in the request: ordinal decides
        "sequence": [
            step("debrief", 2, bob.account_id, 30, start_interval={"minutes": 30}),
            step("interview", 1, {"sub": ada.account_id}, 60, event={"summary": "Interview"}),
        ],
        "query_periods": [{"start": at(9), "end": at(13)}],
    }
    found = ok(ask(calgate, app.client_secret, body, "/v1/sequenced_availability"))
    assert found == {
        "sequences": [
            {
                "sequence": [
                    {"sequence_id": "interview", "start": at(10), "end": at(11), "participants": [{"sub": ada.account_id}]},
                    {"sequence_id": "debrief", "start": at(11), "end": at(11, 30), "participants": [{"sub": bob.account_id}]},
                ]
            }
        ]
    }


def test_sequences_do_not_overlap_and_steps_may_have_their_own_periods(calgate):
    app = application(calgate)
    ada, bob = people(calgate, app, 2)
    body = {
        "sequence": [
            step("first", 1, ada.account_id, 60),
            step("second", 2, bob.account_id, 60, available_periods=[{"start": at(14), "end": at(17)}]),
        ],
        "available_periods": [WORKDAY],  # pycronofy's name
        "max_results": 5,
    }
    found = ok(ask(calgate, app.client_secret, body, "/v1/sequenced_availability"))["sequences"]
    pairs = [[(s["sequence_id"], s["start"]) for s in chain["sequence"]] for chain in found]
    # first 09:00 → second at 14:00; the next sequence starts after 15:00: 15:00 → 16:00
    assert pairs == [[("first", at(9)), ("second", at(14))], [("first", at(15)), ("second", at(16))]]


def test_sequence_errors_name_the_step(calgate):
    app = application(calgate)
    body = {"sequence": [step("only", 1, "acc_nobody", 0)], "query_periods": [WORKDAY]}
    response = ask(calgate, app.client_secret, body, "/v1/sequenced_availability")
    assert errors(response, "sequence") == ["sequence[0]: required_duration must be between 1 and 1440 minutes, not 0"]
    body["sequence"][0]["required_duration"] = {"minutes": 30}
    response = ask(calgate, app.client_secret, body, "/v1/sequenced_availability")
    assert errors(response, "participants") == [
        "sequence[0].participants[0].members[0]: 'acc_nobody' is not an account or application calendar of this application"
    ]
    missing = ask(calgate, app.client_secret, {"sequence": [step("x", 1, "acc_nobody", 30)]}, "/v1/sequenced_availability")
    assert errors(missing, "sequence") == ["sequence[0]: query_periods must be given for the sequence or for this step"]
    assert errors(ask(calgate, app.client_secret, {"query_periods": [WORKDAY]}, "/v1/sequenced_availability"), "sequence")
