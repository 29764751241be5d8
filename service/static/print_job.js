// Follows a print job's progress (ids and counts only) and shows the download link when
// the merged PDF is ready. Each request waits up to 10 s for the job's next step
// (?wait=10), so the page shows it when it happens. Kept out of the page so the CSP can
// forbid inline scripts.
(function () {
  "use strict";
  var box = document.getElementById("print-job");
  if (!box) { return; }
  var url = box.getAttribute("data-progress-url");
  function show(job) {
    document.getElementById("job-progress").value = job.done;
    document.getElementById("job-progress").max = job.total;
    document.getElementById("job-done").textContent = job.done;
    document.getElementById("job-total").textContent = job.total;
    var state = document.getElementById("job-state");
    state.textContent = job.state_label;
    state.setAttribute("data-state", job.state);
    if (job.state === "failed") { document.getElementById("job-error").hidden = false; }
    if (job.state !== "queued" && job.state !== "running") {
      var cancel = document.getElementById("job-cancel");
      if (cancel) { cancel.hidden = true; }
    }
    if (job.state === "done" && job.result_url) {
      document.getElementById("job-download").href = job.result_url;
      document.getElementById("job-result").hidden = false;
    }
    return job.state !== "queued" && job.state !== "running";
  }
  var last = "";
  function poll() {
    fetch(url + "?wait=10", {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.json(); })
      .then(function (job) {
        if (show(job)) { return; }
        // Moved on: ask again at once. Not moved (the wait ran out, or the server had no
        // room to wait and answered at once): ask again a little later.
        var now = job.state + "/" + job.done;
        setTimeout(poll, now === last ? 700 : 50);
        last = now;
      })
      .catch(function () { setTimeout(poll, 2000); });
  }
  poll();
}());
