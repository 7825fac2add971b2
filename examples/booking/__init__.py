# SPDX-License-Identifier: Apache-2.0
"""Booking demo: "book a meeting with our team", built on calgate through the official
Cronofy SDK (pycronofy) with only its base URL changed.

Read README.md next to this file; ``python -m examples.booking`` serves it and
``make demo`` (``run_demo.py``) starts calgate and the demo together.
"""
