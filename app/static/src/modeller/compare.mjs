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
      // careflow's own comparison also knows settings bpmn-js-differ keeps on inner parts (a timer's
      // definition, an extension property): their elements are marked as changed too.
      const ours = JSON.parse(root.dataset.changedIds || "[]");
      const changed = [...new Set([...Object.keys(changes._changed), ...ours])];
      markAll(left, changed, "careflow-diff-changed");
      markAll(right, changed, "careflow-diff-changed");
      markAll(right, Object.keys(changes._layoutChanged), "careflow-diff-layout");
      // A large diagram is unreadable at "fit": show the first change at full size on both sides.
      const focus = (viewer, ids) => {
        const element = ids.map((id) => viewer.get("elementRegistry").get(id)).find(Boolean);
        if (element) {
          viewer.get("canvas").zoom(1.0);
          viewer.get("canvas").scrollToElement(element);
        }
      };
      focus(left, [...changed, ...Object.keys(changes._removed)]);
      focus(right, [...changed, ...Object.keys(changes._added)]);
      root.dataset.ready = "true";
      root.dataset.changed = changed.join(" ");
    })
    .catch(() => {
      document.getElementById("compare-status").hidden = false;
    });
}
