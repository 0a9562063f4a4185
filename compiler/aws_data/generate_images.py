"""Write compiler/aws_data/sagemaker_images.json, the AWS-provided images a runtime can name by
framework and version, from the SageMaker Python SDK's own registry data:

    python -m compiler.aws_data.generate_images <sdk>/sagemaker-core/src/sagemaker/core/image_uri_config

(`src/sagemaker/image_uri_config` in SDK releases before 3). The revision of the SDK is read with
`git -C <path> rev-parse HEAD`, or given with `--revision` for an exported copy; it is recorded in the
file, and docs/config.md (Prebuilt images) says which revision the shipped file came from.

The SDK's `image_uris.retrieve()` composes an image's URI from these files; this generator does the
same composition once per (framework, scope, version, processor, Python version), so compile looks the
URI up instead of importing the SDK: `<account>.dkr.ecr.<region>.<domain>/<repository>:<tag>`, where the
tag is `<version or tag_prefix>-<processor>-<py_version>-<container_version>` with the parts a version
lacks left out (`_format_tag` in the SDK), and Hugging Face's version part is
`<pytorch or tensorflow version>-transformers<version>`. Only CPU and GPU images are kept (not Neuron,
Graviton or Elastic Inference ones, whose tags need more than the data here).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
from pathlib import Path

from compiler.aws_data.images import BUILT_IN_ALGORITHMS, FRAMEWORKS, IMAGES_FILE

SCOPES = ("inference", "training")
PROCESSORS = ("cpu", "gpu")
_BASE_FRAMEWORK = re.compile(r"^(pytorch|tensorflow)(.+)$")


class SourceNotFound(Exception):
    """The SDK's data is not where the command was pointed."""


def document(config_dir: Path, revision: str, names: tuple = FRAMEWORKS + BUILT_IN_ALGORITHMS,
             source_path: str = "sagemaker-core/src/sagemaker/core/image_uri_config") -> dict:
    """The data file: the accounts (region -> account maps, each kept once) and every image of the
    frameworks `names` (each file must be there: a framework the SDK renamed fails here)."""
    accounts: list = []
    frameworks = {}
    for framework in sorted(names):
        path = config_dir / f"{framework}.json"
        if not path.is_file():
            raise SourceNotFound(f"{path} is missing: is {config_dir} the SDK's image_uri_config folder?")
        config = json.loads(path.read_text(encoding="utf-8"))
        versions: dict = {}
        for scope, scope_config in _scopes(config):
            for version, version_config in scope_config["versions"].items():
                for image in _images(framework, scope_config, version, version_config):
                    image["scope"] = scope
                    image["accounts"] = _account_index(accounts, image.pop("registries"))
                    versions.setdefault(version, []).append(image)
        frameworks[framework] = {version: sorted(images, key=_image_key) for version, images in sorted(versions.items())}
    return {
        "source": {"repository": "https://github.com/aws/sagemaker-python-sdk", "revision": revision,
                   "path": source_path},
        "regenerate": "python -m compiler.aws_data.generate_images <path to image_uri_config>",
        "accounts": accounts,
        "frameworks": frameworks,
    }


def _scopes(config: dict):
    """(scope, its config): one config for both scopes (built-in algorithms) or one per scope."""
    if "scope" in config:
        for scope in SCOPES:
            if scope in config["scope"]:
                yield scope, config
        return
    for scope in SCOPES:
        if scope in config:
            yield scope, config[scope]


def _images(framework: str, scope_config: dict, version: str, version_config: dict) -> list:
    if framework == "huggingface":
        images = []
        for base, base_config in sorted(version_config.items()):
            match = _BASE_FRAMEWORK.match(base)
            if match and isinstance(base_config, dict):
                prefix = f"{match[2]}-transformers{version}"
                images += [{**image, "base_framework": base}
                           for image in _variants(scope_config, prefix, base_config)]
        return images
    return _variants(scope_config, version_config.get("tag_prefix", version), version_config)


