"""Evidence: files attached to a task to show that the work was done.

A file's type is read from its content, never from its name; the file is kept
under the evidence directory (outside `static/`) by its SHA-256, so a name
that arrives in a request never becomes a path.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.clock import utcnow
from workflow.enums import State, TriggerName
from workflow.errors import NotFoundError, WorkflowError
from workflow.models import Evidence, Person
from workflow.service import LoadedTask, load_task
from workflow.signoff import PersonFacts, Refusal, decide_one, parties_of

logger = logging.getLogger(__name__)

DEFAULT_SIZE_LIMIT = 10 * 1024 * 1024
FILENAME_LIMIT = 200
_CHUNK = 64 * 1024


class EvidenceRejectedError(WorkflowError):
    """The file cannot be kept as evidence; the message says why and what to do."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class StoredFile:
    """Where an evidence file is, and how to offer it for download."""

    path: Path
    filename: str
    content_type: str


# Office documents are ZIP archives; these members tell which kind it is.
_OOXML_TYPES = {
    "word/": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xl/": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "ppt/": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
}
_OPENDOCUMENT_TYPES = {
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation",
}


def sniff_type(head: bytes, whole: bytes) -> str | None:
    """The content type of an accepted kind of file, read from its bytes, or None."""
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"PK\x03\x04"):
        return _zip_document_type(whole)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        # The old binary Word and Excel formats (OLE compound files).
        return "application/x-ole-storage"
    return "text/plain" if _is_text(whole) else None


def _zip_document_type(whole: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(whole)) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                return declared if declared in _OPENDOCUMENT_TYPES else None
            if "[Content_Types].xml" in names:
                for prefix, content_type in _OOXML_TYPES.items():
                    if any(name.startswith(prefix) for name in names):
                        return content_type
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    return None


def _is_text(whole: bytes) -> bool:
    """Plain text (UTF-8 or Windows-1251): no NUL bytes and few control characters."""
    if not whole or b"\x00" in whole:
        return False
    for encoding in ("utf-8", "cp1251"):
        try:
            text = whole.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = sum(
            1
            for char in text
            if unicodedata.category(char) == "Cc" and char not in "\r\n\t\f"
        )
        return controls <= len(text) // 100
    return False


def clean_filename(name: str) -> str:
    """The name to show and offer for download: no folders, no control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join(char for char in base if unicodedata.category(char)[0] != "C").strip(
        " ."
    )
    return (kept or "evidence")[:FILENAME_LIMIT]


def may_attach(person: PersonFacts, loaded: LoadedTask) -> bool:
    """Whether the person may attach evidence now: an executor, before submission."""
    facts = loaded.facts
    if facts.state not in (State.PLANNED, State.IN_PROGRESS):
        return False
    executors = set(parties_of(facts).executors)
    if person.roles_in(facts.org_id) & executors:
        return True
    # A substitute executes through the absent person's roles: ask the machine.
    for trigger in (TriggerName.START, TriggerName.SUBMIT):
        decision = decide_one(person, facts, trigger)
        if decision.allowed or decision.refusal is Refusal.EVIDENCE_MISSING:
            return True
    return False


def attach_evidence(
    session: Session,
    person: PersonFacts,
    task_id: int,
    filename: str,
    stream: IO[bytes],
    evidence_dir: Path,
    *,
    size_limit: int = DEFAULT_SIZE_LIMIT,
    now: datetime | None = None,
) -> Evidence:
    """Check, store and record one evidence file for a task, and commit.

    Raises NotFoundError for a task outside the scope, EvidenceRejectedError
    for a person who may not attach, a file too large, empty or of a kind we
    do not accept.
    """
    loaded = load_task(session, person, task_id)
    if not may_attach(person, loaded):
        session.rollback()
        raise EvidenceRejectedError(
            f"Task {task_id}: person {person.person_id} may not attach evidence.",
            "not_allowed",
        )

    data = stream.read(size_limit + 1)
    if len(data) > size_limit:
        raise EvidenceRejectedError(
            f"The file is larger than {size_limit // (1024 * 1024)} MB; "
            "attach a smaller one.",
            "too_large",
        )
    if not data:
        raise EvidenceRejectedError("The file is empty; choose another.", "empty")
    content_type = sniff_type(data[:16], data)
    if content_type is None:
        raise EvidenceRejectedError(
            "The file is not a PDF, an image, an office document or plain text.",
            "wrong_type",
        )

    # Known limitation: the file is written before its row is committed, so a
    # failed commit leaves it on disk unreferenced (kept by content, it is
    # reused when the same file is attached again); nothing removes evidence.
    digest = hashlib.sha256(data).hexdigest()
    relative = Path(digest[:2]) / digest
    _write_once(evidence_dir / relative, data)
    evidence = Evidence(
        task_id=loaded.task.id,
        uploaded_by_id=person.person_id,
        filename=clean_filename(filename),
        content_type=content_type,
        size=len(data),
        stored_path=relative.as_posix(),
        sha256=digest,
        created_at=now or utcnow(),
    )
    session.add(evidence)
    session.commit()
    logger.info(
        "Task %s: evidence %s attached sha256=%s size=%s by person=%s",
        task_id,
        evidence.id,
        digest,
        len(data),
        person.person_id,
    )
    return evidence


def _write_once(target: Path, data: bytes) -> None:
    """Write a content-addressed file atomically; the same content is kept once."""
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def evidence_of(session: Session, task_id: int) -> list[tuple[Evidence, str]]:
    """A task's evidence with the uploader's name, oldest first.

    The caller has already checked that the person may see the task.
    """
    rows = session.execute(
        select(Evidence, Person.name)
        .join(Person, Person.id == Evidence.uploaded_by_id)
        .where(Evidence.task_id == task_id)
        .order_by(Evidence.id)
    ).all()
    return [(evidence, name) for evidence, name in rows]


def evidence_file(
    session: Session,
    person: PersonFacts,
    task_id: int,
    evidence_id: int,
    evidence_dir: Path,
) -> StoredFile:
    """Find one evidence file of a task in the person's scope, or NotFoundError."""
    load_task(session, person, task_id)
    evidence = session.scalar(
        select(Evidence).where(Evidence.id == evidence_id, Evidence.task_id == task_id)
    )
    if evidence is None:
        raise NotFoundError(f"Evidence {evidence_id} of task {task_id} was not found.")

    root = evidence_dir.resolve()
    path = (root / evidence.stored_path).resolve()
    if root not in path.parents or not path.is_file():
        raise NotFoundError(
            f"Evidence {evidence_id}: the file {evidence.stored_path} is missing "
            f"from {root}; restore it from a backup."
        )
    return StoredFile(path, evidence.filename, evidence.content_type)
