"""Every bench, one after the other, each in its own servers with the rate limiter off (but for the
gateway bench, whose measured route includes the limiter, with limits nobody reaches); then
bench/RESULTS.md: each measure, its baseline in the same run, the ratio, the goal, met or not, the
machine, and how much other load disturbed each bench.

    .venv/bin/python bench/run_all.py [--quick] [--only gateway,search] [--output bench/RESULTS.md]

`make bench` runs it in full; `make bench QUICK=1` passes --quick to every bench (shorter runs,
smaller data sets: for checking the benches work, not for the figures of record).
Each bench's record is kept in bench/records/<bench>.json (committed with RESULTS.md, which is
written from them) with the revision and time it ran at, so `--only` re-runs some — on any
machine, a fresh clone included — and RESULTS.md still shows the latest record of every other
(each section says when and at which revision its figures were taken).
A bench that fails is reported as failed in RESULTS.md (with the tail of its output) and makes the
run exit non-zero; the others still run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _report import machine

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
RECORDS = ROOT / "bench" / "records"

# (name, script, extra arguments of the full run). The order puts the lightest first, so a broken
# environment shows early; soak (10 minutes of mixed traffic) runs only when asked for by --only.
BENCHES = [
    ("memory", "memory.py", []),
    ("gateway", "gateway.py", []),
    ("login", "login.py", []),
    ("eventbus", "eventbus.py", []),
    ("chat", "chat.py", []),
    ("search", "search.py", []),
    ("split", "split.py", []),
]
ON_REQUEST = [("soak", "soak.py", [])]


def run_one(name: str, script: str, extra: list[str], *, quick: bool, results: Path, revision: str) -> dict:
    args = [str(PYTHON if PYTHON.exists() else sys.executable), str(ROOT / "bench" / script), *extra]
    if quick:
        args.append("--quick")
    env = {**os.environ, "BENCH_RESULTS_DIR": str(results), "RATELIMIT_ENABLED": "false"}
    print(f"\n######## {name}: {' '.join(args[1:])}", flush=True)
    started = time.monotonic()
    log = results / f"{name}.log"
    with log.open("w") as out:
        process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in process.stdout:  # echo as it runs, and keep it for the failure report
            sys.stdout.write(line)
            out.write(line)
        code = process.wait()
    elapsed = time.monotonic() - started
    record = results / f"{name}.json"
    result = {"bench": name, "seconds": round(elapsed, 1), "measures": [], "notes": []}
    if record.exists():  # a bench that failed part-way may still have recorded what it measured
        result = json.loads(record.read_text())
    if code != 0 or not record.exists():
        result["failed"] = f"exit code {code}" if code else "it wrote no results"
        result["tail"] = log.read_text().splitlines()[-25:]
    result |= {"revision": revision, "ran_at": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC", "quick": quick}
    RECORDS.mkdir(parents=True, exist_ok=True)
    (RECORDS / f"{name}.json").write_text(json.dumps(result, indent=2))
    return result


def latest_records(names: list[str]) -> list[dict]:
    """The kept record of each bench that has one, in the order of BENCHES."""
    found = [RECORDS / f"{name}.json" for name in names]
    return [json.loads(path.read_text()) for path in found if path.exists()]


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
    return f"{text} {unit}".strip()


def render(results: list[dict], *, revision: str) -> str:
    box = machine()
    measures = [(r, m) for r in results for m in r["measures"]]
    met = sum(1 for _, m in measures if m["met"])
    goals = sum(1 for _, m in measures if m["met"] is not None)
    quick = any(r.get("quick") for r in results)
    lines = [
        "# Bench results",
        "",
        f"Written by `bench/run_all.py` (`make bench`) at `{revision}`, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC;",
        "each bench's section says when and at which revision its figures were taken.",
        f"Machine: {box['cores']} cores, {box['cpu']}; Python {box['python']}; Linux {box['kernel']}.",
        "Every bench starts its own servers with the rate limiter off (nothing but the thing measured limits it;",
        "the gateway bench's route includes the limiter, on, with limits nobody reaches);",
        "each ratio is against a baseline measured in the same run, since absolute times drift on this machine.",
        "",
        f"**{met} of {goals} goals met.**" + (" (Some `--quick` runs: smaller data, shorter loads.)" if quick else ""),
        "",
        "| bench | measure | value | baseline (same run) | ratio | goal | met |",
        "|---|---|---|---|---|---|---|",
    ]
    for result, m in measures:
        baseline = f"{_number(m['baseline'], m['unit'])} ({m['baseline_label']})" if m["baseline"] is not None else "—"
        ratio = f"{m['ratio']:.2f}x" if m["ratio"] is not None else "—"
        verdict = {True: "yes", False: "**no**", None: ""}[m["met"]]
        lines.append(
            f"| {result['bench']} | {m['name']} | {_number(m['value'], m['unit'])} | {baseline} | {ratio} "
            f"| {m['goal_text']} | {verdict} |"
        )
    lines += ["", "## Each bench", ""]
    for result in results:
        lines.append(f"### {result['bench']}")
        lines.append("")
        quick_run = " (`--quick`)" if result.get("quick") else ""
        lines.append(f"Ran at `{result.get('revision', '?')}`, {result.get('ran_at', '?')}{quick_run}.")
        lines.append("")
        if "failed" in result:
            lines += [f"**Failed** ({result['failed']}) after {result['seconds']} s. Its last lines:", "", "```"]
            lines += result["tail"] + ["```", ""]
            if not result["measures"]:
                continue
        load = result["other_load_cores"]
        disturbed = " — **disturbed**: re-run it on a quiet machine" if result["disturbed"] else ""
        lines.append(f"{result['seconds']:.0f} s; other load on the machine meanwhile: {load:.2f} cores{disturbed}.")
        lines.append("")
        for m in result["measures"]:
            if m["note"]:
                lines.append(f"- {m['name']}: {m['note']}")
        lines += [f"- {note}" for note in result["notes"]]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="pass --quick to every bench")
    parser.add_argument("--only", default="", help="comma-separated bench names (soak only runs when named)")
    parser.add_argument("--output", default=str(ROOT / "bench" / "RESULTS.md"))
    args = parser.parse_args()
    chosen = [b for b in BENCHES + ON_REQUEST if b[0] in args.only.split(",")] if args.only else BENCHES
    unknown = set(filter(None, args.only.split(","))) - {b[0] for b in BENCHES + ON_REQUEST}
    if unknown:
        parser.error(f"unknown benches: {', '.join(sorted(unknown))}")
    revision = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    revision = revision or "unknown"
    with tempfile.TemporaryDirectory(prefix="conectar-bench-") as scratch:
        results = [run_one(*bench, quick=args.quick, results=Path(scratch), revision=revision) for bench in chosen]
    shown = latest_records([name for name, _, _ in BENCHES + ON_REQUEST])
    Path(args.output).write_text(render(shown, revision=revision))
    failed = [r["bench"] for r in results if "failed" in r]
    print(f"\nwrote {args.output}" + (f"; failed: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
