// The person API client: the only module that calls `fetch`.
//
// Every failure becomes an `ApiError` carrying the HTTP status, the field errors the API sent
// (field -> [messages]) and a sentence fit to show a person. It imports no other module.

const BASE = "/api/persons/";

/** Keys of an error body that describe the request as a whole rather than one field. */
const GENERAL_KEYS = new Set(["detail", "error", "message", "non_field_errors", "__all__"]);

/** A failed request: `status` is 0 when the server could not be reached. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} message a sentence for the person using the page
   * @param {Record<string, string[]>} fields messages per field, possibly empty
   */
  constructor(status, message, fields = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.fields = fields;
  }
}

/**
 * Fetches one page of persons.
 *
 * @param {{page: number, pageSize: number, search: string, ordering: string}} query
 * @param {AbortSignal} [signal] aborts the request when a newer one replaces it
 * @returns {Promise<{count: number, next: string|null, previous: string|null, results: object[]}>}
 */
export async function listPersons(query, signal) {
  const params = new URLSearchParams({
    page: String(query.page),
    page_size: String(query.pageSize),
  });
  if (query.search) params.set("search", query.search);
  if (query.ordering) params.set("ordering", query.ordering);
  const page = await request("GET", `${BASE}?${params}`, undefined, signal);
  if (typeof page?.count !== "number" || !Array.isArray(page.results)) {
    throw new ApiError(200, "The server sent a list this page cannot read.");
  }
  return page;
}

/** Creates a person; resolves to the stored person (with its `id`). */
export function createPerson(person) {
  return request("POST", BASE, person);
}

/** Replaces a person's fields; resolves to the stored person. */
export function updatePerson(id, person) {
  return request("PUT", `${BASE}${encodeURIComponent(id)}/`, person);
}

/** Deletes a person; resolves when the API answered 204. */
export function deletePerson(id) {
  return request("DELETE", `${BASE}${encodeURIComponent(id)}/`);
}

async function request(method, url, body, signal) {
  const init = { method, headers: { Accept: "application/json" }, signal };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }

  let response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "Cannot reach the server. Check your connection and try again.");
  }

  if (response.status === 204) return null;
  const payload = await readJson(response);
  if (response.ok) {
    if (payload === undefined) {
      throw new ApiError(response.status, "The server sent an answer this page cannot read.");
    }
    return payload;
  }
  throw toApiError(response.status, payload);
}

/** The body as JSON, or `undefined` when it is empty or not JSON. */
async function readJson(response) {
  const text = await response.text().catch(() => "");
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function toApiError(status, payload) {
  const { fields, general } = splitErrors(payload);

  switch (status) {
    case 400:
      return new ApiError(status, general || "Some fields need attention.", fields);
    case 404:
      return new ApiError(status, general || "This person no longer exists.", fields);
    case 409: {
      // A conflict is a duplicate email: show it next to the email field even when the API
      // describes it in general words only.
      const message = general || "Another person already has this email.";
      if (Object.keys(fields).length === 0) fields.email = [message];
      return new ApiError(status, message, fields);
    }
    case 413:
      return new ApiError(status, general || "That is too much text to save. Shorten a field.");
    default:
      if (status >= 500) {
        const why = general ? `${general} ` : "";
        return new ApiError(status, `The server failed (HTTP ${status}). ${why}Try again shortly.`);
      }
      return new ApiError(status, general || `The request failed (HTTP ${status}).`, fields);
  }
}

/**
 * Splits an error body into per-field messages and one general sentence.
 *
 * Accepts `{"field": ["msg", ...]}`, `{"field": "msg"}` and `{"detail": "msg"}`; anything else
 * yields no fields and no sentence.
 */
function splitErrors(payload) {
  const fields = {};
  const general = [];
  if (typeof payload === "string") return { fields, general: payload };
  if (!payload || typeof payload !== "object" || Array.isArray(payload)) {
    return { fields, general: "" };
  }

  for (const [key, value] of Object.entries(payload)) {
    const messages = (Array.isArray(value) ? value : [value])
      .filter((m) => typeof m === "string" && m.length > 0);
    if (messages.length === 0) continue;
    if (GENERAL_KEYS.has(key)) general.push(...messages);
    else fields[key] = messages;
  }
  return { fields, general: general.join(" ") };
}
