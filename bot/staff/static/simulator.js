/* The simulator's phone pane shows the newest message: after each text the page reloads
 * with the whole thread, and the pane (a scroll box) would otherwise open at the oldest. */
(function () {
  "use strict";
  var thread = document.getElementById("sim-thread");
  if (thread) {
    thread.scrollTop = thread.scrollHeight;
  }
})();
