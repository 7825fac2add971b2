# SPDX-License-Identifier: Apache-2.0
"""The garbage collector of a long-running calgate process (``calgate serve``, ``calgate
worker``), set once its startup is done.

What startup loads (modules, the application, settings, the pool) lives as long as the
process, yet CPython's cyclic collector would scan it again at every full collection: tens of
milliseconds that stop whichever request is running (docs/benchmarks.md, "Where the time
goes"). ``gc.freeze()`` moves it out of the collector's sight. A request allocates thousands
of objects, nearly all freed by reference counting as it ends; collecting the youngest
generation after 700 allocations (CPython's default) scans the same live request several times
over, so the threshold is raised: the collector still runs, on what requests leave behind.
Tests and embedders calling ``create_app`` keep CPython's defaults.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000  # allocations (net of frees) between collections of the youngest generation
OLDER_THRESHOLDS = (20, 10)  # collections of the generation below between those of the next


def settle() -> None:
    """Call when startup is done: collect once, freeze what is left, raise the thresholds."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, *OLDER_THRESHOLDS)
