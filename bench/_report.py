"""What every bench hands to `bench/run_all.py`: its measures, each with its same-run baseline, ratio
and goal, plus how much other load shared the machine while it ran.

A bench builds one `Report`, calls `measure(...)` per figure and `finish()` at the end: the measures
are printed, and written as JSON to `$BENCH_RESULTS_DIR/<bench>.json` when run_all set that variable.

    report = Report("gateway")
    report.measure(
        "authenticated Ninja route vs bare JsonResponse view", value=2400, unit="req/s",
        baseline=3500, baseline_label="bare JsonResponse view", goal=0.6, goal_kind="ratio>=",
    )
    report.finish()

Goal kinds: "ratio>=" (value / baseline at least goal), "ratio<=", "value>=", "value<=" (the value
itself against the goal, in `unit`), "diff<=" (value - baseline at most goal, in `unit`).

Disturbance: `Report` samples /proc/stat from creation to `finish()`: the machine's busy CPU time minus
the CPU time of this bench's own process tree (itself, its servers, its load generators) and of the
shared services it drives (PostgreSQL, Redis: not its children, but working for it) is what other load
took. More than 10 % of one core on average is reported as disturbed. Another client of those services
shows up through its own processes (a test run's pytest, servers and workers).
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

GOAL_KINDS = ("ratio>=", "ratio<=", "value>=", "value<=", "diff<=")
DISTURBED_CORES = 0.10  # other load above this many cores on average marks the run disturbed
SERVICES = frozenset({"postgres", "redis-server"})  # the shared services a bench drives


@dataclass
class Measure:
    name: str
    value: float
    unit: str
    baseline: float | None
    baseline_label: str
    goal: float | None
    goal_kind: str
    note: str = ""
    ratio: float | None = field(init=False)
    met: bool | None = field(init=False)

    def __post_init__(self):
        if self.goal_kind not in GOAL_KINDS:
            raise ValueError(f"goal_kind must be one of {GOAL_KINDS}")
        self.ratio = self.value / self.baseline if self.baseline else None
        self.met = self._met()

    def _met(self) -> bool | None:
        if self.goal is None:
            return None
        if self.goal_kind == "ratio>=":
            return self.ratio is not None and self.ratio >= self.goal
        if self.goal_kind == "ratio<=":
            return self.ratio is not None and self.ratio <= self.goal
        if self.goal_kind == "value>=":
            return self.value >= self.goal
        if self.goal_kind == "value<=":
            return self.value <= self.goal
        return self.baseline is not None and self.value - self.baseline <= self.goal  # diff<=

    def goal_text(self) -> str:
        if self.goal is None:
            return "(baseline only)"
        kind = self.goal_kind.rstrip("<>=")
        sign = "≤" if "<" in self.goal_kind else "≥"
        if kind == "ratio":
            return f"{sign} {self.goal:g}x baseline"
        if kind == "diff":
            return f"{sign} baseline + {self.goal:g} {self.unit}"
        return f"{sign} {self.goal:g} {self.unit}"


def _cpu_busy_seconds() -> float:
    """The whole machine's busy CPU time so far (all cores), from /proc/stat."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _tree_cpu_seconds(root_pid: int) -> float:
    """CPU time of `root_pid` and every descendant alive now, plus what reaped children used, and of
    the shared services' processes (a PostgreSQL backend's time goes to the postmaster when it ends)."""
    children: dict[int, list[int]] = {}
    stats: dict[int, list[str]] = {}
    services: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        after = raw[raw.rfind(")") + 2 :].split()  # the command name may hold spaces
        stats[int(entry.name)] = after
        children.setdefault(int(after[1]), []).append(int(entry.name))
        if raw[raw.find("(") + 1 : raw.rfind(")")] in SERVICES:
            services.append(int(entry.name))
    total, stack = 0, [root_pid, *services]
    seen: set[int] = set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        if pid in stats:
            utime, stime, cutime, cstime = (int(v) for v in stats[pid][11:15])
            total += utime + stime + cutime + cstime
        stack.extend(children.get(pid, ()))
    return total / os.sysconf("SC_CLK_TCK")


def machine() -> dict:
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return {"cores": os.cpu_count(), "cpu": model, "python": platform.python_version(), "kernel": platform.release()}


class Report:
    def __init__(self, bench: str):
        self.bench = bench
        self.measures: list[Measure] = []
        self.notes: list[str] = []
        self._started = time.monotonic()
        self._busy0 = _cpu_busy_seconds()
        self._own0 = _tree_cpu_seconds(os.getpid())

    def measure(
        self,
        name: str,
        *,
        value: float,
        unit: str,
        baseline: float | None = None,
        baseline_label: str = "",
        goal: float | None = None,
        goal_kind: str = "value>=",
        note: str = "",
    ) -> Measure:
        measure = Measure(name, float(value), unit, baseline, baseline_label, goal, goal_kind, note)
        self.measures.append(measure)
        return measure

    def note(self, text: str) -> None:
        """A line for RESULTS.md under this bench: what limits a figure, what the profile showed."""
        self.notes.append(text)

    def finish(self) -> dict:
        elapsed = time.monotonic() - self._started
        other = (_cpu_busy_seconds() - self._busy0) - (_tree_cpu_seconds(os.getpid()) - self._own0)
        other_cores = max(0.0, other / elapsed) if elapsed > 0 else 0.0
        result = {
            "bench": self.bench,
            "seconds": round(elapsed, 1),
            "other_load_cores": round(other_cores, 2),
            "disturbed": other_cores > DISTURBED_CORES,
            "machine": machine(),
            "measures": [asdict(m) | {"goal_text": m.goal_text()} for m in self.measures],
            "notes": self.notes,
        }
        print(f"\n== {self.bench}: results ({elapsed:.0f} s; other load {other_cores:.2f} cores on average)")
        for m in self.measures:
            ratio = f"  ratio {m.ratio:.2f}x" if m.ratio is not None else ""
            base = f"  baseline {m.baseline:,.2f} ({m.baseline_label})" if m.baseline is not None else ""
            verdict = {True: "met", False: "NOT met", None: ""}[m.met]
            print(f"  {m.name}: {m.value:,.2f} {m.unit}{base}{ratio}  goal {m.goal_text()} {verdict}")
        if result["disturbed"]:
            print(f"  disturbed: other processes used {other_cores:.2f} cores on average while this ran")
        target = os.environ.get("BENCH_RESULTS_DIR")
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            (Path(target) / f"{self.bench}.json").write_text(json.dumps(result, indent=2))
        return result
