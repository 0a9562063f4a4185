"""The registry report as one self-contained HTML page, drawn with plotly (report.py gathers its data).

Plotly (the `report` extra) is imported only here, when a report is written. Its JavaScript is
inlined once, so the page opens without a network; each chart is a figure plotly turns into a
<div> and a call of `Plotly.newPlot`, with a fixed id (`chart-<n>`), so the same data gives the
same page. Plotly writes the figure data as JSON with `<`, `>` and `/` escaped, and every text of
the page itself goes through html.escape.

The charts:

- one per metric: its value per version (registration order), the threshold of the gate each
  version passed (its recorded `gate`) as a dashed step line that moves where a config change moved
  it, approved versions ringed, the live one starred;
- the timeline: drift alarms, retrain runs, deployments and rollbacks on one time axis, and below
  it the live version over time (a step each time a deployment succeeded); every drift alarm is
  also a dotted line across both.
"""

from __future__ import annotations

import html
import os
import tempfile
from pathlib import Path
from typing import Any

from compiler.errors import InputError, MissingDependency

#: Colours by approval and by deployment outcome (the palette of plotly's default template).
APPROVAL_COLOURS = {"approved": "#2ca02c", "pending": "#7f7f7f", "rejected": "#d62728"}
OUTCOME_COLOURS = {"deployed": "#2ca02c", "deploying": "#7f7f7f", "failed": "#d62728", "timed_out": "#d62728",
                   "rolled_back": "#ff7f0e", "running": "#7f7f7f"}
RUN_COLOURS = {"succeeded": "#1f77b4", "failed": "#d62728", "running": "#7f7f7f"}
GATE_COLOUR, LIVE_COLOUR, DRIFT_COLOUR = "#d62728", "#e6b800", "#ff7f0e"
#: The timeline's lanes, top to bottom.
LANES = ("drift alarms", "retrains", "deployments", "rollbacks")
#: The plotly.js options of every chart: no link to plotly's site, no logo.
CHART_CONFIG = {"displaylogo": False, "responsive": True}


def check_destination(path: Path) -> None:
    """Before any AWS call: plotly is installed and the page's folder exists."""
    _plotly()
    if not path.absolute().parent.is_dir():
        raise InputError(f"cannot write {path}: its folder does not exist", "create the folder, or name another file")


