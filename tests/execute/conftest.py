import pytest

from forks import LiveAccounts


@pytest.fixture(scope="module")
def live_accounts(tmp_path_factory):
    """The module's shared moto accounts (tests/support/forks.py, LiveAccounts), closed with it."""
    accounts = LiveAccounts(tmp_path_factory)
    yield accounts
    accounts.close()
