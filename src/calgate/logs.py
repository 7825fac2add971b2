# SPDX-License-Identifier: Apache-2.0
"""Logging for the ``calgate`` commands: plain text, or one JSON object per line
(``CALGATE_LOG_FORMAT=json``) for log shippers, and never a secret either way.

``RedactSecrets`` runs on every record before it is formatted: the values of query parameters
and form fields that carry credentials (``code``, ``access_token``, ``refresh_token``,
``token``, ``client_secret``, ``password``, ``assertion``, ``state`` is kept) and anything
after ``Bearer `` become ``[redacted]``. That covers uvicorn's access log (``/oauth/provider/
callback?code=…``) as well as any message of our own. calgate's own log messages never carry
event details (see the privacy tests), so nothing else is filtered.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import logging.config
import re
from typing import Any

SECRET_NAMES = ("code", "access_token", "refresh_token", "id_token", "token", "client_secret", "password", "assertion", "code_verifier")
_PARAM = re.compile(r"(?i)\b(" + "|".join(SECRET_NAMES) + r")=([^&\s\"']+)")
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]+")
REDACTED = "[redacted]"


def redact(text: str) -> str:
    return _BEARER.sub(rf"\1 {REDACTED}", _PARAM.sub(rf"\1={REDACTED}", text))


class RedactSecrets(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
        return True


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message"}`` (+ ``exception``), one line per record."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def config(log_format: str = "text", level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for calgate and uvicorn alike (pass it to uvicorn as
    ``log_config``)."""
    formatter = {"()": JsonFormatter} if log_format == "json" else {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}
    handler = {"class": "logging.StreamHandler", "formatter": "main", "filters": ["redact"], "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redact": {"()": RedactSecrets}},
        "formatters": {"main": formatter},
        "handlers": {"main": handler},
        "root": {"handlers": ["main"], "level": level},
        "loggers": {name: {"handlers": ["main"], "level": level, "propagate": False} for name in ("uvicorn", "uvicorn.error", "uvicorn.access")},
    }


def configure(log_format: str = "text", level: str = "INFO") -> dict[str, Any]:
    settings = config(log_format, level)
    logging.config.dictConfig(settings)
    return settings
