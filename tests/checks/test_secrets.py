"""Rule secret-in-config: a secret-looking value is refused wherever a user writes it (every
string can end up in a generated file), its value never printed; ordinary values pass.

The kinds are those an adversarial review found missed (issue 15, item 7); the detection is
detect-secrets' plugins plus entropy (see compiler/checks/rules/secrets_in_config.py)."""

import json
import string
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.checks.rules import secrets_in_config as rule
from helpers import SAMPLES

# Built from parts, so that this file itself holds no scannable literal secret.
SECRETS = {
    "github classic token": "ghp_" + "a1B2c3D4e5" * 3 + "f6G7h8",
    "github fine-grained token": "github_pat_11ABCDEFG0" + "abcdefghijkl_abcdefghijklmnopqrstuvwxyz" + "ABCDEFGHIJKLMNOPQRSTUVWXY01234",
    "aws access key id": "AKIA" + "IOSFODNN7EXAMPLE",
    "aws secret access key": "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY",
    "slack bot token": "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "slack webhook url": "https://hooks.slack.com/services/" + "T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "s3 presigned url": ("https://b.s3.amazonaws.com/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=3600"
                         "&X-Amz-SignedHeaders=host&X-Amz-Signature="
                         + "3f0c7b7f8d2a9e1b4c6d5e8f7a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9"),
    "private key": "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
    "jwt": ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9." + "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0."
            + "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"),
    "base64 high entropy": "Zm9vYmFyYmF6cXV4MTIz" + "NDU2Nzg5MGFiY2RlZmdoaWprbG1u",
    "hex high entropy": "9f86d081884c7d65" + "9a2feaa0c55ad015",
    "credentials in a url": "postgres://app:" + "s3cr3tpw@db:5432/x",
    "stripe key": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "gitlab token": "glpat-" + "AbCdEfGhIjKlMnOpQrSt",
    "openai key": "sk-proj-" + "Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0fGh3iJk6lMn9oPq",
    "password flag": "--password=" + "hunter2",
}

# Where a user writes strings: (replacements of BASE_CONFIG lines, append, reported path).
def _env(v):
    return {"replace": {"    LOG_LEVEL: info\n": f"    LOG_LEVEL: {v}\n"}}, "stage_defaults.environment.LOG_LEVEL"


def _build_arg(v):
    return ({"replace": {"    dockerfile: Dockerfile\n": f"    {{dockerfile: Dockerfile, build_args: {{ARG: {v}}}}}\n"}},
            "runtimes.app.build_args.ARG")


def _command_argument(v):
    return ({"replace": {"        command: [python, train.py]\n": f"        command: [python, train.py, {v}]\n"}},
            "pipelines.retrain.stages.train.command[2]")


def _hyperparameter(v):
    return {"replace": {"        cpu: 1024\n": f"        hyperparameters: {{lr: {v}}}\n"}}, "pipelines.retrain.stages.train.hyperparameters.lr"


def _test_command(v):
    return {"append": f"build:\n  test_commands: [{v}]\n"}, "build.test_commands[0]"


LOCATIONS = {"environment": _env, "build_args": _build_arg, "command": _command_argument,
             "hyperparameters": _hyperparameter, "test_commands": _test_command}


@pytest.mark.parametrize("location", sorted(LOCATIONS))
@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_secret_is_refused_wherever_it_is_written(repo, kind, location):
    secret = SECRETS[kind]
    edit, path = LOCATIONS[location](json.dumps(secret))
    out = repo.validate(**edit)
    problem = out.only("secret-in-config")
    assert problem.path == path
    assert problem.message.startswith("the value looks like a secret: ")
    for line in secret.splitlines():
        assert line.split("=")[-1] not in out.output


ORDINARY = [
    "s3://demo-data/raw/2024/01/features.parquet",
    "s3://fraud-scoring-data-111111111111-eu-west-1/features/2024-01-01/part-0000.parquet",
    "arn:aws:iam::111111111111:role/mlops-train",
    "arn:aws:secretsmanager:eu-west-1:111111111111:secret:api-AbCdEf",
    "arn:aws:kms:eu-west-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "111111111111.dkr.ecr.eu-west-1.amazonaws.com/fraud/train@sha256:"
    + "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "python -m train --epochs 10 --lr 0.01 --token-file /run/secrets/token",
    "pytest -q tests/ -k 'not slow'",
    "subnet-0123456789abcdef0",
    "sg-0a1b2c3d4e5f67890",
    "https://example.com/data/v1/features.csv",
    "3f2a9c1b7e8d4f6a0b5c2d9e1f7a3b4c8d6e0f12",  # a git commit id
    "123e4567-e89b-12d3-a456-426614174000",
    "--password-file=/run/secrets/db",
    "DB_PASSWORD=$DB_PASSWORD",
    "ml.m5.xlarge",
    "--max-tokens 512",
    "--tokenizer bert-base-uncased",
    "TOKEN_FILE=/run/secrets/token",
]