def _variants(scope_config: dict, prefix: str, version_config: dict) -> list:
    """One image per processor and Python version the SDK would accept for this version."""
    if "repository" not in version_config or version_config["repository"].endswith(("-neuron", "-neuronx")):
        return []
    processors = scope_config.get("processors") or version_config.get("processors") or [None]
    images = []
    for processor in processors:
        if processor is not None and processor not in PROCESSORS:
            continue
        container = version_config.get("container_version")
        if container and processor not in container:
            continue
        for py_version in version_config.get("py_versions") or [None]:
            config = version_config.get(py_version) if isinstance(version_config.get(py_version), dict) else version_config
            parts = (prefix, processor, py_version, container[processor] if container else None)
            image = {"repository": config["repository"], "tag": "-".join(p for p in parts if p),
                     "registries": config["registries"]}
            if processor:
                image["processor"] = processor
            if py_version:
                image["py_version"] = py_version
            images.append(image)
    return images


def _account_index(accounts: list, registries: dict) -> int:
    registries = dict(sorted(registries.items()))
    if registries not in accounts:
        accounts.append(registries)
    return accounts.index(registries)


def _image_key(image: dict) -> tuple:
    return tuple(str(image.get(field, "")) for field in ("scope", "base_framework", "processor", "py_version", "tag"))


def text(data: dict) -> str:
    """One line per framework version: compact, yet a new SDK revision shows as a readable diff."""
    lines = ["{", f'"source": {json.dumps(data["source"], sort_keys=True)},',
             f'"regenerate": {json.dumps(data["regenerate"])},', '"accounts": [']
    lines += [json.dumps(entry, sort_keys=True, separators=(",", ":")) + ("," if i < len(data["accounts"]) - 1 else "")
              for i, entry in enumerate(data["accounts"])]
    lines += ["],", '"frameworks": {']
    frameworks = list(data["frameworks"].items())
    for f_index, (framework, versions) in enumerate(frameworks):
        lines.append(f"{json.dumps(framework)}: {{")
        items = list(versions.items())
        for v_index, (version, images) in enumerate(items):
            comma = "," if v_index < len(items) - 1 else ""
            lines.append(f"{json.dumps(version)}: {json.dumps(images, sort_keys=True, separators=(',', ':'))}{comma}")
        lines.append("}" + ("," if f_index < len(frameworks) - 1 else ""))
    lines += ["}", "}"]
    return "\n".join(lines) + "\n"


def _revision(path: Path) -> str:
    done = subprocess.run(["git", "-C", str(path), "rev-parse", "HEAD"], capture_output=True, text=True)
    if done.returncode != 0:
        raise SourceNotFound(f"{path} is not in a git checkout: pass the SDK's commit with --revision")
    return done.stdout.strip()


def _source_path(path: Path) -> str:
    """The folder's path inside the SDK's repository (never this machine's): from the SDK's
    `sagemaker-core` or `src` folder on."""
    parts = path.resolve().parts
    start = next((i for i, part in enumerate(parts) if part in ("sagemaker-core", "src")), len(parts) - 1)
    return "/".join(parts[start:])


def main(argv: list | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m compiler.aws_data.generate_images", description=__doc__.split("\n\n")[0])
    parser.add_argument("config_dir", type=Path, help="the SDK's image_uri_config folder")
    parser.add_argument("--revision", help="the SDK's git commit (default: git rev-parse HEAD in config_dir)")
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name(IMAGES_FILE))
    args = parser.parse_args(argv)
    try:
        revision = args.revision or _revision(args.config_dir)
        data = document(args.config_dir, revision, FRAMEWORKS + BUILT_IN_ALGORITHMS, _source_path(args.config_dir))
    except SourceNotFound as error:
        parser.error(str(error))  # exits 2 with the usage line: a maintainer's script, not mlopsc
    args.output.write_text(text(data), encoding="utf-8")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
