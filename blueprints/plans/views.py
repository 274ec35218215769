"""Plan pages for the ministry admin: upload, review, correct, publish, roll over."""

from __future__ import annotations

import logging
from pathlib import PurePath

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.admin import REVIEW_PROBLEMS, admin_required
from blueprints.extensions import db
from blueprints.plans.forms import (
    ItemForm,
    RolloverForm,
    SettingsForm,
    UploadForm,
)
from blueprints.plans.wording import UNPLACED_REASONS
from workflow.calendar_store import calendar_for_plan, parse_school_year
from workflow.models import Plan, PlanStatus
from workflow.plan_review import (
    ReviewError,
    change_plan_settings,
    correct_item,
    discard_draft,
    import_plan,
    item_of_plan,
    plan_by_id,
    plans_for_review,
    preview_plan,
    reschedule_plan,
    warnings_of,
)
from workflow.plans import MAX_PLAN_BYTES, PeriodSettings, PlanReadError
from workflow.publishing import RolloverError, publish, roll_over_plan
from workflow.rescheduling import RescheduleResult

logger = logging.getLogger(__name__)

bp = Blueprint("plans", __name__, url_prefix="/plans")


@bp.get("/")
@admin_required
def index() -> ResponseReturnValue:
    """Every plan, and the form to upload a new one."""
    return _index_page(UploadForm())


def _index_page(form: UploadForm, status: int = 200) -> ResponseReturnValue:
    return (
        render_template(
            "plans/index.html",
            form=form,
            plans=plans_for_review(db.session),
            max_megabytes=MAX_PLAN_BYTES // (1024 * 1024),
        ),
        status,
    )


@bp.post("/upload")
@admin_required
def upload() -> ResponseReturnValue:
    """Read an uploaded document and store it as a draft; a bad file stores nothing."""
    form = UploadForm()
    if not form.validate_on_submit():
        flash(_("Choose a file to upload."), "error")
        return _index_page(form, 400)

    document = form.document.data
    filename = PurePath(document.filename or "plan").name[:300] or "plan"
    # One byte more than the limit is enough to tell that a file is too large.
    # A large upload is spooled to a temporary file: close it now, not at exit.
    with document.stream:
        data = document.read(MAX_PLAN_BYTES + 1)
    try:
        plan = import_plan(db.session, data, filename)
    except PlanReadError as problem:
        db.session.rollback()
        logger.warning("Plan upload refused: %s", problem)
        flash(str(problem), "error")
        return _index_page(form, 400)

    db.session.commit()
    flash(
        _(
            "The plan was read: %(items)s items. Check each one, correct what "
            "was not understood, then publish.",
            items=len(plan.items),
        ),
        "success",
    )
    return redirect(url_for("plans.review", plan_id=plan.id))


@bp.get("/<int:plan_id>")
@admin_required
def review(plan_id: int) -> ResponseReturnValue:
    """What was understood of each item, its warnings and the tasks it will make."""
    plan = _plan_or_404(plan_id)
    calendar = calendar_for_plan(db.session, plan)
    settings_form = SettingsForm(
        working_days_after_quarter=plan.working_days_after_quarter,
        working_days_after_school_year=plan.working_days_after_school_year,
    )
    return render_template(
        "plans/review.html",
        preview=preview_plan(db.session, plan, calendar),
        settings_form=settings_form,
        rollover_form=RolloverForm(),
        published=plan.status is PlanStatus.PUBLISHED,
    )


@bp.route("/<int:plan_id>/items/<int:item_id>", methods=["GET", "POST"])
@admin_required
def item(plan_id: int, item_id: int) -> ResponseReturnValue:
    """Correct one item; a published item's unapproved tasks follow its dates."""
    plan = _plan_or_404(plan_id)
    try:
        found = item_of_plan(db.session, plan.id, item_id)
    except ReviewError:
        abort(404)

    form = ItemForm()
    if request.method == "GET":
        form.fill_from(found)
    elif form.validate_on_submit():
        published = plan.status is PlanStatus.PUBLISHED
        calendar = calendar_for_plan(db.session, plan, store=published)
        try:
            result = correct_item(
                db.session,
                found,
                form.correction(),
                calendar=calendar,
                changed_by_id=current_user.id,
                reason=form.reason.data or "",
            )
        except ReviewError as refused:
            db.session.rollback()
            flash(str(REVIEW_PROBLEMS[refused.problem]), "error")
        else:
            db.session.commit()
            flash(_("Item %(number)s was saved.", number=found.number), "success")
            if result.rescheduled is not None:
                _flash_rescheduled(result.rescheduled)
            return redirect(
                url_for("plans.review", plan_id=plan.id, _anchor=f"item-{found.id}")
            )
    else:
        flash(_("Please correct the highlighted fields."), "error")

    warnings = [
        w for w in warnings_of(db.session, plan.id) if w.item_number == found.number
    ]
    return render_template(
        "plans/item.html",
        plan=plan,
        item=found,
        form=form,
        warnings=warnings,
        published=plan.status is PlanStatus.PUBLISHED,
    )


