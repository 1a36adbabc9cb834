// Small form behaviours kept out of the markup (the Content-Security-Policy allows no inline script).
(function () {
  "use strict";

  // <select data-submit-on-change>: choosing an option submits its form (e.g. the campaign switch).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target instanceof HTMLSelectElement && target.hasAttribute("data-submit-on-change") && target.form) {
      target.form.submit();
    }
  });
})();
