"""Read the files mlopsc is given, bounded: every config, platform file, images.json and OUT file
goes through `read_bytes_bounded`, so that no input can make mlopsc wait or grow without end.

- Only a regular file is read (symbolic links followed). A FIFO would block until someone writes
  to it, a device such as /dev/zero never ends, a directory is no file: each is refused by what
  it is, before a byte is read. The file is opened without blocking (O_NONBLOCK), so opening a
  FIFO cannot hang either, and what it is comes from the open descriptor (fstat), so the file
  cannot be swapped between the check and the read.
- At most `limit` bytes are read, whatever the size said beforehand: a file that grows while it
  is read is refused too.

Callers turn `UnreadableFile` into their own error (a located config problem, an apply or diff
usage error); its message names the file and its hint says what to do.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from compiler.errors import InputError

#: A file `mlopsc compile` wrote. Step Functions takes a definition of at most 1 MiB (Step Functions
#: Developer Guide, "Step Functions service quotas": maximum request size), sent minified; the
#: file is indented, and no other output comes near. The largest sample output is 64 KiB.
COMPILED_OUTPUT_BYTES = 8 << 20
#: The build stage's images.json: one line per runtime.
IMAGES_BYTES = 1 << 20
_CHUNK = 1 << 16
#: How a file that is not a regular file is named in messages.
_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


class UnreadableFile(InputError):
    """A file that is missing, not a regular file, or over its limit: `str()` names the file."""

    def __init__(self, path: Path, problem: str, hint: str):
        super().__init__(f"{path}: {problem}", hint)
        self.path = path
        self.problem = problem  # without the file's name, for callers that locate it themselves


def read_bytes_bounded(path: Path, limit: int, what: str) -> bytes:
    """The content of the regular file at `path`, at most `limit` bytes; `what` names the file's
    role in messages ("config", "images.json", "compiled output")."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as error:
        raise UnreadableFile(path, f"cannot be read: {error.strerror}",
                             f"check the path and the permissions of the {what}") from None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFile(path, f"is {_kind(info.st_mode)}, not a regular file",
                                 f"the {what} must be a regular file (a symbolic link to one is followed)")
        if info.st_size > limit:
            raise _too_large(path, f"{info.st_size:,} bytes", limit, what)
        content = _read_at_most(descriptor, limit + 1)
    except OSError as error:
        raise UnreadableFile(path, f"cannot be read: {error.strerror}",
                             f"check the path and the permissions of the {what}") from None
    finally:
        os.close(descriptor)
    if len(content) > limit:  # it grew while it was read
        raise _too_large(path, f"more than {limit:,} bytes", limit, what)
    return content


def _too_large(path: Path, size: str, limit: int, what: str) -> UnreadableFile:
    return UnreadableFile(path, f"file is {size}; a {what} is limited to {limit:,} bytes",
                          f"a {what} is far smaller: is this the right file?")


def read_text_bounded(path: Path, limit: int, what: str) -> str:
    """As read_bytes_bounded, decoded as UTF-8 (a file that is not is refused)."""
    content = read_bytes_bounded(path, limit, what)
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnreadableFile(path, f"is not UTF-8 (byte 0x{content[error.start]:02x} at offset {error.start})",
                             f"the {what} is text in UTF-8: is this the right file?") from None


def _read_at_most(descriptor: int, count: int) -> bytes:
    chunks, left = [], count
    while left > 0:
        chunk = os.read(descriptor, min(left, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "a special file")
