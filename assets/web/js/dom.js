// Small DOM and formatting helpers shared by the views. Imports nothing.
//
// Text from the API only ever reaches the page through `textContent` (via `el`), never as HTML.

/**
 * Creates an element.
 *
 * @param {string} tag
 * @param {Record<string, string|boolean|Function>} [attrs] `on*` keys add listeners, `true`
 *   sets a boolean attribute, `false`/null/undefined skip it
 * @param {...(Node|string|null|undefined)} children strings become text nodes
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key === "class") {
      node.className = value;
    } else {
      node.setAttribute(key, value === true ? "" : String(value));
    }
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child);
  }
  return node;
}

/** Returns the element with this id; throws when the page lacks it (a bug in index.html). */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`index.html has no element #${id}`);
  return node;
}

/** Calls `fn` once `wait` ms have passed without another call; `.cancel()` drops a pending call. */
export function debounce(fn, wait) {
  let timer = 0;
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), wait);
  };
  debounced.cancel = () => clearTimeout(timer);
  return debounced;
}

/** "Ada Lovelace", from a person's names. */
export function fullName(person) {
  return `${person.first_name ?? ""} ${person.last_name ?? ""}`.trim();
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });

/** A server timestamp for people, or the raw text when it does not parse. */
export function formatTimestamp(value) {
  if (!value) return "";
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : dateTime.format(date);
}

/** An ISO date (YYYY-MM-DD) for people; it has no time zone, so it is formatted as UTC. */
export function formatDate(value) {
  if (!value) return "";
  const date = new Date(`${value}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? String(value) : dateOnly.format(date);
}

/** Today as YYYY-MM-DD in the local time zone (the latest allowed date of birth). */
export function todayIso() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** "1 person" / "3 people". */
export function countPeople(n) {
  return n === 1 ? "1 person" : `${n.toLocaleString()} people`;
}
