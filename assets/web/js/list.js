// The list view: table rows, sortable headers, the sort menu, the pager, the count, and the
// loading and error states. It draws what it is given and reports clicks through callbacks; it
// never calls the API (it must not import api.js).

import { byId, countPeople, el, formatDate, formatTimestamp, fullName } from "./dom.js";

/** Sortable fields in the order the sort menu lists them, with their menu labels. */
const SORT_FIELDS = [
  ["last_name", "Last name", "A–Z", "Z–A"],
  ["first_name", "First name", "A–Z", "Z–A"],
  ["email", "Email", "A–Z", "Z–A"],
  ["phone", "Phone", "0–9", "9–0"],
  ["date_of_birth", "Date of birth", "oldest first", "youngest first"],
  ["created_at", "Added", "oldest first", "newest first"],
];

/** Every `ordering` value the list offers: each sortable field, ascending or descending. */
export const ORDERINGS = new Set(SORT_FIELDS.flatMap(([field]) => [field, `-${field}`]));

/**
 * Builds the list view over the elements of index.html.
 *
 * @param {{
 *   onSort: (ordering: string) => void,
 *   onPage: (page: number) => void,
 *   onPageSize: (size: number) => void,
 *   onEdit: (person: object, trigger: HTMLElement) => void,
 *   onDelete: (person: object, trigger: HTMLElement) => void,
 *   onRetry: () => void,
 * }} handlers
 */
export function createListView(handlers) {
  const table = byId("people");
  const body = byId("people-body");
  const count = byId("count");
  const loading = byId("loading");
  const errorBox = byId("list-error");
  const errorMessage = byId("list-error-message");
  const pageInfo = byId("page-info");
  const prev = byId("prev-page");
  const next = byId("next-page");
  const orderingSelect = byId("ordering");
  const pageSizeSelect = byId("page-size");
  let current = { page: 1, lastPage: 1 };

  for (const [field, label, asc, desc] of SORT_FIELDS) {
    orderingSelect.append(el("option", { value: field }, `${label}, ${asc}`));
    orderingSelect.append(el("option", { value: `-${field}` }, `${label}, ${desc}`));
  }
  orderingSelect.addEventListener("change", () => handlers.onSort(orderingSelect.value));
  pageSizeSelect.addEventListener("change", () => handlers.onPageSize(Number(pageSizeSelect.value)));

  const headers = [...table.querySelectorAll("th[data-sort]")];
  for (const th of headers) {
    const field = th.dataset.sort;
    const button = el("button", {
      type: "button",
      class: "sort",
      "data-testid": `sort-${field}`,
    }, th.textContent, el("span", { class: "sort-mark", "aria-hidden": "true" }));
    button.addEventListener("click", () => {
      const ascending = th.getAttribute("aria-sort") !== "ascending";
      handlers.onSort(ascending ? field : `-${field}`);
    });
    th.replaceChildren(button);
  }

  prev.addEventListener("click", () => handlers.onPage(current.page - 1));
  next.addEventListener("click", () => handlers.onPage(current.page + 1));
  byId("retry").addEventListener("click", () => handlers.onRetry());

  /** Shows or hides the loading state; rows already drawn stay, dimmed. */
  function setLoading(on) {
    table.setAttribute("aria-busy", String(on));
    table.classList.toggle("stale", on);
    loading.hidden = !on;
  }

  /** Shows the controls for a query before its results arrive. */
  function showQuery(query) {
    orderingSelect.value = query.ordering;
    pageSizeSelect.value = String(query.pageSize);
    for (const th of headers) {
      const field = th.dataset.sort;
      const sort = query.ordering === field ? "ascending"
        : query.ordering === `-${field}` ? "descending" : null;
      if (sort) th.setAttribute("aria-sort", sort);
      else th.removeAttribute("aria-sort");
    }
  }

  /** Draws one page of results. */
  function render(query, data) {
    errorBox.hidden = true;
    const lastPage = Math.max(1, Math.ceil(data.count / query.pageSize));
    current = { page: query.page, lastPage };

    count.textContent = query.search
      ? `${countPeople(data.count)} matching “${query.search}”`
      : countPeople(data.count);

    if (data.results.length === 0) {
      const text = query.search
        ? `No one matches “${query.search}”.`
        : "No people yet. Use “Add person” to add the first one.";
      body.replaceChildren(el("tr", { class: "empty", "data-testid": "empty-row" },
        el("td", { colspan: "6" }, text)));
    } else {
      body.replaceChildren(...data.results.map((person) => row(person)));
    }

    pageInfo.textContent = `Page ${query.page} of ${lastPage}`;
    prev.disabled = query.page <= 1 || data.previous === null;
    next.disabled = query.page >= lastPage || data.next === null;
  }

  function row(person) {
    const name = fullName(person);
    const edit = el("button", {
      type: "button",
      class: "button small",
      "data-testid": "edit-person",
      "aria-label": `Edit ${name}`,
      "aria-haspopup": "dialog",
    }, "Edit");
    const remove = el("button", {
      type: "button",
      class: "button small danger-outline",
      "data-testid": "delete-person",
      "aria-label": `Delete ${name}`,
      "aria-haspopup": "dialog",
    }, "Delete");
    edit.addEventListener("click", () => handlers.onEdit(person, edit));
    remove.addEventListener("click", () => handlers.onDelete(person, remove));

    const email = person.email
      ? el("a", { href: `mailto:${person.email}` }, person.email)
      : el("span", { class: "none" }, "—");
    return el("tr", { "data-testid": "person-row", "data-person-id": String(person.id) },
      el("th", { scope: "row", "data-label": "Name", "data-testid": "cell-name" }, name),
      el("td", { "data-label": "Email", "data-testid": "cell-email" }, email),
      el("td", { "data-label": "Phone", "data-testid": "cell-phone" }, person.phone || "—"),
      el("td", { "data-label": "Born", "data-testid": "cell-date_of_birth" },
        formatDate(person.date_of_birth) || "—"),
      el("td", { "data-label": "Added", "data-testid": "cell-created_at" },
        formatTimestamp(person.created_at)),
      el("td", { class: "row-actions" }, edit, remove));
  }

  /** Shows why the list could not load; the rows from before stay, dimmed as out of date. */
  function showError(message) {
    errorMessage.textContent = `The list could not load: ${message}`;
    errorBox.hidden = false;
    table.classList.add("stale");
  }

  /** Marks a person's row briefly; false when the person is not on the page drawn. */
  function highlight(id) {
    const tr = body.querySelector(`tr[data-person-id="${CSS.escape(String(id))}"]`);
    if (!tr) return false;
    tr.classList.remove("flash");
    void tr.offsetWidth;
    tr.classList.add("flash");
    return true;
  }

  /** Moves focus to a row's button (after an edit) or, failing that, to `fallback`. */
  function focusRowButton(id, testid, fallback) {
    const selector = `tr[data-person-id="${CSS.escape(String(id))}"] [data-testid="${testid}"]`;
    const button = body.querySelector(selector);
    (button ?? fallback).focus();
  }

  return { setLoading, showQuery, render, showError, highlight, focusRowButton };
}
