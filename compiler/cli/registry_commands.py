"""`mlopsc registry list|show|history|compare|lineage|report|approve|reject|promote|rollback|variants|promote-variant`.

Each command names the compiled OUT and an environment, like `mlopsc apply OUT --env NAME`; the
model's manifest and pointers there say where its registry is. Options in, one library call
(compiler.registry.store), a table or JSON out (cli/reporters.py), an exit code (cli/outcome.py): 0
done, 1 refused by the registry or AWS (unknown version, not pending, nothing to roll back to, no
table, permissions), 2 usage (no OUT, unknown environment or model).
"""

from __future__ import annotations

import sys

import click

from compiler.cli import options, outcome, reporters

OUT = options.OUT
ENV = options.env("The environment (OUT/<model>/<env>/).")
MODEL = options.MODEL
FORMAT = options.output_format("registry", help_text="A table for people, or JSON for scripts.")


@click.group(cls=outcome.CommandGroup)
def registry() -> None:
    """Model versions, approvals and deployments in the registry table (see docs/registry.md)."""


@registry.command("list")
@OUT
@ENV
@MODEL
@FORMAT
def list_command(out, environment, model, output_format) -> None:
    """List the model versions of every model in OUT that has the environment, newest first."""
    from compiler.registry import store

    result = []
    for place in store.locate(_path(out), environment, model):
        registry = store.EnvironmentRegistry.connect(place)
        current = registry.pointers().get("approved_version")
        result.append({"model": place.model, "environment": place.environment, "deployed_version": current,
                       "versions": registry.versions()})
    _show(result, output_format, _list_text)


def _list_text(result: list) -> None:
    for entry in result:
        click.echo(f"{entry['model']} ({entry['environment']}): "
                   + (f"deployed version {entry['deployed_version']}" if entry["deployed_version"]
                      else "nothing deployed yet"))
        rows = [{"": "*" if v["version"] == entry["deployed_version"] else "", "version": v["version"],
                 "approval": v.get("approval", "-"), "registered": _when(v.get("registered_at")),
                 "deployment": v.get("deployment_status", "-"), "metrics": _metrics(v.get("metrics"))}
                for v in entry["versions"]]
        _table(rows, empty="  no versions registered yet")


@registry.command("show")
@OUT
@click.argument("version")
@ENV
@MODEL
@FORMAT
def show_command(out, version, environment, model, output_format) -> None:
    """Show one VERSION: metrics, images, data, approval, and its deployments."""
    from compiler.registry import store

    registry = store.EnvironmentRegistry.connect(store.locate_one(_path(out), environment, model))
    found = registry.version(version)
    found["deployments"] = registry.deployments(version)
    found["deployed"] = registry.pointers().get("approved_version") == version
    _show(found, output_format, lambda found: _version_text(registry.place, version, found))


def _lineage_line(lineage) -> str:
    """`trigger schedule`, `trigger drift, parent v2 (retrained_on_drift)`: how the version came to be."""
    if not isinstance(lineage, dict):
        return ""
    text = f"trigger {lineage.get('trigger', '-')}"
    if lineage.get("parent_version"):
        text += f", parent {lineage['parent_version']} ({lineage.get('parent_relation', '?')})"
    return text + (f", data marker {lineage['data_marker']}" if lineage.get("data_marker") else "")


def _promoted_from(found: dict) -> str:
    """Where a promoted version comes from, and how it was approved there (who, when, why)."""
    if not found.get("promoted_from"):
        return ""
    where = found["promoted_from"] + (f" (account {found['promoted_from_account']})"
                                      if found.get("promoted_from_account") else "")
    approval = found.get("source_approval") or {}
    if approval.get("by"):
        where += f", approved there by {approval['by']} {_when(approval.get('at'))}".rstrip()
        where += f": {approval['reason']}" if approval.get("reason") else ""
    return where


