"""10,000 schools' worth of overdue tasks: no more messages than recipients."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from email.header import decode_header, make_header
from email.message import Message

from sqlalchemy import String, cast, insert, select, update
from sqlalchemy.orm import Session

from tests.builders import Republic
from tests.smtp_capture import text_of
from workflow.delivery import deliver
from workflow.digests import DIGEST_KIND
from workflow.enums import Level, Role, State
from workflow.escalation import SweepSettings, sweep
from workflow.models import Membership, Organisation, OutboxMessage, Person, Task
from workflow.outbox import due_envelopes
from workflow.smtp import MailSettings

SCHOOLS = 10_000
DISTRICTS = 10
DUE = date(2021, 9, 1)


class Recording:
    """A transport that keeps messages instead of sending them."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    def send(self, message: Message) -> None:
        """Keep the message."""
        self.messages.append(message)

    def close(self) -> None:
        """Nothing to close."""


def _bulk_schools(session: Session, republic: Republic) -> None:
    """Districts, schools with a head each, and one overdue task per school."""
    ministry = republic.orgs["ministry"]
    district_ids = list(
        session.scalars(
            insert(Organisation).returning(
                Organisation.id, sort_by_parameter_order=True
            ),
            [
                {
                    "code": f"scale-uno-{number}",
                    "name": f"УНО {number}",
                    "short_name": f"УНО {number}",
                    "level": Level.DISTRICT.value,
                    "parent_id": ministry.id,
                    "path": "",
                }
                for number in range(DISTRICTS)
            ],
        )
    )
    school_rows = [
        {
            "code": f"scale-school-{number}",
            "name": f"Школа {number}",
            "short_name": f"Школа № {number}",
            "level": Level.SCHOOL.value,
            "parent_id": district_ids[number % DISTRICTS],
            "path": "",
        }
        for number in range(SCHOOLS)
    ]
    school_ids = list(
        session.scalars(
            insert(Organisation).returning(
                Organisation.id, sort_by_parameter_order=True
            ),
            school_rows,
        )
    )
    session.execute(
        update(Organisation)
        .where(Organisation.id.in_(district_ids))
        .values(path=ministry.path + cast(Organisation.id, String) + "/")
    )
    for district_id in district_ids:
        session.execute(
            update(Organisation)
            .where(Organisation.parent_id == district_id)
            .values(
                path=f"{ministry.path}{district_id}/"
                + cast(Organisation.id, String)
                + "/"
            )
        )

    password_hash = republic.person("admin").password_hash
    people = [
        {"email": f"head-{number}@scale.example", "name": f"Директор {number}"}
        for number in range(SCHOOLS)
    ] + [
        {"email": f"uno-{number}@scale.example", "name": f"Специалист УНО {number}"}
        for number in range(DISTRICTS)
    ]
    person_ids = list(
        session.scalars(
            insert(Person).returning(Person.id, sort_by_parameter_order=True),
            [
                {**person, "password_hash": password_hash, "active": True}
                for person in people
            ],
        )
    )
    memberships = [
        {"person_id": person_id, "org_id": org_id, "role": Role.SCHOOL_HEAD.value}
        for person_id, org_id in zip(person_ids[:SCHOOLS], school_ids, strict=True)
    ] + [
        {
            "person_id": person_id,
            "org_id": org_id,
            "role": Role.DISTRICT_SPECIALIST.value,
        }
        for person_id, org_id in zip(person_ids[SCHOOLS:], district_ids, strict=True)
    ]
    session.execute(insert(Membership), memberships)

    assert republic.plan is not None
    item = republic.items["4"]
    moment = datetime(2021, 8, 1)
    session.execute(
        insert(Task),
        [
            {
                "plan_id": republic.plan.id,
                "item_id": item.id,
                "org_id": school_id,
                "period_label": "2021-2022",
                "start": date(2021, 4, 1),
                "due": DUE,
                "state": State.IN_PROGRESS.value,
                "version": 1,
                "sent_back": False,
                "created_at": moment,
                "updated_at": moment,
            }
            for school_id in school_ids
        ],
    )
    session.commit()


def test_ten_thousand_overdue_schools_make_one_message_per_recipient(
    session: Session, republic: Republic
) -> None:
    _bulk_schools(session, republic)
    moment = datetime(2021, 9, 20, 6)

    result = sweep(session, SweepSettings(), now=moment)

    assert result.events == 3 * SCHOOLS
    recipients = set(
        session.scalars(
            select(OutboxMessage.recipient_id).where(OutboxMessage.kind == DIGEST_KIND)
        )
    )
    # School heads, the district specialists, and the ministry's three people.
    assert len(recipients) == SCHOOLS + DISTRICTS + 3
    # The sender sends one message per envelope: count them all.
    envelopes = due_envelopes(session, moment, limit=3 * SCHOOLS)
    assert len(envelopes) == len(recipients)
    assert {envelope.recipient_id for envelope in envelopes} == recipients

    # Sending each of the 10,013 costs a commit; send the first batch for real.
    transport = Recording()
    settings = MailSettings(smtp_host="recording", secret_key="k", batch_size=100)
    delivered = deliver(session, settings, transport=transport, now=moment)

    assert delivered.sent_messages == len(transport.messages) == 100
    per_address = Counter(str(message["To"]) for message in transport.messages)
    assert set(per_address.values()) == {1}
    ministry = next(
        message
        for message in transport.messages
        if republic.person("admin").email in str(message["To"])
    )
    subject = str(make_header(decode_header(ministry["Subject"])))
    assert subject == f"Просрочено {SCHOOLS} задач в {SCHOOLS} организациях"
    body = text_of(ministry)
    assert f"…и ещё {SCHOOLS - 30} задач в {SCHOOLS - 30} организациях" in body
    assert "overdue=1" in body
