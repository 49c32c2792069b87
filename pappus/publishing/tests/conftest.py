from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages are asserted in English; a page in another language must not leave its language active."""
    with translation.override("en"):
        yield
