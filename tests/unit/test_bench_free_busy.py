"""The free/busy benchmark's comparison of busy time (the benchmark itself runs with ``make
bench``, never in the suite): merging spans and reading Radicale's FREEBUSY periods."""

import datetime as dt

from benchmarks import bench_free_busy as bench

UTC = dt.timezone.utc
T0 = dt.datetime(2027, 3, 1, tzinfo=UTC)


def at(minutes: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def test_merged_joins_overlapping_and_touching_spans_and_clips_to_the_window():
    spans = [(at(50), at(70)), (at(0), at(10)), (at(10), at(20)), (at(55), at(60)), (at(-30), at(-5)), (at(90), at(200))]
    assert bench.merged(spans, (at(0), at(120))) == [(at(0), at(20)), (at(50), at(70)), (at(90), at(120))]


def test_freebusy_periods_reads_folded_lines_lists_and_fbtype():
    ical = (
        "BEGIN:VCALENDAR\r\nBEGIN:VFREEBUSY\r\nDTSTART:20270301T000000Z\r\n"
        "FREEBUSY;FBTYPE=BUSY:20270301T000000Z/20270301T001000Z,20270301T0030\r\n 00Z/20270301T004500Z\r\n"
        "FREEBUSY:20270301T010000Z/20270301T011500Z\r\n"
        "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20270301T020000Z/20270301T021000Z\r\nEND:VFREEBUSY\r\nEND:VCALENDAR\r\n"
    )
    assert bench.freebusy_periods(ical) == [
        ((at(0), at(10)), "BUSY"), ((at(30), at(45)), "BUSY"), ((at(60), at(75)), "BUSY"), ((at(120), at(130)), "BUSY-TENTATIVE"),
    ]


def test_the_calendar_holds_one_event_per_span():
    text = bench.calendar_of([(at(0), at(10)), (at(5), at(30))])
    assert text.count("BEGIN:VEVENT") == 2 and "DTSTART:20270301T000500Z" in text and "DTEND:20270301T003000Z" in text
