# SPDX-License-Identifier: Apache-2.0
"""POST /v1/service_account_authorizations bodies: the single and the batch form, and every way
they can be wrong (each a 422 naming the field)."""

import pytest

from calgate.domain.errors import ValidationFailed
from calgate.domain.service_accounts import MAX_BATCH, AuthorizationRequest, read_authorizations

ONE = {"email": "Ada@Example.com", "callback_url": "https://app.example.com/ec", "scope": "free_busy_write", "state": "s1"}


def fields(body):
    with pytest.raises(ValidationFailed) as caught:
        read_authorizations(body)
    return caught.value.errors


def test_the_single_form_is_one_request_with_the_address_normalized():
    assert read_authorizations(ONE) == [AuthorizationRequest("ada@example.com", ONE["callback_url"], "free_busy_write", "s1")]


def test_the_batch_form_takes_its_top_level_state_as_each_entrys_default():
    batch = {"service_account_authorizations": [{**ONE, "state": None}, {**ONE, "email": "b@example.com", "state": "own"}], "state": "all"}
    assert [(r.email, r.state) for r in read_authorizations(batch)] == [("ada@example.com", "all"), ("b@example.com", "own")]


def test_mixing_the_forms_is_refused():
    [(key, _)] = fields({**ONE, "service_account_authorizations": [ONE]})["service_account_authorizations"]
    assert key == "errors.mixed"


@pytest.mark.parametrize("count", [0, MAX_BATCH + 1])
def test_a_batch_holds_one_to_fifty(count):
    assert "service_account_authorizations" in fields({"service_account_authorizations": [ONE] * count})


def test_fifty_is_allowed():
    assert len(read_authorizations({"service_account_authorizations": [ONE] * MAX_BATCH})) == MAX_BATCH


@pytest.mark.parametrize(
    "change, field",
    [
        ({"email": None}, "email"),
        ({"email": "not an address"}, "email"),
        ({"callback_url": None}, "callback_url"),
        ({"callback_url": "ftp://app.example.com/"}, "callback_url"),
        ({"callback_url": "/relative"}, "callback_url"),
        ({"scope": ""}, "scope"),
        ({"scope": ["read_write"]}, "scope"),
    ],
)
def test_each_missing_or_malformed_field_is_named(change, field):
    body = {k: v for k, v in {**ONE, **change}.items() if v is not None}
    assert field in fields(body)
    batch = {"service_account_authorizations": [ONE, body]}
    assert f"service_account_authorizations[1].{field}" in fields(batch)
