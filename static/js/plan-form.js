// The plan form: add and remove commitment rows in place. Without JS the same buttons post the
// form and the server re-renders it with a row more or less, so this is only a shortcut.
(function () {
  "use strict";
  var form = document.querySelector("[data-plan-form]");
  var template = document.getElementById("plan-row-template");
  if (!form || !template) return;
  var list = form.querySelector("[data-plan-rows]");
  var status = form.querySelector("[data-plan-status]");
  var max = parseInt(form.getAttribute("data-max-rows"), 10) || 10;

  // After a refused save, start at the first field to fix (on a phone it is far up the page).
  var invalid = form.querySelector("[aria-invalid='true']");
  if (invalid) invalid.focus();

  function rows() {
    return list.querySelectorAll("[data-plan-row]");
  }

  function say(message) {
    if (status) status.textContent = message;
  }

  function renumber() {
    Array.prototype.forEach.call(rows(), function (row, i) {
      var number = row.querySelector("[data-row-number]");
      if (number) number.textContent = String(i + 1);
    });
  }

  // Row names need not be consecutive (the server reads them in order), only unused.
  function nextIndex() {
    var highest = -1;
    Array.prototype.forEach.call(list.querySelectorAll("[name^='commitments-']"), function (el) {
      var match = /^commitments-(\d+)-/.exec(el.name);
      if (match) highest = Math.max(highest, parseInt(match[1], 10));
    });
    return highest + 1;
  }

  form.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[name='op']");
    if (!button) return;
    if (button.value === "add") {
      event.preventDefault();
      if (rows().length >= max) {
        say("Đã đủ " + max + " việc làm theo, không thêm được nữa.");
        return;
      }
      list.insertAdjacentHTML("beforeend", template.innerHTML.replace(/__index__/g, String(nextIndex())));
      renumber();
      var added = rows()[rows().length - 1];
      var first = added.querySelector("select, textarea, input:not([type='hidden'])");
      if (first) first.focus();
      say("Đã thêm một dòng việc làm theo.");
    } else if (button.value.indexOf("remove-") === 0) {
      var row = button.closest("[data-plan-row]");
      if (!row) return;
      event.preventDefault();
      if (rows().length <= 1) {
        say("Cần ít nhất 1 việc làm theo.");
        return;
      }
      var next = row.nextElementSibling || row.previousElementSibling;
      row.parentNode.removeChild(row);
      renumber();
      var focus = next && next.querySelector("select, textarea");
      if (focus) focus.focus();
      say("Đã bỏ một dòng. Bấm “Lưu nháp” để ghi lại thay đổi.");
    }
  });
})();
