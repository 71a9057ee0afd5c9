// Draws the case's process diagram with bpmn-js and marks done, current and waiting elements.
(function () {
  "use strict";
  var holder = document.getElementById("diagram");
  if (!holder || !window.BpmnJS) {
    return;
  }
  function ids(name) {
    try {
      return JSON.parse(holder.getAttribute("data-" + name) || "[]");
    } catch (e) {
      return [];
    }
  }
  function failed() {
    holder.hidden = true;
    var status = document.getElementById("diagram-status");
    if (status) {
      status.hidden = false;
    }
  }
  var viewer = new window.BpmnJS({ container: holder });
  fetch(holder.getAttribute("data-diagram-url"), { credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) {
        throw new Error("diagram " + response.status);
      }
      return response.text();
    })
    .then(function (xml) {
      return viewer.importXML(xml);
    })
    .then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      ["completed", "waiting", "current"].forEach(function (kind) {
        ids(kind).forEach(function (id) {
          if (registry.get(id)) {
            canvas.addMarker(id, kind);
          }
        });
      });
      var focus = ids("current").concat(ids("waiting")).map(function (id) {
        return registry.get(id);
      }).filter(Boolean)[0];
      var toggle = document.getElementById("diagram-toggle");
      var showingAll = true;
      function showAll() {
        canvas.zoom("fit-viewport", "auto");
        showingAll = true;
      }
      function showFocus() {
        // A large process fitted to the box is too small to read: centre the open step at a readable scale.
        var outer = canvas.viewbox().outer;
        var scale = 0.9;
        var width = outer.width / scale;
        var height = outer.height / scale;
        canvas.viewbox({
          x: focus.x + focus.width / 2 - width / 2,
          y: focus.y + focus.height / 2 - height / 2,
          width: width,
          height: height
        });
        showingAll = false;
      }
      showAll();
      if (focus && canvas.zoom() < 0.6) {
        showFocus();
      }
      if (focus && toggle) {
        toggle.hidden = false;
        toggle.textContent = showingAll ? "Show the open step" : "Show the whole process";
        toggle.addEventListener("click", function () {
          if (showingAll) {
            showFocus();
          } else {
            showAll();
          }
          toggle.textContent = showingAll ? "Show the open step" : "Show the whole process";
        });
      }
      // Zoom, fit and move with buttons (the mouse also drags to pan and Ctrl+wheel zooms).
      var controls = document.getElementById("diagram-controls");
      if (controls) {
        controls.hidden = false;
        var step = function (factor) {
          canvas.zoom(Math.min(4, Math.max(0.1, canvas.zoom() * factor)));
        };
        var pan = function (dx, dy) {
          canvas.scroll({ dx: dx, dy: dy });
        };
        var actions = {
          "zoom-in": function () { step(1.25); },
          "zoom-out": function () { step(0.8); },
          "fit": function () { showAll(); },
          "left": function () { pan(120, 0); },
          "right": function () { pan(-120, 0); },
          "up": function () { pan(0, 120); },
          "down": function () { pan(0, -120); },
          "full-screen": function () {
            // The whole screen for a large process: fitted there, its steps can be read.
            var figure = document.getElementById("diagram-area") || holder;
            if (document.fullscreenElement) {
              document.exitFullscreen();
            } else if (figure.requestFullscreen) {
              figure.requestFullscreen();
            }
          }
        };
        document.addEventListener("fullscreenchange", function () {
          var full = !!document.fullscreenElement;
          holder.classList.toggle("careflow-diagram--full", full);
          canvas.resized();
          showAll();
          var button = controls.querySelector("[data-diagram-action=full-screen]");
          if (button) {
            button.textContent = full ? "Leave full screen" : "Full screen";
          }
        });
        Array.prototype.forEach.call(controls.querySelectorAll("[data-diagram-action]"), function (button) {
          button.addEventListener("click", function () {
            var act = actions[button.getAttribute("data-diagram-action")];
            if (act) {
              act();
              if (toggle) {
                toggle.textContent = showingAll ? "Show the open step" : "Show the whole process";
              }
            }
          });
        });
      }
      holder.setAttribute("data-rendered", "true");
    })
    .catch(failed);
})();
