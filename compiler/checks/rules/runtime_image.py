"""A runtime is built from a Dockerfile or is a prebuilt image, never both or neither; a prebuilt
image is an ECR URI pinned by digest or names one AWS-provided image in the platform's region."""

from compiler.aws_data import images
from compiler.checks.finding import Finding

RULE = "runtime-image"
DESCRIPTION = "A runtime has a `dockerfile` or a prebuilt `image` (an ECR URI by digest, or an AWS image that exists in the region)"
BUILD_ONLY = ("context", "build_args")


def _digest_hint(match) -> str:
    registry = match[0].split("/", 1)[0]
    return (f"pin it by digest: {registry}/{match['repository']}@sha256:<digest>; find the digest with "
            f"`aws ecr describe-images --region {match['region']} --registry-id {match['account']} "
            f"--repository-name {match['repository']} --image-ids imageTag={match['tag'] or 'latest'} "
            "--query 'imageDetails[0].imageDigest'`")


def check(context):
    region = context.platform.get("region")
    for name, runtime in sorted(context.config["runtimes"].items()):
        base = ("runtimes", name)
        if "dockerfile" in runtime and "image" in runtime:
            yield Finding(base + ("image",), "a runtime is either built (`dockerfile`) or prebuilt (`image`), not both",
                          "remove `image` to build the Dockerfile, or `dockerfile` to run the prebuilt image", RULE, at_key=True)
            continue
        if "image" not in runtime:
            if "dockerfile" not in runtime:
                yield Finding(base, "has neither `dockerfile` nor `image`",
                              "set `dockerfile:` (built by the build stage) or `image:` (a prebuilt image)", RULE, at_key=True)
            elif "code" in runtime:
                yield Finding(base + ("code",), "`code` is for a prebuilt `image` only",
                              "a Dockerfile copies its code into the image it builds (COPY)", RULE, at_key=True)
            continue
        for key in BUILD_ONLY:
            if key in runtime:
                yield Finding(base + (key,), f"`{key}` is for a `dockerfile` runtime: a prebuilt image is not built",
                              f"remove `{key}`", RULE, at_key=True)
        yield from _image(base + ("image",), runtime["image"], region)


def _image(path: tuple, image, region):
    if isinstance(image, str):
        if images.DIGEST_URI.fullmatch(image):
            return
        by_tag = images.ECR_URI.fullmatch(image)
        if by_tag:
            yield Finding(path, "an ECR image must be pinned by digest, not by tag: a tag can be moved to another image",
                          _digest_hint(by_tag), RULE)
        else:
            yield Finding(path, "is not an ECR image URI pinned by digest",
                          "write <account>.dkr.ecr.<region>.amazonaws.com/<repository>@sha256:<digest>, or name an "
                          "AWS-provided image with {framework: ..., version: ...}", RULE)
        return
    if not region:  # platform-required reports the missing region
        return
    try:
        images.resolve(image, region)
    except images.ImageLookupError as error:
        yield Finding(path + ((error.field,) if error.field else ()), error.message, error.hint, RULE)
