"""In-process stand-ins for third-party APIs calgate talks to (tests only)."""
