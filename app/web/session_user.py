"""The signed-in person as Flask-Login sees them: a :class:`Principal` loaded from the user table."""
from __future__ import annotations

from typing import Any

from flask_login import UserMixin, current_user

from workflows.errors import NotFound
from workflows.identity import MANAGER_ROLES, OVERSIGHT_ROLES, Principal, get_user

__all__ = ["MANAGER_ROLES", "OVERSIGHT_ROLES", "SessionUser"]


class SessionUser(UserMixin):
    """Wraps a :class:`Principal`; ``get_id`` is the user name, so a renamed account signs out."""

    def __init__(self, principal: Principal) -> None:
        self.principal = principal

    def get_id(self) -> str:
        return self.principal.username

    @property
    def username(self) -> str:
        return self.principal.username

    @property
    def display_name(self) -> str:
        return self.principal.display_name

    @property
    def role(self) -> str:
        return self.principal.role

    @property
    def is_manager(self) -> bool:
        return self.principal.role in MANAGER_ROLES

    @property
    def has_oversight(self) -> bool:
        return self.principal.role in OVERSIGHT_ROLES


def load_user(username: str) -> SessionUser | None:
    from app import services

    with services().db.reading() as session:
        try:
            user = get_user(session, username)
        except NotFound:
            return None
        return SessionUser(Principal.of(user)) if user.active else None


def me() -> Principal:
    """The signed-in person (views are behind ``login_required``)."""
    user: Any = current_user
    return user.principal
