// The profile page: turning desktop notifications on asks the browser's permission at once
// (the click is the user gesture browsers require); "sign out everywhere" asks to confirm.
(function () {
  "use strict";
  var desktop = document.getElementById("id_notify_desktop");
  var note = document.getElementById("notify-permission");
  function explain() {
    if (!note || !window.Notification) return;
    note.hidden = !(desktop && desktop.checked && Notification.permission === "denied");
    note.textContent = note.dataset.denied;
  }
  if (desktop) {
    desktop.addEventListener("change", function () {
      if (desktop.checked && window.Notification && Notification.permission === "default") {
        Notification.requestPermission().then(explain);
      }
      explain();
    });
    explain();
  }
  // Forms marked data-confirm ask first through dashboard.js (every dashboard page).
})();
