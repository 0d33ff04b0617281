// Singles' Day page: the countdown ticks each second, and the stock bars follow the server's
// event stream. Without JavaScript the page still shows both as of its loading, and buying works.
(function () {
  "use strict";
  function tick() {
    document.querySelectorAll("time[data-countdown]").forEach(function (time) {
      var left = Math.max(0, Math.floor((Date.parse(time.dataset.countdown) - Date.now()) / 1000));
      var h = Math.floor(left / 3600), m = Math.floor((left % 3600) / 60), s = left % 60;
      time.textContent = h + ":" + String(m).padStart(2, "0") + ":" + String(s).padStart(2, "0");
    });
  }
  tick();
  setInterval(tick, 1000);

  var cards = document.querySelector("[data-stream]");
  if (cards && window.EventSource) {
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
  }
})();
