/* The site's few behaviours, as listeners: the Content-Security-Policy runs no inline script, no inline
   event handler and no htmx hx-on code (docs/security.md §7). */
"use strict";

document.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target : null;
  // 取消 on an editor loaded into the page: drop the form instead of leaving the page.
  const dismiss = target && target.closest("[data-dismiss-form]");
  if (dismiss) {
    const form = dismiss.closest("form");
    if (form) {
      event.preventDefault();
      form.remove();
    }
    return;
  }
  // 打印本页 on the village poster.
  if (target && target.closest("[data-print]")) {
    event.preventDefault();
    window.print();
  }
});

// A form that asks before it is sent (data-confirm="…?"), e.g. 取消登记 on a relocation site.
document.addEventListener("submit", (event) => {
  const form = event.target instanceof HTMLFormElement ? event.target : null;
  const question = form && form.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
