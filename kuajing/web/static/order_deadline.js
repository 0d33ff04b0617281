// An unpaid Singles' Day order: the minutes and seconds left to pay, counted down each second
// from what the server said was left (not the device's clock, which may be off). At zero it says
// the time has run out and the pay button stops. Without JavaScript the page shows the deadline.
(function () {
  "use strict";
  var box = document.querySelector("p[data-deadline]");
  if (!box) { return; }
  var end = Date.now() + Number(box.dataset.left) * 1000;
  var shown = box.querySelector(".left");
  var text = box.querySelector("[data-left-text]");
  var timer = null;
  function tick() {
    var left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
    if (left === 0) {
      if (timer !== null) { clearInterval(timer); }
      box.textContent = box.dataset.expired;
      box.classList.add("expired");
      document.querySelectorAll('form[action$="/pay"] button[type="submit"]').forEach(function (button) {
        button.disabled = true;
      });
      return false;
    }
    text.textContent = String(Math.floor(left / 60)).padStart(2, "0") + ":" + String(left % 60).padStart(2, "0");
    return true;
  }
  shown.hidden = false;
  if (tick()) { timer = setInterval(tick, 1000); }
})();
