"""Mail: what a message says and to whom, and the signed links it carries.

Subjects and bodies are Russian, from templates/mail/, with the right plural
forms. A message gathers one recipient's waiting rows of one category: the
escalation digests, or the approval notices.

The templates are rendered with Jinja directly (not through Flask), so the
sender job, the command line and the mail viewer all produce the same text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import formataddr
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy import ColumnElement, Row, select
from sqlalchemy.orm import Session

from workflow.digest_view import digest_view
from workflow.digests import DIGEST_KIND
from workflow.escalation_models import EscalationLevel
from workflow.models import OutboxMessage, Person

MAIL_TEMPLATES = Path(__file__).resolve().parents[1] / "templates" / "mail"
TOKEN_SALT = "plangraph-mail-preferences"

# What each approval notice says happened, by outbox kind.
NOTICE_KINDS = ("task_submit", "task_approve", "task_send_back", "task_reopen")


class PreferenceTokenError(ValueError):
    """A preferences link was changed or cut short; ask for a fresh message."""


def plural(count: int, one: str, few: str, many: str) -> str:
    """The Russian form for a count: 1 задача, 2 задачи, 5 задач, 21 задача."""
    tens, units = count % 100, count % 10
    if units == 1 and tens != 11:
        return one
    if 2 <= units <= 4 and not 12 <= tens <= 14:
        return few
    return many


def ru_date(day: date | str) -> str:
    """A date as Russian mail writes it: 15.09.2021."""
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return day.strftime("%d.%m.%Y")


def preference_token(secret_key: str, person_id: int) -> str:
    """A signed token naming a person, for links that work without signing in."""
    return URLSafeSerializer(secret_key, salt=TOKEN_SALT).dumps({"person": person_id})


def person_of_token(secret_key: str, token: str) -> int:
    """The person a preferences token names, or PreferenceTokenError."""
    try:
        data = URLSafeSerializer(secret_key, salt=TOKEN_SALT).loads(token)
    except BadSignature as error:
        raise PreferenceTokenError(
            "The link is damaged; open the newest message and use its link."
        ) from error
    if not isinstance(data, dict) or not isinstance(data.get("person"), int):
        raise PreferenceTokenError("The link names nobody.")
    return int(data["person"])


@lru_cache(maxsize=4)
def _environment(folder: Path = MAIL_TEMPLATES) -> Environment:
    environment = Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    environment.filters["ru_date"] = ru_date
    environment.globals["plural"] = plural
    environment.globals["Level"] = EscalationLevel
    return environment


@dataclass(frozen=True)
class Addressee:
    """Who a message goes to."""

    person_id: int
    email: str
    name: str


@dataclass(frozen=True)
class Notice:
    """One approval notice, as a message lists it."""

    kind: str
    task_id: int | None
    item_number: str
    item_title: str
    org_name: str
    period: str
    comment: str
    actor_name: str
    created_at: datetime

    @property
    def urgent(self) -> bool:
        """ "Sent back to you" goes out at once."""
        return self.kind == "task_send_back"


@dataclass(frozen=True)
class Composed:
    """A message ready to send or to show."""

    subject: str
    text: str
    html: str
    preferences_url: str
    unsubscribe_url: str


@dataclass(frozen=True)
class MailRenderer:
    """Renders digests and notices for one installation."""

    base_url: str
    secret_key: str
    link_limit: int = 30

    def links(self, person_id: int) -> tuple[str, str]:
        """The person's preferences page and one-click unsubscribe addresses."""
        token = preference_token(self.secret_key, person_id)
        base = self.base_url.rstrip("/")
        return f"{base}/mail/preferences/{token}", f"{base}/mail/unsubscribe/{token}"

    def digest(
        self, addressee: Addressee, payloads: Iterable[dict[str, Any]]
    ) -> Composed:
        """One digest from every waiting digest row of a recipient."""
        view = digest_view(payloads, self.base_url, self.link_limit)
        return self._render("digest", addressee, view=view)

    def notices(self, addressee: Addressee, notices: Sequence[Notice]) -> Composed:
        """One message for a recipient's waiting approval notices, oldest first."""
        ordered = sorted(notices, key=lambda notice: notice.created_at)
        return self._render(
            "notices",
            addressee,
            notices=ordered,
            sent_back=[notice for notice in ordered if notice.urgent],
        )

    def _render(self, name: str, addressee: Addressee, **context: Any) -> Composed:
        preferences_url, unsubscribe_url = self.links(addressee.person_id)
        environment = _environment()
        context.update(
            addressee=addressee,
            base_url=self.base_url.rstrip("/"),
            preferences_url=preferences_url,
        )
        subject = environment.get_template(f"{name}_subject.txt").render(context)
        context["subject"] = re.sub(r"\s+", " ", subject).strip()
        return Composed(
            subject=context["subject"],
            text=environment.get_template(f"{name}.txt").render(context),
            html=environment.get_template(f"{name}.html").render(context),
            preferences_url=preferences_url,
            unsubscribe_url=unsubscribe_url,
        )


