"""Users, groups, roles and API tokens."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from .db import Database
from .errors import Conflict, NotFound, Unauthorised, ValidationFailed
from .models import ApiToken, Group, User, utcnow

ROLES = ("caseworker", "quality_lead", "manager", "process_owner", "admin")
# Roles that see every case (to oversee, reassign and audit); others see the cases they work on.
OVERSIGHT_ROLES = frozenset({"manager", "admin", "quality_lead", "process_owner"})
MANAGER_ROLES = frozenset({"manager", "admin"})  # may release or reassign anyone's task


@dataclass(frozen=True)
class Principal:
    """Who is acting: what the runtime needs to know of a user, detached from any session."""

    username: str
    display_name: str
    role: str
    group_names: tuple[str, ...]
    email: str | None = None

    @classmethod
    def of(cls, user: User) -> Principal:
        return cls(user.username, user.display_name, user.role, tuple(user.group_names), user.email)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _group(session: Session, name: str) -> Group:
    group = session.scalars(select(Group).where(Group.name == name)).first()
    if group is None:
        group = Group(name=name, title=name.replace("_", " ").title())
        session.add(group)
    return group


def add_user(db: Database, username: str, role: str, groups: list[str] | None = None, *,
             display_name: str | None = None, email: str | None = None, password: str | None = None,
             exist_ok: bool = False) -> User:
    """Create a user (groups are created as needed); ``exist_ok`` updates an existing one instead."""
    if role not in ROLES:
        raise ValidationFailed(f"Unknown role '{role}'", [{"field": "role",
                                                           "message": f"Role must be one of {', '.join(ROLES)}"}])
    if not username or not username.replace("_", "").replace(".", "").replace("-", "").isalnum():
        raise ValidationFailed("Bad user name", [{"field": "username",
                                                  "message": "Use letters, digits, dots, dashes or underscores"}])
    with db.transaction() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is not None and not exist_ok:
            raise Conflict(f"User '{username}' already exists")
        if user is None:
            user = User(username=username, display_name=display_name or username, role=role, email=email)
            session.add(user)
        user.role = role
        if display_name:
            user.display_name = display_name
        if email:
            user.email = email
        if password:
            from werkzeug.security import generate_password_hash

            user.password_hash = generate_password_hash(password)
        for name in groups or []:
            group = _group(session, name)
            if group not in user.groups:
                user.groups.append(group)
        session.flush()
        return user


def issue_token(db: Database, username: str, label: str | None = None) -> str:
    """A new bearer token for ``username``; only its hash is stored."""
    token = "cf_" + secrets.token_urlsafe(32)
    with db.transaction() as session:
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise NotFound(f"No user '{username}'")
        session.add(ApiToken(user_id=user.id, token_hash=hash_token(token), label=label))
    return token


def principal_for_token(session: Session, token: str) -> Principal:
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
    if row is None or row.revoked_at is not None or not row.user.active:
        raise Unauthorised("The access token is not valid")
    return Principal.of(row.user)


def principal_for(session: Session, username: str) -> Principal:
    return Principal.of(get_user(session, username))


def get_user(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"No user '{username}'")
    return user


def revoke_tokens(db: Database, username: str) -> int:
    with db.transaction() as session:
        user = get_user(session, username)
        rows = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                      ApiToken.revoked_at.is_(None))).all()
        for row in rows:
            row.revoked_at = utcnow()
        return len(rows)
