"""CloudFormation templates that set up AWS for mlopsc, built as data.

- `platform.template(...)`: the platform stack, from the platform file (registry table, artifact
  bucket, event bus, topic, cluster, shared roles, and the platform file itself in SSM so that
  every model's compile stage reads the same file);
- `model.template(...)`: one model's delivery stack (ECR repositories, log groups, the model's
  roles or policies, CodeBuild projects and the CodePipeline that compiles and applies it).

Templates are plain dicts printed once as JSON (`artifacts.format.to_json`, as compile prints
its outputs); the same inputs give the same bytes. Nothing here calls AWS.
"""

from __future__ import annotations

from compiler.errors import MlopscError


class BootstrapError(MlopscError):
    """The inputs cannot make a template (exit 1; not a config problem with a line: those are Problems)."""