def write(path: Path, data: dict) -> None:
    """The page, written beside its place and renamed over it: a reader never sees half a page."""
    text = render(data)
    staged = None
    try:
        descriptor, staged = tempfile.mkstemp(dir=path.absolute().parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(file.fileno(), 0o666 & ~umask)  # as open() would create it, not mkstemp's 0600
            file.write(text)
        os.replace(staged, path)
    except OSError as error:
        if staged is not None and os.path.exists(staged):
            os.unlink(staged)
        raise InputError(f"cannot write {path}: {error.strerror or error}",
                         "name a file in a folder that exists and that you can write to") from None


def render(data: dict) -> str:
    """The whole page."""
    plotly = _plotly()
    charts = [_metric_figure(plotly, data, metric) for metric in data["metrics"]] + [_timeline(plotly, data)]
    divs = [figure.to_html(full_html=False, include_plotlyjs=False, include_mathjax=False, div_id=f"chart-{n}",
                           config=CHART_CONFIG, default_width="100%", default_height=f"{height}px")
            for n, (figure, height) in enumerate(charts, 1)]
    title = f"{data['model']} ({data['environment']}): model registry"
    sections = "\n".join(f"<section>{div}</section>" for div in divs)
    return (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n"
            f"<script>{plotly.offline.get_plotlyjs()}</script>\n</head>\n<body>\n"
            f"<h1>{html.escape(title)}</h1>\n{_summary(data)}\n{sections}\n{_versions_table(data)}\n</body>\n</html>\n")


def _plotly():
    try:
        import plotly.graph_objects  # noqa: F401 - the figures
        import plotly.offline  # noqa: F401 - its JavaScript, inlined
        import plotly.subplots  # noqa: F401 - the timeline's two rows
    except ImportError:
        raise MissingDependency("needs plotly, which is not installed",
                                "install mlopsc with its report extra: pip install 'mlopsc[report]'") from None
    import plotly

    return plotly


# --------------------------------------------------------------------------- a metric over versions

def _metric_figure(plotly, data: dict, metric: str) -> tuple:
    go = plotly.graph_objects
    versions = [v for v in data["versions"] if metric in v["metrics"]]
    names = [v["version"] for v in versions]
    values = [v["metrics"][metric] for v in versions]
    figure = go.Figure()
    gate = _gate_line(go, metric, versions)
    if gate is not None:
        figure.add_trace(gate)  # first: the versions' markers are drawn over it
    figure.add_trace(go.Scatter(
        name=metric, x=names, y=values, mode="lines+markers", line={"color": "#1f77b4"},
        marker={"size": 9, "color": [APPROVAL_COLOURS.get(v["approval"], "#7f7f7f") for v in versions]},
        hovertext=[_version_hover(v, metric) for v in versions], hoverinfo="text"))
    approved = [v for v in versions if v["approval"] == "approved"]
    figure.add_trace(go.Scatter(
        name="approved", x=[v["version"] for v in approved], y=[v["metrics"][metric] for v in approved],
        mode="markers", marker={"size": 17, "symbol": "circle-open", "color": APPROVAL_COLOURS["approved"],
                                "line": {"width": 2}}, hoverinfo="skip"))
    live = [v for v in versions if v["live"]]
    figure.add_trace(go.Scatter(
        name="live", x=[v["version"] for v in live], y=[v["metrics"][metric] for v in live], mode="markers",
        marker={"size": 20, "symbol": "star", "color": LIVE_COLOUR, "line": {"width": 1, "color": "#7f6600"}},
        hoverinfo="skip"))
    figure.update_layout(title={"text": f"{metric} by version"}, template="plotly_white",
                         margin={"l": 60, "r": 20, "t": 50, "b": 40},
                         xaxis={"type": "category", "title": {"text": "version (registration order)"}},
                         yaxis={"title": {"text": metric}}, legend={"orientation": "h", "y": -0.25})
    return figure, 340


def _gate_line(go, metric: str, versions: list):
    """The threshold each version passed on `metric`, as its gate recorded it: a dashed step line
    with a point per version, changing halfway between two versions whose gates differ (a config
    change); a gap where a version's gate did not name the metric. None if no gate named it."""
    conditions = [next((c for c in v["gate"] if c["metric"] == metric), None) for v in versions]
    gated = [c for c in conditions if c]
    if not gated:
        return None
    texts = list(dict.fromkeys(c["text"] for c in gated))
    return go.Scatter(
        name="gate: " + " → ".join(texts), x=[v["version"] for v in versions],
        y=[c["threshold"] if c else None for c in conditions], mode="lines+markers", connectgaps=False,
        line={"color": GATE_COLOUR, "dash": "dash", "width": 2, "shape": "hvh"},
        marker={"size": 6, "symbol": "line-ew-open", "color": GATE_COLOUR, "line": {"width": 2}},
        hovertext=[html.escape(f"{v['version']} passed {c['text']}") if c else ""
                   for v, c in zip(versions, conditions)],
        hoverinfo="text")


def _version_hover(version: dict, metric: str) -> str:
    lines = [f"{metric} = {version['metrics'][metric]:g}", f"registered {_when(version['registered_at'])}",
             f"approval: {version['approval']}"]
    if version["deployment_status"]:
        lines.append(f"deployment: {version['deployment_status']}")
    if version["drift_alarm"]:
        lines.append(f"retrained on drift ({version['drift_alarm']})")
    if version["live"]:
        lines.append("live")
    return f"<b>{html.escape(version['version'])}</b><br>" + "<br>".join(html.escape(line) for line in lines)


# --------------------------------------------------------------------------- the timeline

def _timeline(plotly, data: dict) -> tuple:
    go = plotly.graph_objects
    figure = plotly.subplots.make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.55, 0.45],
                                           vertical_spacing=0.08)
    drift = data["drift_alarms"]
    prefix = f"{data['model']}-{data['environment']}-"  # alarm names: <model>-<env>-drift-<feature>
    figure.add_trace(_lane(go, "drift alarms", [d["detected_at"] for d in drift], [DRIFT_COLOUR] * len(drift),
                           [_drift_hover(d) for d in drift], "diamond",
                           [str(d["alarm"]).removeprefix(prefix) for d in drift]), row=1, col=1)
    retrains = data["retrains"]
    figure.add_trace(_lane(go, "retrains", [r["started_at"] for r in retrains],
                           [RUN_COLOURS.get(r["status"], "#7f7f7f") for r in retrains],
                           [_retrain_hover(r) for r in retrains],
                           ["triangle-up" if r["drift_alarm"] else "circle" for r in retrains],
                           [r["version"] or r["error"] or r["status"] for r in retrains]), row=1, col=1)
    deployments = data["deployments"]
    figure.add_trace(_lane(go, "deployments", [_deployed_at(d) for d in deployments],
                           [OUTCOME_COLOURS.get(d["outcome"], "#7f7f7f") for d in deployments],
                           [_deployment_hover(d) for d in deployments], "square",
                           [d["version"] or d["outcome"] for d in deployments]), row=1, col=1)
    rollbacks = [d for d in deployments if d["rollback"]]
    figure.add_trace(_lane(go, "rollbacks", [_deployed_at(d) for d in rollbacks],
                           [OUTCOME_COLOURS.get(d["outcome"], "#7f7f7f") for d in rollbacks],
                           [_deployment_hover(d) for d in rollbacks], "triangle-down",
                           [d["version"] for d in rollbacks]), row=1, col=1)
    steps = data["live_history"]
    figure.add_trace(go.Scatter(
        name="live version", x=[_time(s["at"]) for s in steps], y=[s["version"] for s in steps],
        mode="lines+markers", line={"shape": "hv", "color": LIVE_COLOUR, "width": 3},
        marker={"size": 10, "symbol": "star", "color": LIVE_COLOUR},
        hovertext=[html.escape(f"{s['version']} live from {_when(s['at'])}") for s in steps], hoverinfo="text"),
        row=2, col=1)
    for alarm in drift:
        figure.add_vline(x=_time(alarm["detected_at"]), line={"color": DRIFT_COLOUR, "dash": "dot", "width": 1},
                         row="all", col=1)
    figure.update_yaxes(type="category", categoryorder="array", categoryarray=list(reversed(LANES)), row=1, col=1)
    figure.update_yaxes(type="category", categoryorder="array",
                        categoryarray=[v["version"] for v in data["versions"]], title={"text": "live version"},
                        row=2, col=1)
    figure.update_xaxes(type="date", title={"text": "time (UTC)"}, row=2, col=1)
    figure.update_layout(title={"text": "Timeline: drift alarms, retrains, deployments, rollbacks"},
                         template="plotly_white", margin={"l": 110, "r": 20, "t": 50, "b": 40},
                         legend={"orientation": "h", "y": -0.15})
    return figure, 520


