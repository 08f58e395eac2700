// The page's entry point: owns the list query (page, page size, search, ordering), keeps it in
// the address bar so a reload or a shared link shows the same list, loads pages (a newer request
// cancels an older one), and wires the list, the person form and the delete confirmation.

import { listPersons } from "./api.js";
import { createDeleteConfirm } from "./confirm.js";
import { byId, debounce, fullName } from "./dom.js";
import { createPersonForm } from "./form.js";
import { ORDERINGS, createListView } from "./list.js";

const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;
const DEFAULT_ORDERING = "last_name";
const SEARCH_DELAY_MS = 300;

const query = readQuery(new URLSearchParams(location.search));
let inFlight = null;

const view = createListView({
  onSort(ordering) {
    query.ordering = ordering;
    query.page = 1;
    load();
  },
  onPage(page) {
    query.page = page;
    load({ after: () => byId("people").focus() });
  },
  onPageSize(size) {
    query.pageSize = size;
    query.page = 1;
    load();
  },
  onEdit: (person, trigger) => form.openEdit(person, trigger),
  onDelete: (person, trigger) => confirmDelete.open(person, trigger),
  onRetry: () => load(),
});

const form = createPersonForm({
  onSaved(person, created) {
    const done = `${fullName(person)} ${created ? "added" : "saved"}.`;
    announce(done);
    load({
      after: () => {
        if (!view.highlight(person.id)) {
          announce(`${done} Not on this page of the list (check the search, sort and page).`);
        }
        if (!created) view.focusRowButton(person.id, "edit-person", byId("add-person"));
      },
    });
  },
  onGone: () => load(),
});

const confirmDelete = createDeleteConfirm({
  onDeleted(person) {
    announce(`${fullName(person)} deleted.`);
    load({ after: () => byId("people").focus() });
  },
});

const search = byId("search");
search.value = query.search;
const searchSoon = debounce(() => applySearch(), SEARCH_DELAY_MS);
search.addEventListener("input", () => searchSoon());
search.addEventListener("keydown", (event) => {
  if (event.key === "Enter") {
    searchSoon.cancel();
    applySearch();
  }
});

byId("add-person").addEventListener("click", (event) => form.openAdd(event.currentTarget));
byId("people").tabIndex = -1;
document.addEventListener("keydown", (event) => {
  if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest("input, textarea, select, dialog")) return;
  event.preventDefault();
  search.focus();
  search.select();
});

load();

function applySearch() {
  const text = search.value.trim();
  if (text === query.search) return;
  query.search = text;
  query.page = 1;
  load();
}

/**
 * Loads the page `query` describes and draws it; `after` runs once it is drawn.
 *
 * A page past the end (after a delete emptied it, or from an old link) moves to the last page
 * that exists.
 */
async function load({ after } = {}) {
  inFlight?.abort();
  const controller = new AbortController();
  inFlight = controller;
  view.showQuery(query);
  view.setLoading(true);
  writeQuery();

  let data;
  try {
    data = await listPersons(query, controller.signal);
  } catch (err) {
    if (controller.signal.aborted) return;
    if (err.status === 404 && query.page > 1) {
      // The page no longer exists (the API answers 404 past the end): go to the last one.
      query.page = await findLastPage().catch(() => 1);
      if (controller.signal.aborted) return;
      return load({ after });
    }
    view.setLoading(false);
    view.showError(err.message);
    return;
  }
  if (controller.signal.aborted) return;

  const lastPage = Math.max(1, Math.ceil(data.count / query.pageSize));
  if (query.page > lastPage) {
    query.page = lastPage;
    return load({ after });
  }
  view.setLoading(false);
  view.render(query, data);
  after?.();
}

/** The number of the last page for the current search and page size. */
async function findLastPage() {
  const probe = await listPersons({ ...query, page: 1, pageSize: 1 });
  return Math.max(1, Math.ceil(probe.count / query.pageSize));
}

/** The query from the address bar; anything unusable falls back to the default. */
function readQuery(params) {
  const page = Number.parseInt(params.get("page") ?? "", 10);
  const size = Number.parseInt(params.get("page_size") ?? "", 10);
  const ordering = params.get("ordering") ?? "";
  return {
    page: page >= 1 ? page : 1,
    pageSize: size >= 1 && size <= MAX_PAGE_SIZE ? size : DEFAULT_PAGE_SIZE,
    search: (params.get("search") ?? "").trim(),
    ordering: ORDERINGS.has(ordering) ? ordering : DEFAULT_ORDERING,
  };
}

/** Mirrors the query into the address bar, leaving defaults out. */
function writeQuery() {
  const params = new URLSearchParams();
  if (query.search) params.set("search", query.search);
  if (query.ordering !== DEFAULT_ORDERING) params.set("ordering", query.ordering);
  if (query.page > 1) params.set("page", String(query.page));
  if (query.pageSize !== DEFAULT_PAGE_SIZE) params.set("page_size", String(query.pageSize));
  const search = params.toString();
  const url = `${location.pathname}${search ? `?${search}` : ""}`;
  if (url !== `${location.pathname}${location.search}`) history.replaceState(null, "", url);
}

/** Tells screen readers (and anyone looking) what just happened. */
function announce(message) {
  const region = byId("announce");
  region.textContent = "";
  requestAnimationFrame(() => {
    region.textContent = message;
  });
}
