# SPDX-License-Identifier: Apache-2.0
"""What a running calgate holds: settings, database, secret box, mail sender and job runner.

Built once by ``create_services(settings)`` (never at import time) and shared by the HTTP
layers, the CLI and the tests.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, TypeVar

from calgate.config import Settings
from calgate.crypto import FernetBox
from calgate.domain.errors import Conflict
from calgate.jobs.handlers import handlers
from calgate.jobs.enterprise_jobs import EnterpriseJobs
from calgate.jobs.provider_jobs import ProviderJobs
from calgate.jobs.runner import JobRunner
from calgate.mail.senders import MailSender, SmtpSender, make_sender
from calgate.providers.registry import Providers
from calgate.rate_limits import RateLimiter
from calgate.store.db import make_engine
from calgate.store.unit_of_work import Database, SqlUnitOfWork

T = TypeVar("T")


@dataclass
class Services:
    settings: Settings
    db: Database
    box: FernetBox
    mail: MailSender
    jobs: JobRunner
    providers: Providers
    limiter: RateLimiter

    def uow(self) -> SqlUnitOfWork:
        return self.db.uow()

    def stop(self) -> None:
        """Stop the job runner (after the job in hand), then hang up the SMTP connections the
        mail sender keeps between messages."""
        self.jobs.stop()
        if isinstance(self.mail, SmtpSender):
            self.mail.close()

    def reader(self) -> SqlUnitOfWork:
        """A unit of work for reads alone: cheaper (no transaction on PostgreSQL, no write lock
        on SQLite); writing in it raises."""
        return self.db.reader()

    def run(self, work: Callable[[SqlUnitOfWork], T], attempts: int = 3) -> T:
        """Run ``work`` in a unit of work and commit; when it raced another request over a
        uniqueness rule (``Conflict``), run it again from the start, which sees the winner."""
        for attempt in range(1, attempts + 1):
            try:
                with self.uow() as uow:
                    result = work(uow)
                    uow.commit()
                    return result
            except Conflict:
                if attempt == attempts:
                    raise
        raise AssertionError("unreachable")


def create_services(settings: Settings) -> Services:
    db = Database(
        make_engine(settings.database_url, pool_size=settings.database_pool_size, max_overflow=settings.database_max_overflow)
    )
    mail = make_sender(settings.smtp_url, settings.mail_dir)
    box = FernetBox(settings.secret_key.get_secret_value(), settings.old_keys)
    providers = Providers(settings)
    provider_jobs = ProviderJobs(db, box, providers, dt.timedelta(seconds=settings.sync_interval))
    enterprise_jobs = EnterpriseJobs(db, box, providers, settings.authorization_code_ttl)
    runner = JobRunner(
        db, {**handlers(mail, settings.organizer_email, db, box), **provider_jobs.handlers(), **enterprise_jobs.handlers()}
    )
    db.on_commit(runner.wake)
    return Services(
        settings=settings,
        db=db,
        box=box,
        mail=mail,
        jobs=runner,
        providers=providers,
        limiter=RateLimiter(settings.rate_limit, settings.rate_limit_burst),
    )