def _version_text(place, version: str, found: dict) -> None:
    from compiler.registry import compare

    click.echo(f"{place.model} ({place.environment}) version {version}" + ("  [deployed]" if found["deployed"] else ""))
    fields = [("approval", _approval(found)), ("registered", _when(found.get("registered_at"))),
              ("execution", found.get("execution")), ("model data", found.get("model_data")),
              ("data source", found.get("data_source")), ("code commit", found.get("code_commit")),
              ("config", found.get("config_fingerprint")), ("lineage", _lineage_line(found.get("lineage"))),
              ("package", _package(found.get("package"))), ("promoted from", _promoted_from(found)),
              ("model package", found.get("model_package_arn")),
              ("deployment", found.get("deployment_status")), ("last deployed", _when(found.get("last_deployed_at")))]
    for label, value in fields:
        if value:
            click.echo(f"  {label + ':':<15}{value}")
    if isinstance(found.get("metrics"), dict):
        click.echo("  metrics:")
        _table([{"metric": k, "value": v} for k, v in sorted(found["metrics"].items())], indent="    ")
    hyperparameters, tuned = compare.effective_hyperparameters(found)
    if hyperparameters:
        click.echo("  hyper-parameters:")
        _table([{"name": k, "value": v, "": "tuned" if k in tuned else ""} for k, v in sorted(hyperparameters.items())],
               indent="    ")
    if found.get("images"):
        click.echo("  images:")
        _table([{"runtime": k, "image": v} for k, v in sorted(found["images"].items())], indent="    ")
    click.echo("  deployments:")
    _table([_deployment_row(run) for run in found["deployments"]], indent="    ", empty="    none")


def _package(package) -> str:
    """The package a version was trained with (build.publish): name, version, repository, files."""
    if not isinstance(package, dict):
        return ""
    files = ", ".join(f"{name} sha256:{digest}" for name, digest in sorted((package.get("files") or {}).items()))
    return f"{package.get('package')} {package.get('version')} from {package.get('repository')} ({files})"


@registry.command("history")
@OUT
@ENV
@MODEL
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@FORMAT
def history_command(out, environment, model, limit, output_format) -> None:
    """The deployments of the environment, newest first, with their outcome."""
    from compiler.registry import compare, store

    registry = store.EnvironmentRegistry.connect(store.locate_one(_path(out), environment, model))
    runs = registry.deployments()[:limit]
    lock = registry.deployment_lock()
    result = {"model": registry.place.model, "environment": registry.place.environment,
              "deployed_version": registry.pointers().get("approved_version"), "lock": lock or None,
              "deployments": runs, "main_metric": compare.metric_trend(registry.versions()[:limit])}
    _show(result, output_format, _history_text)


def _history_text(result: dict) -> None:
    click.echo(f"{result['model']} ({result['environment']}): deployed version "
               f"{result['deployed_version'] or '-'}; last deployment {(result['lock'] or {}).get('status', '-')}")
    trend = result["main_metric"]
    if trend:
        values = [p["value"] for p in trend["points"] if isinstance(p["value"], (int, float))]
        ends = f"  {values[0]:g} -> {values[-1]:g}" if values else ""
        click.echo(f"  {trend['metric']} (gate {trend['gate']}, {trend['better']} is better) over the last "
                   f"{len(trend['points'])} versions: {trend['sparkline']}{ends}")
    _table([_deployment_row(run) for run in result["deployments"]], empty="  no deployments yet")


@registry.command("report")
@OUT
@ENV
@MODEL
@click.option("-o", "--output", "output", type=click.Path(dir_okay=False), default="registry-report.html",
              show_default=True, help="The HTML file to write (replaced if it exists).")
def report_command(out, environment, model, output) -> None:
    """Write one self-contained HTML page (it opens without a network): each metric over the
    versions with the gate's threshold, the approved and live versions marked, and a timeline of
    drift alarms, retrains, deployments and rollbacks. Needs the `report` extra (plotly)."""
    from compiler.registry import report, report_html, store

    report_html.check_destination(_path(output))  # before any AWS call
    registry = store.EnvironmentRegistry.connect(store.locate_one(_path(out), environment, model))
    data = report.collect(registry)
    report_html.write(_path(output), data)
    click.echo(f"wrote {output}: {registry.place.model} ({environment}), {len(data['versions'])} versions, "
               f"{len(data['deployments'])} deployments, {len(data['drift_alarms'])} drift alarms")
@registry.command("compare")
@OUT
@click.argument("versions", nargs=-1, required=True)
@ENV
@MODEL
@options.output_format("registry-compare", help_text="A table for people, markdown for a pull request or an "
                       "approval request, or JSON for scripts.")
