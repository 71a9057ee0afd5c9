// Small helpers shared by the modeller's pages: JSON calls with the page's CSRF token, and the
// GOV.UK error summary drawn from a list of {element, message}.

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute("content") : "";
}

export async function callJson(url, method, payload) {
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  let body = {};
  try {
    body = await response.json();
  } catch (e) {
    body = { message: "The server's answer could not be read" };
  }
  return { status: response.status, ok: response.ok, body };
}

export function text(value) {
  const span = document.createElement("span");
  span.textContent = value == null ? "" : String(value);
  return span.innerHTML;
}

/** Fill the error summary in ``holder`` with problems; ``onPick(element)`` when one is chosen. */
export function showProblems(holder, title, problems, onPick) {
  if (!problems.length) {
    holder.hidden = true;
    holder.innerHTML = "";
    return;
  }
  const items = problems.map((p, i) => {
    const where = p.element ? `<strong>${text(p.element)}</strong>: ` : "";
    return `<li><a href="#" data-index="${i}">${where}${text(p.message)}</a></li>`;
  });
  // tabindex -1: the summary takes the focus, so keyboard users land on the problems (GOV.UK's pattern).
  holder.innerHTML = `<div class="govuk-error-summary" data-module="govuk-error-summary" tabindex="-1"><div role="alert">
    <h2 class="govuk-error-summary__title">${text(title)}</h2>
    <div class="govuk-error-summary__body"><ul class="govuk-list govuk-error-summary__list">${items.join("")}</ul></div>
  </div></div>`;
  holder.hidden = false;
  holder.querySelectorAll("a[data-index]").forEach((link) => {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      onPick(problems[Number(link.dataset.index)]);
    });
  });
  holder.querySelector(".govuk-error-summary").focus?.();
  holder.scrollIntoView({ block: "start" });
}

export function showNotice(holder, message, kind) {
  holder.innerHTML = `<div class="govuk-notification-banner${kind === "success" ? " govuk-notification-banner--success" : ""}" role="${kind === "success" ? "alert" : "region"}" aria-labelledby="notice-title">
    <div class="govuk-notification-banner__header"><h2 class="govuk-notification-banner__title" id="notice-title">${kind === "success" ? "Success" : "Important"}</h2></div>
    <div class="govuk-notification-banner__content"><p class="govuk-notification-banner__heading">${text(message)}</p></div></div>`;
  holder.hidden = false;
}

// The editor's XML handed to the browser as a file to keep.
export function offerDownload(xml, filename) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([xml], { type: "application/xml" }));
  link.download = filename;
  document.body.appendChild(link);
  link.click();
  link.remove();
}

// A chosen XML file opened in the editor, with a notice of what to do next.
export function openChosenFile(input, load, notice, nextStep) {
  input.addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (file) {
      // ``load`` answers false when the file could not be opened (it shows why; the editor keeps its diagram).
      if ((await load(await file.text())) !== false) {
        showNotice(notice, `Opened ${file.name}. ${nextStep}`, "info");
      } else {
        notice.hidden = true;
      }
      input.value = "";
    }
  });
}
