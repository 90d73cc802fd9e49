/*
 * Session warning: a courtesy before the server's idle sign-out.
 *
 * The server is the authority (SessionTimeoutMiddleware signs the session
 * out whatever this script does). This script only warns the person shortly
 * before that happens, lets them stay, and, when time runs out, reloads the
 * page so the server can sign them out and show why. Before warning and
 * before reloading it asks the server how much time is really left, so
 * activity in another tab is respected. Checking does not count as activity.
 */
(function () {
  "use strict";

  var body = document.body;
  var dialog = document.getElementById("session-warning");
  var tokenMeta = document.querySelector('meta[name="csrf-token"]');
  if (!body.dataset.sessionStatusUrl || !dialog || !tokenMeta) {
    return; // not signed in: nothing to time
  }

  var warningSeconds = parseInt(body.dataset.sessionWarning, 10) || 120;
  var statusUrl = body.dataset.sessionStatusUrl;
  var keepaliveUrl = body.dataset.sessionKeepaliveUrl;
  var countdown = dialog.querySelector("[data-session-countdown]");
  var reasonText = dialog.querySelector("[data-session-reason]");
  var announce = dialog.querySelector("[data-session-announce]");
  var stayButton = dialog.querySelector("[data-session-stay]");

  var deadline = 0; // ms timestamp at which the server will sign us out
  var warnTimer = null;
  var tickTimer = null;
  var previouslyFocused = null;

  function describe(seconds) {
    if (seconds >= 60) {
      var minutes = Math.floor(seconds / 60);
      var rest = seconds % 60;
      var text = minutes + (minutes === 1 ? " minute" : " minutes");
      return rest ? text + " " + rest + (rest === 1 ? " second" : " seconds") : text;
    }
    return seconds + (seconds === 1 ? " second" : " seconds");
  }

  function secondsLeft() {
    return Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
  }

  function request(method, url) {
    var headers = { Accept: "application/json" };
    if (method === "POST") {
      headers["X-CSRFToken"] = tokenMeta.content;
    }
    return fetch(url, {
      method: method,
      headers: headers,
      credentials: "same-origin",
      cache: "no-store",
      redirect: "error",
    }).then(function (response) {
      if (response.status === 401) {
        return { signed_in: false };
      }
      if (!response.ok) {
        throw new Error("session check failed: " + response.status);
      }
      return response.json();
    });
  }

  // Reload without a fragment or a resubmitted form: the server sees the
  // expired session, signs it out and redirects to the sign-in page.
  function expire() {
    window.location.assign(window.location.pathname + window.location.search);
  }

  function schedule(status) {
    deadline = Date.now() + status.seconds_left * 1000;
    window.clearTimeout(warnTimer);
    var untilWarning = status.seconds_left - warningSeconds;
    if (untilWarning > 0) {
      hideWarning();
      warnTimer = window.setTimeout(checkThenWarn, untilWarning * 1000);
    } else {
      showWarning(status.renewable);
    }
  }

  function checkThenWarn() {
    request("GET", statusUrl)
      .then(function (status) {
        if (!status.signed_in) {
          expire();
        } else {
          schedule(status);
        }
      })
      .catch(function () {
        // Offline or server trouble: warn on our own estimate.
        showWarning(true);
      });
  }

  function checkThenExpire() {
    request("GET", statusUrl)
      .then(function (status) {
        if (status.signed_in && status.seconds_left > 0) {
          schedule(status); // another tab kept the session alive
        } else {
          expire();
        }
      })
      .catch(expire);
  }

  function tick() {
    var left = secondsLeft();
    countdown.textContent = describe(left);
    // A screen reader hears a few milestones, not a number every second.
    if (left === 60 || left === 30 || left === 10) {
      announce.textContent = describe(left) + " left before you are signed out.";
    }
    if (left <= 0) {
      window.clearInterval(tickTimer);
      checkThenExpire();
    }
  }

  function showWarning(renewable) {
    stayButton.hidden = !renewable;
    reasonText.textContent = renewable
      ? "For your privacy, you will be signed out in"
      : "Your session reaches its time limit. You will be signed out in";
    window.clearInterval(tickTimer);
    tick();
    tickTimer = window.setInterval(tick, 1000);
    if (!dialog.open) {
      previouslyFocused = document.activeElement;
      dialog.showModal();
      (renewable ? stayButton : dialog.querySelector("button[type=submit]")).focus();
    }
  }

  function hideWarning() {
    window.clearInterval(tickTimer);
    if (dialog.open) {
      dialog.close();
      if (previouslyFocused && previouslyFocused.focus) {
        previouslyFocused.focus();
      }
    }
  }

  function stay() {
    stayButton.disabled = true;
    request("POST", keepaliveUrl)
      .then(function (status) {
        if (!status.signed_in) {
          expire();
        } else {
          schedule(status);
        }
      })
      .catch(function () {
        announce.textContent = "We could not reach the server. Please try again.";
      })
      .finally(function () {
        stayButton.disabled = false;
      });
  }

  stayButton.addEventListener("click", stay);
  // Escape on a modal dialog closes it; someone pressing a key is present,
  // so treat it as "stay signed in" rather than leaving a silent countdown.
  dialog.addEventListener("cancel", function (event) {
    event.preventDefault();
    if (!stayButton.hidden) {
      stay();
    }
  });
  // Timers are throttled in background tabs; re-check on return.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") {
      checkThenWarn();
    }
  });

  schedule({
    seconds_left: parseInt(body.dataset.sessionLeft, 10) || parseInt(body.dataset.sessionIdle, 10),
    renewable: body.dataset.sessionRenewable !== "false",
  });
})();
