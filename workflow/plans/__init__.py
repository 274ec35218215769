"""Plan reading: documents to items, timings, parties and task periods.

Pure domain code: it imports nothing from Flask or the database.
"""

from workflow.plans.errors import PlanReadError
from workflow.plans.files import read_document
from workflow.plans.formats import MAX_PLAN_BYTES
from workflow.plans.heading import PlanHeading
from workflow.plans.numbering import NumberedRow
from workflow.plans.parties import (
    Party,
    PartyDictionary,
    PartyEntry,
    load_party_dictionary,
    understand_parties,
)
from workflow.plans.periods import Period, PeriodSettings, periods_for
from workflow.plans.reading import RawPlan, read_plan
from workflow.plans.recurrence import TimingRule
from workflow.plans.timing import Timing, TimingContext, understand_timing
from workflow.plans.understanding import (
    ParsedItem,
    ParsedPlan,
    parse_plan,
    parsed_plan_to_json,
)

__all__ = [
    "MAX_PLAN_BYTES",
    "NumberedRow",
    "ParsedItem",
    "ParsedPlan",
    "Party",
    "PartyDictionary",
    "PartyEntry",
    "Period",
    "PeriodSettings",
    "PlanHeading",
    "PlanReadError",
    "RawPlan",
    "Timing",
    "TimingContext",
    "TimingRule",
    "load_party_dictionary",
    "parse_plan",
    "parsed_plan_to_json",
    "periods_for",
    "read_document",
    "read_plan",
    "understand_parties",
    "understand_timing",
]
