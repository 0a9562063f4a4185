import pytest

from helpers import Repo


@pytest.fixture
def repo(tmp_path) -> Repo:
    """A valid model repository (BASE_CONFIG + PLATFORM) in tmp_path; tests change its mlops.yaml."""
    return Repo(tmp_path)
