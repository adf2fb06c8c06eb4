"""Long operations with a progress bar (后台任务): a small in-process job runner.

``start(who, title, work)`` runs ``work(progress)`` in a daemon thread and returns a job id; the work
reports ``progress(done, total)`` as it goes and returns a :class:`~app.downloads.Download` (offered
as a download link), or a dict with ``href`` (a link to the result page) and ``message``. A job
belongs to the user who started it: nobody else sees it. ``/jobs/{id}`` shows a ``<progress>`` bar
that polls ``/jobs/{id}.json`` once a second. Jobs live in memory and are forgotten after an hour.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app.deps import PageContext
from app.downloads import Download
from app.pages.common import render
from app.permissions import Forbidden
from ledger.errors import LedgerError, NotFound

log = logging.getLogger("subsidy")
router = APIRouter(include_in_schema=False)

Progress = Callable[[int, int], None]
KEEP_SECONDS = 3600


@dataclass
class Job:
    id: str
    owner: str
    title: str
    started: float = field(default_factory=time.monotonic)
    done: int = 0
    total: int = 0
    finished: bool = False
    error: str | None = None
    download: Download | None = None
    result: dict[str, Any] | None = None

    def status(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "done": self.done, "total": self.total,
                "finished": self.finished, "error": self.error,
                "download": f"/jobs/{self.id}/download" if self.download else None,
                "filename": self.download.filename if self.download else None,
                "href": (self.result or {}).get("href"), "message": (self.result or {}).get("message")}


_jobs: dict[str, Job] = {}
_lock = threading.Lock()


def _forget_old() -> None:
    cutoff = time.monotonic() - KEEP_SECONDS
    with _lock:
        for key in [k for k, j in _jobs.items() if j.finished and j.started < cutoff]:
            del _jobs[key]


def start(owner: str, title: str, work: Callable[[Progress], Download | dict[str, Any]]) -> str:
    """Run ``work`` in a thread for ``owner``; return the job id."""
    _forget_old()
    job = Job(id=secrets.token_hex(8), owner=owner, title=title)
    with _lock:
        _jobs[job.id] = job

    def progress(done: int, total: int) -> None:
        job.done, job.total = done, total

    def run() -> None:
        try:
            out = work(progress)
            if isinstance(out, Download):
                job.download = out
            else:
                job.result = out
            job.done = max(job.done, job.total)
        except (LedgerError, Forbidden) as exc:
            job.error = exc.message
        except Exception:  # a bug: logged, shown without detail
            log.exception("job %s (%s) failed", job.id, title)
            job.error = "内部错误，已记录"
        finally:
            job.finished = True

    threading.Thread(target=run, name=f"job-{job.id}", daemon=True).start()
    return job.id


def get(owner: str, job_id: str) -> Job:
    job = _jobs.get(job_id)
    if job is None or job.owner != owner:
        raise NotFound("job", f"没有编号为 {job_id} 的任务（任务只对发起人可见，一小时后清除）", field="job")
    return job


@router.get("/jobs/{job_id}.json")
def job_status(ctx: PageContext, job_id: str) -> JSONResponse:
    return JSONResponse(get(ctx.who.username, job_id).status())


@router.get("/jobs/{job_id}/download")
def job_download(ctx: PageContext, job_id: str) -> Response:
    job = get(ctx.who.username, job_id)
    if job.download is None:
        raise NotFound("job", "该任务没有可下载的文件", field="job")
    d = job.download
    return Response(d.content, media_type=d.media_type,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(d.filename)}"})


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_page(request: Request, ctx: PageContext, job_id: str) -> HTMLResponse:
    return render(request, "job.html", job=get(ctx.who.username, job_id).status())
