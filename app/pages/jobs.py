"""The job pages (后台任务): ``/jobs/{id}`` shows a ``<progress>`` bar that polls ``/jobs/{id}.json`` once a
second; a finished job offers its file (``/jobs/{id}/download``) or a link to its result.

The jobs themselves are rows in the database run by the service's job workers (``app/jobs.py``), so any
service process answers these pages, and a restart loses neither a finished job's result nor a queued
one. A job belongs to the user who started it: nobody else sees it.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app import jobs
from app.deps import PageContext
from app.pages.common import render
from ledger.errors import NotFound

router = APIRouter(include_in_schema=False)

Progress = jobs.Progress


@router.get("/jobs/{job_id}.json")
def job_status(ctx: PageContext, job_id: str) -> JSONResponse:
    return JSONResponse(jobs.status(jobs.get(ctx.factory, ctx.who.username, job_id)))


@router.get("/jobs/{job_id}/download")
def job_download(ctx: PageContext, job_id: str) -> Response:
    job = jobs.get(ctx.factory, ctx.who.username, job_id)
    if job.file_content is None or job.file_name is None:
        raise NotFound("job", "该任务没有可下载的文件（任务未完成、失败，或文件已超过保留期限）", field="job")
    return Response(job.file_content, media_type=job.file_type or "application/octet-stream",
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(job.file_name)}"})


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, ctx: PageContext, job_id: str) -> HTMLResponse:
    return render(request, "job.html", job=jobs.status(jobs.get(ctx.factory, ctx.who.username, job_id)))
