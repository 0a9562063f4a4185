"""AWS quotas the environments of one model run into, checked by `validate` (rule service-quota,
compiler/checks/rules/service_quotas.py), at the first environment past each quota.

- CodePipeline, "Quotas in AWS CodePipeline": at most 50 stages in a pipeline; the model's
  pipeline has Source, Build and one stage per environment.
- CloudFormation, "AWS CloudFormation quotas": a template body in S3 is at most 1 MB; the model
  stack grows by about 47 KB per environment (measured below on the richest sample).

Before, 33+ environments made a model stack CloudFormation refuses, 49+ a pipeline CodePipeline
refuses, and 10,000 took 85 s and 873 MB to compile.
"""

import shutil
import time
from pathlib import Path

from helpers import BASE_CONFIG, run_cli

from compiler.bootstrap import BootstrapError, model_stack, stacks
from compiler.checks.rules import service_quotas

REPO_ROOT = Path(__file__).resolve().parents[2]
#: The first environment is on line 27 (BASE_CONFIG has 25 lines, `environments:` is line 26).
FIRST_LINE = 27


def environments(names) -> str:
    return "environments:\n" + "".join(f"  {name}: {{}}\n" for name in names)


def names(count: int, prefix: str = "env-") -> list:
    return [f"{prefix}{index:03d}" for index in range(count)]


LIMIT = service_quotas.TEMPLATE_ENVIRONMENTS


def test_environments_up_to_the_limit_are_accepted(repo):
    assert repo.validate(append=environments(names(LIMIT))).exit_code == 0


def test_the_environment_past_the_limit_is_refused_at_its_key(repo):
    out = repo.validate(append=environments(names(LIMIT + 1)))
    problem = out.only("service-quota")
    assert (problem.where, problem.path) == (f"mlops.yaml:{FIRST_LINE + LIMIT}:3", f"environments.env-{LIMIT:03d}")
    assert f"CloudFormation's quota on the template size ({LIMIT + 1} environments" in problem.message
    assert f"at most {service_quotas.TEMPLATE_ENVIRONMENTS} environments" in problem.message
    assert problem.hint.startswith('quota: "Template body size in an Amazon S3 object" (1 MB, fixed), '
                                   "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html")


def test_production_environments_count_last_as_the_pipeline_runs_them(repo):
    """`prod` sorts first, but its stage is the last one: the environment past the quota is prod."""
    out = repo.validate(append=environments(["prod"] + names(LIMIT)))
    assert out.only("service-quota").where == f"mlops.yaml:{FIRST_LINE}:3" and out.only("service-quota").path == "environments.prod"


def test_forty_nine_environments_exceed_the_stages_of_a_pipeline(repo):
    out = repo.validate(append=environments(names(49)))
    stages = out.at("environments.env-048", "service-quota")
    assert stages.where == f"mlops.yaml:{FIRST_LINE + 48}:3"
    assert "CodePipeline's quota on stages (49 environments: Source, Build and one stage per environment make 51" \
        in stages.message
    assert stages.hint.startswith('quota: "Number of stages in a pipeline" (50), '
                                  "https://docs.aws.amazon.com/codepipeline/latest/userguide/limits.html")
    assert out.at(f"environments.env-{LIMIT:03d}", "service-quota")  # the template's quota too


def test_ten_thousand_environments_are_refused_at_once(repo):
    started = time.monotonic()
    out = repo.validate(append=environments(names(10_000, prefix="e")))
    elapsed = time.monotonic() - started
    assert sorted(out.paths) == [f"environments.e{LIMIT:03d}", "environments.e048"]
    assert elapsed < 20, f"took {elapsed:.1f}s"


def test_the_limit_keeps_the_richest_sample_under_one_megabyte(tmp_path):
    """A real model stack at the limit: the richest sample, 19 production-like environments with
    names of the longest length allowed (16 characters), stays under CloudFormation's 1 MB."""
    repo = tmp_path / "demand-forecast"
    shutil.copytree(REPO_ROOT / "samples" / "demand-forecast", repo)
    (tmp_path / ".git").mkdir()
    config = (repo / "mlops.yaml").read_text().split("\nenvironments:")[0] + "\n"
    limit = service_quotas.TEMPLATE_ENVIRONMENTS
    (repo / "mlops.yaml").write_text(config + environments(names(limit, prefix="production-xy")))
    stack = stacks.model_stack(str(repo), str(REPO_ROOT / "samples" / "mlops-platform.yaml"),
                               model_stack.Source("codecommit", ""))
    assert not stack.problems, stack.problems
    size = len(stack.text.encode("utf-8"))
    assert size < stacks.TEMPLATE_BYTES, size
    # Each environment adds about 49 KB: one more and the quota is hit (which the rule prevents).
    per_environment = (size - 31_000) / limit
    assert 40_000 < per_environment < 50_000, per_environment
    assert size + per_environment > stacks.TEMPLATE_BYTES


def test_bootstrap_measures_the_real_template(tmp_path, monkeypatch):
    """A config richer than any sample could pass the count and still exceed the size: the
    printed template is measured too."""
    repo = tmp_path / "demand-forecast"
    shutil.copytree(REPO_ROOT / "samples" / "demand-forecast", repo)
    (tmp_path / ".git").mkdir()
    monkeypatch.setattr(stacks, "TEMPLATE_BYTES", 50_000)  # the sample makes 73 KB
    try:
        stacks.model_stack(str(repo), str(REPO_ROOT / "samples" / "mlops-platform.yaml"), model_stack.Source("codecommit", ""))
    except BootstrapError as error:
        assert "the model stack's template is" in str(error) and "Template body size in an Amazon S3 object" in error.hint
    else:
        raise AssertionError("a template over the quota was printed")


def test_the_rule_has_its_id(repo):
    out = run_cli(["validate", ".", "--platform", "platform.yaml", "--format", "json"], repo.root)
    assert out.exit_code == 0
    repo.write(BASE_CONFIG + environments(names(21)))
    out = run_cli(["validate", ".", "--platform", "platform.yaml", "--format", "json"], repo.root)
    assert '"rule": "service-quota"' in out.stdout
