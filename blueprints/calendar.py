"""The school calendar: the ministry admin's pages and `flask calendar load|show`."""

from __future__ import annotations

import logging

import click
from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.cli import AppGroup
from flask.typing import ResponseReturnValue
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from blueprints.admin import admin_required
from blueprints.extensions import db
from workflow.calendar import DataStatus, DayKind, TermKind
from workflow.calendar_store import (
    CalendarEditError,
    CalendarProblem,
    CalendarSource,
    DayFields,
    TermFields,
    calendar_for_years,
    days_of,
    delete_day,
    delete_term,
    fallback_calendar,
    parse_school_year,
    save_day,
    save_term,
    school_year_label,
    school_year_of,
    shipped_school_years,
    store_school_year,
    stored_school_years,
    terms_of,
)
from workflow.clock import local_today

logger = logging.getLogger(__name__)

bp = Blueprint("calendar", __name__, url_prefix="/calendar")
calendar_commands = AppGroup("calendar", help="The school calendar in the database.")

# School years the pages accept: enough for history and planning ahead.
FIRST_YEARS = range(2000, 2100)

TERM_KIND_NAMES: dict[TermKind, LazyString] = {
    TermKind.QUARTER: _l("School quarter"),
    TermKind.SCHOOL_HOLIDAYS: _l("School holidays"),
}
DAY_KIND_NAMES: dict[DayKind, LazyString] = {
    DayKind.PUBLIC_HOLIDAY: _l("Public holiday"),
    DayKind.TRANSFERRED_DAY_OFF: _l("Transferred day off"),
    DayKind.WORKING_SATURDAY: _l("Working Saturday"),
}
STATUS_NAMES: dict[DataStatus, LazyString] = {
    DataStatus.CONFIRMED: _l("confirmed"),
    DataStatus.ASSUMED: _l("assumed"),
}
SOURCE_NAMES: dict[CalendarSource, LazyString] = {
    CalendarSource.STORED: _l("stored in the database"),
    CalendarSource.SHIPPED: _l("from the files shipped with the product"),
    CalendarSource.ASSUMED: _l(
        "assumed: the 2021-2022 calendar moved by whole years; every date is a guess"
    ),
}
CALENDAR_PROBLEMS: dict[CalendarProblem, LazyString] = {
    CalendarProblem.ENDS_BEFORE_STARTS: _l("The last day is before the first day."),
    CalendarProblem.NAME_TAKEN: _l("This school year already has a term so named."),
    CalendarProblem.DAY_TAKEN: _l("This date already has a record; change that one."),
    CalendarProblem.NOT_FOUND: _l("It does not exist any more; reload the page."),
}


def _choices(names: dict[TermKind, LazyString] | dict[DayKind, LazyString]) -> list:
    return [(kind.value, str(name)) for kind, name in names.items()]


class TermForm(FlaskForm):
    """A quarter or school holidays."""

    name = StringField(_l("Name"), [DataRequired(), Length(max=100)])
    kind = SelectField(_l("Kind"), choices=lambda: _choices(TERM_KIND_NAMES))
    starts = DateField(_l("First day"), [DataRequired()])
    ends = DateField(_l("Last day"), [DataRequired()])
    status = SelectField(
        _l("Status"),
        choices=lambda: [(status.value, str(n)) for status, n in STATUS_NAMES.items()],
    )

    def validate_ends(self, field: DateField) -> None:
        """A term ends on or after its first day."""
        if field.data and self.starts.data and field.data < self.starts.data:
            raise ValidationError(
                str(CALENDAR_PROBLEMS[CalendarProblem.ENDS_BEFORE_STARTS])
            )

    def fields(self) -> TermFields:
        """The form as the domain's record."""
        assert self.starts.data is not None and self.ends.data is not None
        return TermFields(
            name=" ".join((self.name.data or "").split()),
            kind=TermKind(self.kind.data),
            starts=self.starts.data,
            ends=self.ends.data,
            status=DataStatus(self.status.data),
        )


class DayForm(FlaskForm):
    """A public holiday, a transferred day off or a working Saturday."""

    day = DateField(_l("Date"), [DataRequired()])
    kind = SelectField(_l("Kind"), choices=lambda: _choices(DAY_KIND_NAMES))
    name = StringField(_l("Name"), [DataRequired(), Length(max=300)])
    status = SelectField(
        _l("Status"),
        choices=lambda: [(status.value, str(n)) for status, n in STATUS_NAMES.items()],
    )

    def fields(self) -> DayFields:
        """The form as the domain's record."""
        assert self.day.data is not None
        return DayFields(
            day=self.day.data,
            kind=DayKind(self.kind.data),
            name=" ".join((self.name.data or "").split()),
            status=DataStatus(self.status.data),
        )


def init_app(app: Flask) -> None:
    """Register the calendar pages and commands."""
    app.register_blueprint(bp)
    app.cli.add_command(calendar_commands)


@bp.get("/")
@admin_required
def index() -> ResponseReturnValue:
    """The school years: stored, shipped, and the current one."""
    asked = request.args.get("first_year", type=int)
    if asked is not None:
        return redirect(url_for("calendar.year", first_year=asked))

    current = school_year_of(local_today())
    stored = stored_school_years(db.session)
    years = sorted({*stored, *shipped_school_years(), current, current + 1})
    return render_template(
        "calendar/index.html",
        years=years,
        stored=set(stored),
        current=current,
        school_year_label=school_year_label,
    )


