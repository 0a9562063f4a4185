"""`mlopsc compile` is all or nothing even when killed (SIGKILL): OUT is the old outputs or the new
ones, never a mix, and the next compile succeeds and leaves no staging folder behind.

Before, a kill left `OUT/.mlopsc-*` staging folders that no run removed, and a kill during the
swap left some `<model>/<env>` folders new and the others old (the README promised all or
nothing). compiler/write.py now commits a journal with one rename; see its docstring.

The compile is killed at moments spread evenly over its measured duration, and (the swap takes
milliseconds, which timed kills rarely hit) by a compile that kills itself at chosen steps of
staging and swapping: before the first file is staged, halfway, before the journal's commit,
right after it, between moving an old directory aside and moving the new one in, and before
the last move. After each kill:

- without a journal, OUT (staging folders aside) is exactly the old outputs, or the new ones if
  the compile had finished;
- with a journal (killed while swapping), what a reader would see is refused (`--check`), and
  completing the journal (what the next compile does first) gives exactly the new outputs;
- the next compile (its write step, with the same outputs) succeeds, OUT is the new outputs,
  and nothing named `.mlopsc-*` is left.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from compile_helpers import SAMPLES_PLATFORM, mlopsc_executable, tree

from compiler import api
from compiler.artifacts import write

pytestmark = pytest.mark.e2e  # compiles killed mid-write, in subprocesses

MODELS = 8
ENVIRONMENTS = ("dev", "stage", "prod-eu", "prod-us")
#: Kills spread evenly over the measured duration of a compile.
TIMED_KILLS = 32

CONFIG = """\
version: 1
model:
  name: {name}
runtimes:
  app:
    dockerfile: Dockerfile
stage_defaults:
  runtime: app
  timeout: {timeout}
pipelines:
  retrain:
    data:
      source: "s3://demo-data/raw/"
    stages:
      train:
        command: [python, train.py]
        cpu: 1024
        memory: 2048
environments:
{environments}"""


def write_models(root: Path, timeout: str) -> None:
    environments = "".join(f"  {name}: {{}}\n" for name in ENVIRONMENTS)
    for index in range(MODELS):
        folder = root / f"model-{index:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "Dockerfile").write_text("FROM python:3.12-slim\n")
        (folder / "mlops.yaml").write_text(CONFIG.format(name=f"model-{index:02d}", timeout=timeout,
                                                         environments=environments))


def outputs_of(root: Path) -> dict:
    compilation = api.compile_outputs([str(root)], str(SAMPLES_PLATFORM))
    assert compilation.validation.ok, compilation.validation.problems
    return compilation.outputs


def visible(out: Path) -> dict:
    """OUT's files, staging folders and journal aside."""
    return {path: content for path, content in tree(out).items() if not path.startswith(write.PREFIX)}


def debris(out: Path) -> list:
    return sorted(path.name for path in out.glob(f"{write.PREFIX}*"))


@pytest.fixture(scope="module")
def states(tmp_path_factory) -> dict:
    """Models compiled with `timeout: 30m` (old OUT) and their sources edited to 45m (new)."""
    root = tmp_path_factory.mktemp("killed")
    models = root / "models"
    write_models(models, "30m")
    old_out = root / "old"
    write.write(old_out, outputs_of(models))
    write_models(models, "45m")
    new_outputs = outputs_of(models)
    new_out = root / "new"
    write.write(new_out, new_outputs)
    old, new = tree(old_out), tree(new_out)
    assert len(old) == len(new) == MODELS * len(ENVIRONMENTS) * len(next(iter(new_outputs.values())))
    assert all(old[path] != new[path] for path in old if path.endswith("retrain.asl.json"))
    return {"root": root, "models": models, "old_out": old_out, "old": old, "new": new, "new_outputs": new_outputs}


