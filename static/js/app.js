// Postdesk's small client side: htmx settings, toasts from HX-Trigger, an accessible confirmation
// dialog for hx-confirm, and the language switcher. No inline scripts (the CSP forbids them).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    // Swap 422 responses (forms with errors); other 4xx/5xx keep the page and show a toast.
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "422", swap: true },
      { code: "[45]..", swap: false, error: true },
    ];
    htmx.config.includeIndicatorStyles = false;
    htmx.config.allowEval = false;

    // On a small screen the navigation folds behind the menu button. Opening it moves the focus to
    // the current page's link (or the first); Escape closes it and gives the focus back to the button.
    var menu = document.querySelector(".menu-toggle");
    var nav = document.getElementById("site-nav");
    function setMenu(open, focus) {
      menu.setAttribute("aria-expanded", open ? "true" : "false");
      nav.classList.toggle("open", open);
      if (!focus) return;
      if (open) (nav.querySelector('a[aria-current="page"]') || nav.querySelector("a") || menu).focus();
      else menu.focus();
    }
    if (menu && nav) {
      menu.addEventListener("click", function (e) {
        // A keyboard click (Enter, Space) has detail 0: take the focus into the list then.
        setMenu(menu.getAttribute("aria-expanded") !== "true", e.detail === 0);
      });
      document.addEventListener("keydown", function (e) {
        if (e.key !== "Escape" || menu.getAttribute("aria-expanded") !== "true") return;
        if (document.querySelector("dialog[open]")) return; // the dialog's own Escape comes first
        setMenu(false, nav.contains(document.activeElement) || document.activeElement === menu);
      });
    }

    var lang = document.getElementById("lang-select");
    if (lang) lang.addEventListener("change", function () {
      // Come back to the page as it is now, filters and all (htmx may have pushed a new URL).
      if (lang.form.elements.next) lang.form.elements.next.value = location.pathname + location.search;
      lang.form.submit();
    });
  });

  function toast(level, message) {
    var box = document.getElementById("toasts");
    if (!box || !message) return;
    var el = document.createElement("div");
    el.className = "toast " + (level || "info");
    el.textContent = message;
    box.appendChild(el);
    setTimeout(function () { el.remove(); }, level === "error" ? 9000 : 5000);
  }
  window.postdeskToast = toast;

  // ready is set before the first call: declared after it, the hoisted var would be reset to false
  // and init would run twice (two confirm handlers: the dialog reopened after every action).
  var ready = false;
  document.body && init();
  document.addEventListener("DOMContentLoaded", init);
  function init() {
    if (ready || !document.body) return;
    ready = true;
    document.body.addEventListener("toast", function (e) { toast(e.detail.level, e.detail.message); });
    document.body.addEventListener("htmx:sendError", function () { toast("error", "Network error"); });

    // hx-confirm opens our own <dialog> (keyboard and screen-reader friendly) instead of confirm().
    document.body.addEventListener("htmx:confirm", function (e) {
      if (!e.detail.question) return;
      e.preventDefault();
      var dlg = document.getElementById("confirm");
      if (!dlg || !dlg.showModal) { if (window.confirm(e.detail.question)) e.detail.issueRequest(true); return; }
      document.getElementById("confirm-text").textContent = e.detail.question;
      // Red only for what destroys or blocks; approving money carries data-confirm-kind="primary".
      var kindOf = e.detail.elt && e.detail.elt.closest && e.detail.elt.closest("[data-confirm-kind]");
      var ok = document.getElementById("confirm-ok");
      if (ok) ok.className = kindOf && kindOf.getAttribute("data-confirm-kind") === "primary" ? "primary" : "danger";
      dlg.returnValue = "";
      dlg.addEventListener("close", function onClose() {
        dlg.removeEventListener("close", onClose);
        if (dlg.returnValue === "ok") e.detail.issueRequest(true);
      });
      dlg.showModal();
      // Focus the safe choice: Enter or Space right after opening must not confirm.
      var safe = dlg.querySelector('button[value="cancel"]');
      (safe || document.getElementById("confirm-ok")).focus();
    });

    // Lookups (views.Lookup): the listbox under a search box; arrows move through the options,
    // Enter or a click puts the chosen account's number into the form's input, Esc closes.
    function lookupOptions(box) { return document.getElementById(box.getAttribute("aria-controls")); }
    function lookupPick(box, li) {
      var input = document.getElementById(box.getAttribute("data-lookup-for"));
      if (!input || !li || !li.getAttribute("data-value")) return;
      input.value = li.getAttribute("data-value");
      input.dispatchEvent(new Event("change", { bubbles: true }));
      box.value = li.textContent.replace(/\s+/g, " ").trim();
      var list = lookupOptions(box);
      if (list) list.innerHTML = "";
      box.setAttribute("aria-expanded", "false");
      box.removeAttribute("aria-activedescendant");
    }
    document.body.addEventListener("keydown", function (e) {
      var box = e.target;
      if (!box.matches || !box.matches("[data-lookup-for]")) return;
      var list = lookupOptions(box);
      var opts = list ? Array.prototype.slice.call(list.querySelectorAll('[role="option"]')) : [];
      if (!opts.length) return;
      var cur = opts.findIndex(function (o) { return o.getAttribute("aria-selected") === "true"; });
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        var next = e.key === "ArrowDown" ? Math.min(cur + 1, opts.length - 1) : Math.max(cur - 1, 0);
        opts.forEach(function (o, i) { o.setAttribute("aria-selected", i === next ? "true" : "false"); });
        box.setAttribute("aria-activedescendant", opts[next].id);
      } else if (e.key === "Enter" && cur >= 0) {
        e.preventDefault();
        lookupPick(box, opts[cur]);
      } else if (e.key === "Escape") {
        list.innerHTML = "";
        box.setAttribute("aria-expanded", "false");
      }
    });
    document.body.addEventListener("click", function (e) {
      var li = e.target.closest && e.target.closest('.lookup-options [role="option"]');
      if (!li) return;
      var box = document.querySelector('[aria-controls="' + li.parentNode.id + '"]');
      if (box) lookupPick(box, li);
    });
    document.body.addEventListener("htmx:afterSwap", function () {
      document.querySelectorAll(".lookup-options").forEach(function (list) {
        var box = document.querySelector('[aria-controls="' + list.id + '"]');
        if (box) box.setAttribute("aria-expanded", list.querySelector('[role="option"]') ? "true" : "false");
      });
    });

    // The field matrix colours each select by its mode; keep the colour in step with the choice.
    document.body.addEventListener("change", function (e) {
      var t = e.target;
      if (t.matches && t.matches("select.mode")) t.className = "mode mode-" + t.value;
    });

    // A file input with data-max-bytes refuses a larger file before it is sent, with the page's
    // own message (the server refuses it too, but only after the browser has started sending).
    document.body.addEventListener("change", function (e) {
      var t = e.target;
      if (!t.matches || !t.matches("input[type=file][data-max-bytes]")) return;
      var max = parseInt(t.getAttribute("data-max-bytes"), 10), big = false;
      for (var i = 0; t.files && i < t.files.length; i++) if (t.files[i].size > max) big = true;
      t.setCustomValidity(big ? (t.getAttribute("data-too-large") || "") : "");
      if (big) t.reportValidity();
    });

    // After an htmx navigation, move focus to the new content for screen-reader users.
    document.body.addEventListener("htmx:afterSettle", function (e) {
      if (e.detail.target && e.detail.target.id === "main") e.detail.target.focus();
    });
  }
})();
