"""The CodeBuild buildspec that tests the repository, builds its images and uploads the code
folders of its prebuilt images (and their archives, for script mode), as data.

Every value a user wrote reaches the shell through shlex.quote; the document is YAML dumped
from data, never text pasted together. Only `dockerfile` runtimes are built: a prebuilt image
is named in the definitions, and images.json lists the built ones only (`{}` when there are none).
"""

from __future__ import annotations

import shlex

from compiler.render import codeartifact_build
from compiler.render.naming import Naming
from compiler.render.script_mode import code_archives

TAG = "$CODEBUILD_RESOLVED_SOURCE_VERSION"


def buildspec(naming: Naming) -> dict:
    config = naming.config
    registry = naming.registry_host()
    login = (f"aws ecr get-login-password --region {shlex.quote(config.platform.region)} | "
             f"docker login --username AWS --password-stdin {shlex.quote(registry)}")
    build, push, digests = [], [], []
    for runtime in config.built_runtimes:
        repository = f"{registry}/{naming.repository(runtime.name)}"
        args = [f"--build-arg {shlex.quote(f'{key}={value}')}" for key, value in runtime.build_args.items()]
        build.append(" ".join(["docker build", "--file", shlex.quote(runtime.dockerfile), *args,
                               *codeartifact_build.docker_secret(config),
                               "--tag", f'"{repository}:{TAG}"', shlex.quote(runtime.context)]))
        push.append(f'docker push "{repository}:{TAG}"')
        digests.append(
            f"DIGEST=$(aws ecr describe-images --registry-id {shlex.quote(config.platform.account)} "
            f"--repository-name {shlex.quote(naming.repository(runtime.name))} "
            f'--image-ids imageTag="{TAG}" --query "imageDetails[0].imageDigest" --output text) && '
            f"jq --arg uri \"{repository}@$DIGEST\" '. + {{{_jq_key(runtime.name)}: $uri}}' images.json > images.tmp && "
            "mv images.tmp images.json")
    # CodeArtifact's logins come before every install (test commands, docker builds, publishing).
    pre_build = (codeartifact_build.logins(config) + ([login] if config.built_runtimes else [])
                 + list(config.build.test_commands))
    build = codeartifact_build.secret(config) + build + codeartifact_build.publish(config)
    return {
        "version": 0.2,
        "env": {"variables": {"MLOPS_MODEL": config.name, "MLOPS_ENVIRONMENT": config.environment,
                              "DOCKER_BUILDKIT": "1"}},
        "phases": {
            # A failed test or build stops the run: no push, no upload, no images.json.
            "pre_build": {"on-failure": "ABORT", "commands": pre_build or [_NOTHING_TO_TEST]},
            "build": {"on-failure": "ABORT", "commands": build or [_NOTHING_TO_BUILD],
                      **codeartifact_build.forget_secret(config)},
            "post_build": {"commands": ["echo '{}' > images.json", *push, *digests, *_code_uploads(naming),
                                        "cat images.json"]},
        },
        "artifacts": {"files": ["images.json", *codeartifact_build.artifacts(config)], "discard-paths": "yes"},
    }


#: A phase lists at least one command (CodeBuild User Guide, "Build specification reference", phases).
_NOTHING_TO_TEST = "echo 'no test_commands'"
_NOTHING_TO_BUILD = "echo 'no dockerfile runtimes: nothing to build'"


def _code_uploads(naming: Naming) -> list:
    """Each prebuilt image's code folder, copied for this commit where its stages read it
    (Naming.code_prefix), and as `sourcedir.tar.gz` where a training stage runs it in script mode
    (Naming.code_archive); encrypted with the platform's key when it has one."""
    kms = naming.platform.kms_key
    encryption = ["--sse", "aws:kms", "--sse-kms-key-id", shlex.quote(kms)] if kms else []
    folders = [" ".join(["aws s3 cp --recursive --only-show-errors", shlex.quote(runtime.code),
                         f'"{naming.code_prefix(runtime.name, TAG)}"', *encryption])
               for runtime in naming.config.runtimes if runtime.code is not None]
    archives = []
    for name in code_archives(naming):
        archive = shlex.quote(f"/tmp/mlopsc-{name}.sourcedir.tar.gz")
        archives += [_tar(naming.config.runtime(name).code, archive),
                     " ".join(["aws s3 cp --only-show-errors", archive, f'"{naming.code_archive(name, TAG)}"', *encryption])]
    return folders + archives


#: GNU tar (the CodeBuild standard images') made reproducible: the same files give the same
#: archive whatever the checkout's times and owners (members sorted by name, mtime of the epoch,
#: owner root; gzip without the name and time it would store).
_REPRODUCIBLE_TAR = ("tar --format=gnu --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner "
                     "--use-compress-program='gzip -n'")


def _tar(folder: str, archive: str) -> str:
    """The code folder's files at the archive's root, as the SageMaker Python SDK's
    tar_and_upload_dir packs a `source_dir` (the toolkit unpacks it into /opt/ml/code)."""
    return f"{_REPRODUCIBLE_TAR} --create --file {archive} --directory {shlex.quote(folder)} ."


def _jq_key(name: str) -> str:
    """Runtime names are [a-z][a-z0-9-]*: a quoted jq object key, safe inside single quotes."""
    return f'"{name}"'