def start_compile(states: dict, out: Path) -> subprocess.Popen:
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(states["old_out"], out)
    command = [mlopsc_executable(), "compile", str(states["models"]), "--platform", str(SAMPLES_PLATFORM), "-o", str(out)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def measure_duration(states: dict) -> float:
    """Seconds an undisturbed compile of the new sources over the old OUT takes."""
    out = states["root"] / "measured"
    started = time.monotonic()
    process = start_compile(states, out)
    process.wait()
    assert process.returncode == 0 and visible(out) == states["new"]
    return time.monotonic() - started


def kill_after(process: subprocess.Popen, moment: float) -> None:
    time.sleep(moment)
    process.send_signal(signal.SIGKILL)
    process.wait()


#: A compile that SIGKILLs itself just before the n-th call of os.replace (the journal's commit is
#: the first, then two per directory: the old one aside, the new one in) or of Path.write_bytes
#: (staging the outputs). The swap takes milliseconds, less than the jitter of a process's
#: start: these kills land on every step of it, where timed ones rarely do.
SELF_KILLING = """
import os, signal, sys
from pathlib import Path
from compiler.cli import cli

which, at = sys.argv[1], int(sys.argv[2])
owner, name = (os, "replace") if which == "replace" else (Path, "write_bytes")
real, calls = getattr(owner, name), [0]

def counted(*args):
    calls[0] += 1
    if calls[0] == at:
        os.kill(os.getpid(), signal.SIGKILL)
    return real(*args)

setattr(owner, name, counted)
cli.main(sys.argv[3:])
"""


def start_self_killing(states: dict, out: Path, which: str, at: int) -> subprocess.Popen:
    start_compile(states, out).kill()  # only its copy of the old OUT is wanted
    command = [sys.executable, "-c", SELF_KILLING, which, str(at),
               "compile", str(states["models"]), "--platform", str(SAMPLES_PLATFORM), "-o", str(out)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def judge(states: dict, out: Path, when: str, seen: dict) -> None:
    """OUT after a kill is old or new (a journal: completed, new); the next write leaves it new, clean."""
    after = visible(out)
    if (out / write.JOURNAL).exists():
        with pytest.raises(write.UnfinishedWrite):  # readers refuse it meanwhile
            write.stale_files(out, states["new_outputs"])
        write.recover(out)  # what the next compile does first
        assert visible(out) == states["new"], f"killed {when}: the journal did not complete to the new outputs"
        seen["swapping: completed to new"] += 1
    elif after == states["old"]:
        seen["old"] += 1
    else:
        assert after == states["new"], f"killed {when}: OUT is neither the old nor the new outputs"
        seen["new"] += 1
    write.write(out, states["new_outputs"])  # the next compile's write step
    assert visible(out) == states["new"] and debris(out) == [], f"killed {when}: debris {debris(out)}"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_killed_compile_leaves_out_old_or_new(states):
    duration = measure_duration(states)
    out = states["root"] / "out"
    seen = {"old": 0, "swapping: completed to new": 0, "new": 0}
    times = [duration * 1.05 * (step + 0.5) / TIMED_KILLS for step in range(TIMED_KILLS)]
    for moment in times:
        kill_after(start_compile(states, out), moment)
        judge(states, out, f"at {moment:.3f}s", seen)
    timed = dict(seen)
    directories = len(states["new_outputs"])
    files = sum(len(files) for files in states["new_outputs"].values())
    steps = [("write_bytes", at) for at in (1, files // 2, files)]
    steps += [("replace", at) for at in (1, 2, 3, 4, 5, directories, directories + 1, 2 * directories, 2 * directories + 1)]
    for which, at in steps:
        process = start_self_killing(states, out, which, at)
        assert process.wait() == -signal.SIGKILL, f"the compile did not reach {which} #{at}"
        judge(states, out, f"before {which} #{at}", seen)
    print(f"\n{len(times)} kills timed over {duration:.2f}s: {timed}; {len(steps)} more at steps of staging "
          f"and swapping: {dict((k, seen[k] - timed[k]) for k in seen)}")
    assert len(times) >= 30
    assert seen["old"] >= 3 and seen["swapping: completed to new"] >= 8, seen


def test_next_compile_removes_staging_left_by_a_kill(states, tmp_path):
    """Staging folders of a kill before the commit point (and those the previous mlopsc left,
    `.mlopsc-old-*`) are removed by the next compile; OUT's own files are untouched."""
    out = tmp_path / "out"
    shutil.copytree(states["old_out"], out)
    for name in (".mlopsc-abc123/new-0", ".mlopsc-old-xyz/old-0"):
        (out / name).mkdir(parents=True)
        (out / name / "retrain.asl.json").write_text("{}\n")
    done = subprocess.run([mlopsc_executable(), "compile", str(states["models"]), "--platform", str(SAMPLES_PLATFORM),
                           "-o", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert debris(out) == [] and visible(out) == states["new"]


def test_readers_refuse_an_out_with_an_unfinished_journal(states, tmp_path):
    """apply and diff read OUT: between the commit point and the last move they would see a mix."""
    out = tmp_path / "out"
    shutil.copytree(states["old_out"], out)
    (out / write.JOURNAL).write_text('{"staging": ".mlopsc-x", "moves": []}')
    for command in (["diff", str(out), str(out)], ["apply", str(out), "--env", "dev", "--dry-run"],
                    ["compile", str(states["models"]), "--platform", str(SAMPLES_PLATFORM), "-o", str(out), "--check"]):
        done = subprocess.run([mlopsc_executable(), *command], capture_output=True, text=True)
        assert done.returncode == 2, done.stdout + done.stderr
        assert "holds an unfinished compile" in done.stderr and "hint: run `mlopsc compile" in done.stderr, done.stderr
    os.remove(out / write.JOURNAL)
