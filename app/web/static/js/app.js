/* Progressive enhancement for the officials' pages. Every page works without this file; it adds:
   one-click submit, show/hide by x-ui visible_if, dd/mm/yyyy typing help, focus on the error summary,
   the "new tasks" banner (polls the inbox every 20 s) and the wait for registry lookups on a dossier. */
(function () {
  "use strict";

  var doc = document;
  var lang = doc.documentElement.lang || "vi";
  var T = {
    vi: {
      newTasks: function (n) { return "Có " + n + " việc mới."; },
      reload: "Tải lại danh sách",
      busy: "Đang gửi…"
    },
    en: {
      newTasks: function (n) { return n === 1 ? "1 new task." : n + " new tasks."; },
      reload: "Reload the list",
      busy: "Sending…"
    }
  }[lang] || null;
  if (!T) { T = { newTasks: function (n) { return "Có " + n + " việc mới."; }, reload: "Tải lại danh sách", busy: "Đang gửi…" }; }

  /* Submit once: the button is disabled right after the browser has taken the form's data. The server
     refuses a second completion anyway (the task is closed), this only spares the official a second page. */
  doc.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-once")) { return; }
    if (form.getAttribute("data-submitted") === "1") { event.preventDefault(); return; }
    form.setAttribute("data-submitted", "1");
    var buttons = form.querySelectorAll("button[type=submit], button:not([type])");
    window.setTimeout(function () {
      buttons.forEach(function (b) {
        b.disabled = true;
        b.setAttribute("aria-disabled", "true");
        if (b.getAttribute("data-busy-label")) { b.textContent = b.getAttribute("data-busy-label"); }
      });
    }, 0);
  });
  /* Coming back with the browser's Back button shows a live page again. */
  window.addEventListener("pageshow", function (e) {
    if (!e.persisted) { return; }
    doc.querySelectorAll("form[data-submitted]").forEach(function (f) {
      f.removeAttribute("data-submitted");
      f.querySelectorAll("button[aria-disabled]").forEach(function (b) { b.disabled = false; b.removeAttribute("aria-disabled"); });
    });
  });

  /* x-ui visible_if: {"other.path": [values]}; null in the list means "the other field is empty". */
  function valueOf(form, path) {
    var inputs = form.querySelectorAll("[name]");
    var found = null;
    var prefix = path + ".";
    inputs.forEach(function (el) {
      var name = el.getAttribute("name");
      if (name !== path && name.indexOf(prefix) !== 0) { return; }
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
      if (el.value && el.value.trim() !== "") { found = name === path ? el.value : true; }
    });
    return found;
  }
  function applyVisibility(form) {
    form.querySelectorAll("[data-visible-if]").forEach(function (box) {
      var rule;
      try { rule = JSON.parse(box.getAttribute("data-visible-if")); } catch (e) { return; }
      var show = Object.keys(rule).every(function (other) {
        var v = valueOf(form, other);
        var allowedValues = Array.isArray(rule[other]) ? rule[other] : [rule[other]];
        return allowedValues.some(function (allowed) {
          return allowed === null ? v === null : String(allowed) === String(v);
        });
      });
      box.hidden = !show;
    });
  }
  doc.querySelectorAll("form").forEach(function (form) {
    if (!form.querySelector("[data-visible-if]")) { return; }
    applyVisibility(form);
    form.addEventListener("change", function () { applyVisibility(form); });
    form.addEventListener("input", function () { applyVisibility(form); });
  });

  /* Length limits: said while typing (the server refuses the same), never cut silently as maxlength would. */
  doc.addEventListener("input", function (e) {
    var el = e.target;
    if (!el.hasAttribute || !el.hasAttribute("data-maxlength")) { return; }
    var limit = parseInt(el.getAttribute("data-maxlength"), 10);
    var box = el.closest(".field") || el.parentNode;
    var note = box.querySelector("[data-length-note]");
    var over = el.value.length > limit;
    if (over && !note) {
      note = doc.createElement("p");
      note.className = "field__error";
      note.setAttribute("data-length-note", "");
      note.setAttribute("role", "alert");
      box.appendChild(note);
    }
    if (note) {
      note.hidden = !over;
      note.textContent = over ? el.getAttribute("data-maxlength-message").replace("{count}", String(el.value.length)) : "";
    }
    el.setAttribute("aria-invalid", over ? "true" : (box.classList.contains("field--error") ? "true" : "false"));
  });

  /* A personal id typed at the counter shows what the population registry holds for it, in place of the
     person's block (x-ui visible_if hides the block's fields while an id is given). */
  function showRegistryCard(input) {
    var card = doc.querySelector('[data-registry-card="' + CSS.escape(input.name) + '"]');
    if (!card) { return; }
    var id = input.value.replace(/\s/g, "");
    if (!/^\d{12}$/.test(id)) { card.hidden = true; card.textContent = ""; return; }
    if (card.getAttribute("data-for") === id) { return; }
    card.setAttribute("data-for", id);
    var url = input.getAttribute("data-registry-url") + "?personal_id=" + encodeURIComponent(id);
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (answer) {
        if (card.getAttribute("data-for") !== id) { return; }
        card.textContent = "";
        card.className = "registry-card registry-card--" + answer.status;
        if (answer.status === "found") {
          var title = doc.createElement("p");
          title.className = "registry-card__title";
          title.textContent = answer.title;
          card.appendChild(title);
          var list = doc.createElement("dl");
          list.className = "facts facts--compact";
          answer.rows.forEach(function (row) {
            var item = doc.createElement("div");
            var dt = doc.createElement("dt");
            var dd = doc.createElement("dd");
            dt.textContent = row[0];
            dd.textContent = row[1];
            item.appendChild(dt);
            item.appendChild(dd);
            list.appendChild(item);
          });
          card.appendChild(list);
        } else {
          var note = doc.createElement("p");
          note.textContent = answer.message;
          card.appendChild(note);
        }
        card.hidden = false;
      })
      .catch(function () { card.hidden = true; card.removeAttribute("data-for"); });
  }
  doc.querySelectorAll("[data-registry-url]").forEach(function (input) {
    showRegistryCard(input);
    input.addEventListener("change", function () { showRegistryCard(input); });
    input.addEventListener("input", function () { showRegistryCard(input); });
  });

  /* Dates: "20022026" becomes "20/02/2026" when leaving the field. */
  doc.addEventListener("focusout", function (e) {
    var el = e.target;
    if (!el.hasAttribute || !el.hasAttribute("data-date-input")) { return; }
    var digits = el.value.replace(/\D/g, "");
    if (/^\d{8}$/.test(el.value.trim())) {
      el.value = digits.slice(0, 2) + "/" + digits.slice(2, 4) + "/" + digits.slice(4);
    }
  });

  /* After a rejected submission, the error summary gets the focus (screen readers read it first). */
  var summary = doc.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  } else {
    /* [autofocus] is honoured once per tab by some browsers; a second visit gets the focus here */
    var auto = doc.querySelector("[data-autofocus]") || doc.querySelector("[autofocus]");
    if (auto && (doc.activeElement === doc.body || doc.activeElement === null)) { auto.focus(); }
  }
  /* Links in the error summary move the focus into the field, not just scroll to it. */
  doc.querySelectorAll("[data-error-summary] a[href^='#']").forEach(function (a) {
    a.addEventListener("click", function (e) {
      var target = doc.getElementById(a.getAttribute("href").slice(1));
      if (!target) { return; }
      e.preventDefault();
      target.scrollIntoView({ block: "center" });
      target.focus();
    });
  });

  /* Attachments: more rows on demand. */
  var addButton = doc.querySelector("[data-add-attachment]");
  var rows = doc.querySelector("[data-attachment-rows]");
  if (addButton && rows) {
    addButton.hidden = false;
    addButton.addEventListener("click", function () {
      var all = rows.querySelectorAll("[data-attachment-row]");
      var last = all[all.length - 1];
      var index = all.length;
      var row = last.cloneNode(true);
      row.querySelectorAll("label, select, input").forEach(function (el) {
        ["for", "id", "name"].forEach(function (attr) {
          var v = el.getAttribute(attr);
          if (v) { el.setAttribute(attr, v.replace(/_\d+$/, "_" + index)); }
        });
        if (el.tagName === "LABEL") { el.textContent = el.textContent.replace(/\d+\s*$/, String(index + 1)); }
        if (el.type === "file") { el.value = ""; }
      });
      rows.appendChild(row);
      var select = row.querySelector("select");
      if (select) { select.focus(); }
    });
  }

  /* The "new tasks" banner: counts refresh every 20 s; the banner never moves the focus. */
  var body = doc.body;
  var pollUrl = body.getAttribute("data-poll-url");
  var banner = doc.getElementById("live-banner");
  if (pollUrl && banner && window.fetch) {
    var since = body.getAttribute("data-poll-since");
    var shown = 0;
    var poll = function () {
      if (doc.hidden) { return; }
      fetch(pollUrl + "?since=" + encodeURIComponent(since), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          Object.keys(data.counts || {}).forEach(function (tab) {
            var el = doc.querySelector("[data-count='" + tab + "']");
            var n = data.counts[tab];
            if (el) { el.textContent = data.count_cap && n > data.count_cap ? data.count_cap + "+" : n; }
          });
          if (data.new > 0 && data.new !== shown) {
            shown = data.new;
            banner.textContent = T.newTasks(data.new) + " ";
            var link = doc.createElement("a");
            link.href = window.location.pathname + window.location.search;
            link.textContent = T.reload;
            banner.appendChild(link);
          }
        })
        .catch(function () { /* offline for a moment: try again next round */ });
    };
    window.setInterval(poll, Number(body.getAttribute("data-poll-interval")) || 20000);
  }

  /* A dossier waiting for registry lookups: reload once its tasks or status change. */
  var wait = doc.querySelector("[data-wait-url]");
  if (wait && window.fetch) {
    var url = wait.getAttribute("data-wait-url");
    var status = wait.getAttribute("data-wait-status");
    var tasks = wait.getAttribute("data-wait-tasks");
    var rounds = 0;
    var check = function () {
      rounds += 1;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          var ids = (data.tasks || []).map(function (t) { return t.id; }).join(",");
          if (data.status !== status || data.pending_calls === 0 || (ids && ids !== tasks)) {
            window.location.reload();
            return;
          }
          if (rounds < 120) { window.setTimeout(check, rounds < 20 ? 1000 : 5000); }
        })
        .catch(function () { window.setTimeout(check, 5000); });
    };
    window.setTimeout(check, 800);
  }
})();
