// The case picker of the ceremony pages (service/html/web/_case_picker.html): filter
// the open cases as you type or by facility and origin, tick all those shown, and see
// how many are ticked. Kept out of the page so the CSP can forbid inline scripts;
// without it every case is listed and ticked one by one.
(function () {
  "use strict";
  function setup(picker) {
    var rows = Array.prototype.slice.call(picker.querySelectorAll("tbody tr"));
    var text = picker.querySelector("[data-picker-filter]");
    var facility = picker.querySelector("[data-picker-facility]");
    var origin = picker.querySelector("[data-picker-origin]");
    var count = picker.querySelector("[data-picker-count]");
    var empty = picker.querySelector("[data-picker-empty]");
    picker.querySelector("[data-picker-tools]").hidden = false;

    function shown() { return rows.filter(function (r) { return !r.hidden; }); }
    function box(row) { return row.querySelector("input[type=checkbox]"); }
    function recount() {
      var ticked = rows.filter(function (r) { return box(r).checked; }).length;
      count.textContent = count.getAttribute("data-template")
        .replace("{n}", ticked).replace("{total}", rows.length);
    }
    function filter() {
      var words = text.value.toLowerCase().split(/\s+/).filter(Boolean);
      rows.forEach(function (r) {
        var hay = r.getAttribute("data-text");
        r.hidden = !(words.every(function (w) { return hay.indexOf(w) >= 0; }) &&
                     (!facility.value || r.getAttribute("data-facility") === facility.value) &&
                     (!origin.value || r.getAttribute("data-origin") === origin.value));
      });
      empty.hidden = shown().length > 0;
    }
    function tick(value) {
      return function () {
        shown().forEach(function (r) { box(r).checked = value; });
        recount();
      };
    }
    text.addEventListener("input", filter);
    facility.addEventListener("change", filter);
    origin.addEventListener("change", filter);
    picker.querySelector("[data-picker-all]").addEventListener("click", tick(true));
    picker.querySelector("[data-picker-none]").addEventListener("click", tick(false));
    picker.addEventListener("change", function (e) { if (e.target.type === "checkbox") { recount(); } });
    recount();
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-picker]"), setup);
  });
}());