def _lane(go, lane: str, times: list, colours: list, hovers: list, symbols: Any, labels: list):
    """One lane of the timeline: a marker per event, labelled (a version, an error, an alarm)."""
    return go.Scatter(name=lane, x=[_time(at) for at in times], y=[lane] * len(times), mode="markers+text",
                      marker={"size": 13, "color": colours, "symbol": symbols, "line": {"width": 1, "color": "#333"}},
                      text=labels, textposition="top center", textfont={"size": 10}, cliponaxis=False,
                      hovertext=hovers, hoverinfo="text")


def _deployed_at(deployment: dict):
    return deployment["finished_at"] or deployment["started_at"]


def _drift_hover(alarm: dict) -> str:
    return "<br>".join(html.escape(line) for line in (
        f"drift alarm {alarm['alarm']}", f"detected {_when(alarm['detected_at'])}",
        f"live version then: {alarm['live_version']}", f"cool-down window {alarm['window']}"))


def _retrain_hover(run: dict) -> str:
    lines = [f"retrain {run['run_id']}: {run['status']}", f"started {_when(run['started_at'])}"]
    if run["drift_alarm"]:
        lines.append(f"started by drift alarm {run['drift_alarm']} (live: {run['live_version']})")
    if run["version"]:
        lines.append(f"registered version {run['version']}")
    if run["error"]:
        lines.append(f"error: {run['error']}" + (f" in {run['failed_stage']}" if run["failed_stage"] else ""))
    return "<br>".join(html.escape(line) for line in lines)


