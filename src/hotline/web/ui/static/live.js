// Live updates: an element with data-stream="URL" data-event="NAME" gets its content
// replaced by each server-sent event NAME (HTML rendered by the server).
(function () {
  "use strict";
  document.querySelectorAll("[data-stream]").forEach(function (target) {
    var source = new EventSource(target.dataset.stream);
    var dot = document.getElementById("live-state");
    source.addEventListener(target.dataset.event, function (event) {
      target.innerHTML = event.data;
      if (dot) { dot.textContent = "live"; }
    });
    source.addEventListener("gone", function () { source.close(); });
    source.onerror = function () { if (dot) { dot.textContent = "reconnecting…"; } };
    window.addEventListener("pagehide", function () { source.close(); });
  });
})();