def compare_command(out, versions, environment, model, output_format) -> None:
    """Compare two or more VERSIONS side by side: metrics with their change from the first version
    and the gate's thresholds, images (digest changed or not), the code commit range, data source,
    hyper-parameters (tuned values marked), baseline, lineage, and who approved them and why."""
    from compiler.errors import InputError
    from compiler.registry import store

    if len(versions) < 2 or len(set(versions)) != len(versions):
        raise InputError("compare needs two or more different versions", "mlopsc registry compare OUT V1 V2 --env ENV")
    registry = store.EnvironmentRegistry.connect(store.locate_one(_path(out), environment, model))
    reporters.report("registry-compare", output_format, registry.compare(list(versions)), sys.stdout)


@registry.command("lineage")
@OUT
@click.argument("version")
@ENV
@MODEL
@FORMAT
def lineage_command(out, version, environment, model, output_format) -> None:
    """Where VERSION comes from, and its parents' (retrained on drift, warm-started), newest first:
    the execution, trigger, data source and marker, images by digest, code commit, config fingerprint."""
    from compiler.registry import compare, store

    registry = store.EnvironmentRegistry.connect(store.locate_one(_path(out), environment, model))
    _show(registry.lineage(version), output_format, lambda result: compare.lineage_text(result, sys.stdout))


@registry.command("approve")
@OUT
@click.argument("version")
@ENV
@MODEL
@click.option("--reason", help="Why (kept on the version and in the event).")
@FORMAT
def approve_command(out, version, environment, model, reason, output_format) -> None:
    """Approve a pending VERSION; the environment's deploy pipeline then deploys it."""
    from compiler.registry import store

    registry = store.EnvironmentRegistry.connect(store.locate_one(_path(out), environment, model))
    _done(registry.approve(version, reason), output_format,
          f"approved {version}: ModelApproved sent; the deploy pipeline of {registry.place.model} "
          f"({environment}) starts with it")


@registry.command("reject")
@OUT
@click.argument("version")
@ENV
@MODEL
@click.option("--reason", help="Why (kept on the version).")
@FORMAT
def reject_command(out, version, environment, model, reason, output_format) -> None:
    """Reject a pending VERSION (or revoke an approved one that is not deployed): it never deploys."""
    from compiler.registry import store

    registry = store.EnvironmentRegistry.connect(store.locate_one(_path(out), environment, model))
    _done(registry.reject(version, reason), output_format, f"rejected {version}")


@registry.command("promote")
@OUT
@click.argument("version")
@click.option("--from", "source", required=True, help="The environment the version comes from.")
@click.option("--env", "environment", required=True, help="The environment to promote it to.")
@MODEL
@FORMAT
def promote_command(out, version, source, environment, model, output_format) -> None:
    """Copy VERSION, approved and deployed in --from, into --env as approved; its deploy pipeline
    then deploys it. In another account (of the same region), as its registry role: the images
    are taken there by digest (replicated) and the model data copied there."""
    from compiler.errors import InputError
    from compiler.registry import store

    if source == environment:
        raise InputError("--from and --env are the same environment", "name two environments")
    target = store.EnvironmentRegistry.connect(store.locate_one(_path(out), environment, model))
    origin = store.EnvironmentRegistry.connect(store.locate_one(_path(out), source, target.place.model))
    _done(target.promote(version, origin), output_format,
          f"promoted {version} from {source} to {environment}: ModelApproved sent")


@registry.command("rollback")
@OUT
@ENV
@MODEL
@click.option("--to", "to", help="The version to deploy (default: the one deployed before the current one).")
@FORMAT
def rollback_command(out, environment, model, to, output_format) -> None:
    """Deploy the previous approved version again, without retraining."""
    from compiler.registry import store

    registry = store.EnvironmentRegistry.connect(store.locate_one(_path(out), environment, model))
    detail = registry.rollback(to)
    _done(detail, output_format, f"rolling back to {detail['version']}"
          + (f" (from {detail['rollback_from']})" if detail.get("rollback_from") else "")
          + ": ModelApproved sent")


@registry.command("variants")
@OUT
@ENV
@MODEL
@click.option("--hours", type=click.IntRange(1, 24 * 14), default=24, show_default=True,
              help="Compare the variants over the last HOURS.")
