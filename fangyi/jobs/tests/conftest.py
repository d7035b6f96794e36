import pytest


@pytest.fixture(autouse=True)
def _jobs_inline(settings, tmp_path):
    """Jobs run in the test's thread (and connection); files go to a temporary VAR_DIR."""
    settings.JOBS_RUN_INLINE = True
    settings.VAR_DIR = tmp_path / "var"
