"""setup.cfg lists the packages a wheel ships one by one (`packages =`): a package missing from
that list works in an editable install and is absent from an installed mlopsc."""

from __future__ import annotations

import configparser

from paths import REPO_ROOT


def test_every_python_package_under_compiler_ships():
    setup = configparser.ConfigParser()
    setup.read(REPO_ROOT / "setup.cfg")
    listed = set(setup["options"]["packages"].split())
    found = {".".join(init.parent.relative_to(REPO_ROOT).parts)
             for init in (REPO_ROOT / "compiler").rglob("__init__.py") if "__pycache__" not in init.parts}
    assert found and found <= listed, sorted(found - listed)
