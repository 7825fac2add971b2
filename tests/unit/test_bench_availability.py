"""The availability benchmark's own parts agree on a small case (the benchmark itself runs with
``make bench``, never in the suite): its data generator, the engine and its pure-Python merge."""

import datetime as dt

from benchmarks import bench_availability as bench

UTC = dt.timezone.utc


def test_generated_busy_time_keeps_its_shape():
    people = bench.generate(5, per_participant=40, days=2)
    start, end = bench.window(days=2)
    assert [len(p) for p in people] == [40] * 5
    assert all(start <= s < e <= end + dt.timedelta(minutes=45) for p in people for s, e in p)
    assert bench.generate(5, per_participant=40, days=2) == people  # seeded


def test_the_engine_and_the_merge_agree():
    start, end = span = bench.window(days=2)
    people = bench.generate(12, per_participant=60, days=2)
    for size in (1, 2, 12):
        expected = bench.python_merge(people[:size], span)
        assert expected  # the quiet windows keep something free
        assert bench.engine_answer(bench.engine_query(people[:size], span)) == expected
    # a hand-checked case: the gaps at least 30 minutes long
    hour = dt.timedelta(hours=1)
    busy = [[(start + hour, start + 2 * hour)], [(start + 2 * hour + dt.timedelta(minutes=20), start + 3 * hour)]]
    expected = [(start, start + hour), (start + 3 * hour, end)]
    assert bench.python_merge(busy, span) == expected
    assert bench.engine_answer(bench.engine_query(busy, span)) == expected


def test_the_http_body_keeps_groups_within_calgates_limit():
    body = bench.http_body([f"acc_{i}" for i in range(120)], bench.window())
    assert [len(g["members"]) for g in body["participants"]] == [50, 50, 20]
    assert body["query_periods"] == [{"start": "2027-03-01T00:00:00Z", "end": "2027-03-15T00:00:00Z"}]


def test_the_report_names_each_store_and_its_target():
    timing = bench.Timing(50, 1.0, 2.0)
    rows = [(50, 29, {k: timing for k in ("engine", "inputs", "postgresql", "python")})]
    by_store = {
        "postgresql": bench.StoreRun({50: bench.Timing(10, 18.0, 25.0)}, 3.0, (16.0, 24.0, 110.0)),
        "sqlite": bench.StoreRun({50: bench.Timing(10, 22.0, 30.0)}, 2.0, (16.0, 24.0, 109.0)),
    }
    text = bench.render(rows, by_store, "PostgreSQL 15", ("0.1", "0.2"))
    assert "POST /v1/availability (HTTP, PostgreSQL) | POST /v1/availability (HTTP, SQLite)" in text
    assert "| 18.00 / 25.00 (10) | 22.00 / 30.00 (10) |" in text
    assert "on PostgreSQL, p50 ≤ 20 ms (issue 18): **met** (18.00 ms)" in text
    assert "on SQLite, p50 ≤ 20 ms (issue 18): **not met** (22.00 ms)" in text
    assert "PostgreSQL: index 16.0 KB, details 24.0 KB, references 110.0 KB" in text
