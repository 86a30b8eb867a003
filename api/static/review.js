// Keyboard shortcuts for the review pages: a/r/e/s decide (the same keys in every language: the
// buttons' data-key, api/words.py DECISION_KEYS), j/k move, Enter opens.
(function () {
  "use strict";

  // What the script says comes from the page, in the page's language (base.html #ui-strings,
  // api/i18n.py js_strings): {name} marks where a value goes.
  var strings = null;

  function t(key, values) {
    if (strings === null) {
      var block = document.getElementById("ui-strings");
      try { strings = block ? JSON.parse(block.textContent) : {}; } catch (e) { strings = {}; }
    }
    var text = strings[key] || key;
    return text.replace(/\{(\w+)\}/g, function (whole, name) {
      return values && Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  }

  function pageLanguage() {
    return document.documentElement.lang || undefined;
  }

  // A time of day as the pages write theirs (api/i18n.py format_clock): in UTC, whatever the
  // computer's own time zone, on a 24-hour clock ("21:08"). The strings say "UTC" after it.
  function utcClock(date) {
    return date.toLocaleTimeString(pageLanguage(), { timeZone: "UTC", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  }

  function typing(event) {
    var t = event.target;
    if (!t) return false;
    if (t.tagName === "INPUT") return t.type !== "checkbox" && t.type !== "radio";
    return t.tagName === "TEXTAREA" || t.tagName === "SELECT";
  }

  function itemPage(event) {
    var key = event.key;
    var button = document.querySelector('#decide button[data-key="' + key + '"]');
    if (button) {
      event.preventDefault();
      button.click();
      return true;
    }
    var link = key === "j" ? document.getElementById("next") : key === "k" ? document.getElementById("prev") : null;
    if (link) {
      event.preventDefault();
      window.location.assign(link.href);
      return true;
    }
    return false;
  }

  var selected = 0;

  function select(rows, index) {
    if (!rows.length) return;
    selected = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach(function (row, i) { row.classList.toggle("selected", i === selected); });
    rows[selected].scrollIntoView({ block: "nearest" });
  }

  // A focused link or button does its own thing on Enter (keyboard-only use): only Enter on the
  // page itself opens the row selected with j/k.
  function onControl(event) {
    var t = event.target;
    return !!(t && t.closest && t.closest("a[href], button, summary, [contenteditable]"));
  }

  function queuePage(event) {
    var rows = Array.prototype.slice.call(document.querySelectorAll("#queue tr.row"));
    if (!rows.length) return;
    if (event.key === "Enter" && onControl(event)) return;
    if (event.key === "j") select(rows, selected + 1);
    else if (event.key === "k") select(rows, selected - 1);
    else if (event.key === "Enter") window.location.assign(rows[selected].dataset.href);
    else return;
    event.preventDefault();
  }

  // Keep the claim while the item page is open; say so plainly when it is lost, and when it
  // could not be renewed (a server error or no network): the lease then runs out at the time
  // shown unless a retry gets through (retries come sooner than renewals, so one failed
  // renewal does not use up the rest of the lease), and a colleague may take the item after.
  function heartbeat(form) {
    var lease = parseInt(form.dataset.lease, 10) || 300;
    var every = Math.max(5, lease / 2) * 1000;
    var retry = Math.max(2, lease / 6) * 1000;
    var token = form.querySelector("input[name=csrf_token]").value;
    var note = document.getElementById("lease");
    var held = note.textContent;
    var renewedAt = Date.now();
    function unsure() {
      note.textContent = t("claimUnsure", { time: utcClock(new Date(renewedAt + lease * 1000)) });
      note.classList.add("warning");
      setTimeout(renew, retry);
    }
    function renew() {
      fetch(form.dataset.renew, { method: "POST", headers: { "X-CSRFToken": token }, credentials: "same-origin" })
        .then(function (response) {
          if (response.status === 409) {
            note.textContent = t("claimLost");
          } else if (response.redirected || response.status === 400) {
            // Sent to the login page (or the token refused): the session ended in another tab.
            note.textContent = t("claimLoggedOut");
          } else if (response.ok) {
            renewedAt = Date.now();
            note.textContent = held;
            note.classList.remove("warning");
            setTimeout(renew, every);
          } else {
            unsure();
          }
        }, unsure);
    }
    setTimeout(renew, every);
  }

  // Following a link away from the item (to the queue, the alerts...) gives the claim back, so
  // colleagues need not wait for the lease to run out. Not for a link opened in another tab, nor
  // on a reload or a decision: the next page may claim the same item again.
  function releaseOnLeave(form) {
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[href]");
      if (!link || event.defaultPrevented || event.button !== 0) return;
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey || link.target) return;
      if (link.pathname === window.location.pathname) return;
      var data = new FormData();
      data.append("csrf_token", form.querySelector("input[name=csrf_token]").value);
      navigator.sendBeacon(form.dataset.release, data);
    });
  }

  // The queue page's figures, refreshed in place while the tab is visible: a moderator who left
  // it open sees today's numbers, without a reload that would lose the selected row or focus.
  // Paused while the tab is hidden; refreshed at once when it shows again. Screen readers hear
  // a change of the counts once (a polite status), not every poll.
  //
  // When the refresh fails, the page says so rather than show old figures as current: after
  // NOTICE_AFTER failures in a row (server errors, network down), a small notice under the
  // figures, and the polls space out (doubling, up to MAX_DELAY) until one succeeds. An answer
  // that will not heal stops the polling for good, with the reason: the session ended (sent to
  // the login page, 401, 403), or the page's own address became wrong (400, 404: e.g. the
  // alert incident in the filter was deleted). The notice's state is on #stats' data-failures
  // and data-polling, for the tests.
  var NOTICE_AFTER = 3;
  var MAX_DELAY = 300 * 1000;

  function refreshCounts(stats) {
    var every = Math.max(5, parseFloat(stats.dataset.refresh) || 20) * 1000;
    var open = document.getElementById("count-open");
    var claimed = document.getElementById("count-claimed");
    var oldest = document.getElementById("oldest-wait");
    var start = document.getElementById("start");
    var live = document.getElementById("counts-live");
    var stale = document.getElementById("queue-stale");
    var notice = document.getElementById("counts-notice");
    var loaded = open.textContent + "/" + claimed.textContent;
    var timer = null;
    var ended = false;
    var failures = 0;
    var lastGood = new Date();

    function show(data) {
      var before = open.textContent + "/" + claimed.textContent;
      var now = data.open + "/" + data.claimed;
      open.textContent = String(data.open);
      claimed.textContent = String(data.claimed);
      oldest.textContent = data.oldest_wait || "\u2014";
      if (start) start.disabled = !data.open;
      if (stale) stale.hidden = now === loaded;
      if (now !== before) {
        live.textContent = t("queueUpdated", { open: data.open, claimed: data.claimed });
      }
    }

    function say(text) {
      if (!notice) return;
      notice.textContent = text;
      notice.hidden = !text;
    }

    function delay() {
      return Math.min(MAX_DELAY, every * Math.pow(2, failures));
    }

    function minutes(ms) {
      var m = Math.floor(ms / 60000);
      var sec = Math.round((ms % 60000) / 1000);
      return m < 1 ? sec + " s" : m + " min" + (sec ? " " + sec + " s" : "");
    }

    function succeeded(data) {
      failures = 0;
      lastGood = new Date();
      stats.dataset.failures = "0";
      say("");
      show(data);
    }

    function failed(why) {
      failures += 1;
      stats.dataset.failures = String(failures);
      if (failures >= NOTICE_AFTER) {
        say(t("countsStale", { time: utcClock(lastGood), why: why, delay: minutes(delay()) }));
        if (failures === NOTICE_AFTER) live.textContent = notice ? notice.textContent : "";  // once
      }
    }

    function stop(text) {
      ended = true;
      stats.dataset.polling = "stopped";
      pause();
      say(text);
      live.textContent = text;
    }

    function poll() {
      timer = null;
      fetch(stats.dataset.counts, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
        .then(function (response) {
          // Sent to the login page: the session ended (logged out in another tab).
          if (response.redirected || response.status === 401 || response.status === 403) {
            stop(t("countsLoggedOut"));
            return null;
          }
          if (response.ok) {
            return response.json().then(succeeded, function () { failed(t("unreadable")); });
          }
          // Asking again will not help: the address itself is wrong now (a deleted incident).
          if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
            return response.json().then(
              // message: the detail in the page's language (api/errors.py)
              function (body) { return body && (body.message || body.detail); },
              function () { return null; }
            ).then(function (detail) {
              stop(t("countsRefused", { detail: detail || t("serverRefused", { status: response.status }) }));
            });
          }
          failed(t("serverAnswered", { status: response.status }));  // 5xx, 408, 429: it may heal
          return null;
        }, function () { failed(t("unreachable")); })
        .then(schedule, schedule);
    }

    function schedule() {
      if (ended || timer !== null || document.visibilityState === "hidden") return;
      timer = setTimeout(poll, delay());
    }

    function pause() {
      if (timer !== null) clearTimeout(timer);
      timer = null;
    }

    stats.dataset.failures = "0";
    stats.dataset.polling = "on";
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "hidden") pause();
      else if (!ended) { pause(); poll(); }
    });
    schedule();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var rows = Array.prototype.slice.call(document.querySelectorAll("#queue tr.row"));
    select(rows, 0);
    var form = document.getElementById("decide");
    if (form && form.dataset.renew) heartbeat(form);
    if (form && form.dataset.release) releaseOnLeave(form);
    var stats = document.getElementById("stats");
    if (stats && stats.dataset.counts) refreshCounts(stats);
  });

  document.addEventListener("keydown", function (event) {
    if (typing(event) || event.ctrlKey || event.metaKey || event.altKey) return;
    if (document.getElementById("decide") || document.getElementById("next") || document.getElementById("prev")) {
      if (itemPage(event)) return;
    }
    queuePage(event);
  });
})();
