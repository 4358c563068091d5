// Small behaviours shared by every page. No inline scripts: the Content-Security-Policy forbids them.
(function () {
  "use strict";

  // Texts come from the page (data-msg-* on <body>), where they went through gettext.
  function msg(name) {
    return document.body.getAttribute("data-msg-" + name) || "";
  }

  function banner(text, kind) {
    var box = document.getElementById("connection-banner");
    if (!box) {
      box = document.createElement("div");
      box.id = "connection-banner";
      box.setAttribute("role", "alert");
      document.body.appendChild(box);
    }
    box.className = "connection-banner connection-" + kind;
    box.textContent = text;
    box.hidden = false;
  }

  function clearBanner() {
    var box = document.getElementById("connection-banner");
    if (box) box.hidden = true;
  }

  // A request that never reached the server: the connection is down. Say so plainly.
  document.addEventListener("htmx:sendError", function () {
    banner(msg("lost"), "lost");
  });
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    if (status === 403 || status === 404) {
      banner(msg(String(status)), "error");
    } else {
      banner(msg("error") + " (" + status + ")", "error");
    }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) clearBanner();
  });
  window.addEventListener("online", clearBanner);
  window.addEventListener("offline", function () {
    banner(msg("offline"), "lost");
  });
})();

// Unsaved changes: a form marked data-warn-unsaved that has been typed in makes the browser ask
// before the page is left; saving it (plain submit or htmx) clears the mark.
(function () {
  "use strict";
  var dirty = new Set();
  // Mirrored on <body data-unsaved="n"> so people (and tests) can see that something is pending.
  function mark() {
    dirty.forEach(function (form) {
      if (!document.body.contains(form)) dirty.delete(form);
    });
    document.body.setAttribute("data-unsaved", String(dirty.size));
  }
  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("form[data-warn-unsaved]");
    if (form) dirty.add(form);
    mark();
  });
  document.addEventListener("htmx:afterSettle", mark);
  document.addEventListener("submit", function (event) {
    dirty.delete(event.target);
    mark();
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("form");
    if (form && event.detail.successful) dirty.delete(form);
  });
  document.addEventListener("htmx:beforeSwap", function (event) {
    // A form replaced by the server's answer (saved, refused or cancelled) is no longer pending.
    dirty.forEach(function (form) {
      if (!document.body.contains(form) || event.detail.target.contains(form)) dirty.delete(form);
    });
  });
  window.addEventListener("beforeunload", function (event) {
    dirty.forEach(function (form) {
      if (!document.body.contains(form)) dirty.delete(form);
    });
    if (dirty.size) {
      event.preventDefault();
      event.returnValue = "unsaved"; // some browsers need a non-empty value to ask
    }
  });
})();

// Autosaved forms (progress entries): a save that never reached the server is retried when the
// connection is back, every few seconds until then; the typed values stay in the form, and the
// form says it is not saved yet.
(function () {
  "use strict";
  var pending = new Set();
  function state(form, text) {
    var box = form.querySelector(".save-state");
    if (box) box.textContent = text;
  }
  function retry() {
    pending.forEach(function (form) {
      if (!document.body.contains(form)) {
        pending.delete(form);
        return;
      }
      if (window.htmx) window.htmx.trigger(form, "submit");
    });
  }
  document.addEventListener("htmx:sendError", function (event) {
    var form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("form[data-autosave]");
    if (!form) return;
    pending.add(form);
    form.setAttribute("data-pending", "1");
    state(form, document.body.getAttribute("data-msg-unsaved") || "");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("form[data-autosave]");
    if (form && event.detail.xhr && event.detail.xhr.status) {
      pending.delete(form);
      form.removeAttribute("data-pending");
    }
  });
  window.addEventListener("online", retry);
  window.setInterval(function () {
    if (pending.size && navigator.onLine !== false) retry();
  }, 5000);
})();

// Long texts (narratives, report sections): a textarea marked data-counter shows how many
// characters it holds of its maxlength, so that nobody meets the bound by surprise.
(function () {
  "use strict";
  function format(n) {
    return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ".");
  }
  function update(area) {
    var box = area.nextElementSibling;
    if (!box || !box.classList.contains("char-counter")) return;
    var max = parseInt(area.getAttribute("maxlength"), 10);
    box.textContent = format(area.value.length) + " / " + format(max);
    box.classList.toggle("char-counter-full", area.value.length >= max);
  }
  function attach(root) {
    root.querySelectorAll("textarea[data-counter][maxlength]").forEach(function (area) {
      var next = area.nextElementSibling;
      if (!next || !next.classList.contains("char-counter")) {
        var box = document.createElement("span");
        box.className = "char-counter help";
        box.setAttribute("aria-live", "polite");
        area.insertAdjacentElement("afterend", box);
      }
      update(area);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    attach(document);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    attach(event.detail.elt || document);
  });
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("textarea[data-counter]")) update(event.target);
  });
})();
