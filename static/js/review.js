// Keyboard shortcuts on the review screen: j / k next / previous member, [ / ] previous / next
// month. Links carry data-hotkey; typing in a field never triggers them. Works without it.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    var target = event.target;
    var tag = target && target.tagName ? target.tagName.toLowerCase() : "";
    if (tag === "input" || tag === "textarea" || tag === "select" || (target && target.isContentEditable)) return;
    var link = document.querySelector('a[data-hotkey="' + event.key.replace(/["\\]/g, "") + '"]');
    if (link) {
      event.preventDefault();
      window.location.href = link.href;
    }
  });
})();