@bp.get("/<int:first_year>")
@admin_required
def year(first_year: int) -> ResponseReturnValue:
    """One school year: its terms and special days, editable once stored."""
    _check_year(first_year)
    terms = terms_of(db.session, first_year)
    source = CalendarSource.STORED
    preview = None
    if not terms:
        preview, source = fallback_calendar(first_year)
    calendar = calendar_for_years(db.session, [first_year])
    return render_template(
        "calendar/year.html",
        first_year=first_year,
        label=school_year_label(first_year),
        terms=terms,
        days=days_of(db.session, first_year),
        preview=preview,
        source=source,
        school_weeks=len(calendar.school_weeks()),
        term_form=TermForm(),
        day_form=DayForm(),
        TERM_KIND_NAMES=TERM_KIND_NAMES,
        DAY_KIND_NAMES=DAY_KIND_NAMES,
        STATUS_NAMES=STATUS_NAMES,
        SOURCE_NAMES=SOURCE_NAMES,
    )


@bp.post("/<int:first_year>/setup")
@admin_required
def setup(first_year: int) -> ResponseReturnValue:
    """Store a school year's calendar (shipped or assumed) so that it can be edited."""
    _check_year(first_year)
    source = store_school_year(db.session, first_year)
    db.session.commit()
    flash(
        _(
            "The calendar of %(year)s is stored: %(source)s.",
            year=school_year_label(first_year),
            source=SOURCE_NAMES[source],
        ),
        "success",
    )
    return redirect(url_for("calendar.year", first_year=first_year))


@bp.post("/<int:first_year>/terms", defaults={"term_id": None})
@bp.post("/<int:first_year>/terms/<int:term_id>")
@admin_required
def save_term_view(first_year: int, term_id: int | None) -> ResponseReturnValue:
    """Add a term to the school year, or change one."""
    _check_year(first_year)
    form = TermForm()
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return redirect(url_for("calendar.year", first_year=first_year))
    try:
        save_term(db.session, first_year, form.fields(), term_id)
    except CalendarEditError as refused:
        db.session.rollback()
        flash(str(CALENDAR_PROBLEMS[refused.problem]), "error")
    else:
        db.session.commit()
        flash(_("Saved: %(name)s.", name=form.fields().name), "success")
    return redirect(url_for("calendar.year", first_year=first_year))


@bp.post("/<int:first_year>/terms/<int:term_id>/delete")
@admin_required
def delete_term_view(first_year: int, term_id: int) -> ResponseReturnValue:
    """Remove a term from the school year."""
    try:
        delete_term(db.session, first_year, term_id)
    except CalendarEditError:
        abort(404)
    db.session.commit()
    flash(_("Deleted."), "success")
    return redirect(url_for("calendar.year", first_year=first_year))


@bp.post("/<int:first_year>/days", defaults={"day_id": None})
@bp.post("/<int:first_year>/days/<int:day_id>")
@admin_required
def save_day_view(first_year: int, day_id: int | None) -> ResponseReturnValue:
    """Add a special day, or change one."""
    _check_year(first_year)
    form = DayForm()
    if not form.validate_on_submit():
        _flash_form_errors(form)
        return redirect(url_for("calendar.year", first_year=first_year))
    try:
        save_day(db.session, form.fields(), day_id)
    except CalendarEditError as refused:
        db.session.rollback()
        flash(str(CALENDAR_PROBLEMS[refused.problem]), "error")
    else:
        db.session.commit()
        flash(_("Saved: %(name)s.", name=form.fields().name), "success")
    return redirect(url_for("calendar.year", first_year=first_year))


@bp.post("/<int:first_year>/days/<int:day_id>/delete")
@admin_required
def delete_day_view(first_year: int, day_id: int) -> ResponseReturnValue:
    """Remove a special day."""
    try:
        delete_day(db.session, day_id)
    except CalendarEditError:
        abort(404)
    db.session.commit()
    flash(_("Deleted."), "success")
    return redirect(url_for("calendar.year", first_year=first_year))


def _check_year(first_year: int) -> None:
    if first_year not in FIRST_YEARS:
        abort(404)


def _flash_form_errors(form: FlaskForm) -> None:
    for field_name, errors in form.errors.items():
        label = (
            getattr(form, field_name).label.text if hasattr(form, field_name) else ""
        )
        for error in errors:
            flash(f"{label}: {error}" if label else str(error), "error")


@calendar_commands.command("load")
@click.option("--year", "year_text", help="One school year, e.g. 2025-2026.")
def load_command(year_text: str | None) -> None:
    """Store the shipped school years (or one year) that the database lacks."""
    if year_text:
        try:
            years = [parse_school_year(year_text)]
        except ValueError as problem:
            click.echo(f"Error: {problem}", err=True)
            raise SystemExit(2) from None
    else:
        years = shipped_school_years()

    for first_year in years:
        source = store_school_year(db.session, first_year)
        label = school_year_label(first_year)
        if source is CalendarSource.STORED:
            click.echo(f"Calendar {label}: already in the database; nothing changed.")
        else:
            click.echo(f"Calendar {label}: stored ({source.value}).")
    db.session.commit()


@calendar_commands.command("show")
@click.argument("year_text", metavar="SCHOOL_YEAR")
def show_command(year_text: str) -> None:
    """Print a school year's quarters, holidays and special days."""
    try:
        first_year = parse_school_year(year_text)
    except ValueError as problem:
        click.echo(f"Error: {problem}", err=True)
        raise SystemExit(2) from None

    calendar = calendar_for_years(db.session, [first_year])
    for term in calendar.terms:
        click.echo(
            f"{term.start:%Y-%m-%d}\t{term.end:%Y-%m-%d}\t{term.kind.value}\t"
            f"{term.status.value}\t{term.name}"
        )
    for special in sorted(calendar.days.values(), key=lambda found: found.day):
        if school_year_of(special.day) == first_year:
            click.echo(
                f"{special.day:%Y-%m-%d}\t\t{special.kind.value}\t"
                f"{special.status.value}\t{special.name}"
            )
    db.session.rollback()
