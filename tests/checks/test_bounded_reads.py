"""Every file mlopsc reads is read by compiler.files: only a regular file, at most its limit.

A config that is a link to /dev/zero used to grow memory without end (the size was checked with
stat(), then the whole file read); a FIFO named mlops.yaml blocked forever. Each reader is run
here as a real process with a short time-out, so a hang fails the test instead of the suite.
Readers: the config, the platform file (given and discovered), images.json, OUT files (apply,
diff, compile's comparison with what is there), and the Dockerfiles the checks inspect.
"""

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from helpers import mlopsc_script

pytestmark = pytest.mark.e2e  # every reader against FIFOs, /dev/zero and huge files, many through whole commands

#: Seconds a refusal may take; a blocked read would take forever.
TIME_OUT = 60
COMMIT = "0123456789abcdef0123456789abcdef01234567"


#: Address space a reader may use: an unbounded read of /dev/zero fails against it (MemoryError)
#: instead of taking the shared machine's memory.
MEMORY = 2 << 30


def _bounded_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def run_bounded(command: list, cwd: Path) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=TIME_OUT,
                              stdin=subprocess.DEVNULL, preexec_fn=_bounded_memory)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{' '.join(map(str, command))} still ran after {TIME_OUT} s: a read blocked")


def mlopsc(cwd: Path, *args) -> subprocess.CompletedProcess:
    return run_bounded([mlopsc_script(), *map(str, args)], cwd)


def make_unreadable(path: Path, kind: str) -> None:
    """Put at `path` a file mlopsc must refuse: a link to /dev/zero, a FIFO, a folder, or a
    regular file over every limit (9 MiB: configs allow 1 MiB, OUT files 8 MiB)."""
    if path.exists() or path.is_symlink():
        path.unlink()
    if kind == "dev-zero":
        path.symlink_to("/dev/zero")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    else:
        path.write_bytes(b"#" * (9 << 20))


#: What each kind is called in the error.
REFUSAL = {"dev-zero": "is a character device, not a regular file", "fifo": "is a FIFO (named pipe), not a regular file",
           "directory": "is a directory, not a regular file", "too-large": "bytes; a "}
KINDS = ("dev-zero", "fifo", "directory", "too-large")


def refused(done: subprocess.CompletedProcess, name: str, kind: str) -> None:
    output = done.stdout + done.stderr
    assert done.returncode in (1, 2), output
    assert "Traceback" not in output, output
    assert name in output and REFUSAL[kind] in output, output
    assert "hint:" in output, output


@pytest.mark.parametrize("kind", ("fifo", "too-large"))
def test_config(repo, kind):
    make_unreadable(repo.root / "mlops.yaml", kind)
    done = mlopsc(repo.root, "validate", ".", "--platform", "platform.yaml")
    refused(done, "mlops.yaml:1:1: error: (top level): file is" if kind == "too-large" else "mlops.yaml:1:1", kind)


def test_config_linked_to_a_device(repo):
    """A link to /dev/zero leads outside the repository: refused before it is opened (see
    test_outside_repository.py); the reader itself refuses it too (next test)."""
    make_unreadable(repo.root / "mlops.yaml", "dev-zero")
    done = mlopsc(repo.root, "validate", ".", "--platform", "platform.yaml")
    assert done.returncode == 1 and "mlops.yaml:1:1: error: (top level): the config is a symbolic link" in done.stdout


LOAD = """
import sys
from pathlib import Path
from compiler.load import load_file
from compiler.problems import ConfigError
try:
    load_file(Path("mlops.yaml"), "mlops.yaml")
except ConfigError as error:
    print(error.problem.file, error.problem.message, "| hint:", error.problem.hint)
"""


