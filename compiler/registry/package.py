"""The registry handler's Lambda zip: byte-identical for the same mlopsc (fixed order, times and
modes), holding only the modules the handler runs (the standard library and boto3 come with
Lambda's Python runtime)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

from compiler.registry.handler import TABLE_VARIABLE

#: The function's handler, as Lambda names it.
HANDLER = "compiler.registry.handler.handler"
#: Files of the installed package that go into the zip, by their path in it.
FILES = ("compiler/__init__.py", "compiler/registry/__init__.py", "compiler/registry/items.py",
         "compiler/registry/handler.py", "compiler/registry/sagemaker_mirror.py")
_ROOT = Path(__file__).resolve().parents[2]  # the folder holding the installed `compiler` package


def handler_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in FILES:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100644 << 16
            info.create_system = 3  # unix, so the mode above is read as one
            archive.writestr(info, (_ROOT / name).read_bytes())
    return buffer.getvalue()


def handler_key() -> str:
    """Where the zip goes in its bucket: named by its content, so new code is a new key."""
    return f"mlops/registry-handler-{hashlib.sha256(handler_zip()).hexdigest()[:16]}.zip"


__all__ = ["HANDLER", "TABLE_VARIABLE", "handler_key", "handler_zip"]
