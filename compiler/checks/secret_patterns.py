"""The regular expressions of detect-secrets' plugins and its entropy limits, shipped as data.

Importing detect-secrets costs about 0.1 s per process (it imports `requests`), more than the rest
of a one-model validate. Its regex plugins yield only what their `denylist` expressions find, so a
string none of those expressions matches cannot be reported by any of them; the rule
secret-in-config searches these copies first and imports detect-secrets only for a string one of
them matches (compiler/checks/rules/secrets_in_config.py). The entropy plugins need no copy: a
string's Shannon entropy is at most log2 of its number of distinct characters.

`python -m compiler.checks.secret_patterns` rewrites secret_patterns.json from the installed
detect-secrets (pinned in setup.cfg); tests/checks/test_secrets.py fails while it is stale.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from pathlib import Path

DATA_FILE = "secret_patterns.json"


@functools.lru_cache(maxsize=None)
def load() -> dict:
    """{"plugins": {secret type: [[pattern, flags], ...]}, "entropy_limits": {"base64": .., "hex": ..}}"""
    return json.loads(resources.files("compiler.checks").joinpath(DATA_FILE).read_text(encoding="utf-8"))


def generate() -> str:
    """The file's text, from the installed detect-secrets."""
    from importlib.metadata import version

    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString, HexHighEntropyString

    classes = get_mapping_from_secret_type_to_class()
    document = {
        "source": f"detect-secrets {version('detect-secrets')}",
        "regenerate": "python -m compiler.checks.secret_patterns",
        "plugins": {kind: [[regex.pattern, regex.flags] for regex in getattr(classes[kind](), "denylist", ())]
                    for kind in sorted(classes)},
        "entropy_limits": {"base64": Base64HighEntropyString().entropy_limit,
                           "hex": HexHighEntropyString().entropy_limit},
    }
    return json.dumps(document, indent=1, sort_keys=True) + "\n"


def main() -> None:
    path = Path(__file__).with_name(DATA_FILE)
    path.write_text(generate(), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
