"""`platform.codeartifact` and `build.publish` agree: a package is published only to a repository
the platform names, and a domain the platform stack creates is the platform's own (CloudFormation
makes resources in the stack's account and region only: AWS::CodeArtifact::Domain has no owner or
region of its own). Without `create`, another account's domain is allowed: a cross-account domain,
whose domain policy grants the build role (CodeArtifact User Guide, "Cross-account domains")."""

from compiler.checks.finding import Finding

RULE = "codeartifact"
DESCRIPTION = "build.publish needs platform.codeartifact; a domain the platform stack creates is in its account and region"
BASE = ("platform", "codeartifact")


def check(context):
    platform = context.platform
    codeartifact = platform.get("codeartifact")
    publish = (context.config.get("build") or {}).get("publish")
    if publish is not None and codeartifact is None:
        yield Finding(("build", "publish"), "publishes to platform.codeartifact, which the platform does not set",
                      "add codeartifact: {domain, repository} to the platform file, or remove build.publish", RULE,
                      at_key=True)
    if not codeartifact or not codeartifact.get("create"):
        return
    for key, platform_key in (("domain_owner", "account"), ("region", "region")):
        value, expected = codeartifact.get(key), platform.get(platform_key)
        if value is not None and expected is not None and value != expected:
            yield Finding(BASE + (key,), f"is {value}, but the platform stack that creates the domain (create: true) "
                          f"is in {platform_key} {expected}",
                          f"omit {key} (the platform's {platform_key}), or set create: false and create the domain "
                          f"where it is", RULE)
