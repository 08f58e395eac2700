// The add/edit dialog: fills the form, sends it, and shows the API's field errors next to their
// fields (a duplicate email included). Nothing typed is lost on an error: the dialog stays open
// with the values as they were.

import { ApiError, createPerson, updatePerson } from "./api.js";
import { byId, fullName, todayIso } from "./dom.js";

const FIELDS = ["first_name", "last_name", "email", "phone", "date_of_birth"];
const OPTIONAL = new Set(["email", "phone", "date_of_birth"]);

/**
 * Builds the person dialog.
 *
 * @param {{
 *   onSaved: (person: object, created: boolean) => void,
 *   onGone: () => void,
 * }} handlers `onGone` runs when the person being edited no longer exists
 */
export function createPersonForm(handlers) {
  const dialog = byId("person-dialog");
  const form = byId("person-form");
  const title = byId("person-dialog-title");
  const formError = byId("form-error");
  const save = byId("save-person");
  const inputs = Object.fromEntries(FIELDS.map((f) => [f, byId(f)]));
  let editing = null;
  let returnFocus = null;
  let busy = false;

  byId("cancel-person").addEventListener("click", () => close());
  dialog.addEventListener("cancel", (event) => {
    if (busy) event.preventDefault();
  });
  dialog.addEventListener("close", () => {
    returnFocus?.focus();
    returnFocus = null;
  });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit();
  });
  for (const field of FIELDS) {
    inputs[field].addEventListener("input", () => clearFieldError(field));
  }

  /** Opens an empty form; focus returns to `trigger` when it closes. */
  function openAdd(trigger) {
    editing = null;
    open("Add person", "Add person", {}, trigger);
  }

  /** Opens the form filled with `person`; saving replaces its fields. */
  function openEdit(person, trigger) {
    editing = person;
    open(`Edit ${fullName(person)}`, "Save changes", person, trigger);
  }

  function open(heading, action, person, trigger) {
    title.textContent = heading;
    save.textContent = action;
    for (const field of FIELDS) inputs[field].value = person[field] ?? "";
    inputs.date_of_birth.max = todayIso();
    clearErrors();
    returnFocus = trigger;
    dialog.showModal();
    inputs.first_name.focus();
  }

  function close() {
    if (busy) return;
    dialog.close();
  }

  async function submit() {
    if (busy) return;
    clearErrors();
    setBusy(true);

    const person = readForm();
    let stored;
    try {
      stored = editing ? await updatePerson(editing.id, person) : await createPerson(person);
    } catch (err) {
      setBusy(false);
      showFailure(err);
      return;
    }

    setBusy(false);
    const created = editing === null;
    dialog.close();
    handlers.onSaved(stored, created);
  }

  /** The form's values, trimmed; empty optional fields are sent as null. */
  function readForm() {
    const person = {};
    for (const field of FIELDS) {
      const value = inputs[field].value.trim();
      person[field] = value === "" && OPTIONAL.has(field) ? null : value;
    }
    return person;
  }

  function showFailure(err) {
    if (!(err instanceof ApiError)) {
      showFormError(`Saving failed: ${err.message}`);
      return;
    }
    if (err.status === 404 && editing) {
      showFormError("This person was deleted in the meantime; there is nothing to save.");
      handlers.onGone();
      return;
    }

    const unknown = [];
    let first = null;
    for (const [field, messages] of Object.entries(err.fields)) {
      if (!inputs[field]) {
        unknown.push(`${field}: ${messages.join(" ")}`);
        continue;
      }
      showFieldError(field, messages.join(" "));
      first ??= inputs[field];
    }

    const general = unknown.length > 0 ? `${err.message} ${unknown.join("; ")}` : err.message;
    if (!first || unknown.length > 0) showFormError(general);
    (first ?? formError).focus();
  }

  function showFieldError(field, message) {
    const input = inputs[field];
    const error = byId(`${field}-error`);
    error.textContent = message;
    error.hidden = false;
    input.setAttribute("aria-invalid", "true");
  }

  function clearFieldError(field) {
    const error = byId(`${field}-error`);
    error.textContent = "";
    error.hidden = true;
    inputs[field].removeAttribute("aria-invalid");
  }

  function showFormError(message) {
    formError.textContent = message;
    formError.hidden = false;
    formError.tabIndex = -1;
  }

  function clearErrors() {
    for (const field of FIELDS) clearFieldError(field);
    formError.textContent = "";
    formError.hidden = true;
  }

  function setBusy(on) {
    busy = on;
    form.setAttribute("aria-busy", String(on));
    save.disabled = on;
    save.classList.toggle("working", on);
  }

  return { openAdd, openEdit };
}
