// Two versions side by side, with added, removed and changed elements marked (bpmn-js-differ).
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";
import { diff } from "bpmn-js-differ";
import spiffModdle from "./spiffworkflow-moddle.json";

const root = document.getElementById("compare");
if (root) {
  const make = (container) => new NavigatedViewer({ container, moddleExtensions: { spiffworkflow: spiffModdle } });
  const left = make("#compare-from");
  const right = make("#compare-to");
  const get = (url) => fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then((r) => r.json());

  Promise.all([get(root.dataset.fromUrl), get(root.dataset.toUrl)])
    .then(async ([from, to]) => {
      await left.importXML(from.content);
      await right.importXML(to.content);
      left.get("canvas").zoom("fit-viewport");
      right.get("canvas").zoom("fit-viewport");
      const changes = diff(left.getDefinitions(), right.getDefinitions());
      const markAll = (viewer, ids, marker) => {
        const registry = viewer.get("elementRegistry");
        for (const id of ids) {
          if (registry.get(id)) {
            viewer.get("canvas").addMarker(id, marker);
          }
        }
      };
      markAll(left, Object.keys(changes._removed), "careflow-diff-removed");
      markAll(right, Object.keys(changes._added), "careflow-diff-added");
      markAll(left, Object.keys(changes._changed), "careflow-diff-changed");
      markAll(right, Object.keys(changes._changed), "careflow-diff-changed");
      markAll(right, Object.keys(changes._layoutChanged), "careflow-diff-layout");
      root.dataset.ready = "true";
      root.dataset.changed = Object.keys(changes._changed).join(" ");
    })
    .catch(() => {
      document.getElementById("compare-status").hidden = false;
    });
}
