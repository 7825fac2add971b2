# SPDX-License-Identifier: Apache-2.0
"""Applications: registration, redirect URIs, secrets and the access-mode features."""

from __future__ import annotations

from urllib.parse import urlsplit

from calgate.domain import access_modes, ids, model
from calgate.domain.errors import NotFound, OAuthError, Unauthenticated, ValidationFailed
from calgate.domain.ports import SecretBox, UnitOfWork


def check_redirect_uri(uri: str) -> str | None:
    """Why ``uri`` cannot be registered, or None. Exact strings; no wildcards, no fragments."""
    parts = urlsplit(uri)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        return f"{uri!r} is not an absolute http(s) URL"
    if parts.fragment:
        return f"{uri!r} must not contain a fragment (RFC 6749 §3.1.2)"
    if parts.scheme == "http" and parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        return f"{uri!r} must use https (plain http is allowed for localhost only)"
    return None


def _clean_redirect_uris(uris: list[str]) -> list[str]:
    cleaned: list[str] = []
    problems = []
    for uri in (u.strip() for u in uris):
        if not uri or uri in cleaned:
            continue
        problem = check_redirect_uri(uri)
        if problem:
            problems.append(("errors.invalid", problem))
        cleaned.append(uri)
    if problems:
        raise ValidationFailed({"redirect_uris": problems})
    if not cleaned:
        raise ValidationFailed.single("redirect_uris", "required", "Register at least one redirect URI")
    return cleaned


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationFailed.single("name", "invalid", "Give the application a name (up to 200 characters)")
    return name


def _check_features(features: set[str]) -> None:
    unknown = features - set(access_modes.FEATURES)
    if unknown:
        raise ValidationFailed.single(
            "features", "invalid", f"Unknown feature(s) {sorted(unknown)}; known: {sorted(access_modes.FEATURES)}"
        )


def create(
    uow: UnitOfWork,
    box: SecretBox,
    developer_id: str,
    name: str,
    redirect_uris: list[str],
    features: set[str] = frozenset(),  # type: ignore[assignment]
) -> tuple[model.Application, str]:
    """Register an application. Returns it and its client secret, the only time it is in clear."""
    _check_features(set(features))
    secret = ids.new_secret(40)
    app = model.Application(
        id=ids.new_id("app"),
        developer_id=developer_id,
        name=_clean_name(name),
        client_id=ids.new_secret(32),
        client_secret_digest=ids.digest(secret),
        client_secret_sealed=box.seal(secret),
        redirect_uris=_clean_redirect_uris(redirect_uris),
    )
    for feature in features:
        app.set_feature(feature, True)
    uow.applications.add(app)
    return app, secret


def owned(uow: UnitOfWork, developer_id: str, application_id: str) -> model.Application:
    app = uow.applications.get(application_id)
    if app is None or app.developer_id != developer_id:
        raise NotFound("application")
    return app


def update(
    app: model.Application, name: str, redirect_uris: list[str], features: set[str]
) -> None:
    _check_features(features)
    app.name = _clean_name(name)
    app.redirect_uris = _clean_redirect_uris(redirect_uris)
    for feature in access_modes.FEATURES:
        app.set_feature(feature, feature in features)


def rotate_secret(app: model.Application, box: SecretBox) -> str:
    secret = ids.new_secret(40)
    app.client_secret_digest = ids.digest(secret)
    app.client_secret_sealed = box.seal(secret)
    return secret


def reveal_secret(app: model.Application, box: SecretBox) -> str:
    return box.open(app.client_secret_sealed)


def authenticate_client(uow: UnitOfWork, client_id: str | None, client_secret: str | None) -> model.Application:
    """Client authentication in a token request body (RFC 6749 §2.3.1)."""
    app = uow.applications.by_client_id(client_id or "")
    if app is None or not client_secret or not ids.same_secret(app.client_secret_digest, ids.digest(client_secret)):
        raise OAuthError("invalid_client", "Client authentication failed")
    return app


def by_api_key(uow: UnitOfWork, client_secret: str) -> model.Application:
    """The application whose client_secret is used as a bearer API key."""
    app = uow.applications.by_secret_digest(ids.digest(client_secret))
    if app is None:
        raise Unauthenticated("The API key is not recognised")
    return app
