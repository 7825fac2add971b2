# SPDX-License-Identifier: Apache-2.0
"""The durable job queue: rows in ``jobs``, written in the same transaction as the change that
causes them, run with retries and exponential backoff by ``JobRunner``."""
