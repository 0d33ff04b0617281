// The resident ID number, checked as the buyer types: 17 digits and a check character by
// ISO 7064 MOD 11-2, the rule the server applies again when the form is sent.
(function () {
  "use strict";
  var WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  var CHECK = "10X98765432";

  function valid(value) {
    if (!/^\d{17}[\dXx]$/.test(value)) return false;
    var sum = 0;
    for (var i = 0; i < 17; i++) sum += Number(value[i]) * WEIGHTS[i];
    return CHECK[sum % 11] === value[17].toUpperCase();
  }

  document.querySelectorAll("input[data-resident-id]").forEach(function (input) {
    var live = document.getElementById(input.id + "-live");
    function check(event) {
      var ok = input.value === "" || valid(input.value);
      if (!event && ok) return;  // on load: keep what the server said of a number that passes
      input.setCustomValidity(ok ? "" : input.dataset.residentId);
      input.setAttribute("aria-invalid", ok ? "false" : "true");
      if (live) live.textContent = ok ? "" : input.dataset.residentId;
    }
    input.addEventListener("input", check);
    // at once too: a form shown again keeps what was typed, and a fast typist may have
    // started before this script ran
    check(null);
  });
})();
