# SPDX-License-Identifier: Apache-2.0
"""The Cronofy-compatible HTTP API (``/v1/*``, ``/oauth/token*``): parse, authenticate, call
one domain function, shape the JSON. No SQL, no provider calls, no error bodies built here
(``errors`` maps domain errors to the wire)."""
