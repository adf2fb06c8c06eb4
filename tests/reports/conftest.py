from __future__ import annotations

from typing import Any

import pytest

from tests.reports.world import World, build


@pytest.fixture
def world(db: Any) -> World:
    return build(db)
