"""A Google Calendar and OAuth stand-in that checks every Calendar request against the v3
discovery document shipped in google-api-python-client. See ``server`` and ``calendar_api``."""

from tests.standins.google.server import CLIENT_ID, CLIENT_SECRET, Consent, GoogleStandin

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "Consent", "GoogleStandin"]
