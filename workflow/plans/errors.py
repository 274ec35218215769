"""The one error a plan document raises when it cannot be read."""

from __future__ import annotations


class PlanReadError(Exception):
    """A plan document could not be read; the message tells the user what to do.

    Messages are in Russian because they are shown to the ministry's staff as is.
    """
