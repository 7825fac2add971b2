# SPDX-License-Identifier: Apache-2.0
"""benchmarks/cpu.py: the CPU a load run's processes used, read from /proc, and the load
report's arithmetic on it (benchmarks/load.py ``render_cpu``)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from benchmarks.cpu import Meter, Usage, cpu_seconds, named, tree
from benchmarks.load import CPU_GROUPS, render_cpu

SPIN = "import time\nend = time.process_time() + {seconds}\nwhile time.process_time() < end: pass\ntime.sleep(30)"
PARENT = "import subprocess, sys, time\nsubprocess.Popen([sys.executable, '-c', {child!r}])\ntime.sleep(30)"


def test_a_process_trees_cpu_is_counted_and_an_idle_one_is_not() -> None:
    parent = subprocess.Popen([sys.executable, "-c", PARENT.format(child=SPIN.format(seconds=0.4))])
    idle = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        deadline = time.monotonic() + 10
        while len(tree(parent.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        meter = Meter({"busy": lambda: tree(parent.pid), "idle": lambda: [idle.pid]})
        meter.start()
        time.sleep(1.2)  # the child spins 0.4 s of CPU, then sleeps
        usage = meter.stop()
    finally:
        for p in (parent, idle):
            p.kill()
            p.wait()
    assert 0.25 <= usage.by_group["busy"] <= 0.8
    assert usage.by_group["idle"] < 0.05
    assert usage.seconds >= 1.2


def test_a_gone_process_reads_as_nothing_and_names_are_exact() -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert cpu_seconds(gone.pid) == 0.0
    assert os.getpid() not in named("no-such-command")
    assert cpu_seconds(os.getpid()) > 0


def test_the_report_divides_the_cpu_by_the_requests() -> None:
    usage = Usage(10.0, {CPU_GROUPS[0]: 6.0, CPU_GROUPS[1]: 2.0, CPU_GROUPS[2]: 2.0, CPU_GROUPS[3]: 2.0})
    text = "\n".join(render_cpu(usage, 1000, 100.0))
    assert f"| {CPU_GROUPS[0]} | 6.00 | 0.60 |" in text
    assert "| all | 12.00 | 1.20 of" in text
    cores = os.cpu_count() or 1
    assert f"allow at most {cores * 1000 / 12:,.0f} req/s" in text
    assert f"(API, workers, PostgreSQL: 10.00 ms) would allow\n{cores * 100:,.0f} req/s" in text