@pytest.mark.parametrize("kind", KINDS)
def test_the_loader_reads_only_a_regular_file_within_the_limit(tmp_path, kind):
    make_unreadable(tmp_path / "mlops.yaml", kind)
    done = run_bounded([sys.executable, "-c", LOAD], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("mlops.yaml ") and REFUSAL[kind] in done.stdout and "| hint: " in done.stdout


def test_platform_file_that_is_a_device(repo):
    """--platform outside the repository is read where it is: the reader refuses a device."""
    refused(mlopsc(repo.root, "validate", ".", "--platform", "/dev/zero"), "/dev/zero:1:1", "dev-zero")


def test_config_named_on_the_command_line(repo):
    """Named directly, a FIFO is read as a config (and refused), not reported as missing."""
    make_unreadable(repo.root / "mlops.yaml", "fifo")
    refused(mlopsc(repo.root, "compile", "mlops.yaml", "-o", "out", "--platform", "platform.yaml"),
            "mlops.yaml:1:1", "fifo")


@pytest.mark.parametrize("kind", ("fifo", "too-large"))
def test_platform_file_given(repo, kind):
    make_unreadable(repo.root / "platform.yaml", kind)
    refused(mlopsc(repo.root, "validate", ".", "--platform", "platform.yaml"), "platform.yaml:1:1", kind)


@pytest.mark.parametrize("kind", ("fifo", "directory"))
def test_platform_file_discovered(repo, kind):
    """A discovered mlops-platform.yaml that is not a regular file is refused, not passed over
    (a folder by that name is no file: it is passed over)."""
    make_unreadable(repo.root / "mlops-platform.yaml", kind)
    done = mlopsc(repo.root, "validate", ".")
    if kind == "directory":  # no platform file then: the config alone lacks the platform keys
        assert "error: platform: missing platform keys" in done.stdout and "is a directory" not in done.stdout
    else:
        refused(done, "mlops-platform.yaml:1:1", kind)


@pytest.fixture
def out(repo) -> Path:
    done = mlopsc(repo.root, "compile", ".", "-o", "out", "--platform", "platform.yaml")
    assert done.returncode == 0, done.stderr
    return repo.root / "out"


@pytest.mark.parametrize("kind", KINDS)
def test_out_file_read_by_diff(repo, out, kind):
    make_unreadable(out / "demo-model/default/pointers.json", kind)
    refused(mlopsc(repo.root, "diff", "out", "out"), "pointers.json", kind)


@pytest.mark.parametrize("kind", KINDS)
def test_out_file_read_by_apply(repo, out, kind):
    """apply reads OUT before any AWS call: the refusal needs no credentials."""
    make_unreadable(out / "demo-model/default/triggers.json", kind)
    refused(mlopsc(repo.root, "apply", "out", "--env", "default", "--dry-run"), "triggers.json", kind)


@pytest.mark.parametrize("command", (["registry", "list"], ["graph"]))
@pytest.mark.parametrize("kind", KINDS)
def test_out_file_read_by_registry_and_runs(repo, out, kind, command):
    """`registry` and the runs commands (`graph`, `run`, `status`) read OUT as apply does, first."""
    make_unreadable(out / "demo-model/default/pointers.json", kind)
    refused(mlopsc(repo.root, *command, "out", "--env", "default"), "pointers.json", kind)


@pytest.mark.parametrize("kind", ("dev-zero", "fifo", "too-large"))
def test_images_json(repo, out, kind):
    make_unreadable(repo.root / "images.json", kind)
    refused(mlopsc(repo.root, "apply", "out", "--env", "default", "--dry-run", "--images", "images.json",
                   "--commit", COMMIT, "--commit-time", "1700000000"), "images.json", kind)


@pytest.mark.parametrize("kind", ("dev-zero", "fifo", "directory"))
def test_compile_replaces_an_out_file_it_cannot_have_written(repo, out, kind):
    """compile compares OUT with its outputs: a file that is not a regular one is stale, and
    replaced, without reading it."""
    make_unreadable(out / "demo-model/default/pointers.json", kind)
    check = mlopsc(repo.root, "compile", ".", "-o", "out", "--platform", "platform.yaml", "--check")
    assert check.returncode == 1 and "would change: out/demo-model/default/pointers.json" in check.stdout, check.stderr
    done = mlopsc(repo.root, "compile", ".", "-o", "out", "--platform", "platform.yaml")
    assert done.returncode == 0, done.stderr
    assert (out / "demo-model/default/pointers.json").is_file()


def test_dockerfile(repo):
    """The checks look at the Dockerfile (never read it): it must be a regular file. (A link to
    /dev/zero leads outside the repository, which the same rule refuses already.)"""
    make_unreadable(repo.root / "Dockerfile", "fifo")
    done = mlopsc(repo.root, "validate", ".", "--platform", "platform.yaml")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "mlops.yaml:6:17: error: runtimes.app.dockerfile: must be a regular file" in done.stdout
