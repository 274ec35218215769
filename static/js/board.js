// The board: drag a card (SortableJS) or use its "Move to…" menu; the server
// decides every move through the same transition service as the task page.
// Texts that come from people (titles, comments, names) never pass through
// innerHTML here: the only HTML inserted is the card the server rendered.
(function () {
  "use strict";

  var page = document.querySelector(".board-page");
  if (!page) {
    return;
  }
  var csrfToken = document.querySelector('meta[name="csrf-token"]').content;
  var message = document.querySelector("[data-board-message]");
  var dialog = document.getElementById("move-dialog");
  var prompts = JSON.parse(dialog.dataset.prompts || "{}");

  function say(text, kind) {
    message.textContent = text;
    message.dataset.kind = kind;
    message.hidden = false;
  }

  function movesOf(card) {
    try {
      return JSON.parse(card.dataset.moves || "{}");
    } catch (error) {
      return {};
    }
  }

  function laneOf(element) {
    return element.closest(".board-lane");
  }

  function listFor(lane, state) {
    return lane.querySelector('.card-list[data-state="' + state + '"]');
  }

  // Open the columns the card may go to; close the others, with the reason.
  function markColumns(card) {
    var moves = movesOf(card);
    page.classList.add("is-dragging");
    laneOf(card).querySelectorAll(".board-column").forEach(function (column) {
      var state = column.dataset.state;
      var reasonLine = column.querySelector("[data-closed-reason]");
      column.classList.remove("is-open", "is-closed", "is-refusing");
      if (state === card.dataset.state) {
        return;
      }
      var move = moves[state] || {};
      if (move.trigger) {
        column.classList.add("is-open");
        column.removeAttribute("title");
      } else {
        column.classList.add("is-closed");
        column.title = move.reason || "";
        reasonLine.textContent = move.reason || "";
        reasonLine.hidden = false;
      }
    });
  }

  function clearColumns() {
    page.classList.remove("is-dragging");
    page.querySelectorAll(".board-column").forEach(function (column) {
      column.classList.remove("is-open", "is-closed", "is-refusing");
      column.removeAttribute("title");
      var reasonLine = column.querySelector("[data-closed-reason]");
      reasonLine.hidden = true;
      reasonLine.textContent = "";
    });
  }

  function putBack(card, origin) {
    var before = origin.list.children[origin.index] || null;
    if (before === card) {
      return;
    }
    origin.list.insertBefore(card, before);
  }

  function shiftCount(lane, state, delta) {
    var selectors = [
      '[data-count-state="' + state + '"]',
      '[data-total-state="' + state + '"]'
    ];
    var seen = new Set();
    selectors.forEach(function (selector, index) {
      var scope = index === 0 ? lane : document;
      scope.querySelectorAll(selector).forEach(function (counter) {
        if (seen.has(counter)) {
          return;
        }
        seen.add(counter);
        counter.textContent = String(Math.max(0, parseInt(counter.textContent, 10) + delta));
      });
    });
  }

  // Replace a card with the server's rendering of it, in the column it is in now.
  function settle(card, html, state) {
    var holder = document.createElement("template");
    holder.innerHTML = html.trim();
    var fresh = holder.content.firstElementChild;
    var target = listFor(laneOf(card), state);
    if (target && card.parentElement !== target) {
      target.insertBefore(fresh, target.firstElementChild);
      card.remove();
    } else if (target) {
      card.replaceWith(fresh);
    } else {
      card.remove();
      return null;
    }
    return fresh;
  }

  function send(card, move, origin, form, onFormError) {
    var body = form || new FormData();
    body.set("trigger", move.trigger);
    body.set("version", card.dataset.version);
    var fromState = card.dataset.state;
    var lane = laneOf(card);
    card.classList.add("is-saving");
    say(page.dataset.textSaving, "info");

    return fetch(page.dataset.moveUrl + card.dataset.taskId + "/move", {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken, Accept: "application/json" }
    })
      .then(function (response) {
        return response.json().then(function (answer) {
          return { status: response.status, answer: answer };
        });
      })
      .then(function (result) {
        var answer = result.answer;
        card.classList.remove("is-saving");
        if (answer.ok) {
          shiftCount(lane, fromState, -1);
          shiftCount(lane, answer.state, +1);
          var moved = settle(card, answer.card, answer.state);
          say(answer.message, "success");
          return { done: true, card: moved };
        }
        if (result.status === 422 && onFormError) {
          onFormError(answer.message);
          return { done: false, retry: true };
        }
        putBack(card, origin);
        var shown = card;
        if (answer.card) {
          if (answer.state !== fromState) {
            shiftCount(lane, fromState, -1);
            shiftCount(lane, answer.state, +1);
          }
          shown = settle(card, answer.card, answer.state) || card;
        }
        say(answer.message, "error");
        return { done: false, card: shown };
      })
      .catch(function () {
        card.classList.remove("is-saving");
        putBack(card, origin);
        say(page.dataset.textNetwork, "error");
        return { done: false, card: card };
      });
  }

  // Ask for the comment (and the file) a move needs; cancelling puts the card back.
  function askThenSend(card, move, origin) {
    var form = dialog.querySelector("form");
    var commentField = dialog.querySelector("[data-comment-field]");
    var evidenceField = dialog.querySelector("[data-evidence-field]");
    var error = dialog.querySelector("[data-dialog-error]");
    var title = card.querySelector(".card-title");
    form.reset();
    error.hidden = true;
    dialog.querySelector("[data-dialog-title]").textContent = move.action;
    dialog.querySelector("[data-dialog-task]").textContent = title ? title.textContent.trim() : "";
    dialog.querySelector("[data-dialog-confirm]").textContent = move.action;
    dialog.querySelector("[data-comment-label]").textContent = prompts[move.trigger] || "";
    commentField.hidden = !move.comment;
    commentField.querySelector("textarea").required = !!move.comment;
    evidenceField.hidden = !move.evidence;
    evidenceField.querySelector("input").required = !!move.evidence;

    return new Promise(function (resolve) {
      function finish(result) {
        form.removeEventListener("submit", onSubmit);
        dialog.removeEventListener("cancel", onCancel);
        cancelButton.removeEventListener("click", onCancel);
        if (dialog.open) {
          dialog.close();
        }
        resolve(result);
      }
      function onCancel(event) {
        event.preventDefault();
        putBack(card, origin);
        say(dialog.dataset.cancelled || "", "info");
        message.hidden = true;
        finish({ done: false, card: card });
      }
      function onSubmit(event) {
        event.preventDefault();
        var confirm = dialog.querySelector("[data-dialog-confirm]");
        confirm.disabled = true;
        send(card, move, origin, new FormData(form), function (text) {
          error.textContent = text;
          error.hidden = false;
        }).then(function (result) {
          confirm.disabled = false;
          if (!result.retry) {
            finish(result);
          }
        });
      }
      var cancelButton = dialog.querySelector("[data-dialog-cancel]");
      form.addEventListener("submit", onSubmit);
      dialog.addEventListener("cancel", onCancel);
      cancelButton.addEventListener("click", onCancel);
      dialog.showModal();
      var first = move.comment ? commentField.querySelector("textarea") : evidenceField.querySelector("input");
      first.focus();
    });
  }

  function begin(card, state, origin) {
    var move = movesOf(card)[state] || {};
    if (!move.trigger) {
      putBack(card, origin);
      say(move.reason || "", "error");
      return Promise.resolve({ done: false, card: card });
    }
    if (move.comment || move.evidence) {
      return askThenSend(card, move, origin);
    }
    return send(card, move, origin, null, null);
  }

  function pointOf(event) {
    if (!event) {
      return null;
    }
    var touch = event.changedTouches && event.changedTouches[0];
    var source = touch || event;
    if (typeof source.clientX !== "number") {
      return null;
    }
    return { x: source.clientX, y: source.clientY };
  }

  // The column of the card's own lane under a point, if any.
  function columnAt(point, card) {
    if (!point) {
      return null;
    }
    var found = document.elementFromPoint(point.x, point.y);
    var column = found && found.closest(".board-column");
    return column && laneOf(column) === laneOf(card) ? column : null;
  }

  // While dragging, the closed column under the pointer shows its reason in
  // red, and the card's placeholder goes home rather than stay in a column
  // it merely passed over.
  var dragging = null;
  function followPointer(event) {
    if (!dragging) {
      return;
    }
    var column = columnAt(pointOf(event), dragging.card);
    page.querySelectorAll(".is-refusing").forEach(function (other) {
      if (other !== column) {
        other.classList.remove("is-refusing");
      }
    });
    if (column && column.classList.contains("is-closed")) {
      column.classList.add("is-refusing");
      if (dragging.card.parentElement !== dragging.origin.list) {
        putBack(dragging.card, dragging.origin);
      }
    }
  }
  document.addEventListener("mousemove", followPointer, true);
  document.addEventListener("touchmove", followPointer, { capture: true, passive: true });

  function enableDragging(list) {
    if (list.dataset.sortable) {
      return;
    }
    list.dataset.sortable = "1";
    var origin = null;
    window.Sortable.create(list, {
      group: "lane-" + (list.dataset.lane || "all"),
      sort: false,
      draggable: ".board-card.is-movable",
      filter: "a, button, summary, input, textarea",
      preventOnFilter: false,
      animation: 120,
      // Mouse and touch events rather than native drag and drop: the same on
      // every browser, and closed columns can refuse the card while it moves.
      forceFallback: true,
      fallbackOnBody: true,
      onStart: function (event) {
        origin = { list: event.from, index: event.oldIndex };
        dragging = { card: event.item, origin: origin };
        markColumns(event.item);
      },
      onMove: function (event) {
        var column = event.to.closest(".board-column");
        return !column.classList.contains("is-closed");
      },
      onEnd: function (event) {
        dragging = null;
        clearColumns();
        var card = event.item;
        // The column under the pointer decides, not the last list Sortable
        // entered: passing over an open column on the way to a closed one
        // must not fire the open column's trigger.
        var column = columnAt(pointOf(event.originalEvent), card);
        if (!column) {
          column = event.to.closest(".board-column");
        }
        var state = column.dataset.state;
        if (state === card.dataset.state) {
          putBack(card, origin);
          return;
        }
        var move = movesOf(card)[state] || {};
        if (!move.trigger) {
          putBack(card, origin);
          say(move.reason || "", "error");
          message.dataset.refused = card.dataset.taskId;
          return;
        }
        var list = listFor(laneOf(card), state);
        if (card.parentElement !== list) {
          list.insertBefore(card, list.firstElementChild);
        }
        begin(card, state, origin);
      }
    });
  }

  function enableAll() {
    if (!window.Sortable) {
      return;
    }
    page.querySelectorAll(".card-list").forEach(enableDragging);
  }

  // The keyboard path: each card's "Move to…" menu fires the same move.
  document.addEventListener("click", function (event) {
    var option = event.target.closest("[data-move-to]");
    if (!option || option.disabled) {
      return;
    }
    var card = option.closest(".board-card");
    var menu = option.closest("details");
    menu.open = false;
    var origin = {
      list: card.parentElement,
      index: Array.prototype.indexOf.call(card.parentElement.children, card)
    };
    begin(card, option.dataset.moveTo, origin).then(function (result) {
      var shown = result && result.card;
      var focusable = shown && (shown.querySelector("[data-move-menu]") || shown.querySelector(".card-title"));
      if (focusable) {
        focusable.focus();
      }
    });
  });

  // Escape closes an open "Move to…" menu and returns focus to it.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") {
      return;
    }
    var menu = event.target.closest && event.target.closest("details.move-menu[open]");
    if (menu) {
      menu.open = false;
      menu.querySelector("summary").focus();
    }
  });

  // On a phone the filters fold away, so the board starts on the first screen.
  var filterBox = document.querySelector("[data-filter-box]");
  if (filterBox && window.matchMedia("(max-width: 600px)").matches) {
    filterBox.open = false;
  }

  // Filters apply as soon as they change; the URL keeps them.
  var filters = document.querySelector("[data-board-filters]");
  if (filters) {
    filters.addEventListener("change", function (event) {
      if (event.target.name === "plan") {
        ["item", "period"].forEach(function (name) {
          var field = filters.querySelector('[name="' + name + '"]');
          if (field) {
            field.value = "";
          }
        });
      }
      if (event.target.name === "district") {
        var school = filters.querySelector('[name="school"]');
        if (school) {
          school.value = "";
        }
      }
      filters.requestSubmit();
    });
  }

  document.addEventListener("DOMContentLoaded", enableAll);
  if (document.readyState !== "loading") {
    enableAll();
  }
})();
