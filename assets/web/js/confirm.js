// The delete confirmation: names the person, deletes only after an explicit "Delete", and keeps
// the dialog open with the reason when the delete fails.

import { ApiError, deletePerson } from "./api.js";
import { byId, fullName } from "./dom.js";

/**
 * Builds the confirmation dialog.
 *
 * @param {{ onDeleted: (person: object) => void }} handlers runs after a 204, and after a 404
 *   (someone else deleted the person first: the outcome is the same)
 */
export function createDeleteConfirm(handlers) {
  const dialog = byId("confirm-dialog");
  const message = byId("confirm-message");
  const error = byId("confirm-error");
  const cancel = byId("confirm-cancel");
  const confirm = byId("confirm-delete");
  let person = null;
  let returnFocus = null;
  let busy = false;

  cancel.addEventListener("click", () => {
    if (!busy) dialog.close();
  });
  confirm.addEventListener("click", () => remove());
  dialog.addEventListener("cancel", (event) => {
    if (busy) event.preventDefault();
  });
  dialog.addEventListener("close", () => {
    returnFocus?.focus();
    returnFocus = null;
  });

  /** Asks whether to delete `person`; focus starts on the harmless choice. */
  function open(target, trigger) {
    person = target;
    returnFocus = trigger;
    message.textContent = `${fullName(target)} will be removed for good. This cannot be undone.`;
    error.hidden = true;
    error.textContent = "";
    dialog.showModal();
    cancel.focus();
  }

  async function remove() {
    if (busy || !person) return;
    setBusy(true);

    try {
      await deletePerson(person.id);
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 404)) {
        setBusy(false);
        error.textContent = `Deleting failed: ${err.message}`;
        error.hidden = false;
        return;
      }
    }

    setBusy(false);
    const deleted = person;
    returnFocus = null;
    dialog.close();
    handlers.onDeleted(deleted);
  }

  function setBusy(on) {
    busy = on;
    confirm.disabled = on;
    cancel.disabled = on;
    confirm.classList.toggle("working", on);
  }

  return { open };
}
