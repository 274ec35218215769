"""Evidence: type from the content, a size limit, stored outside static/, sha256."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from blueprints.board import EVIDENCE_LIMIT
from config import ROOT
from tests.builders import Republic, add_task
from tests.conftest import login
from workflow.enums import State
from workflow.evidence import clean_filename, sniff_type
from workflow.models import Evidence, Task

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def _upload(client: FlaskClient, token: str, task: Task, name: str, data: bytes) -> str:
    response = client.post(
        f"/tasks/{task.id}/evidence",
        data={"csrf_token": token, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _stored(session: Session, task: Task) -> list[Evidence]:
    session.expire_all()
    return list(session.scalars(select(Evidence).where(Evidence.task_id == task.id)))


def test_sniffing_reads_the_content_not_the_name() -> None:
    assert sniff_type(PDF[:16], PDF) == "application/pdf"
    assert sniff_type(PNG[:16], PNG) == "image/png"
    assert sniff_type(EXE[:16], EXE) is None
    assert sniff_type(b"PK\x03\x04", b"PK\x03\x04broken") is None
    assert sniff_type(b"Ok", "Отчёт о работе".encode("cp1251")) == "text/plain"
    docx = _docx()
    assert sniff_type(docx[:16], docx) is not None
    assert "wordprocessingml" in str(sniff_type(docx[:16], docx))


def test_file_names_lose_folders_and_control_characters() -> None:
    assert clean_filename("../../etc/passwd") == "passwd"
    assert clean_filename("C:\\Users\\x\\отчёт.pdf") == "отчёт.pdf"
    assert clean_filename("a\x00b\r\n.pdf") == "ab.pdf"
    assert clean_filename("..") == "evidence"


def test_an_executor_attaches_a_file_kept_outside_static_with_its_sha256(
    app: Flask, client: FlaskClient, session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "north-school-1", State.IN_PROGRESS)
    session.commit()
    token = login(client, republic.person("head_north1"))

    page = _upload(client, token, task, "../../приказ.pdf", PDF)

    [evidence] = _stored(session, task)
    assert evidence.sha256 == hashlib.sha256(PDF).hexdigest()
    assert evidence.content_type == "application/pdf"
    assert evidence.size == len(PDF)
    assert evidence.filename == "приказ.pdf"
    folder = Path(app.config["EVIDENCE_DIR"]).resolve()
    kept = folder / evidence.stored_path
    assert kept.read_bytes() == PDF
    assert (ROOT / "static").resolve() not in kept.resolve().parents
    assert "приказ.pdf" in page


def test_a_file_whose_content_is_not_accepted_is_refused_whatever_its_name(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "north-school-1", State.IN_PROGRESS)
    session.commit()
    token = login(client, republic.person("head_north1"))

    _upload(client, token, task, "report.pdf", EXE)
    _upload(client, token, task, "empty.txt", b"")

    assert _stored(session, task) == []


def test_a_png_named_like_text_is_stored_as_a_png(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "north-school-1", State.IN_PROGRESS)
    session.commit()
    token = login(client, republic.person("head_north1"))

    _upload(client, token, task, "photo.txt", PNG)

    assert [e.content_type for e in _stored(session, task)] == ["image/png"]


def test_a_file_over_the_size_limit_is_refused(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "north-school-1", State.IN_PROGRESS)
    session.commit()
    token = login(client, republic.person("head_north1"))

    _upload(client, token, task, "big.txt", b"a" * (EVIDENCE_LIMIT + 1))

    assert _stored(session, task) == []


def test_someone_who_does_not_execute_the_task_cannot_attach(
    client: FlaskClient, session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "north-school-1", State.IN_PROGRESS)
    session.commit()
    token = login(client, republic.person("uno_north"))

    _upload(client, token, task, "report.pdf", PDF)

    assert _stored(session, task) == []


def test_download_is_an_attachment_with_the_stored_type(
    app: Flask, client: FlaskClient, session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "north-school-1", State.IN_PROGRESS)
    session.commit()
    token = login(client, republic.person("head_north1"))
    # Markup without quotes, which a multipart header would cut short.
    _upload(client, token, task, "<script>alert`1`<script>.txt", b"<p>x</p>")
    [evidence] = _stored(session, task)

    response = client.get(f"/tasks/{task.id}/evidence/{evidence.id}")

    assert response.status_code == 200
    assert response.data == b"<p>x</p>"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Content-Type"].startswith("text/plain")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    response.close()
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert`1`&lt;script&gt;.txt" in page


def test_evidence_outside_the_scope_is_not_found(
    app: Flask, client: FlaskClient, session: Session, republic: Republic
) -> None:
    task = add_task(session, republic, "4", "north-school-1", State.IN_PROGRESS)
    session.commit()
    token = login(client, republic.person("head_north1"))
    _upload(client, token, task, "report.pdf", PDF)
    [evidence] = _stored(session, task)

    stranger = app.test_client()
    login(stranger, republic.person("head_south1"))

    assert stranger.get(f"/tasks/{task.id}/evidence/{evidence.id}").status_code == 404
    other = add_task(session, republic, "4", "north-school-1")
    session.commit()
    wrong_task = client.get(f"/tasks/{other.id}/evidence/{evidence.id}")
    assert wrong_task.status_code == 404


@pytest.mark.parametrize("with_file", [False, True])
def test_an_item_that_needs_evidence_is_submitted_only_with_a_file(
    client: FlaskClient, session: Session, republic: Republic, with_file: bool
) -> None:
    task = add_task(session, republic, "6", "north-school-1", State.IN_PROGRESS)
    session.commit()
    token = login(client, republic.person("ict_north1"))
    data: dict[str, object] = {
        "trigger": "submit",
        "version": "1",
        "comment": "Данные внесены",
    }
    if with_file:
        data["evidence"] = (io.BytesIO(PDF), "акт.pdf")

    response = client.post(
        f"/board/tasks/{task.id}/move",
        data=data,
        headers={"X-CSRFToken": token},
        content_type="multipart/form-data",
    )

    session.expire_all()
    state = session.get(Task, task.id).state  # type: ignore[union-attr]
    if with_file:
        assert response.status_code == 200
        assert state is State.SUBMITTED
        assert len(_stored(session, task)) == 1
    else:
        assert response.status_code == 403
        assert state is State.IN_PROGRESS
