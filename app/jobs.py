"""Background jobs (后台任务) as rows in the database, run by the service's job workers.

A long operation (the invoice import of a large file, the district's Annex 3 batch) is *submitted*: a row
in ``jobs`` (``ledger/models.py`` ``JobRecord``) with its kind, its JSON parameters and its owner. A
*worker* — threads in every service process (``SUBSIDY_JOB_THREADS``), started with the process and, in
a process started without its lifespan (tests), at the first submission — claims the oldest queued row,
runs the kind's function as the owner (re-authorised from the users table at run time) and writes its
progress, then its result (a link and a message, or a generated file kept as bytes) or its failure in
Chinese, into the same row. So:

* any process answers a poll (``/jobs/{id}.json`` reads the row), whichever started or runs the job;
* a restart loses nothing: a finished job's result stays; a job whose worker stopped reporting for
  ``SUBSIDY_JOB_STALE_SECONDS`` (the process died or was restarted) is queued again, and after
  ``SUBSIDY_JOB_ATTEMPTS`` runs marked failed with the reason;
* one user may have at most ``SUBSIDY_JOBS_PER_USER`` jobs queued or running (:class:`JobLimit`, in
  Chinese, naming the limit); the count is taken under a lock on the user's row, so two processes
  cannot both let a third job through.

Claiming: on PostgreSQL ``SELECT … FOR UPDATE SKIP LOCKED`` (workers never wait on each other's row);
on SQLite the transaction begins IMMEDIATE (``ledger/db.py``), so claims queue on the file's write lock.
Why this and not procrastinate or pgqueuer: docs/dependencies.md.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from app.actions import Context
from app.downloads import Download
from app.permissions import Forbidden
from app.security import principal_of
from ledger.db import reading, transaction
from ledger.errors import LedgerError, NotFound
from ledger.models import JobRecord, User
from ledger.settings import Settings, current

log = logging.getLogger("subsidy")

Progress = Callable[[int, int], None]
Work = Callable[[Context, dict[str, Any], Progress], "Download | dict[str, Any]"]
KINDS: dict[str, Work] = {}
"""kind → the function that does the work (registered with :func:`kind` where the work is defined)."""

ACTIVE = ("queued", "running")
POLL_SECONDS = 1.0      # an idle worker looks for queued jobs this often (a submission here wakes it at once)
IDLE_EXIT_SECONDS = 30  # a worker started by a submission (no lifespan) stops after this long with nothing to do
PROGRESS_SECONDS = 0.5  # progress is written at most this often (and always at the end)


class JobLimit(LedgerError):
    """The user already has as many background jobs queued or running as allowed."""

    status = 429


def kind(name: str) -> Callable[[Work], Work]:
    """Register ``work(ctx, params, progress)`` as the job kind ``name`` (``params`` as submitted, with the
    job's own ``job_id``); it returns a
    :class:`~app.downloads.Download` or a dict with ``href`` and ``message`` (and anything else the
    result page needs, JSON only)."""
    def register(work: Work) -> Work:
        KINDS[name] = work
        return work
    return register


def now() -> datetime:
    return datetime.now(UTC)


# ---------------------------------------------------------------- submitting and reading

def submit(ctx: Context, job_kind: str, title: str, params: dict[str, Any]) -> str:
    """Queue a job of ``job_kind`` for the signed-in user; return its id. Refused (:class:`JobLimit`) when
    the user already has :attr:`Settings.jobs_per_user` jobs queued or running."""
    if job_kind not in KINDS:
        raise ValueError(f"unknown job kind {job_kind!r}")
    settings = _settings_of(ctx.factory)
    owner = ctx.who.username
    job_id = secrets.token_hex(8)
    with transaction(ctx.factory) as session:
        # the user's row locked: two requests (in two processes) count one after the other
        session.execute(select(User.id).where(User.username == owner).with_for_update())
        active = session.scalar(select(func.count()).select_from(JobRecord)
                                .where(JobRecord.owner == owner, JobRecord.state.in_(ACTIVE))) or 0
        if active >= settings.jobs_per_user:
            raise JobLimit("后台任务数量限制",
                           f"每位用户同时至多有 {settings.jobs_per_user} 个后台任务在排队或进行中；"
                           f"您已有 {active} 个，请等其中一个完成后再发起（上限由 SUBSIDY_JOBS_PER_USER 设定）",
                           field="job", limit=settings.jobs_per_user, active=active)
        session.add(JobRecord(id=job_id, owner=owner, kind=job_kind, title=title[:300], params=params,
                              state="queued", done=0, total=0, attempts=0, created_at=now()))
    runner(ctx.factory).start()
    runner(ctx.factory).wake()
    return job_id


def get(factory: sessionmaker[Session], owner: str, job_id: str) -> JobRecord:
    """The job ``job_id`` of ``owner`` as it stands now, from whichever process runs it."""
    with reading(factory) as session:
        job = session.get(JobRecord, job_id[:32])
        if job is None or job.owner != owner:
            raise NotFound("job", f"没有编号为 {job_id} 的任务（任务只对发起人可见）", field="job")
        session.expunge(job)
        return job


def status(job: JobRecord) -> dict[str, Any]:
    """What the job page and its poll show."""
    result = job.result or {}
    return {"id": job.id, "title": job.title, "state": job.state, "done": job.done, "total": job.total,
            "finished": job.state in ("done", "failed"), "error": job.error, "attempts": job.attempts,
            "download": f"/jobs/{job.id}/download" if job.file_name else None, "filename": job.file_name,
            "href": result.get("href"), "message": result.get("message")}


# ---------------------------------------------------------------- the worker

LIGHT_CHARS = 4096


def _light(params: dict[str, Any]) -> dict[str, Any]:
    """A finished job's parameters without their bulk (an uploaded file): it will not run again."""
    return {k: ("…" if isinstance(v, str) and len(v) > LIGHT_CHARS else v) for k, v in params.items()}


def _settings_of(factory: sessionmaker[Session]) -> Settings:
    found = getattr(factory, "_subsidy_jobs", None)
    return found.settings if isinstance(found, Runner) else current()


def runner(factory: sessionmaker[Session], settings: Settings | None = None) -> Runner:
    """The job worker of this process for the database behind ``factory`` (one per database; kept on
    the factory itself, so that it lives and goes with it)."""
    found = getattr(factory, "_subsidy_jobs", None)
    if isinstance(found, Runner):
        if settings is not None:
            found.settings = settings
        return found
    made = Runner(factory, settings or current())
    with contextlib.suppress(AttributeError):  # a stand-in without attributes (tests of the routes alone)
        factory._subsidy_jobs = made  # type: ignore[attr-defined]
    return made


class Runner:
    """This process's job worker threads for one database."""

    def __init__(self, factory: sessionmaker[Session], settings: Settings) -> None:
        self.factory = factory
        self.settings = settings
        self.name = f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"
        self.persistent = False
        self._threads: list[threading.Thread] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def start(self, *, persistent: bool = False) -> None:
        """Start the worker threads that are not running (none when ``job_threads`` is 0). A persistent
        worker (the service's lifespan) waits for work until :meth:`stop`; one started by a submission
        stops after :data:`IDLE_EXIT_SECONDS` with nothing to do."""
        with self._lock:
            self.persistent = self.persistent or persistent
            self._stop.clear()
            self._threads = [t for t in self._threads if t.is_alive()]
            for n in range(len(self._threads), self.settings.job_threads):
                t = threading.Thread(target=self._loop, name=f"jobs-{n}", daemon=True)
                t.start()
                self._threads.append(t)

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10) -> None:
        """Stop the threads; a job under way finishes first (up to ``timeout``), else it is taken up
        again after a restart."""
        self._stop.set()
        self._wake.set()
        for t in self._threads:
            t.join(timeout)
        self.persistent = False

    def _loop(self) -> None:
        idle_since = time.monotonic()
        next_recovery = 0.0
        while not self._stop.is_set():
            job = None
            try:
                if time.monotonic() >= next_recovery:
                    self.recover()
                    next_recovery = time.monotonic() + max(1.0, self.settings.job_stale_seconds / 4)
                job = self.claim()
            except Exception:  # the database away for a moment: try again later
                log.exception("job worker %s could not look for work", self.name)
            if job is not None:
                self.run(*job)
                idle_since = time.monotonic()
                continue
            if not self.persistent and time.monotonic() - idle_since > IDLE_EXIT_SECONDS:
                return
            self._wake.wait(POLL_SECONDS)
            self._wake.clear()

    def claim(self) -> tuple[str, str, str, dict[str, Any]] | None:
        """Take the oldest queued job: (id, kind, owner, params), or None. An idle look is a plain read
        (on SQLite a write transaction would take the file's write lock every second)."""
        with reading(self.factory) as session:
            if session.scalar(select(JobRecord.id).where(JobRecord.state == "queued").limit(1)) is None:
                return None
        with transaction(self.factory) as session:
            job = session.scalars(select(JobRecord).where(JobRecord.state == "queued")
                                  .order_by(JobRecord.created_at, JobRecord.id).limit(1)
                                  .with_for_update(skip_locked=True)).first()
            if job is None:
                return None
            moment = now()
            job.state, job.worker, job.attempts = "running", self.name, job.attempts + 1
            job.started_at = job.heartbeat_at = moment
            job.done, job.total, job.error = 0, 0, None
            return job.id, job.kind, job.owner, dict(job.params)

    def recover(self) -> int:
        """Jobs whose worker stopped reporting (a restart, a crash): queued again, or failed with the
        reason after :attr:`Settings.job_attempts` runs. Also drops the files of jobs finished more than
        :attr:`Settings.job_keep_days` ago. Returns the number of jobs recovered."""
        s = self.settings
        cutoff, expired = now() - timedelta(seconds=s.job_stale_seconds), now() - timedelta(days=s.job_keep_days)
        with reading(self.factory) as session:  # nothing to do, nothing written (see :meth:`claim`)
            if session.scalar(select(JobRecord.id).where(
                    ((JobRecord.state == "running") & (JobRecord.heartbeat_at < cutoff))
                    | ((JobRecord.finished_at < expired) & JobRecord.file_content.is_not(None))).limit(1)) is None:
                return 0
        with transaction(self.factory) as session:
            stale = session.scalars(select(JobRecord).where(JobRecord.state == "running",
                                                            JobRecord.heartbeat_at < cutoff)
                                    .with_for_update(skip_locked=True)).all()
            for job in stale:
                if job.attempts < s.job_attempts:
                    job.state, job.worker = "queued", None
                    log.warning("job %s (%s) interrupted; queued again", job.id, job.kind)
                else:
                    job.state, job.finished_at = "failed", now()
                    job.error = (f"任务运行中服务重启或中断（已运行 {job.attempts} 次，上限 {s.job_attempts} 次），"
                                 "未能完成：请重新发起")
            session.execute(update(JobRecord).where(
                JobRecord.finished_at < expired,
                JobRecord.file_content.is_not(None)).values(file_content=None, file_name=None))
        return len(stale)

    # -------------------------------------------------------- one job

    def _mine(self, job_id: str) -> Any:
        return update(JobRecord).where(JobRecord.id == job_id, JobRecord.worker == self.name,
                                       JobRecord.state == "running")

    def _write(self, job_id: str, **values: Any) -> None:
        with transaction(self.factory) as session:
            session.execute(self._mine(job_id).values(**values))

    def _context(self, owner: str) -> Context:
        with reading(self.factory) as session:
            user = session.scalars(select(User).where(User.username == owner)).first()
            if user is None or not user.active:
                raise Forbidden("job.run", f"发起任务的用户 {owner} 已停用或不存在，任务不再运行")
            return Context(self.factory, principal_of(session, user))

    def run(self, job_id: str, job_kind: str, owner: str, params: dict[str, Any]) -> None:
        """Run one claimed job to its end, writing progress, result or failure into its row."""
        last = [0.0]
        finished = threading.Event()

        def progress(done: int, total: int) -> None:
            if time.monotonic() - last[0] >= PROGRESS_SECONDS or done >= total:
                last[0] = time.monotonic()
                self._write(job_id, done=done, total=total, heartbeat_at=now())

        beat = threading.Thread(target=self._beat, args=(job_id, finished), name=f"job-{job_id}-beat",
                                daemon=True)
        beat.start()
        try:
            work = KINDS.get(job_kind)
            if work is None:
                raise Forbidden("job.run", f"未知的任务类型 {job_kind}：本程序版本不能运行它")
            out = work(self._context(owner), {**params, "job_id": job_id}, progress)
            values: dict[str, Any] = {"state": "done", "finished_at": now(), "heartbeat_at": now(),
                                      "params": _light(params)}
            if isinstance(out, Download):
                values |= {"file_name": out.filename, "file_type": out.media_type, "file_content": out.content}
            else:
                values["result"] = out
            with transaction(self.factory) as session:
                session.execute(self._mine(job_id).values(**values))
                session.execute(update(JobRecord).where(JobRecord.id == job_id, JobRecord.done < JobRecord.total)
                                .values(done=JobRecord.total))
        except (LedgerError, Forbidden) as exc:
            self._fail(job_id, exc.message, params)
        except Exception:  # a bug: logged, shown without detail
            log.exception("job %s (%s) failed", job_id, job_kind)
            self._fail(job_id, "内部错误，已记录", params)
        finally:
            finished.set()
            beat.join()

    def _fail(self, job_id: str, message: str, params: dict[str, Any] | None = None) -> None:
        try:
            self._write(job_id, state="failed", error=message, finished_at=now(),
                        **({"params": _light(params)} if params is not None else {}))
        except Exception:  # the database away: the job is taken up again as interrupted
            log.exception("job %s: could not record its failure", job_id)

    def _beat(self, job_id: str, finished: threading.Event) -> None:
        """Report that the job is alive while it works (a long step reports no progress)."""
        every = max(1.0, self.settings.job_stale_seconds / 4)
        while not finished.wait(every):
            try:
                self._write(job_id, heartbeat_at=now())
            except Exception:
                log.exception("job %s: heartbeat not written", job_id)
