# SPDX-License-Identifier: Apache-2.0
"""Outgoing mail: messages composed from job payloads, sent over SMTP or written as ``.eml``
files to a local mail folder (the embedded default, shown on the dashboard's outbox page)."""
