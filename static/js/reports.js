// Reports: the "Sao chép đoạn văn" button copies the commendation text for a report.
// Without JavaScript (or clipboard access) the text stays selectable in its box.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy-target]").forEach(function (button) {
    var target = document.querySelector(button.getAttribute("data-copy-target"));
    var status = document.querySelector("[data-copy-status]");
    if (!target) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var done = function () { if (status) { status.textContent = "Đã sao chép vào bộ nhớ tạm."; } };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(target.value).then(done, function () {
          target.select();
          if (status) { status.textContent = "Đã chọn đoạn văn: bấm Ctrl+C (hoặc giữ và chọn Sao chép) để sao chép."; }
        });
      } else {
        target.focus();
        target.select();
        try { document.execCommand("copy"); done(); } catch (e) {
          if (status) { status.textContent = "Đã chọn đoạn văn: bấm Ctrl+C để sao chép."; }
        }
      }
    });
  });
})();
