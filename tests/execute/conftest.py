import pytest

from forks import LiveAccounts


@pytest.fixture(scope="module")
def live_accounts(tmp_path_factory):
    """The module's shared moto accounts (tests/support/forks.py, LiveAccounts), closed with it."""
    accounts = LiveAccounts(tmp_path_factory)
    yield accounts
    accounts.close()


def pytest_collection_modifyitems(items):
    """A test given a shared account runs in a fork of it (`in_fork`), whichever module its fixture
    comes from (test_deploy_lock.py uses test_execute_deploy.py's): run in this process, its
    changes would reach every later test of the module."""
    for item in items:
        if "live_accounts" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.in_fork)
