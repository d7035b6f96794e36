// Behaviours shared by every page, declared in the markup with data- attributes and
// handled here by event delegation, so that pages need no inline script or handler
// (the Content-Security-Policy allows scripts from this site's files only) and
// content swapped in by htmx behaves like the rest.
//
//   <form data-confirm="Sure?">             asks before submitting
//   <form data-remove-on-success hx-post>   removed once its htmx request succeeded
//   <select data-autosubmit>                submits its form when changed;
//          data-autosubmit-clear="name"     first emptying that field of the form
//   <input data-select-on-click>            selects its whole text when clicked
//   <button data-print>                     prints the page
//   <i data-width-percent="42">             width set to 42% (inline styles are refused)
(function () {
  "use strict";

  function closest(target, selector) {
    return target instanceof Element ? target.closest(selector) : null;
  }

  document.addEventListener("submit", function (event) {
    var form = closest(event.target, "form[data-confirm]");
    if (form && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("htmx:afterRequest", function (event) {
    var element = event.detail && event.detail.elt;
    if (element && element.matches("[data-remove-on-success]") && event.detail.successful) {
      element.remove();
    }
  });

  document.addEventListener("change", function (event) {
    var select = closest(event.target, "[data-autosubmit]");
    if (!select || !select.form) return;
    var clear = select.dataset.autosubmitClear;
    if (clear && select.form.elements[clear]) select.form.elements[clear].value = "";
    select.form.submit();
  });

  document.addEventListener("click", function (event) {
    var input = closest(event.target, "[data-select-on-click]");
    if (input) input.select();
    var print = closest(event.target, "[data-print]");
    if (print) {
      event.preventDefault();
      window.print();
    }
  });

  function widths(root) {
    root.querySelectorAll("[data-width-percent]").forEach(function (element) {
      // A CSSOM write, which the policy allows (a style="" attribute it does not).
      element.style.width = Math.max(0, Math.min(100, +element.dataset.widthPercent || 0)) + "%";
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { widths(document); });
  } else {
    widths(document);
  }
  document.addEventListener("htmx:afterSettle", function (event) { widths(event.target); });
})();
