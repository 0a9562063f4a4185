#!/usr/bin/env python3
"""Start-up, compile-time and memory benchmark of the installed `mlopsc`.

    python bench/run.py            # full run (about a minute or two on 2 cores)
    python bench/run.py --quick    # fewer repetitions, 100-model monorepo

Every measurement runs `mlopsc` as a whole process (what CI pays) and is printed with its
absolute time and its ratio to a baseline measured in the same run, next to its target.
Targets are printed, never asserted: this is not a test and is not collected by pytest.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "samples"
PLATFORM_FILE = SAMPLES / "mlops-platform.yaml"
DEFAULT_SAMPLE = "demand-forecast"
MAX_NAME = 32  # model.name in the schema: ^[a-z][a-z0-9-]{1,30}[a-z0-9]$

TARGET_STARTUP_S = 0.3
TARGET_ONE_MODEL_S = 0.15  # issue 16's goals (it measured 0.248 s and 12.9 s before)
TARGET_500_MODELS_S = 6.0
TARGET_VERIFY_S = 0.050  # proving one model's state machines, part of its compile
#: Reference, not measured here: the `stepfunctions` SDK building and printing one comparable workflow.
REFERENCE_SDK = (3.9, 264)  # seconds, MiB


# ------------------------------------------------------------------------------ running processes

class Run:
    """One finished child process: wall time and (when measured) peak RSS in KiB."""

    def __init__(self, seconds: float, max_rss_kib: int | None):
        self.seconds, self.max_rss_kib = seconds, max_rss_kib


def gnu_time() -> str | None:
    """/usr/bin/time if it is GNU time (it has -f and -o)."""
    path = shutil.which("time", path="/usr/bin:/bin") or "/usr/bin/time"
    try:
        version = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return path if "GNU" in version.stdout + version.stderr else None


TIME = gnu_time()

#: What the children run with: as CI runs them. PYTHONDONTWRITEBYTECODE would make an editable
#: install recompile its modules in every process (it doubled the one-model compile here).
CHILD_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def run_once(argv: list[str], rss: bool = False) -> Run:
    """Run argv to completion from the repository root; stdout is discarded.

    Peak RSS (rss=True) is read through GNU time (`/usr/bin/time -f %M`): on Linux a child's
    ru_maxrss, from wait4() or getrusage(RUSAGE_CHILDREN), also counts the RSS of the parent it
    was forked from (the bench itself, ~15 MiB), which would swamp `python -c pass`. GNU time
    is a small C program, so the process it forks starts clean. Without GNU time, wait4()'s
    figure is used and flagged as an upper bound."""
    with tempfile.TemporaryDirectory() as scratch:
        rss_file = Path(scratch, "rss")
        command = [TIME, "-f", "%M", "-o", str(rss_file), *argv] if rss and TIME else argv
        with open(Path(scratch, "stderr"), "w+b") as err:
            start = time.perf_counter()
            process = subprocess.Popen(command, cwd=REPO, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                       env=CHILD_ENV)
            _, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - start
            process.returncode = os.waitstatus_to_exitcode(status)
            err.seek(0)
            stderr = err.read().decode(errors="replace")
        if process.returncode != 0:
            sys.exit(f"bench: {' '.join(map(str, argv))} exited {process.returncode}:\n{stderr}")
        max_rss = None
        if rss:
            max_rss = int(rss_file.read_text().split()[-1]) if TIME else usage.ru_maxrss  # KiB on Linux
    return Run(seconds, max_rss)


def repeat(argv: list[str], runs: int, before=None, warmup: int = 1, rss: bool = False) -> list[Run]:
    """`warmup` untimed runs (page cache, .pyc), then `runs` timed ones; `before` runs untimed
    before each (e.g. to empty the output directory)."""
    results = []
    for index in range(warmup + runs):
        if before:
            before()
        result = run_once(argv, rss)
        if index >= warmup:
            results.append(result)
    return results


def median_s(results: list[Run]) -> float:
    return statistics.median(r.seconds for r in results)


def max_rss_mib(results: list[Run]) -> float:
    return max(r.max_rss_kib for r in results) / 1024


# ------------------------------------------------------------------------------ the proof's share

#: Run by the installed interpreter: renders one model in memory, then times only the proof compile
#: runs on it (compiler.api.prove -> verify.verify_rendered), first call in a fresh process, as in a compile.
VERIFY_SCRIPT = """
import sys, time
from compiler import api, render, verify
validation = api.validate([sys.argv[1]], sys.argv[2])
outputs = {f"{m.name}/{m.environment}": render.render_files(m) for m in validation.models}
start, cpu = time.perf_counter(), time.process_time()
verify.verify_rendered(outputs)
print(time.perf_counter() - start, time.process_time() - cpu)
"""


def verify_seconds(python: str, sample: Path, runs: int) -> list[tuple]:
    """The proof's own (wall, CPU) seconds in `runs` fresh processes (after one untimed warm-up).
    CPU time is printed too: on a shared machine the wall time of a few milliseconds moves a lot."""
    seconds = []
    for index in range(runs + 1):
        done = subprocess.run([python, "-c", VERIFY_SCRIPT, str(sample), str(PLATFORM_FILE)], cwd=REPO, env=CHILD_ENV,
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            sys.exit(f"bench: timing verify failed:\n{done.stderr}")
        if index:
            wall, cpu = done.stdout.split()[-2:]
            seconds.append((float(wall), float(cpu)))
    return seconds


# ------------------------------------------------------------------------------ finding mlopsc

def find_mlopsc(given: str | None) -> Path:
    candidates = [Path(given)] if given else [Path(sys.executable).parent / "mlopsc"]
    if not given and shutil.which("mlopsc"):
        candidates.append(Path(shutil.which("mlopsc")))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    sys.exit("bench: no `mlopsc` next to this interpreter or on PATH; install it first, e.g.\n"
             "  python3 -m venv /tmp/bv && /tmp/bv/bin/pip install -q . && /tmp/bv/bin/python bench/run.py")


def interpreter_of(script: Path) -> str:
    """The interpreter the console script runs under (its shebang), for the `python -c pass`
    baseline; falls back to this interpreter."""
    first = script.read_bytes()[:300].split(b"\n", 1)[0].decode(errors="replace")
    match = re.match(r"#!\s*(\S+)", first)
    if match and Path(match.group(1)).is_file():
        return match.group(1)
    return sys.executable


# ------------------------------------------------------------------------------ the monorepo

def model_names(count: int) -> list[str]:
    """`count` unique valid model names whose lengths cycle through 3..32 characters."""
    alphabet = "0123456789abcdefghijklmnopqrstuvwxyz"
    filler = "demand-forecast-store-sku-weekly-xgb-model"
    names = []
    for index in range(count):
        core = "m" + alphabet[index // 36 % 36] + alphabet[index % 36]  # unique for < 1296 models
        if index >= 36 * 36:
            core = f"m{index}"
        length = max(len(core), 3 + (index * 7) % (MAX_NAME - 2))  # 3..32, well spread
        name = core if length == len(core) else f"{core}-{filler}"[:length]
        if name.endswith("-"):
            name = name[:-1] + "x"
        assert re.fullmatch(r"[a-z][a-z0-9-]{1,30}[a-z0-9]", name), name
        names.append(name)
    assert len(set(names)) == count
    return names


def generate_monorepo(root: Path, count: int, sample: str) -> list[str]:
    """root/models/<name>/: a full copy of samples/<sample> (Dockerfiles, sources, data) with
    its model name replaced."""
    source = SAMPLES / sample
    config = (source / "mlops.yaml").read_text(encoding="utf-8")
    pattern = re.compile(r"^(model:\n(?:[ \t]+.*\n|\n)*?[ \t]+name:[ \t]*)(\S+)", re.MULTILINE)
    if not pattern.search(config):
        sys.exit(f"bench: cannot find model.name in {source / 'mlops.yaml'}")
    names = model_names(count)
    for name in names:
        target = root / "models" / name
        shutil.copytree(source, target)
        (target / "mlops.yaml").write_text(pattern.sub(lambda m: m.group(1) + name, config, count=1), encoding="utf-8")
    return names


# ------------------------------------------------------------------------------ printing

def mib(kib: float) -> float:
    return kib / 1024


def row(label: str, value: str, baseline: str, ratio: str, target: str = "", verdict: str = "") -> None:
    print(f"  {label:<44} {value:>10}  {baseline:>10}  {ratio:>9}  {target:>9}  {verdict}")


def verdict(value: float, target: float) -> str:
    return "ok" if value <= target else "OVER TARGET"


def header() -> None:
    row("measurement", "value", "baseline", "ratio", "target", "")
    print("  " + "-" * 96)


# ------------------------------------------------------------------------------ before / after

def before_after(baseline: Path, mlopsc: Path, series: dict, this: dict, models: int, sample: str) -> None:
    """Times the same commands with another installed mlopsc (same machine, same run) and prints
    each figure next to it: this / baseline (< 1 is faster)."""
    labels = {"one": f"compile samples/{sample}", "validate": f"validate ({models} models)",
              "compile": f"compile ({models} models)"}
    print(f"\nBefore/after: baseline {baseline} (medians, same counts as above)")
    row("measurement", "baseline", "this", "ratio", "", "")
    print("  " + "-" * 96)
    for key, (argv, count, before) in series.items():
        swapped = [str(baseline) if part == str(mlopsc) else part for part in argv]
        then = median_s(repeat(swapped, count, before=before))
        row(labels[key], f"{then:.3f} s", f"{this[key]:.3f} s", f"{this[key] / then:.2f}x")


# ------------------------------------------------------------------------------ main

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="5 runs per median, a 100-model monorepo, 1 run of it")
    parser.add_argument("--runs", type=int, help="timed runs per median (default 21, --quick 5)")
    parser.add_argument("--models", type=int, help="models in the generated monorepo (default 500, --quick 100)")
    parser.add_argument("--mono-runs", type=int, help="timed runs of the monorepo compile/validate (default 3, --quick 1)")
    parser.add_argument("--sample", default=DEFAULT_SAMPLE, help=f"sample repository to copy (default {DEFAULT_SAMPLE})")
    parser.add_argument("--mlopsc", help="path of the mlopsc executable (default: next to this interpreter, else PATH)")
    parser.add_argument("--keep", action="store_true", help="keep the generated monorepo and outputs (path printed)")
    parser.add_argument("--baseline-mlopsc", metavar="PATH",
                        help="another installed mlopsc (e.g. main's) timed in the same run, for before/after ratios")
    args = parser.parse_args()
    runs = args.runs or (5 if args.quick else 21)
    models = args.models or (100 if args.quick else 500)
    mono_runs = args.mono_runs or (1 if args.quick else 3)

    mlopsc = find_mlopsc(args.mlopsc)
    python = interpreter_of(mlopsc)
    version = subprocess.run([str(mlopsc), "--version"], capture_output=True, text=True).stdout.strip()
    print(f"mlopsc benchmark: {mlopsc} ({version})")
    print(f"  interpreter {python} (Python {platform.python_version()} here), {os.cpu_count()} CPUs, "
          f"{platform.system()} {platform.release()}")
    print(f"  medians of {runs} runs after 1 warm-up; monorepo: {models} copies of samples/{args.sample}, "
          f"median of {mono_runs} run(s)\n")

    work = Path(tempfile.mkdtemp(prefix="mlopsc-bench-"))
    try:
        out = work / "out"

        def clean_out():
            shutil.rmtree(out, ignore_errors=True)

        # ---------------------------------------------------------------- 1. start-up
        base_argv = [python, "-c", "pass"]
        base = repeat(base_argv, runs)
        base_s = median_s(base)
        helps = repeat([str(mlopsc), "--help"], runs)
        help_s = median_s(helps)

        # ---------------------------------------------------------------- 2. one model
        one_argv = [str(mlopsc), "compile", str(SAMPLES / args.sample), "--platform", str(PLATFORM_FILE), "-o", str(out)]
        ones = repeat(one_argv, runs, before=clean_out)
        one_s = median_s(ones)
        proofs = verify_seconds(python, SAMPLES / args.sample, runs)
        verify_s, verify_cpu_s = statistics.median(w for w, _ in proofs), statistics.median(c for _, c in proofs)

        # ---------------------------------------------------------------- 4a. memory, small processes
        # Separate runs through GNU time, so that the timings above carry no wrapper.
        memory_runs = 3
        base_rss = max_rss_mib(repeat(base_argv, memory_runs, warmup=0, rss=True))
        one_rss = max_rss_mib(repeat(one_argv, memory_runs, before=clean_out, warmup=0, rss=True))

        # ---------------------------------------------------------------- 3. monorepo
        mono = work / "monorepo"
        started = time.perf_counter()
        names = generate_monorepo(mono, models, args.sample)
        generated_s = time.perf_counter() - started
        lengths = sorted(len(n) for n in names)
        validate_argv = [str(mlopsc), "validate", str(mono), "--platform", str(PLATFORM_FILE)]
        mono_argv = [str(mlopsc), "compile", str(mono), "--platform", str(PLATFORM_FILE), "-o", str(out)]
        validates = repeat(validate_argv, mono_runs)
        # Timed through GNU time as well (4b): its ~1 ms is nothing next to seconds.
        monos = repeat(mono_argv, mono_runs, before=clean_out, rss=True)
        written = sum(1 for _ in out.glob("*/*/manifest.json"))
        if written != models:
            sys.exit(f"bench: the monorepo compile wrote {written} model environments, expected {models}")
        validate_s, mono_s, mono_rss = median_s(validates), median_s(monos), max_rss_mib(monos)
        times_n = one_s * models
        mono_target = TARGET_500_MODELS_S * models / 500

        # ---------------------------------------------------------------- report
        print("Time (wall clock, whole process)")
        header()
        row("python -c pass  [baseline]", f"{base_s:.3f} s", "", "")
        row("mlopsc --help", f"{help_s:.3f} s", f"{base_s:.3f} s", f"{help_s / base_s:.1f}x",
            f"{TARGET_STARTUP_S} s", verdict(help_s, TARGET_STARTUP_S))
        row(f"mlopsc compile samples/{args.sample}", f"{one_s:.3f} s", f"{base_s:.3f} s", f"{one_s / base_s:.1f}x",
            f"{TARGET_ONE_MODEL_S} s", verdict(one_s, TARGET_ONE_MODEL_S))
        row("  of which: verify (its proof)", f"{verify_s * 1000:.1f} ms", f"{one_s:.3f} s",
            f"{verify_s / one_s:.0%}", f"{TARGET_VERIFY_S * 1000:.0f} ms", verdict(verify_s, TARGET_VERIFY_S))
        row("  (its CPU time)", f"{verify_cpu_s * 1000:.1f} ms", "", "")
        print()
        print(f"Monorepo: {models} models (name lengths {lengths[0]}..{lengths[-1]}, median {statistics.median(lengths):.0f}), "
              f"generated in {generated_s:.1f} s")
        header()
        row(f"mlopsc validate ({models} models)  [baseline a]", f"{validate_s:.2f} s", "", "")
        row(f"{models} x one-model compile  [baseline b]", f"{times_n:.2f} s", "", "")
        label = f"mlopsc compile ({models} models)"
        target = f"{mono_target:g} s" + ("" if models == 500 else "*")
        row(label, f"{mono_s:.2f} s", f"a {validate_s:.2f} s", f"{mono_s / validate_s:.2f}x", target, verdict(mono_s, mono_target))
        row("", "", f"b {times_n:.2f} s", f"{mono_s / times_n:.2f}x")
        row("  per model (compile)", f"{mono_s / models * 1000:.1f} ms", f"{one_s * 1000:.0f} ms", f"{mono_s / models / one_s:.2f}x")
        row("  per model (compile - validate)", f"{(mono_s - validate_s) / models * 1000:.1f} ms", "", "")
        if models != 500:
            print(f"  * target scaled from {TARGET_500_MODELS_S:g} s for 500 models")
        print()
        how = "GNU time %M" if TIME else "wait4 rusage: UPPER BOUNDS, they include the bench's own RSS at fork"
        print(f"Peak memory (max RSS of the process; {how}; max of {memory_runs} runs, monorepo of {mono_runs})")
        header()
        row("python -c pass  [baseline]", f"{base_rss:.1f} MiB", "", "")
        row(f"mlopsc compile samples/{args.sample}", f"{one_rss:.1f} MiB", f"{base_rss:.1f} MiB", f"{one_rss / base_rss:.1f}x")
        row(f"mlopsc compile ({models} models)", f"{mono_rss:.1f} MiB", f"{base_rss:.1f} MiB", f"{mono_rss / base_rss:.1f}x")
        print()
        sdk_s, sdk_mib = REFERENCE_SDK
        print(f"Reference (constant, not measured here): the `stepfunctions` SDK takes {sdk_s} s and {sdk_mib} MiB "
              f"to build and print one comparable workflow")
        print(f"  -> one-model compile: {sdk_s / one_s:.1f}x faster, {sdk_mib / one_rss:.1f}x less memory than that reference")
        spread = lambda rs: f"{min(r.seconds for r in rs):.3f}..{max(r.seconds for r in rs):.3f} s"  # noqa: E731
        print(f"\nSpread (min..max): python -c pass {spread(base)}, --help {spread(helps)}, one-model compile {spread(ones)}, "
              f"monorepo compile {spread(monos)}")
        if args.baseline_mlopsc:
            this = {"one": one_s, "validate": validate_s, "compile": mono_s}
            series = {"one": (one_argv, runs, clean_out), "validate": (validate_argv, mono_runs, None),
                      "compile": (mono_argv, mono_runs, clean_out)}
            before_after(find_mlopsc(args.baseline_mlopsc), mlopsc, series, this, models, args.sample)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
