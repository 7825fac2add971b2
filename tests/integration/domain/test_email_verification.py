"""The No Access email check: one-time codes, attempts, expiry and the per-address limit."""

import datetime as dt
import re

import pytest
from sqlalchemy import select

from calgate.domain import connect, ids
from calgate.domain.errors import ValidationFailed
from calgate.domain.model import Job, utcnow
from tests.support.factories import make_application


def _start(services, email="ada@example.com", now=None):
    creds = make_application(services, features={"no_calendar"})
    with services.uow() as uow:
        app = uow.applications.by_client_id(creds.client_id)
        verification = connect.start_email_verification(uow, app, "Ada", email, now or utcnow(), 900)
        uow.commit()
    return app, verification


def _sent_code(services, email):
    """The code travels only in the queued mail."""
    with services.uow() as uow:
        jobs = [j for j in uow.session.scalars(select(Job)) if j.payload["to"] == email]
    return re.search(r"\b(\d{6})\b", jobs[-1].payload["text"]).group(1)


def _check(services, verification_id, code, now=None):
    with services.uow() as uow:
        result = connect.check_email_code(uow, verification_id, code, now or utcnow())
        uow.commit()
        return result


def test_the_code_is_stored_only_as_a_digest_and_mailed_in_the_same_transaction(services):
    _, verification = _start(services)
    code = _sent_code(services, "ada@example.com")
    assert verification.code_digest == ids.digest(code)
    assert code not in verification.code_digest
    assert _check(services, verification.id, code).verified_at is not None


def test_a_wrong_code_is_counted_and_five_wrong_codes_lock_the_check(services):
    _, verification = _start(services)
    code = _sent_code(services, "ada@example.com")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(connect.MAX_CODE_ATTEMPTS):
        with pytest.raises(ValidationFailed) as caught:
            _check(services, verification.id, wrong)
        assert caught.value.errors["code"][0][0] == "errors.invalid"
    with pytest.raises(ValidationFailed) as caught:
        _check(services, verification.id, code)  # even the right one, now
    assert caught.value.errors["code"][0][0] == "errors.too_many_attempts"


def test_an_expired_code_is_refused(services):
    _, verification = _start(services)
    code = _sent_code(services, "ada@example.com")
    with pytest.raises(ValidationFailed) as caught:
        _check(services, verification.id, code, now=utcnow() + dt.timedelta(seconds=901))
    assert caught.value.errors["code"][0][0] == "errors.expired"


def test_an_address_gets_at_most_five_codes_an_hour(services):
    app, _ = _start(services, "busy@example.com")
    for _ in range(connect.MAX_CODES_PER_HOUR - 1):
        with services.uow() as uow:
            connect.start_email_verification(uow, app, "B", "busy@example.com", utcnow(), 900)
            uow.commit()
    with services.uow() as uow, pytest.raises(ValidationFailed) as caught:
        connect.start_email_verification(uow, app, "B", "Busy@Example.com", utcnow(), 900)
    assert caught.value.errors["email"][0][0] == "errors.rate_limited"
    with services.uow() as uow:  # an hour later it works again
        connect.start_email_verification(uow, app, "B", "busy@example.com", utcnow() + dt.timedelta(hours=1, seconds=1), 900)


@pytest.mark.parametrize("name, email, field", [("", "a@example.com", "name"), ("Ada", "not-an-address", "email")])
def test_name_and_email_are_checked(services, name, email, field):
    creds = make_application(services, features={"no_calendar"})
    with services.uow() as uow:
        app = uow.applications.by_client_id(creds.client_id)
        with pytest.raises(ValidationFailed) as caught:
            connect.start_email_verification(uow, app, name, email, utcnow(), 900)
    assert field in caught.value.errors
