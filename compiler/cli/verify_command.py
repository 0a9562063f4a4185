"""`mlopsc verify PATH...`: prove .asl.json files, or every one in an OUT folder."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from compiler.cli import options, outcome, reporters


@click.command("verify")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--input-schema", "input_schema", type=click.Path(exists=True, dir_okay=False),
              help="JSON Schema of the execution input (its required properties are present, any other member "
                   "only maybe). Default: mlopsc's contract for OUT/<model>/<env>/<pipeline>.asl.json, else unknown.")
@options.output_format("verify")
def verify_command(paths, input_schema, output_format) -> int:
    """Prove that every path each state reads is there on every route into it.

    PATHS are .asl.json files or folders searched for them (such as the OUT folder `mlopsc compile`
    wrote). Exit 0 when every definition is proven, 1 when not."""
    from compiler import verify

    schema = None
    if input_schema:
        try:
            schema = json.loads(Path(input_schema).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise click.UsageError(f"--input-schema {input_schema}: {error}") from None
    files = _definition_files(paths)
    findings = []
    for file in files:
        ours = (file.parent / "manifest.json").is_file() and verify.pipeline_of(file.name) is not None
        findings += verify.verify_file_text(file.as_posix(), _read_definition(file), schema, mlopsc_output=ours)
    reporters.report("verify", output_format, findings, sys.stdout)
    if output_format == "text":
        click.echo(f"{len(files)} definition{'s' if len(files) != 1 else ''}: "
                   + (f"{len(findings)} problem{'s' if len(findings) != 1 else ''}" if findings else "proven"), err=True)
    return outcome.exit_code(findings)


def _read_definition(file: Path) -> str:
    """A definition, read as every reader of OUT reads it: bounded (a compiled output's limit), and
    never from an OUT a killed compile left half swapped (`write.check_finished`); a PATH verify
    must not read is refused (exit 2, as by the other readers of OUT)."""
    from compiler import files
    from compiler.artifacts import write

    if (file.parent / "manifest.json").is_file():  # OUT/<model>/<env>/<file>
        write.check_finished(file.absolute().parents[2])
    return files.read_text_bounded(file, files.COMPILED_OUTPUT_BYTES, "compiled output")


def _definition_files(paths) -> list:
    from compiler.artifacts import write

    files = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            write.check_finished(path)  # PATH is an OUT folder (its journal is at its top)
            # A compile's staging folders (`.mlopsc-*`, left by a kill before its commit point) are not OUT's.
            found = sorted(p for p in path.rglob("*.asl.json") if p.is_file()
                           and not any(part.startswith(write.PREFIX) for part in p.relative_to(path).parts))
            if not found:
                raise click.UsageError(f"{given}: no .asl.json file in this folder")
            files += found
        elif path.is_file():
            files.append(path)
        elif path.exists():  # a FIFO, a device: never read (compiler/files.py refuses them too)
            raise click.UsageError(f"{given}: not a regular file or a folder")
        else:
            raise click.UsageError(f"{given}: no such file or folder")
    return list(dict.fromkeys(files))

