"""Running a test's work in a fork of the test process (copy-on-write).

A module builds one moto account (compile, `mlopsc apply`, the registry steps a scenario needs)
and each test then runs in a fork of the process: it starts from that account exactly as it was
built, and whatever it changes there (executions, items, monkeypatches) dies with the fork, so
no test sees another's. Building the account once per module instead of once per test is most of
the e2e tier's time (issue s19). moto keeps its backends in the process and runs executions in
threads: a fork is taken only when no execution runs (the account's builder awaits them all).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import tempfile
import traceback
from pathlib import Path
from typing import Callable, ContextManager, Optional

import pytest


def in_fork(work: Callable[[], object]):
    """`work()` in a fork of this process: it sees the process's state (moto's account) as it is
    now, and what it changes there dies with it. Returns work's result, or fails the test with its
    error (the child's traceback, as text)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read)
        try:
            outcome = ("ok", work())
        except pytest.skip.Exception as skipped:  # a skip in the fork skips the test
            outcome = ("skipped", str(skipped.msg))
        except BaseException:  # noqa: BLE001 - everything goes back to the test
            outcome = ("failed", traceback.format_exc())
        try:
            data = pickle.dumps(outcome)
        except Exception:  # noqa: BLE001
            data = pickle.dumps(("failed", f"unpicklable result: {outcome!r}"[:4000]))
        with os.fdopen(write, "wb") as pipe:
            pipe.write(data)
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    if not data:
        pytest.fail("the test's process died without an answer", pytrace=False)
    status, value = pickle.loads(data)
    if status == "skipped":
        pytest.skip(value)
    if status != "ok":
        pytest.fail(value, pytrace=False)
    return value


def run_test_in_fork(item) -> bool:
    """pytest_pyfunc_call for a test marked `in_fork`: its body (fixtures already set up, in this
    process) runs in a fork."""
    if item.get_closest_marker("in_fork") is None:
        return False
    arguments = {name: item.funcargs[name] for name in item._fixtureinfo.argnames}
    in_fork(lambda: item.obj(**arguments))
    return True


@contextlib.contextmanager
def files_restored(folder: Path):
    """The files under `folder` (a module account's compiled OUT, its model repository) as they
    are now, put back when the block ends: forks share the disk, not only the memory, and a test
    that compiles and applies a later commit there must not leave it to the next test."""
    pristine = Path(tempfile.mkdtemp(prefix="pristine-"))
    shutil.copytree(folder, pristine / "copy", symlinks=True)
    try:
        yield
    finally:
        shutil.rmtree(folder)
        shutil.copytree(pristine / "copy", folder, symlinks=True)
        shutil.rmtree(pristine)


class LiveAccounts:
    """A module's shared accounts, built by name, one live at a time: moto has one set of
    backends per process, so building another account closes the one before (a module whose
    tests alternate between two accounts builds each again when its turn comes). `fresh` gives a
    test the account as it was built; the test runs in a fork (`in_fork`), and the account's
    files are put back after it (`files_restored`)."""

    def __init__(self, tmp_path_factory):
        self.tmp_path_factory = tmp_path_factory
        self.name: Optional[str] = None
        self.account = None
        self.folder: Optional[Path] = None
        self._stack: Optional[contextlib.ExitStack] = None

    def get(self, name: str, build: Callable[[pytest.MonkeyPatch, Path], ContextManager]):
        """The account `name`, built by `build(monkeypatch, tmp_path)` (a context manager giving
        the account, e.g. sfn_harness.applied) unless it is the live one."""
        if self.name != name:
            self.close()
            stack = contextlib.ExitStack()
            try:
                patch = stack.enter_context(pytest.MonkeyPatch.context())
                folder = self.tmp_path_factory.mktemp(name)
                self.account = stack.enter_context(build(patch, folder))
            except BaseException:
                stack.close()
                raise
            self._stack, self.name, self.folder = stack, name, folder
        return self.account

    @contextlib.contextmanager
    def fresh(self, name: str, build: Callable[[pytest.MonkeyPatch, Path], ContextManager]):
        account = self.get(name, build)
        with files_restored(self.folder):
            yield account

    def close(self) -> None:
        if self._stack is not None:
            stack, self._stack, self.name, self.account, self.folder = self._stack, None, None, None, None
            stack.close()
