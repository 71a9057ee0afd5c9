// Incidents page: a button that selects (or clears) every incident for a batch retry.
(function () {
  "use strict";
  var button = document.getElementById("select-all-incidents");
  if (!button) {
    return;
  }
  var boxes = Array.prototype.slice.call(document.querySelectorAll("input[name='incident']"));
  function label() {
    var all = boxes.every(function (box) { return box.checked; });
    button.textContent = all ? "Clear the selection" : "Select every incident";
    return all;
  }
  button.hidden = boxes.length < 2;
  label();
  button.addEventListener("click", function () {
    var all = label();
    boxes.forEach(function (box) { box.checked = !all; });
    label();
  });
  boxes.forEach(function (box) { box.addEventListener("change", label); });
})();
