# SPDX-License-Identifier: Apache-2.0
"""Inputs the fuzzing (tests/fuzz) once turned into 500s: each is a 422 now."""

import pytest

from calgate.domain import times
from calgate.domain.errors import ValidationFailed
from calgate.domain.events import EventInput


@pytest.mark.parametrize("tzid", [["Europe/London"], 7, {"a": 1}, "Europe/Lon\x00don", "America", "Etc", "A" * 300])
def test_a_tzid_that_is_no_string_is_refused(tzid):
    with pytest.raises(ValidationFailed):
        times.zone(tzid)


@pytest.mark.parametrize("value", ["0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00", "9999-12-31", "0001-01-01", "0999-06-01"])
def test_times_and_dates_near_the_ends_of_the_calendar_are_refused(value):
    with pytest.raises(ValidationFailed):
        times.parse_time_or_date(value, "start")


def test_reminders_must_be_a_list():
    params = {"event_id": "e", "summary": "s", "start": "2027-01-11T09:00:00Z", "end": "2027-01-11T10:00:00Z", "reminders": 1}
    with pytest.raises(ValidationFailed) as caught:
        EventInput.from_params(params)
    assert "reminders" in caught.value.errors
