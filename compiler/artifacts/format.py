"""How OUT's files are serialised, and the version of that format (diff/apply refuse others)."""

from __future__ import annotations

import hashlib
import json

import yaml

MANIFEST = "manifest.json"
#: Bump when the layout or meaning of the output files changes; diff/apply refuse others.
FORMAT_VERSION = 1


def to_json(data) -> str:
    """Output JSON: 2-space indent, keys in the order the renderer built them, final newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def to_yaml(data) -> str:
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when present: same text, 10x faster
    return yaml.dump(data, Dumper=dumper, sort_keys=False, default_flow_style=False, allow_unicode=True, width=1000)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
