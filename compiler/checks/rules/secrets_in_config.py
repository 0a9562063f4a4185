"""Secret-looking values anywhere in the config are refused, without echoing them.

Every string a user writes can end up in a generated file (ASL, buildspec, pointers, task
definitions, the manifest): `environment`, `build_args`, hyper-parameters, commands, test
commands, URLs. So every string value is scanned, except under `secrets:` (which names where
secrets live). The patterns are the plugins of detect-secrets (Yelp, Apache-2.0), not a list of
our own: tokens of known services by their shape (AWS, GitHub, GitLab, Slack incl. webhook URLs,
Stripe, OpenAI, npm, PyPI, JWTs, private keys, credentials in URLs, ...), and random-looking
tokens by their Shannon entropy with detect-secrets' default limits (base64 > 4.5, hex > 3.0).
On top, one rule of ours: an entry or command-line flag named like a secret (DB_PASSWORD: x,
--token x, API_KEY=x) must not carry a literal value.

detect-secrets is imported only for a string that one of its plugins could report: a copy of
their expressions (compiler/checks/secret_patterns.py) and a bound on entropy tell first, so a
config with no secret-looking string never pays its import (about 0.1 s).
"""

import functools
import math
import re

from compiler import package_data
from compiler.checks import secret_patterns
from compiler.checks.finding import Finding

RULE = "secret-in-config"
DESCRIPTION = "No value outside `secrets:` looks like a secret"
HINT = "move it to `secrets:` as a Secrets Manager or SSM parameter ARN; the value was not printed"
#: Where secrets belong: the values there are ARNs, not secrets.
_NOT_SCANNED = frozenset({"secrets"})
#: detect-secrets plugins not used as such: a public IP is no credential; its keyword plugin wants
#: source code (`password = "x"`), our name rule below does that job for config; the entropy plugins
#: want quoted strings, so their entropy measure is applied to the tokens of each value instead.
_NOT_AS_PLUGINS = frozenset({"Public IP (ipv4)", "Secret Keyword",
                             "Base64 High Entropy String", "Hex High Entropy String"})

# A name that ends with a secret's word (DB_PASSWORD, api-key, GITHUB_TOKEN), not one that only
# contains it (MAX_TOKENS, tokenizer, TOKEN_FILE).
_SECRET_NAME = r"(?:[A-Za-z0-9]+[_-])*(?:PASSWORD|PASSWD|SECRET|TOKEN|API[_-]?KEY|ACCESS[_-]?KEY|PRIVATE[_-]?KEY|CREDENTIALS?)"
_NAMED_LIKE_SECRET = re.compile(_SECRET_NAME, re.I)
# `--password hunter2`, `--api-key=x`, `DB_PASSWORD=x` inside a command or argument.
_SECRET_FLAG = re.compile(r"(?:^|\s)(?:--?" + _SECRET_NAME + r"[= ]|" + _SECRET_NAME + r"=)(?P<value>[^\s'\"]+)", re.I)
# What names a resource or is an address rather than a credential (read: what a long random
# token may legitimately be here), cut out before the entropy test.
_NOT_CREDENTIAL = re.compile(
    r"arn:aws[\w-]*:\S*"                                                        # ARNs
    r"|sha256:[0-9a-f]{64}"                                                     # image digests
    r"|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"        # UUIDs
    r"|\b(?:subnet|sg|vpc|vpce|eni|i|ami|vol|snap|fs|fsap|key|lt)-[0-9a-f]{8,17}\b"  # EC2 ids
    r"|\b[0-9a-f]{40}\b"                                                        # git commit ids
)
# A run of base64/base64url characters long enough to be a key ("=" only as padding, so that
# `X-Amz-Signature=<hex>` yields the signature on its own).
_TOKEN = re.compile(r"[A-Za-z0-9+/_-]{20,}={0,2}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_LITERAL_FREE = ("arn:", "/", "s3://", "$")  # a reference to where the value is, not the value


def check(context):
    schema_keys = _schema_keys()
    for path, value in _strings(context.config, ()):
        user_named = isinstance(path[-1], str) and path[-1] not in schema_keys
        kind = secret_kind(value, path[-1] if user_named else "")
        if kind:
            yield Finding(path, f"the value looks like a secret: {kind}", HINT, RULE)


def secret_kind(value: str, name: str = "") -> str:
    """What kind of secret `value` (named `name` by the user, if it is a map entry) looks like, or ""."""
    text = _NOT_CREDENTIAL.sub(" ", value)
    if _a_plugin_may_match(text):
        for plugin in _plugins():
            if any(True for _ in plugin.analyze_string(text)):
                return plugin.secret_type
    for token in _TOKEN.findall(text):
        charset = "hex" if _HEX.fullmatch(token) else "base64"
        if not _entropy_may_exceed_limit(token, charset):
            continue
        plugin = _entropy_plugins()[charset]
        if plugin.calculate_shannon_entropy(token) > plugin.entropy_limit:
            return plugin.secret_type
    if name and _NAMED_LIKE_SECRET.fullmatch(name) and value and not value.startswith(_LITERAL_FREE):
        return f"{name} is named like a secret"
    if any(not match["value"].startswith(_LITERAL_FREE) for match in _SECRET_FLAG.finditer(value)):
        return "a flag or variable named like a secret"
    return ""


def _strings(node, path):
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            if key not in _NOT_SCANNED:
                yield from _strings(value, path + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, path + (index,))


@functools.lru_cache(maxsize=None)
def _schema_keys() -> frozenset:
    """Keys the schema names (`image`, `command`, ...): any other key was named by the user
    (an environment variable, a build arg, a hyper-parameter, a tag)."""
    names = set()
    stack = [package_data.schema()]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            names.update(node.get("properties") or ())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return frozenset(names)


def _a_plugin_may_match(text: str) -> bool:
    """False only when no expression of the plugins used matches `text`: each of them yields only
    what its expressions find (RegexBasedDetector.analyze_string, or a filter of it)."""
    return any(expression.search(text) for expression in _plugin_expressions())


@functools.lru_cache(maxsize=None)
def _plugin_expressions() -> tuple:
    plugins = secret_patterns.load()["plugins"]
    return tuple(re.compile(pattern, flags) for kind in sorted(plugins) if kind not in _NOT_AS_PLUGINS
                 for pattern, flags in plugins[kind])


def _entropy_may_exceed_limit(token: str, charset: str) -> bool:
    """False only when `token` cannot pass the entropy plugin's limit: the Shannon entropy of a
    string whose characters are all in the plugin's charset is at most log2(distinct characters)
    (the hex plugin only lowers it, for digits). The margin keeps rounding on the safe side."""
    return math.log2(len(set(token))) > secret_patterns.load()["entropy_limits"][charset] - 1e-6


@functools.lru_cache(maxsize=None)
def _plugins() -> tuple:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    classes = get_mapping_from_secret_type_to_class()
    return tuple(classes[kind]() for kind in sorted(classes) if kind not in _NOT_AS_PLUGINS)


@functools.lru_cache(maxsize=None)
def _entropy_plugins() -> dict:
    from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString, HexHighEntropyString
    return {"base64": Base64HighEntropyString(), "hex": HexHighEntropyString()}
