// Polls an upload's reading (counts, page numbers and reason codes only) and shows the
// pages that need a clerk once it is done. Kept out of the page so the CSP can forbid
// inline scripts; the labels come from <template>s the page renders in its language.
(function () {
  "use strict";
  var box = document.getElementById("scan-job");
  if (!box) { return; }
  var url = box.getAttribute("data-progress-url");
  function labels(id) {
    var out = {};
    var t = document.getElementById(id);
    if (!t) { return out; }
    Array.prototype.forEach.call(t.content.querySelectorAll("[data-code]"), function (el) {
      out[el.getAttribute("data-code")] = el.textContent;
    });
    return out;
  }
  var reasons = labels("scan-reasons");
  var states = labels("scan-states");
  var pageLabel = document.getElementById("scan-page-label").content.textContent.trim();
  function show(scan) {
    document.getElementById("scan-progress").value = scan.progress;
    document.getElementById("scan-state").textContent = states[scan.state] || scan.state;
    document.getElementById("scan-pages").textContent = scan.pages;
    document.getElementById("scan-matched").textContent = scan.matched;
    document.getElementById("scan-unmatched").textContent = scan.unmatched.length;
    if (scan.error) {
      var error = document.getElementById("scan-error");
      error.textContent = scan.error;
      error.hidden = false;
    }
    var finished = scan.state === "done" || scan.state === "failed";
    if (finished) {
      var list = document.getElementById("scan-unmatched-list");
      list.textContent = "";
      scan.unmatched.forEach(function (u) {
        var li = document.createElement("li");
        li.textContent = pageLabel.replace("{n}", u.page) + ": " + (reasons[u.reason] || u.reason);
        list.appendChild(li);
      });
      document.getElementById("scan-result").hidden = false;
    }
    return finished;
  }
  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (scan) { if (!show(scan)) { setTimeout(poll, 700); } })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
}());
