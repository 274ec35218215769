"""Every table of the product, for migrations and tests: import this, not one module.

Each area's models live beside its code; importing them here registers their
tables on the one metadata that Alembic compares against.
"""

from workflow.models import Base

metadata = Base.metadata

__all__ = ["Base", "metadata"]
