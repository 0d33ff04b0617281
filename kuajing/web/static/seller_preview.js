// The product form's live preview: as the seller types, the form is sent to the preview
// address (which saves nothing) and the answer replaces the preview box. Without scripts the
// "Preview the yuan price" button does the same with a page load.
(function () {
  "use strict";
  var form = document.getElementById("product-form");
  var box = document.getElementById("preview-box");
  if (!form || !box || !window.fetch) { return; }
  var timer = null;
  var sent = 0;
  function refresh() {
    var ticket = ++sent;
    fetch(form.dataset.preview, { method: "POST", body: new FormData(form), credentials: "same-origin" })
      .then(function (answer) { return answer.status === 200 || answer.status === 422 ? answer.text() : null; })
      .then(function (html) {
        if (html !== null && ticket === sent) { box.innerHTML = html; }  // only the latest answer
      })
      .catch(function () { /* offline: the button still works */ });
  }
  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
})();

// The wine fields show while the category is wine (without scripts, after the next page load).
(function () {
  "use strict";
  var category = document.getElementById("category");
  var wine = document.getElementById("wine-label");
  if (!category || !wine) { return; }
  category.addEventListener("change", function () { wine.hidden = category.value !== "wine"; });
})();
