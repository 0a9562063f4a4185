"""The CodeBuild buildspec that tests the repository and builds its images, as data.

Every value a user wrote reaches the shell through shlex.quote; the document is YAML dumped
from data, never text pasted together.
"""

from __future__ import annotations

import shlex

from compiler.render.naming import Naming

TAG = "$CODEBUILD_RESOLVED_SOURCE_VERSION"


def buildspec(naming: Naming) -> dict:
    config = naming.config
    registry = naming.registry_host()
    login = (f"aws ecr get-login-password --region {shlex.quote(config.platform.region)} | "
             f"docker login --username AWS --password-stdin {shlex.quote(registry)}")
    build, push, digests = [], [], []
    for runtime in config.runtimes:
        repository = f"{registry}/{naming.repository(runtime.name)}"
        args = [f"--build-arg {shlex.quote(f'{key}={value}')}" for key, value in runtime.build_args.items()]
        build.append(" ".join(["docker build", "--file", shlex.quote(runtime.dockerfile), *args,
                               "--tag", f'"{repository}:{TAG}"', shlex.quote(runtime.context)]))
        push.append(f'docker push "{repository}:{TAG}"')
        digests.append(
            f"DIGEST=$(aws ecr describe-images --registry-id {shlex.quote(config.platform.account)} "
            f"--repository-name {shlex.quote(naming.repository(runtime.name))} "
            f'--image-ids imageTag="{TAG}" --query "imageDetails[0].imageDigest" --output text) && '
            f"jq --arg uri \"{repository}@$DIGEST\" '. + {{{_jq_key(runtime.name)}: $uri}}' images.json > images.tmp && "
            "mv images.tmp images.json")
    return {
        "version": 0.2,
        "env": {"variables": {"MLOPS_MODEL": config.name, "MLOPS_ENVIRONMENT": config.environment,
                              "DOCKER_BUILDKIT": "1"}},
        "phases": {
            # A failed test or build stops the run: no push, no images.json.
            "pre_build": {"on-failure": "ABORT", "commands": [login, *config.build.test_commands]},
            "build": {"on-failure": "ABORT", "commands": build},
            "post_build": {"commands": ["echo '{}' > images.json", *push, *digests, "cat images.json"]},
        },
        "artifacts": {"files": ["images.json"], "discard-paths": "yes"},
    }


def _jq_key(name: str) -> str:
    """Runtime names are [a-z][a-z0-9-]*: a quoted jq object key, safe inside single quotes."""
    return f'"{name}"'
