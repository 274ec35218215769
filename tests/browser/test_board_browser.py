"""The board in a real Chromium: drag, the comment form, closed columns, keyboard."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveServer, screenshot
from tests.builders import add_task
from workflow.enums import State
from workflow.models import AuditRecord, Task

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1400, "height": 900}


def card(page: Any, task: Task) -> Any:
    """The card of a task, wherever it is on the board."""
    return page.locator(f'.board-card[data-task-id="{task.id}"]')


def in_column(page: Any, task: Task, state: str) -> Any:
    """The card of a task inside one column."""
    return page.locator(
        f'.card-list[data-state="{state}"] .board-card[data-task-id="{task.id}"]'
    )


def drag(page: Any, task: Task, state: str, *, release: bool = True) -> None:
    """Drag a card by its organisation line onto a column, with real mouse moves."""
    handle = card(page, task).locator(".card-org")
    target = page.locator(f'.card-list[data-state="{state}"]').first
    start = handle.bounding_box()
    end = target.bounding_box()
    assert start is not None and end is not None
    page.mouse.move(start["x"] + 10, start["y"] + start["height"] / 2)
    page.mouse.down()
    x, y = end["x"] + end["width"] / 2, end["y"] + 30
    for step in range(1, 21):
        page.mouse.move(
            start["x"] + 10 + (x - start["x"] - 10) * step / 20,
            start["y"] + (y - start["y"]) * step / 20,
        )
        page.wait_for_timeout(15)
    if release:
        page.mouse.up()


def _state_of(live: LiveServer, task: Task) -> State:
    live.session.expire_all()
    found = live.session.get(Task, task.id)
    assert found is not None
    return State(found.state)


def test_school_head_drags_and_submits_then_the_uno_approves(
    live_server: LiveServer, browser: Any
) -> None:
    live = live_server
    task = add_task(live.session, live.republic, "4", "north-school-1")
    live.session.commit()

    head = browser.new_context(viewport=DESKTOP)
    page = head.new_page()
    live.sign_in(page, "head_north1")
    page.goto(f"{live.url}/board")
    assert in_column(page, task, "planned").count() == 1

    drag(page, task, "in_progress")
    in_column(page, task, "in_progress").wait_for()
    page.wait_for_selector(f'.board-card[data-task-id="{task.id}"][data-version="2"]')
    assert _state_of(live, task) is State.IN_PROGRESS

    drag(page, task, "submitted")
    dialog = page.locator("#move-dialog")
    dialog.wait_for(state="visible")
    screenshot(page, "board-submit-dialog")
    dialog.locator("textarea[name=comment]").fill("Приказ № 12 издан и размещён")
    dialog.locator("[data-dialog-confirm]").click()
    in_column(page, task, "submitted").wait_for()
    page.wait_for_selector(f'.board-card[data-task-id="{task.id}"][data-version="3"]')
    assert _state_of(live, task) is State.SUBMITTED
    screenshot(page, "board-head-after-submit")
    head.close()

    uno = browser.new_context(viewport=DESKTOP)
    page = uno.new_page()
    live.sign_in(page, "uno_north")
    page.goto(f"{live.url}/board")
    assert in_column(page, task, "submitted").count() == 1
    drag(page, task, "approved")
    in_column(page, task, "approved").wait_for()
    page.wait_for_selector(f'.board-card[data-task-id="{task.id}"][data-version="4"]')
    screenshot(page, "board-uno-after-approve")
    uno.close()

    assert _state_of(live, task) is State.APPROVED
    comments = [
        record.comment
        for record in live.session.query(AuditRecord).filter_by(task_id=task.id)
    ]
    assert comments == ["", "Приказ № 12 издан и размещён", ""]


def test_a_drag_to_a_closed_column_snaps_back_with_its_reason(
    live_server: LiveServer, browser: Any
) -> None:
    live = live_server
    task = add_task(live.session, live.republic, "4", "north-school-1")
    live.session.commit()
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    live.sign_in(page, "head_north1")
    page.goto(f"{live.url}/board")

    drag(page, task, "approved", release=False)
    closed = page.locator('.board-column[data-state="approved"]').first
    assert "is-closed" in (closed.get_attribute("class") or "")
    reason = closed.get_attribute("title")
    assert reason
    assert "is-open" in (
        page.locator('.board-column[data-state="in_progress"]').first.get_attribute(
            "class"
        )
        or ""
    )
    screenshot(page, "board-closed-columns-while-dragging")
    page.mouse.up()

    in_column(page, task, "planned").wait_for()
    message = page.locator("[data-board-message]")
    message.wait_for(state="visible")
    assert message.text_content() == reason
    assert message.get_attribute("data-kind") == "error"
    assert _state_of(live, task) is State.PLANNED
    context.close()


def test_cancelling_the_comment_form_puts_the_card_back(
    live_server: LiveServer, browser: Any
) -> None:
    live = live_server
    task = add_task(
        live.session, live.republic, "4", "north-school-1", State.IN_PROGRESS
    )
    live.session.commit()
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    live.sign_in(page, "head_north1")
    page.goto(f"{live.url}/board")

    drag(page, task, "submitted")
    page.locator("#move-dialog").wait_for(state="visible")
    page.locator("[data-dialog-cancel]").click()

    in_column(page, task, "in_progress").wait_for()
    assert page.locator("#move-dialog").is_hidden()
    assert _state_of(live, task) is State.IN_PROGRESS
    context.close()


def test_every_move_works_from_the_keyboard(
    live_server: LiveServer, browser: Any
) -> None:
    live = live_server
    task = add_task(live.session, live.republic, "4", "north-school-1")
    live.session.commit()
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    live.sign_in(page, "head_north1")
    page.goto(f"{live.url}/board")

    menu = card(page, task).locator("[data-move-menu]")
    menu.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.dataset.moveTo")
    assert focused == "in_progress"
    page.keyboard.press("Enter")
    in_column(page, task, "in_progress").wait_for()
    page.wait_for_selector(f'.board-card[data-task-id="{task.id}"][data-version="2"]')
    assert _state_of(live, task) is State.IN_PROGRESS

    # Focus returns to the moved card's menu: submit from there.
    assert page.evaluate("document.activeElement.hasAttribute('data-move-menu')")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.locator("#move-dialog").wait_for(state="visible")
    page.keyboard.type("Сделано с клавиатуры")
    screenshot(page, "board-keyboard-submit")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.hasAttribute('data-dialog-confirm')")
    page.keyboard.press("Enter")
    in_column(page, task, "submitted").wait_for()
    assert _state_of(live, task) is State.SUBMITTED
    context.close()
