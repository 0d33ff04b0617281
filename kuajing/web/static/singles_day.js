// Singles' Day page: the countdowns tick each second, and the stock bars follow the server's
// event streams (one per sale on now). Without JavaScript the page still shows both as of its
// loading, and buying works.
(function () {
  "use strict";
  // Counted from the seconds the server said were left, not the device's clock, which may be off.
  var loaded = Date.now();
  var starting = false;
  function tick() {
    document.querySelectorAll("time[data-countdown]").forEach(function (time) {
      var from = time.dataset.left !== undefined ? loaded + Number(time.dataset.left) * 1000
        : Date.parse(time.dataset.countdown);
      var left = Math.max(0, Math.floor((from - Date.now()) / 1000));
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      time.textContent = h + ":" + String(m).padStart(2, "0") + ":" + String(s).padStart(2, "0");
      // a sale starting: the page again, with its buy buttons (a second late, so the server agrees)
      if (left === 0 && time.dataset.starts !== undefined && !starting) {
        starting = true;
        setTimeout(function () { location.reload(); }, 1000);
      }
    });
  }
  tick();
  setInterval(tick, 1000);

  if (window.EventSource) {
    document.querySelectorAll("[data-stream]").forEach(function (cards) {
      var source = new EventSource(cards.dataset.stream);
      source.onmessage = function (event) {
        var remaining = JSON.parse(event.data);
        Object.keys(remaining).forEach(function (id) {
          var bar = document.querySelector('progress[data-deal="' + id + '"]');
          var text = document.querySelector('[data-remaining="' + id + '"]');
          if (bar) { bar.value = remaining[id]; bar.textContent = remaining[id]; }
          if (text) { text.textContent = remaining[id]; }
        });
      };
    });
  }
})();
