"""The durable job queue on SQLite and PostgreSQL."""

import datetime as dt
import threading

from calgate.domain.model import utcnow
from calgate.jobs.runner import JobRunner, backoff


def _enqueue(services, kind, n=1, **payload):
    with services.uow() as uow:
        ids = [uow.jobs.enqueue(kind, {"n": i, **payload}).id for i in range(n)]
        uow.commit()
    return ids


def _job(services, job_id):
    with services.uow() as uow:
        return uow.jobs.get(job_id)


def test_a_job_runs_once_and_is_marked_done(services):
    seen = []
    runner = JobRunner(services.db, {"note": lambda payload, job_id: seen.append((job_id, payload["n"]))})
    [job_id] = _enqueue(services, "note")
    assert runner.run_until_idle() == 1
    assert seen == [(job_id, 0)]
    job = _job(services, job_id)
    assert job.status == "done" and job.attempts == 1 and job.finished_at is not None
    assert runner.run_until_idle() == 0


def test_a_failing_job_is_kept_and_retried_with_backoff(services):
    calls = []

    def flaky(payload, job_id):
        calls.append(job_id)
        if len(calls) == 1:
            raise ConnectionError("smtp is down")

    runner = JobRunner(services.db, {"flaky": flaky})
    [job_id] = _enqueue(services, "flaky")
    runner.run_once()
    job = _job(services, job_id)
    assert job.status == "pending" and job.attempts == 1
    assert "smtp is down" in job.last_error
    assert job.run_after >= utcnow() + backoff(1) - dt.timedelta(seconds=5)
    assert runner.run_once() is False  # not due yet
    assert runner.run_once(now=job.run_after + dt.timedelta(seconds=1)) is True
    assert _job(services, job_id).status == "done"
    assert len(calls) == 2


def test_a_job_that_keeps_failing_ends_failed_and_visible(services):
    def broken(payload, job_id):
        raise ValueError("bad payload")

    runner = JobRunner(services.db, {"broken": broken}, max_attempts=3)
    [job_id] = _enqueue(services, "broken")
    now = utcnow()
    for _ in range(3):
        assert runner.run_once(now=now)
        now += dt.timedelta(hours=2)
    job = _job(services, job_id)
    assert job.status == "failed" and job.attempts == 3 and "bad payload" in job.last_error
    assert runner.run_once(now=now + dt.timedelta(days=1)) is False


def test_an_unknown_kind_is_an_error_not_a_loss(services):
    runner = JobRunner(services.db, {})
    [job_id] = _enqueue(services, "mystery")
    runner.run_once()
    job = _job(services, job_id)
    assert job.status == "pending" and "no handler" in job.last_error


def test_a_job_whose_worker_died_is_claimed_again_after_its_lease(services):
    runner = JobRunner(services.db, {"note": lambda p, j: None}, lease_seconds=60)
    [job_id] = _enqueue(services, "note")
    with services.uow() as uow:  # a worker claims it, then dies without finishing
        from calgate.store.job_queue import claim_due_job

        assert claim_due_job(uow.session, utcnow(), 60).id == job_id
        uow.commit()
    assert runner.run_once() is False  # still leased
    assert runner.run_once(now=utcnow() + dt.timedelta(seconds=61)) is True
    job = _job(services, job_id)
    assert job.status == "done" and job.attempts == 2


def test_concurrent_runners_never_run_a_job_twice(services):
    done: list[int] = []
    lock = threading.Lock()

    def record(payload, job_id):
        with lock:
            done.append(payload["n"])

    _enqueue(services, "count", n=40)
    runners = [JobRunner(services.db, {"count": record}) for _ in range(4)]
    threads = [threading.Thread(target=r.run_until_idle) for r in runners]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(done) == list(range(40))


def test_jobs_sharing_an_ordering_key_run_in_order_even_across_retries(services):
    """The second invitation of an event waits while the first is being retried."""
    sent: list[str] = []
    failures = {"first": 1}

    def deliver(payload, job_id):
        if failures.get(payload["name"], 0) > 0:
            failures[payload["name"]] -= 1
            raise ConnectionError("down")
        sent.append(payload["name"])

    runner = JobRunner(services.db, {"deliver": deliver})
    with services.uow() as uow:
        uow.jobs.enqueue("deliver", {"name": "first"}, ordering_key="evt_1")
        uow.jobs.enqueue("deliver", {"name": "second"}, ordering_key="evt_1")
        uow.jobs.enqueue("deliver", {"name": "other"}, ordering_key="evt_2")
        uow.commit()
    runner.run_until_idle()
    assert sent == ["other"]  # "first" failed and waits for its retry; "second" waits behind it
    later = utcnow() + dt.timedelta(hours=2)
    while runner.run_once(now=later):
        pass
    assert sent == ["other", "first", "second"]
