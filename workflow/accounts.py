"""People, passwords, memberships, organisations and personal API tokens."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.clock import utcnow
from workflow.enums import Level, Role
from workflow.errors import NotFoundError
from workflow.models import ApiToken, Membership, Organisation, Person

_hasher = PasswordHasher()

# Verifying against this keeps a login for an unknown e-mail as slow as one
# with a wrong password, so timing does not tell which of the two was wrong.
_DUMMY_HASH = _hasher.hash("plangraph-not-a-password")

MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    """Hash a password with Argon2id."""
    return _hasher.hash(password)


def normalise_email(email: str) -> str:
    """E-mail addresses are compared trimmed and in lower case."""
    return email.strip().lower()


def authenticate(session: Session, email: str, password: str) -> Person | None:
    """Return the active person with this e-mail and password, or None."""
    person = session.scalars(
        select(Person).where(Person.email == normalise_email(email))
    ).first()
    stored = person.password_hash if person is not None else _DUMMY_HASH
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return None
    if person is None or not person.active:
        return None

    if _hasher.check_needs_rehash(person.password_hash):
        person.password_hash = hash_password(password)
    person.last_login_at = utcnow()
    return person


def find_person(session: Session, email: str) -> Person:
    """Return the person with this e-mail, or raise NotFoundError."""
    person = session.scalars(
        select(Person).where(Person.email == normalise_email(email))
    ).first()
    if person is None:
        raise NotFoundError(f"No person has the e-mail {email!r}.")
    return person


def set_password(person: Person, password: str) -> None:
    """Set a new password, refusing one that is too short."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(
            f"The password must have at least {MIN_PASSWORD_LENGTH} characters."
        )
    person.password_hash = hash_password(password)


def add_person(session: Session, email: str, name: str, password: str) -> Person:
    """Create a person with a hashed password."""
    person = Person(
        email=normalise_email(email), name=name, password_hash=hash_password(password)
    )
    session.add(person)
    return person


def add_membership(
    session: Session, person: Person, org: Organisation, role: Role
) -> Membership:
    """Give a person a role in an organisation, checking that the levels agree."""
    if role.level is not org.level:
        raise ValueError(
            f"The role {role.value} belongs to a {role.level.value}, "
            f"but {org.code} is a {org.level.value}."
        )
    membership = Membership(person=person, organisation=org, role=role)
    session.add(membership)
    return membership


def add_organisation(
    session: Session,
    code: str,
    name: str,
    level: Level,
    parent: Organisation | None = None,
    short_name: str | None = None,
) -> Organisation:
    """Create an organisation under `parent`, with its materialised path."""
    org = Organisation(
        code=code,
        name=name,
        short_name=short_name or name,
        level=level,
        parent_id=parent.id if parent else None,
        path="",
    )
    session.add(org)
    session.flush()
    org.path = f"{parent.path if parent else '/'}{org.id}/"
    return org


def issue_token(session: Session, person: Person) -> str:
    """Create a personal API token; the plain token is shown once and not stored."""
    token = secrets.token_urlsafe(32)
    session.add(ApiToken(person_id=person.id, token_hash=_token_hash(token)))
    return token


def person_for_token(session: Session, token: str) -> Person | None:
    """Return the active owner of a token that has not been revoked, or None."""
    found = session.execute(
        select(ApiToken, Person)
        .join(Person, Person.id == ApiToken.person_id)
        .where(ApiToken.token_hash == _token_hash(token), ApiToken.revoked_at.is_(None))
    ).first()
    if found is None:
        return None
    api_token, person = found
    if not person.active:
        return None
    api_token.last_used_at = utcnow()
    return person


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
