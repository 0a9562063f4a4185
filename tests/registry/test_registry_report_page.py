"""The registry report's page (compiler/registry/report_html.py) from report data, without AWS: an
empty registry still gives a page, and people's free text (an approval's `--reason`) is escaped.
The page of a real registry, in a browser, is test_registry_report.py's."""

from __future__ import annotations

import re

from compiler.registry import report_html

EMPTY = {"model": "demand-forecast", "environment": "dev", "live_version": None, "gate": [], "earlier_gates": [],
         "metrics": [],
         "versions": [], "retrains": [], "drift_alarms": [], "deployments": [], "live_history": []}


def test_an_empty_registry_is_a_page_with_its_timeline_only():
    page = report_html.render(EMPTY)
    assert page.count("Plotly.newPlot(") == 1 and 'id="chart-1"' in page
    assert re.search(r"<th>live version</th><td>none</td>", page)
    assert "none recorded (no version passed a gate)" in page


def test_free_text_is_escaped():
    hostile = "<img src=x onerror=alert(1)>"
    version = {"version": "v1", "registered_at": "2026-12-06T10:00:00.000Z", "approval": "rejected",
               "approved_by": hostile, "reason": hostile, "deployment_status": None, "promoted_from": None,
               "metrics": {"auc": 0.9}, "gate": [], "live": False, "drift_alarm": None}
    page = report_html.render({**EMPTY, "metrics": ["auc"], "versions": [version]})
    assert hostile not in page
    assert page.count("&lt;img src=x onerror=alert(1)&gt;") == 2  # who, and why


def test_a_version_without_the_metric_in_its_gate_leaves_a_gap_in_the_gate_line():
    """v1 registered before the gate named auc; v2 and v3 passed auc >= 0.8, then >= 0.85."""
    import plotly.graph_objects as go

    def version(name, gate):
        return {"version": name, "metrics": {"auc": 0.9}, "gate": gate}

    condition = {"metric": "auc", "comparison": "at_least", "threshold": 0.8, "text": "auc >= 0.8"}
    versions = [version("v1", []), version("v2", [condition]),
                version("v3", [{**condition, "threshold": 0.85, "text": "auc >= 0.85"}])]
    line = report_html._gate_line(go, "auc", versions)
    assert (line.name, line.y, line.connectgaps) == ("gate: auc >= 0.8 → auc >= 0.85", (None, 0.8, 0.85), False)
    assert report_html._gate_line(go, "logloss", versions) is None
