/* Pulang: small progressive enhancements. Every page works without this file.
   - the NIK is checked as it is typed (POSTed, never in a URL);
   - "new location" appears only when chosen;
   - a form that makes something (a letter, an aid item) can be sent only once. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function setupNikCheck(form) {
    var nik = form.querySelector("[data-nik-check]");
    var birth = form.querySelector("#birth_date");
    var status = document.getElementById("nik-status");
    if (!nik || !status) { return; }
    var url = form.getAttribute("data-nik-url");
    var caseId = parseInt(form.getAttribute("data-case-id") || "", 10);
    var timer = null;
    var asked = 0;

    function show(kind, text, link) {
      status.className = "nik-status " + kind;
      status.textContent = text;
      if (link) {
        var a = document.createElement("a");
        a.href = link.url;
        a.textContent = " " + link.label;
        status.appendChild(a);
      }
    }

    function check() {
      var value = nik.value.trim();
      if (!value) { show("", ""); return; }
      var ticket = ++asked;
      var body = { nik: value, birth_date: birth ? birth.value : "" };
      if (!isNaN(caseId)) { body.case_id = caseId; }
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json",
                   "X-CSRFToken": csrfToken() },
        body: JSON.stringify(body)
      }).then(function (r) { return r.ok ? r.json() : null; }).then(function (answer) {
        if (!answer || ticket !== asked) { return; }
        if (!answer.valid) {
          show("bad", answer.message);
        } else if (answer.existing_case) {
          show("warn", answer.message, { url: answer.existing_case.url,
                                         label: status.getAttribute("data-open") || "→" });
        } else if (answer.warnings.length) {
          show("warn", answer.warnings.join(" "));
        } else {
          show("ok", status.getAttribute("data-ok") || "✓");
        }
      }).catch(function () { /* the server checks again on save */ });
    }

    function later() {
      clearTimeout(timer);
      timer = setTimeout(check, 350);
    }
    nik.addEventListener("input", later);
    if (birth) { birth.addEventListener("change", later); }
    if (nik.value.trim()) { check(); }
  }

  function setupFacility(form) {
    var select = form.querySelector("select#facility");
    var wrapper = form.querySelector("[data-new-facility]");
    if (!select || !wrapper) { return; }
    var input = wrapper.querySelector("input");
    function sync() {
      // With no location recorded yet, typing one is the only way: show the box.
      var wanted = select.value === "__new__" || select.options.length <= 2 ||
                   (input && input.value.trim() !== "");
      wrapper.hidden = !wanted;
      if (select.value === "__new__" && input && document.activeElement === select) { input.focus(); }
    }
    select.addEventListener("change", sync);
    sync();
  }

  function setupOnce(form) {
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-sent")) { event.preventDefault(); return; }
      form.setAttribute("data-sent", "1");
      // Keep the pressed button's value in the request, then mark every button busy.
      var pressed = event.submitter;
      if (pressed && pressed.name) {
        var hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = pressed.name;
        hidden.value = pressed.value;
        form.appendChild(hidden);
      }
      Array.prototype.forEach.call(form.querySelectorAll("button"), function (b) {
        b.setAttribute("aria-busy", "true");
        b.disabled = true;
      });
      if (pressed && pressed.getAttribute("data-busy-label")) {
        pressed.textContent = pressed.getAttribute("data-busy-label");
      }
    });
  }

  // On a narrow screen the menu folds behind one button; the CSS decides when (the
  // button is display:none on a wide screen), this only opens and closes it.
  function setupMenu() {
    var button = document.querySelector(".menu-toggle");
    var bar = document.querySelector(".topbar");
    if (!button || !bar) { return; }
    document.documentElement.classList.add("js-menu");
    button.hidden = false;
    button.addEventListener("click", function () {
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", open ? "true" : "false");
      bar.classList.toggle("menu-open", open);
    });
  }

  // The import preview: the "Impor N baris" button counts the rows a ticked new
  // facility adds, before "Periksa ulang" (the server checks the count again anyway).
  function setupImportCount() {
    var button = document.querySelector("[data-import-count]");
    var expected = document.querySelector("[data-import-expected]");
    if (!button || !expected) { return; }
    var boxes = Array.prototype.slice.call(document.querySelectorAll("input[name=create_facility][data-rows]"));
    function ticked() {
      return boxes.reduce(function (n, b) { return n + (b.checked ? parseInt(b.getAttribute("data-rows"), 10) : 0); }, 0);
    }
    var base = parseInt(button.getAttribute("data-import-count"), 10) - ticked();
    boxes.forEach(function (b) {
      b.addEventListener("change", function () {
        var n = base + ticked();
        button.textContent = button.getAttribute("data-template").replace("{n}", n);
        expected.value = n;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupMenu();
    setupImportCount();
    Array.prototype.forEach.call(document.querySelectorAll("form[data-nik-url]"), function (f) {
      setupNikCheck(f);
      setupFacility(f);
    });
    Array.prototype.forEach.call(document.querySelectorAll("form[data-once]"), setupOnce);
    var firstError = document.querySelector("[aria-invalid='true']");
    if (firstError) { firstError.focus(); }
  });
})();
