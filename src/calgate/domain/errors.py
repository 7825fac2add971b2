# SPDX-License-Identifier: Apache-2.0
"""Domain errors. The HTTP layers map each to one status and the Cronofy error shape.

    CalgateError
    ├── NotFound                 404 {"errors": ...} / error page
    ├── Unauthenticated          401: token unknown, expired or revoked
    ├── Forbidden                403
    │   └── MissingScope         403 naming the scope the credentials lack
    ├── ValidationFailed         422 {"errors": {field: [{key, description}]}}
    ├── Conflict                 409: the change raced another one (retried by Services.run)
    ├── OAuthError               400 {"error", "error_description"} on /oauth/token (RFC 6749 §5.2)
    └── AuthorizeError           GET /oauth/authorize problems
        ├── redirectable=False   shown as an error page (unknown client, unregistered redirect_uri)
        └── redirectable=True    redirect_uri?error=…&state=… (RFC 6749 §4.1.2.1)
"""

from __future__ import annotations


class CalgateError(Exception):
    """Base of every error the domain raises on purpose."""


class NotFound(CalgateError):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")
        self.what = what


class Unauthenticated(CalgateError):
    def __init__(self, description: str = "The access token is not recognised") -> None:
        super().__init__(description)
        self.description = description


class Forbidden(CalgateError):
    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class MissingScope(Forbidden):
    def __init__(self, scope: str) -> None:
        super().__init__(f"The credentials are recognised but do not grant the {scope} scope")
        self.scope = scope


class ValidationFailed(CalgateError):
    """One or more fields are invalid. ``errors`` maps a field to (key, description) pairs."""

    def __init__(self, errors: dict[str, list[tuple[str, str]]]) -> None:
        super().__init__("; ".join(f"{f}: {d}" for f, pairs in errors.items() for _, d in pairs))
        self.errors = errors

    @classmethod
    def single(cls, field: str, key: str, description: str) -> "ValidationFailed":
        return cls({field: [(f"errors.{key}", description)]})


class ProviderUnavailable(CalgateError):
    """A provider calgate must ask right now (not through a sync) did not answer; try later."""

    def __init__(self, description: str, retry_after: float | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.retry_after = retry_after


class StoreUnavailable(CalgateError):
    """The database did not answer (restarting, failing over, unreachable, or busy): nothing
    was changed, and the same request shortly after can succeed."""

    retry_after = 5


class Conflict(CalgateError):
    """Storing the change broke a uniqueness rule: another request made the same thing at the
    same moment. Running the whole unit of work again sees the other's result."""


class OAuthError(CalgateError):
    """An RFC 6749 §5.2 token endpoint error."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.status = status


class AuthorizeError(CalgateError):
    """A problem with an authorization request (RFC 6749 §4.1.2.1)."""

    def __init__(self, error: str, description: str, *, redirectable: bool = True) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description
        self.redirectable = redirectable
