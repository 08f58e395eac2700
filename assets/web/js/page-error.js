// Loaded as a classic script before the modules: a failure of the page's own code (a module that
// does not load, an exception nobody caught) shows as a banner instead of a page that silently
// stops answering. Imports nothing.

(function watchForPageErrors() {
  function show(message) {
    const banner = document.getElementById("page-error");
    if (!banner) return;
    banner.textContent = `Something went wrong in this page: ${message}. Reloading may help.`;
    banner.hidden = false;
  }

  window.addEventListener("error", (event) => {
    // Resource load errors (an image, a stylesheet) have no message and are not code failures.
    if (event.message) show(event.message);
  });
  window.addEventListener("unhandledrejection", (event) => {
    const reason = event.reason;
    if (reason && reason.name === "AbortError") return;
    show(reason && reason.message ? reason.message : String(reason));
  });
})();
