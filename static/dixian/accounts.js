// The account form (dixian/accounts/templates/accounts/_account_fields.html): the feeds a department
// account sends are shown only while a role that has feeds is ticked. Without this script they stay shown
// and the server decides (a role without feeds keeps none).
(function () {
  "use strict";
  function sync() {
    var feeds = document.getElementById("account-feeds");
    if (!feeds) return;
    var boxes = document.querySelectorAll('input[name="roles"][data-feeds]');
    var on = false;
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].checked) on = true;
    }
    feeds.hidden = !on;
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.name === "roles") sync();
  });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", sync);
  } else {
    sync();
  }
})();
