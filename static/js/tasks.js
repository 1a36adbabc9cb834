// The task list: after htmx swaps a task row, focus goes back where the user was in that row
// (the same control if the new row has it, else the row's first action, else the row itself),
// so keyboard users do not start again from the top of the page.
(function () {
  let saved = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    const row = event.detail.target;
    if (!row || !row.classList || !row.classList.contains("task-card")) return;
    const active = document.activeElement;
    const key = active && row.contains(active) ? active.dataset.focusKey || null : null;
    saved = { id: row.id, key: key };
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (!saved) return;
    const row = document.getElementById(saved.id);
    const wanted = saved.key;
    saved = null;
    if (!row) return;
    const target =
      (wanted && row.querySelector('[data-focus-key="' + wanted + '"]')) ||
      row.querySelector("[data-focus-key]") ||
      row;
    target.focus();
  });
})();
