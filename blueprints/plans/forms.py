"""The forms of plan review: upload, item correction, settings, rollover."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from blueprints.admin import role_choices
from blueprints.plans.wording import MONTH_NAMES, RECURRENCE_NAMES, WEEKDAY_NAMES
from workflow.enums import Recurrence, Role
from workflow.models import Item
from workflow.plan_review import ItemCorrection, PartyCorrection
from workflow.plans import TimingRule

SCHOOL_YEAR_PATTERN = r"^\s*\d{4}\s*[-–]\s*\d{4}\s*$"


def recurrence_choices() -> list[tuple[str, str]]:
    """No recurrence, then each recurrence, for the select field."""
    return [("", str(_l("Once (no recurrence)")))] + [
        (recurrence.value, str(name)) for recurrence, name in RECURRENCE_NAMES.items()
    ]


def optional_role_choices() -> list[tuple[str, str]]:
    """Every role, and "not known" for a party the reviewer has not placed."""
    return [("", str(_l("Not known")))] + role_choices()


def weekday_choices() -> list[tuple[str, str]]:
    """The weekday of a weekly deadline, or the week's last school day."""
    return [("", str(_l("Last school day of the week")))] + [
        (str(number), str(name)) for number, name in enumerate(WEEKDAY_NAMES)
    ]


def month_choices() -> list[tuple[str, str]]:
    """The month of a yearly deadline."""
    return [("", "—")] + [
        (str(number), str(name)) for number, name in enumerate(MONTH_NAMES, start=1)
    ]


def quarter_choices() -> list[tuple[str, str]]:
    """Each school quarter, or one quarter named by the plan."""
    return [("", str(_l("Each quarter"))), ("1", "I"), ("2", "II")] + [
        ("3", "III"),
        ("4", "IV"),
    ]


class UploadForm(FlaskForm):
    """A plan document: DOCX, XLSX, CSV/TSV or text."""

    document = FileField(
        _l("Plan document (DOCX, XLSX, CSV or text)"),
        validators=[FileRequired(_l("Choose a file to upload."))],
    )


class PartyForm(Form):
    """One responsible party of an item (a sub-form: the outer form has the CSRF)."""

    text = StringField(_l("Party as written"), [Optional(), Length(max=300)])
    role = SelectField(_l("Role"), [Optional()], choices=optional_role_choices)
    agreed = BooleanField(_l("By agreement (co-executor)"))
    org_code = StringField(_l("Only organisation (code)"), [Optional(), Length(max=64)])


class ItemForm(FlaskForm):
    """Every field of an item the reviewer may correct."""

    title = TextAreaField(_l("Title"), [DataRequired(), Length(max=4000)])
    timing_text = StringField(_l("Timing as written"), [Optional(), Length(max=500)])
    start = DateField(_l("Start"), [Optional()])
    due = DateField(_l("Due"), [Optional()])
    recurrence = SelectField(_l("Recurrence"), [Optional()], choices=recurrence_choices)
    weekday = SelectField(_l("Weekday"), [Optional()], choices=weekday_choices)
    day_of_month = IntegerField(
        _l("Day of the month of the deadline"), [Optional(), NumberRange(1, 31)]
    )
    months_after = IntegerField(
        _l("Months after the period (1: the following month)"),
        [Optional(), NumberRange(0, 3)],
    )
    month = SelectField(
        _l("Month of a yearly deadline"), [Optional()], choices=month_choices
    )
    school_quarter = SelectField(
        _l("School quarter"), [Optional()], choices=quarter_choices
    )
    school_year_end = BooleanField(_l("Once, at the end of the school year"))
    after_end = BooleanField(
        _l("Due some working days after the period ends (not on its last day)")
    )
    working_days_after = IntegerField(
        _l("Working days after (empty: the plan's setting)"),
        [Optional(), NumberRange(0, 40)],
    )
    parties = FieldList(FormField(PartyForm), min_entries=1)
    reason = TextAreaField(
        _l("Why (kept with each moved due date)"), [Optional(), Length(max=1000)]
    )

    def validate_due(self, field: DateField) -> None:
        """A due date before the start is a typing mistake."""
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError(str(_l("The due date is before the start.")))

    def fill_from(self, item: Item) -> None:
        """Show an item as stored, with one empty party row to add a party."""
        rule = TimingRule(**item.recurrence_rule) if item.recurrence_rule else None
        self.title.data = item.title
        self.timing_text.data = item.timing_text
        self.start.data = item.start
        self.due.data = item.due
        self.recurrence.data = item.recurrence.value if item.recurrence else ""
        if rule is not None:
            self.weekday.data = _text(rule.weekday)
            self.day_of_month.data = rule.day_of_month
            self.months_after.data = rule.months_after
            self.month.data = _text(rule.month)
            self.school_quarter.data = _text(rule.school_quarter)
            self.school_year_end.data = rule.school_year_end
            self.after_end.data = rule.after_end
            self.working_days_after.data = rule.working_days_after

        while len(self.parties.entries):
            self.parties.pop_entry()
        for party in [*item.parties, {}]:
            self.parties.append_entry(
                {
                    "text": party.get("text", ""),
                    "role": party.get("role") or "",
                    "agreed": bool(party.get("agreed")),
                    "org_code": party.get("org_code") or "",
                }
            )

    def correction(self) -> ItemCorrection:
        """The reviewer's item as the domain's correction."""
        recurrence = Recurrence(self.recurrence.data) if self.recurrence.data else None
        rule = TimingRule(
            weekday=_number(self.weekday.data),
            day_of_month=self.day_of_month.data,
            month=_number(self.month.data),
            months_after=self.months_after.data or 0,
            school_quarter=_number(self.school_quarter.data),
            school_year_end=bool(self.school_year_end.data),
            after_end=bool(self.after_end.data),
            working_days_after=self.working_days_after.data,
        )
        parties = [
            PartyCorrection(
                text=" ".join((entry["text"] or "").split()),
                role=Role(entry["role"]) if entry["role"] else None,
                agreed=bool(entry["agreed"]),
                org_code=(entry["org_code"] or "").strip() or None,
            )
            for entry in self.parties.data
        ]
        return ItemCorrection(
            title=self.title.data or "",
            timing_text=self.timing_text.data or "",
            start=self.start.data,
            due=self.due.data,
            recurrence=recurrence,
            rule=rule,
            parties=parties,
        )


class SettingsForm(FlaskForm):
    """The plan's working days after a quarter and after the school year."""

    working_days_after_quarter = IntegerField(
        _l("Working days after each quarter"), [InputRequired(), NumberRange(0, 40)]
    )
    working_days_after_school_year = IntegerField(
        _l("Working days after the school year"),
        [InputRequired(), NumberRange(0, 40)],
    )
    reason = TextAreaField(_l("Why"), [Optional(), Length(max=1000)])


class RolloverForm(FlaskForm):
    """The school year to move a plan into."""

    school_year = StringField(
        _l("School year"),
        [
            DataRequired(),
            Regexp(SCHOOL_YEAR_PATTERN, message=_l("Write it as 2026-2027.")),
        ],
    )


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _number(value: str | None) -> int | None:
    return int(value) if value not in (None, "") else None
