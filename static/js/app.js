// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  // Confirm destructive actions: <form data-confirm="Bạn chắc chắn?">
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var message = form.getAttribute && form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });
  // After a refused submit the cursor goes to the first field with an error, whose error is tied
  // to it (aria-describedby), so a screen reader reads the field and what is wrong with it.
  var invalid = document.querySelector("main [aria-invalid='true']");
  if (invalid && !document.querySelector("main [autofocus]")) {
    invalid.focus();
  }
  // Copy buttons: <button data-copy="#element-id">
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.value || source.textContent).then(function () {
      button.textContent = "Đã sao chép";
    });
  });
})();
