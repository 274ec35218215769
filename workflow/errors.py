"""Errors of the domain; each says what went wrong and what to do."""

from __future__ import annotations

from workflow.signoff import Refusal


class WorkflowError(Exception):
    """Base of the domain's errors."""


class NotFoundError(WorkflowError):
    """The thing does not exist, or lies outside the person's scope."""


class UnknownTriggerError(WorkflowError):
    """The trigger is not one of the machine's."""


class CommentRequiredError(WorkflowError):
    """The trigger needs a comment and none was given."""


class PermissionDeniedError(WorkflowError):
    """The person may not fire this trigger on this task."""

    def __init__(self, message: str, refusal: Refusal) -> None:
        super().__init__(message)
        self.refusal = refusal


class ConflictError(WorkflowError):
    """The task changed since the person saw it (stale version or state)."""

    def __init__(self, message: str, current_version: int | None = None) -> None:
        super().__init__(message)
        self.current_version = current_version
