"""The start page: what waits for this user (待办), by role."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app import actions as do
from app.actions import Page
from app.deps import PageContext
from app.pages.common import render
from app.permissions import allowed

router = APIRouter(include_in_schema=False)

# the claim states each role acts on next (细则 第四章（一）(2))
WORK: dict[str, tuple[tuple[str, str], ...]] = {
    "district_econ": (("filed", "待经信部门审核"),),
    "district_finance": (("econ_reviewed", "待财政部门审核"), ("issued", "待拨付")),
    "city_bureau": (("district_reviewed", "待审计"), ("audited", "待党组会审定"), ("approved", "待公示"),
                    ("in_notice,objected", "公示中"), ("issued", "已下达")),
    "city_finance": (("in_notice", "公示期满待下达"), ("issued", "待拨付")),
    "auditor": (("paid", "已拨付"), ("issued", "已下达未拨付")),
    "admin": (),
}


@router.get("/", response_class=HTMLResponse)
def home(request: Request, ctx: PageContext) -> HTMLResponse:
    queues = []
    if allowed(ctx.who, "claim.read"):
        for states, title in WORK.get(ctx.who.role, ()):
            found = do.list_claims(ctx, Page(1, 10), state=states)
            queues.append({"title": title, "states": states, "total": found.total, "claims": found.items})
    return render(request, "home.html", queues=queues)
