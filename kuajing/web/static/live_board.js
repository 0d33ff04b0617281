// The big screen: reload the board from the server every two seconds (the server draws the
// chart), so the sales figure ticks up while the sale runs.
(function () {
  "use strict";
  var board = document.getElementById("board");
  if (!board || !window.fetch) return;
  setInterval(function () {
    fetch(board.dataset.source, { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html !== null) board.innerHTML = html; })
      .catch(function () { /* keep the last board; the next tick tries again */ });
  }, 2000);
})();
