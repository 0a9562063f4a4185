"""The routes of the compiled deploy pipelines (test_routes.py says what a route is and asserts), in
a file of their own: pytest-xdist's `--dist loadfile` runs a file on one worker, and the routes
of every pipeline in one file kept one worker busy long after the other had finished."""

from __future__ import annotations

import pytest

from test_routes import _close_live_scenario, routes_in, run_route  # noqa: F401 - its module fixture too

pytestmark = pytest.mark.e2e  # whole routes on moto: compile, apply, executions

ROUTES_HERE = routes_in(("deploy",))


@pytest.mark.parametrize("route", ROUTES_HERE, ids=[r.id for r in ROUTES_HERE])
def test_route(route, tmp_path_factory):
    run_route(route, tmp_path_factory)
