// A form sent back with mistakes opens on its list of them: focus goes there, so keyboard and
// screen-reader users start at what to fix, and each item links to its field.
const summary = document.querySelector(".error-summary");
if (summary) {
  summary.focus();
}
