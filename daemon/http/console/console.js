// complyd console: small conveniences only; every page works without it.
// Served from the daemon (CSP script-src 'self'); no inline handlers.
"use strict";
document.addEventListener("keydown", (e) => {
  // "/" jumps to the findings' text filter, as in many consoles.
  if (e.key !== "/" || e.target.closest("input, textarea, select")) return;
  const q = document.getElementById("f-q");
  if (q) {
    e.preventDefault();
    q.focus();
  }
});
document.addEventListener("submit", (e) => {
  // Unmuting takes effect at once: ask first.
  if (e.target.id === "unmute-form" && !window.confirm("Unmute this finding now?")) e.preventDefault();
});
