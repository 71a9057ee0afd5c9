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
      canvas.zoom("fit-viewport", "auto");
      ["completed", "waiting", "current"].forEach(function (kind) {
        ids(kind).forEach(function (id) {
          if (registry.get(id)) {
            canvas.addMarker(id, kind);
          }
        });
      });
      holder.setAttribute("data-rendered", "true");
    })
    .catch(failed);
})();