@pytest.mark.parametrize("location", sorted(LOCATIONS))
def test_ordinary_values_are_not_secrets(repo, location):
    for value in ORDINARY:
        edit, _ = LOCATIONS[location](json.dumps(value))
        out = repo.validate(**edit)
        assert (out.exit_code, out.problems) == (0, []), value


def test_a_name_that_only_contains_a_secrets_word_is_not_a_secret(repo):
    out = repo.validate(replace={"        cpu: 1024\n": "        hyperparameters: {max_tokens: '512', tokenizer: bert}\n",
                                 "    LOG_LEVEL: info\n": "    {LOG_LEVEL: info, MAX_TOKENS: '512', SECRET_NAME: db}\n"})
    assert (out.exit_code, out.problems) == (0, [])


def test_a_value_under_secrets_is_where_it_belongs(repo):
    out = repo.validate(append="        secrets: {API_KEY: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:api-AbCdEf'}\n")
    assert (out.exit_code, out.problems) == (0, [])


# --- detect-secrets is imported only when a string could be reported ---------------------------------
# The rule searches a copy of the plugins' expressions and bounds the entropy first (speed: the import
# costs about 0.1 s per process). These tests prove that the shortcut cannot miss what the plugins find.

def test_secret_patterns_are_those_of_the_installed_detect_secrets():
    """Stale when detect-secrets changed: run python -m compiler.checks.secret_patterns."""
    from compiler.checks import secret_patterns

    shipped = Path(secret_patterns.__file__).with_name(secret_patterns.DATA_FILE).read_text(encoding="utf-8")
    assert shipped == secret_patterns.generate()


def test_each_plugin_used_reports_only_what_its_expressions_find():
    """A plugin overriding analyze_string must be read, then added here: the shortcut relies on
    every plugin yielding only matches of its `denylist` (JWT keeps only well-formed ones;
    Private Key picks a group of each match)."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    reviewed_filters = {"JSON Web Token", "Private Key"}
    for kind, plugin_class in get_mapping_from_secret_type_to_class().items():
        if kind in rule._NOT_AS_PLUGINS:
            continue
        assert issubclass(plugin_class, RegexBasedDetector), kind
        own = plugin_class.analyze_string is RegexBasedDetector.analyze_string
        assert own or kind in reviewed_filters, f"{kind} overrides analyze_string: review it"


def test_tokens_are_within_the_entropy_plugins_charsets():
    # The entropy bound log2(distinct characters) holds only for strings made of the charset.
    plugins = rule._entropy_plugins()
    assert rule._TOKEN.fullmatch(TOKEN_CHARACTERS)
    assert not any(rule._TOKEN.search("A" * 20 + chr(c)).group() != "A" * 20
                   for c in range(0x2000) if chr(c) not in TOKEN_CHARACTERS)
    assert set(TOKEN_CHARACTERS) <= set(plugins["base64"].charset)
    assert set(string.hexdigits) <= set(plugins["hex"].charset)


def _without_shortcut(value: str, name: str = "") -> str:
    with mock.patch.multiple(rule, _a_plugin_may_match=lambda text: True,
                             _entropy_may_exceed_limit=lambda token, charset: True):
        return rule.secret_kind(value, name)


TOKEN_CHARACTERS = string.ascii_letters + string.digits + "+/_-="
words = st.one_of(st.sampled_from(sorted(SECRETS.values()) + ORDINARY),
                  st.text(alphabet=TOKEN_CHARACTERS, min_size=18, max_size=90),
                  st.text(alphabet=string.hexdigits, min_size=18, max_size=70),
                  st.text(max_size=30))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(words, min_size=1, max_size=3), separator=st.sampled_from([" ", "", "=", ":", "/", "\n"]),
       cut=st.integers(0, 200))
def test_the_shortcut_reports_what_the_plugins_report(parts, separator, cut):
    value = separator.join(parts)
    for candidate in (value, value[cut:], value[:cut]):
        assert rule.secret_kind(candidate) == _without_shortcut(candidate)


@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_the_shortcut_lets_every_known_secret_through(kind):
    assert rule.secret_kind(SECRETS[kind]) == _without_shortcut(SECRETS[kind]) != ""


def test_validating_a_config_without_secrets_does_not_import_detect_secrets():
    script = ("import sys; from compiler import api; v = api.validate(sys.argv[1:2], sys.argv[2]); "
              "assert v.ok, v.problems; print('detect_secrets' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", script, str(SAMPLES / "demand-forecast"),
                           str(SAMPLES / "mlops-platform.yaml")], capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout.strip()) == (0, "False"), done.stderr
