import pytest
from fake_slack import FakeSlack


@pytest.fixture
def slack():
    with FakeSlack() as fake:
        yield fake