def email_message(
    composed: Composed, *, sender: str, addressee: Addressee, message_id: str
) -> Message:
    """The MIME message: text and HTML bodies, and a one-click unsubscribe header."""
    # Long headers (the unsubscribe link) stay on one line: SMTP allows 998.
    message = MIMEMultipart("alternative", policy=compat32.clone(max_line_length=998))
    message["Subject"] = Header(
        composed.subject, "utf-8", header_name="Subject"
    ).encode()
    message["From"] = sender
    message["To"] = formataddr((addressee.name, addressee.email), charset="utf-8")
    message["Message-ID"] = message_id
    message["List-Unsubscribe"] = f"<{composed.unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"
    message.attach(MIMEText(composed.text, "plain", "utf-8"))
    message.attach(MIMEText(composed.html, "html", "utf-8"))
    return message


def message_id_for(row_ids: Sequence[int], sender: str) -> str:
    """The same Message-ID for the same rows, so a re-delivery can be recognised."""
    domain = sender.rpartition("@")[2].strip("> ") or "plangraph.localhost"
    joined = "-".join(str(row_id) for row_id in sorted(row_ids)[:8])
    return f"<outbox-{joined}-{len(row_ids)}@{domain}>"


class Category(StrEnum):
    """The two kinds of message a recipient gets."""

    DIGEST = "digest"
    NOTICES = "notices"

    @classmethod
    def of(cls, kind: str) -> Category:
        """The category of an outbox row's kind."""
        return cls.DIGEST if kind == DIGEST_KIND else cls.NOTICES

    def condition(self) -> ColumnElement[bool]:
        """The rows of this category."""
        if self is Category.DIGEST:
            return OutboxMessage.kind == DIGEST_KIND
        return OutboxMessage.kind != DIGEST_KIND


@dataclass(frozen=True)
class Envelope:
    """The rows of one recipient that go out as one message."""

    recipient_id: int
    category: Category


def addressee_of(session: Session, person_id: int) -> Addressee | None:
    """The active person a message goes to, or None."""
    row = session.execute(
        select(Person.id, Person.email, Person.name, Person.active).where(
            Person.id == person_id
        )
    ).first()
    if row is None or not row.active:
        return None
    return Addressee(row.id, row.email, row.name)


def compose(
    session: Session,
    renderer: MailRenderer,
    category: Category,
    addressee: Addressee,
    rows: Sequence[Row[Any]],
) -> Composed:
    """The message that these rows of one recipient make."""
    if category is Category.DIGEST:
        return renderer.digest(addressee, [row.payload or {} for row in rows])

    actor_ids = {
        int(row.payload["actor_id"])
        for row in rows
        if (row.payload or {}).get("actor_id") is not None
    }
    actors: dict[int, str] = {}
    if actor_ids:
        actors = dict(
            session.execute(
                select(Person.id, Person.name).where(Person.id.in_(actor_ids))
            ).all()
        )
    notices = [_notice(row, actors) for row in rows]
    return renderer.notices(addressee, notices)


def _notice(row: Row[Any], actors: Mapping[int, str]) -> Notice:
    payload: dict[str, Any] = row.payload or {}
    actor_id = payload.get("actor_id")
    return Notice(
        kind=row.kind,
        task_id=row.task_id,
        item_number=str(payload.get("item_number", "")),
        item_title=str(payload.get("item_title", "")),
        org_name=str(payload.get("org_name", "")),
        period=str(payload.get("period", "")),
        comment=str(payload.get("comment", "")),
        actor_name=actors.get(int(actor_id), "") if actor_id is not None else "",
        created_at=row.created_at,
    )
