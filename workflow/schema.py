"""Every table of the product, for migrations and tests: import this, not one module.

Each area's models live beside its code; importing them here registers their
tables on the one metadata that Alembic compares against.
"""

from workflow import (
    board_models,  # noqa: F401  (registers its tables)
    calendar_store,  # noqa: F401  (registers its tables)
    deadlines,  # noqa: F401  (registers its tables)
    escalation_models,  # noqa: F401  (registers its tables)
    feed_models,  # noqa: F401  (registers its tables)
    plan_review,  # noqa: F401  (registers its tables)
    rescheduling,  # noqa: F401  (registers its tables)
    substitutes,  # noqa: F401  (registers its tables)
)
from workflow.models import Base

metadata = Base.metadata

__all__ = ["Base", "metadata"]
