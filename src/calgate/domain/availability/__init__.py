# SPDX-License-Identifier: Apache-2.0
"""The availability engine: pure functions over sorted UTC intervals (no I/O, no ORM, no clock).

``types`` holds the engine's input and output; ``engine.available(query)`` answers a query (its
docstring states the semantics and the algorithm); ``rules.expand_weekly`` turns an availability
rule into UTC intervals across DST; ``intervals`` and ``slots`` are the interval algebra and the
slot grid underneath. The HTTP layer and the store gather each member's busy time and managed
availability into these types (``domain/availability_inputs.py``); this package never reaches
for them.
"""
