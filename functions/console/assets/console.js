// Faultline console: the small behaviours htmx does not cover. Everything works without it;
// this adds copy buttons and keeps focus sensible after partial updates.
(function () {
  "use strict";

  // <button data-copy="#target" [data-reveal="/url"]>: copies the target's text. When the target
  // is masked, the whole value is fetched first (the same reveal the "Show" button uses).
  async function copy(button) {
    const target = document.querySelector(button.dataset.copy);
    if (!target) return;
    if (target.dataset.masked === "true" && button.dataset.reveal) {
      const response = await fetch(button.dataset.reveal, { headers: { "HX-Request": "true" } });
      if (!response.ok) { say(button, "Could not copy"); return; }
      const holder = document.createElement("div");
      holder.innerHTML = await response.text();
      const fresh = holder.firstElementChild;
      const wrapper = target.closest(".secret") || target;
      if (!fresh) return;
      wrapper.replaceWith(fresh);
      if (window.htmx) window.htmx.process(fresh);
      const code = fresh.querySelector("code") || fresh;
      return write(button, code.textContent);
    }
    return write(button, target.textContent);
  }

  async function write(button, text) {
    try {
      await navigator.clipboard.writeText(text.trim());
      say(button, "Copied");
    } catch (e) {
      say(button, "Copy failed: select the text and copy it");
    }
  }

  function say(button, message) {
    const status = document.getElementById(button.getAttribute("aria-describedby") || "") ||
      button.parentElement.querySelector("[role=status]");
    if (status) status.textContent = message;
  }

  document.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-copy]");
    if (button) { event.preventDefault(); copy(button); }
  });
})();
