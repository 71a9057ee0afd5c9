// Draws a process diagram with bpmn-js and puts, on each step, the number of cases waiting there.
(function () {
  "use strict";
  var holder = document.getElementById("heat-diagram");
  if (!holder || !window.BpmnJS) {
    return;
  }
  var heat = {};
  try {
    heat = JSON.parse(holder.getAttribute("data-heat") || "{}");
  } catch (e) {
    heat = {};
  }
  var viewer = new window.BpmnJS({ container: holder });
  function failed() {
    holder.hidden = true;
    var status = document.getElementById("heat-status");
    if (status) {
      status.hidden = false;
    }
  }
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
      var overlays = viewer.get("overlays");
      var registry = viewer.get("elementRegistry");
      Object.keys(heat).forEach(function (id) {
        var step = heat[id];
        if (!registry.get(id)) {
          return;
        }
        var badge = document.createElement("span");
        badge.className = "careflow-heat careflow-heat--" + step.level;
        badge.setAttribute("data-heat-element", id);
        badge.textContent = String(step.waiting);
        badge.title = step.name + ": " + step.waiting + " waiting now; median " + step.median + ", 90th percentile " + step.p90;
        overlays.add(id, { position: { top: -14, right: 14 }, html: badge });
        if (step.times) {
          var times = document.createElement("span");
          times.className = "careflow-heat-times";
          times.setAttribute("data-heat-times", id);
          times.textContent = step.times;
          overlays.add(id, { position: { bottom: -6, left: -10 }, html: times });
        }
      });
      viewer.get("canvas").zoom("fit-viewport", "auto");
      holder.setAttribute("data-rendered", "true");
    })
    .catch(failed);
})();