@bp.post("/<int:plan_id>/settings")
@admin_required
def settings(plan_id: int) -> ResponseReturnValue:
    """Change the working days after a quarter and after the school year."""
    plan = _plan_or_404(plan_id)
    form = SettingsForm()
    if not form.validate_on_submit():
        flash(_("Working days must be a number from 0 to 40."), "error")
        return redirect(url_for("plans.review", plan_id=plan.id))

    published = plan.status is PlanStatus.PUBLISHED
    try:
        results = change_plan_settings(
            db.session,
            plan,
            PeriodSettings(
                working_days_after_quarter=form.working_days_after_quarter.data or 0,
                working_days_after_school_year=(
                    form.working_days_after_school_year.data or 0
                ),
            ),
            calendar=calendar_for_plan(db.session, plan, store=published),
            changed_by_id=current_user.id,
            reason=form.reason.data or "",
        )
    except ReviewError as refused:
        db.session.rollback()
        flash(str(REVIEW_PROBLEMS[refused.problem]), "error")
        return redirect(url_for("plans.review", plan_id=plan.id))

    db.session.commit()
    flash(_("The settings were saved."), "success")
    for result in results:
        _flash_rescheduled(result)
    return redirect(url_for("plans.review", plan_id=plan.id))


@bp.post("/<int:plan_id>/reschedule")
@admin_required
def reschedule(plan_id: int) -> ResponseReturnValue:
    """Move the unapproved tasks of recurring items to the calendar as it is now."""
    plan = _plan_or_404(plan_id)
    results = reschedule_plan(
        db.session,
        plan,
        calendar_for_plan(db.session, plan, store=True),
        changed_by_id=current_user.id,
        reason=_("The school calendar was corrected."),
    )
    db.session.commit()
    _flash_rescheduled(
        RescheduleResult(
            moved=sum(result.moved for result in results),
            kept_approved=sum(result.kept_approved for result in results),
            created=sum(result.created for result in results),
            left=sum(result.left for result in results),
        )
    )
    return redirect(url_for("plans.review", plan_id=plan.id))


@bp.post("/<int:plan_id>/publish")
@admin_required
def publish_plan(plan_id: int) -> ResponseReturnValue:
    """Create the plan's tasks; publishing again creates only what is missing."""
    plan = _plan_or_404(plan_id)
    calendar = calendar_for_plan(db.session, plan, store=True)
    result = publish(db.session, plan, calendar)
    db.session.commit()

    flash(
        _(
            "Published: %(created)s tasks created, %(existing)s already existed.",
            created=result.created,
            existing=result.existing,
        ),
        "success",
    )
    for unplaced in result.unplaced:
        flash(
            _("Item %(number)s:", number=unplaced.number)
            + " "
            + str(UNPLACED_REASONS[unplaced.reason]),
            "error",
        )
    return redirect(url_for("plans.review", plan_id=plan.id))


@bp.post("/<int:plan_id>/rollover")
@admin_required
def rollover(plan_id: int) -> ResponseReturnValue:
    """Copy the plan into another school year as a draft, with its dates moved."""
    plan = _plan_or_404(plan_id)
    form = RolloverForm()
    if not form.validate_on_submit():
        flash(_("Write the school year as 2026-2027."), "error")
        return redirect(url_for("plans.review", plan_id=plan.id))

    try:
        first_year = parse_school_year(form.school_year.data or "")
        result = roll_over_plan(db.session, plan, first_year)
    except (ValueError, RolloverError):
        db.session.rollback()
        flash(
            _(
                "The plan cannot be rolled over to %(year)s: choose another "
                "school year than its own.",
                year=form.school_year.data,
            ),
            "error",
        )
        return redirect(url_for("plans.review", plan_id=plan.id))

    db.session.commit()
    if result.created:
        flash(
            _(
                "A copy for %(year)s was made; review it and publish.",
                year=result.plan.school_year,
            ),
            "success",
        )
    else:
        flash(_("This plan was already rolled over to that school year."), "info")
    return redirect(url_for("plans.review", plan_id=result.plan.id))


@bp.post("/<int:plan_id>/discard")
@admin_required
def discard(plan_id: int) -> ResponseReturnValue:
    """Delete a draft that should not be published."""
    plan = _plan_or_404(plan_id)
    try:
        discard_draft(db.session, plan)
    except ReviewError as refused:
        db.session.rollback()
        flash(str(REVIEW_PROBLEMS[refused.problem]), "error")
        return redirect(url_for("plans.review", plan_id=plan_id))

    db.session.commit()
    flash(_("The draft was deleted."), "success")
    return redirect(url_for("plans.index"))


def _plan_or_404(plan_id: int) -> Plan:
    try:
        return plan_by_id(db.session, plan_id)
    except ReviewError:
        abort(404)


def _flash_rescheduled(result: RescheduleResult) -> None:
    flash(
        _(
            "Due dates moved for %(moved)s tasks; %(kept)s approved tasks kept "
            "theirs; %(created)s tasks created for new periods.",
            moved=result.moved,
            kept=result.kept_approved,
            created=result.created,
        ),
        "info",
    )
    if result.left:
        flash(
            _(
                "%(left)s tasks belong to periods the item no longer has; they "
                "were left as they were.",
                left=result.left,
            ),
            "info",
        )