def _deployment_hover(run: dict) -> str:
    lines = [f"deployment {run['run_id']}: {run['version'] or '-'} {run['outcome']}",
             f"started {_when(run['started_at'])}, finished {_when(run['finished_at'])}"]
    if run["replaced"]:
        lines.append(f"replaced {run['replaced']}")
    if run["rollback"]:
        lines.append(f"rollback: {run['rollback']}")
    if run["error"]:
        lines.append(f"error: {run['error']}")
    return "<br>".join(html.escape(line) for line in lines)


# --------------------------------------------------------------------------- the page around the charts

def _summary(data: dict) -> str:
    approved = [v["version"] for v in data["versions"] if v["approval"] == "approved"]
    pending = [v["version"] for v in data["versions"] if v["approval"] == "pending"]
    facts = [("live version", data["live_version"] or "none"), ("approved", ", ".join(approved) or "none"),
             ("pending", ", ".join(pending) or "none"),
             ("gate", ", ".join(g["text"] for g in data["gate"]) or "none recorded (no version passed a gate)"),
             *[("earlier gate", f"{g['text']} ({', '.join(g['versions'])})") for g in data["earlier_gates"]],
             ("versions", str(len(data["versions"]))), ("deployments", str(len(data["deployments"]))),
             ("drift alarms", str(len(data["drift_alarms"])))]
    rows = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in facts)
    return f"<table class=\"summary\">{rows}</table>"


def _versions_table(data: dict) -> str:
    header = ("version", "registered", "approval", "by", "deployment", "metrics")
    rows = []
    for version in reversed(data["versions"]):
        metrics = " ".join(f"{k}={v:g}" for k, v in sorted(version["metrics"].items()))
        cells = (version["version"] + (" (live)" if version["live"] else ""), _when(version["registered_at"]),
                 version["approval"] + (f": {version['reason']}" if version["reason"] else ""),
                 version["approved_by"] or "", version["deployment_status"] or "", metrics)
        rows.append("<tr" + (" class=\"live\"" if version["live"] else "") + ">"
                    + "".join(f"<td>{html.escape(cell)}</td>" for cell in cells) + "</tr>")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    return (f"<h2>Versions, newest first</h2>\n<table class=\"versions\"><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def _time(value):
    """An ISO 8601 UTC time as plotly.js parses dates: `2026-12-06 11:22:33.123` (no `T`, no `Z`)."""
    return value.replace("T", " ").rstrip("Z") if isinstance(value, str) else None


def _when(value) -> str:
    return value.replace("T", " ")[:19] if isinstance(value, str) else "-"


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.5em; }
section { margin: 1em 0; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { text-align: left; padding: 0.2em 0.8em 0.2em 0; vertical-align: top; }
table.versions th { border-bottom: 1px solid #999; }
tr.live td { font-weight: bold; }
"""
