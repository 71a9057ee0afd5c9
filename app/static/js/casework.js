// The caseworker's day in the browser: task answers saved as a draft while typing (nothing typed is
// lost, claimed or not), and print buttons. Everything works without it; this only saves clicks.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  var status = document.getElementById("autosave-status");
  if (form && window.fetch && window.FormData) {
    var timer = null;
    var saving = false;
    var again = false;
    var save = function () {
      if (saving) {
        again = true;  // typed while the last save was on its way: save once more after it
        return;
      }
      saving = true;
      again = false;
      var data = new FormData(form);
      data.set("action", "autosave");
      // getAttribute: the form has fields named "action", which hide form.action.
      fetch(form.getAttribute("action"), { method: "POST", body: data, credentials: "same-origin",
                           headers: { "Accept": "application/json" } })
        .then(function (response) {
          if (response.ok && status) {
            var now = new Date();
            status.textContent = "Draft saved at " + now.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
          }
        })
        .catch(function () { /* the next change tries again; the buttons still work */ })
        .then(function () {
          saving = false;
          if (again) {
            save();
          }
        });
    };
    var changed = function (event) {
      if (event.target && event.target.type === "file") {
        return;
      }
      window.clearTimeout(timer);
      timer = window.setTimeout(save, 1500);
    };
    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    // The buttons send the answers themselves: no background save may race them.
    form.addEventListener("submit", function () {
      window.clearTimeout(timer);
      saving = true;
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-print]"), function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