@FORMAT
def variants_command(out, environment, model, hours, output_format) -> None:
    """Compare the endpoint's A/B or shadow variants: weight, invocations, 4XX/5XX errors and
    model latency per variant, from CloudWatch."""
    from compiler.registry import store, variants

    registry = store.EnvironmentRegistry.connect(store.locate_one(_path(out), environment, model))
    _show(variants.compare(registry, hours), output_format, _variants_text)


def _variants_text(result: dict) -> None:
    click.echo(f"{result['model']} ({result['environment']}): endpoint {result['endpoint']}, last {result['hours']} h")
    _table([{"variant": row["variant"], "role": row["role"], "weight": _number(row["weight"]),
             "invocations": _number(row["Invocations"]), "4xx": _number(row["Invocation4XXErrors"]),
             "5xx": _number(row["Invocation5XXErrors"]), "error rate": _number(row["error_rate"]),
             "latency ms": _number(row["ModelLatency"] / 1000 if row["ModelLatency"] is not None else None)}
            for row in result["variants"]], empty="  no variants")


def _number(value) -> str:
    return "-" if value is None else f"{value:g}"


@registry.command("promote-variant")
@OUT
@click.argument("variant")
@ENV
@MODEL
@FORMAT
def promote_variant_command(out, variant, environment, model, output_format) -> None:
    """End an A/B or shadow test with VARIANT the winner. A/B: all traffic to it now. Shadow: the
    endpoint is updated to a new endpoint config serving only the winner's model, without the shadow.
    Either way its version becomes the approved and the live one (what a variant serving `live`
    serves next); remove endpoint.variants/shadow from mlops.yaml so that the next deployment does
    not bring them back."""
    from compiler.registry import store, variants

    registry = store.EnvironmentRegistry.connect(store.locate_one(_path(out), environment, model))
    detail = variants.promote(registry, variant)
    if detail.get("shadow_ended"):
        moved = (f"shadow test ended: endpoint {detail['endpoint']} updated from endpoint config "
                 f"{detail['previous_endpoint_config']} to {detail['endpoint_config']}, which serves only its model")
    else:
        moved = "all traffic moved to it"
    _done(detail, output_format, f"promoted variant {variant} (version {detail['version']}): {moved}; approved "
          "pointer -> it. Remove the variants/shadow from mlops.yaml before the next deployment.")


# --------------------------------------------------------------------------- helpers

def _path(out):
    from pathlib import Path

    return Path(out)


def _show(result, output_format: str, text) -> None:
    """`result` as JSON, or as `text(result)` writes it (to stdout, as click.echo does)."""
    reporters.report("registry", output_format, result, sys.stdout, text=lambda result, out: text(result))


def _done(detail: dict, output_format: str, message: str) -> None:
    """What a change did: its detail as JSON, or one line for people."""
    _show(detail, output_format, lambda detail: click.echo(message))


def _when(value) -> str:
    return value.replace("T", " ")[:19] if isinstance(value, str) else ""


def _metrics(metrics) -> str:
    if not isinstance(metrics, dict):
        return "-"
    return " ".join(f"{k}={v:g}" if isinstance(v, (int, float)) else f"{k}={v}" for k, v in sorted(metrics.items()))


def _approval(version: dict) -> str:
    approval = version.get("approval", "-")
    by, at = ((version.get("approved_by"), version.get("approved_at")) if approval == "approved"
              else (version.get("rejected_by"), version.get("rejected_at")))
    text = approval + (f" by {by}" if by else "") + (f" at {_when(at)}" if at else "")
    return text + (f" ({version['reason']})" if version.get("reason") else "")


def _deployment_row(run: dict) -> dict:
    return {"run": run.get("run_id", "-"), "version": run.get("version", "-"),
            "outcome": run.get("outcome") or run.get("status", "-"), "started": _when(run.get("started_at")),
            "finished": _when(run.get("finished_at")), "error": run.get("error", "")}


def _table(rows: list[dict], indent: str = "  ", empty: str = "") -> None:
    """Plain aligned columns: readable in a terminal and in a CI log alike."""
    if not rows:
        if empty:
            click.echo(empty)
        return
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(str(row.get(c, ""))) for row in rows)) for c in columns}
    lines = [[c.upper() for c in columns]] + [[str(row.get(c, "")) for c in columns] for row in rows]
    for line in lines:
        click.echo((indent + "  ".join(cell.ljust(widths[c]) for c, cell in zip(columns, line))).rstrip())
