"""The calgate command, against a real database on each backend."""

import json

from calgate.domain import ids
from tests.support.cli import run_cli


_run = run_cli


def test_apps_create_prints_credentials_that_authenticate(services, tmp_path):
    result = _run(
        services, tmp_path, "apps", "create", "--name", "Demo", "--redirect-uri", "http://localhost:8001/callback",
        "--enable", "free_busy", "--enable", "no_calendar",
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["features"] == ["free_busy", "no_calendar"]
    with services.uow() as uow:
        app = uow.applications.by_client_id(created["client_id"])
        assert app.client_secret_digest == ids.digest(created["client_secret"])
        assert app.redirect_uris == ["http://localhost:8001/callback"]
        assert app.free_busy_enabled and app.no_calendar_enabled


def test_apps_list_shows_apps_without_secrets(services, tmp_path):
    created = json.loads(_run(services, tmp_path, "apps", "create", "--name", "One", "--redirect-uri", "https://one.example/cb").output)
    listed = json.loads(_run(services, tmp_path, "apps", "list").output)
    assert [a["client_id"] for a in listed] == [created["client_id"]]
    assert "client_secret" not in listed[0] and created["client_secret"] not in json.dumps(listed)


def test_apps_create_rejects_bad_input_with_a_message(services, tmp_path):
    result = _run(services, tmp_path, "apps", "create", "--name", "Bad", "--redirect-uri", "ftp://nope")
    assert result.exit_code != 0 and "redirect" in result.output.lower()
    result = _run(services, tmp_path, "apps", "create", "--name", "Bad", "--redirect-uri", "https://x.example", "--enable", "everything")
    assert result.exit_code != 0 and "everything" in result.output


def test_migrate_is_idempotent(services, tmp_path):
    assert _run(services, tmp_path, "migrate").exit_code == 0
    assert "up to date" in _run(services, tmp_path, "migrate").output
