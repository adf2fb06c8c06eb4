"""Pages of the bureau (see app/pages/__init__.py)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
