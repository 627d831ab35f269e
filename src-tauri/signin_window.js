// Runs in Garmin's sign-in page before the page's own scripts (see signin_window.rs and
// docs/sign-in-window.md). It can only navigate this window, as the page itself can; the
// app's navigation hook decides what each navigation means.
(function () {
  "use strict";
  var settings = __SETTINGS__;
  var moved = false;

  function ticketAddress(ticket, via) {
    var sep = settings.service.indexOf("?") >= 0 ? "&" : "?";
    // The fragment only tells the app's log which way the ticket came; the address is
    // never loaded.
    return settings.service + sep + "ticket=" + encodeURIComponent(ticket) + "#via=" + via;
  }

  function go(address) {
    if (moved) return;
    moved = true;
    window.location.assign(address);
  }

  // A sign-in request, not the page's analytics: only these start the stall clock.
  function isSignInPost(method, url) {
    return String(method).toUpperCase() === "POST" && /login|mfa|verify|sign-?in/i.test(String(url));
  }

  // --- A ticket that only comes in a JSON answer --------------------------------------
  function findTicket(value, depth) {
    if (!value || typeof value !== "object" || depth > 4) return null;
    var t = value.serviceTicketId;
    if (typeof t === "string" && /^ST-[A-Za-z0-9.-]+$/.test(t)) return t;
    for (var key in value) {
      if (Object.prototype.hasOwnProperty.call(value, key)) {
        var inner = findTicket(value[key], depth + 1);
        if (inner) return inner;
      }
    }
    return null;
  }

  function answered(text) {
    if (typeof text !== "string" || text.indexOf("serviceTicketId") < 0) return;
    var data = null;
    try {
      data = JSON.parse(text);
    } catch (e) {
      return;
    }
    var ticket = findTicket(data, 0);
    // The page usually navigates by itself: give it a moment to, then go in its place.
    if (ticket) setTimeout(function () { go(ticketAddress(ticket, "answer")); }, 1000);
  }

  if (typeof window.fetch === "function") {
    var pageFetch = window.fetch;
    window.fetch = function (input, init) {
      var method = (init && init.method) || (input && input.method) || "GET";
      var target = typeof input === "string" ? input : (input && input.url) || String(input);
      if (isSignInPost(method, target)) armStall();
      return pageFetch.apply(this, arguments).then(function (response) {
        try {
          response.clone().text().then(answered, function () {});
        } catch (e) {
          // A body that cannot be cloned is not one we need.
        }
        return response;
      });
    };
  }

  var pageOpen = XMLHttpRequest.prototype.open;
  var pageSend = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.open = function (method, url) {
    this.__signinPost = isSignInPost(method, url);
    return pageOpen.apply(this, arguments);
  };
  XMLHttpRequest.prototype.send = function () {
    var xhr = this;
    if (xhr.__signinPost) armStall();
    xhr.addEventListener("load", function () {
      try {
        if (xhr.responseType === "" || xhr.responseType === "text") answered(xhr.responseText);
        else if (xhr.responseType === "json") answered(JSON.stringify(xhr.response));
      } catch (e) {
        // Unreadable answers are not ours to judge.
      }
    });
    return pageSend.apply(this, arguments);
  };

  // --- New windows: the same window goes there instead ----------------------------------
  window.open = function (url) {
    if (url === undefined || url === null || String(url) === "" || String(url) === "about:blank") {
      return null;
    }
    var address;
    try {
      address = new URL(String(url), window.location.href);
    } catch (e) {
      return null;
    }
    if (address.searchParams.has("ticket")) {
      if (!address.hash) address.hash = "via=window-open";
      go(address.href);
    } else {
      window.location.assign(address.href);
    }
    // What a blocked pop-up answers.
    return null;
  };

  function sameWindow(event) {
    var el = event.target;
    while (el && el.nodeType === 1) {
      var tag = el.tagName;
      if ((tag === "A" || tag === "AREA" || tag === "FORM") && el.target) {
        var t = el.target.toLowerCase();
        if (t !== "_self" && t !== "_top" && t !== "_parent") el.target = "_self";
        return;
      }
      el = el.parentNode;
    }
  }
  document.addEventListener("click", sameWindow, true);
  document.addEventListener("auxclick", sameWindow, true);

  // --- Stuck: nothing after Submit, or a challenge that does not clear ------------------
  var stallTimer = null;
  function stuck(reason) {
    if (moved) return;
    // Stopped by the app's hook before any request: the page stays as it is.
    window.location.assign(settings.stuck + "?reason=" + reason);
  }
  function armStall() {
    if (stallTimer !== null) clearTimeout(stallTimer);
    stallTimer = setTimeout(function () { stallTimer = null; stuck("no_navigation"); }, settings.stallMs);
  }
  function disarmStall() {
    if (stallTimer !== null) clearTimeout(stallTimer);
    stallTimer = null;
  }
  document.addEventListener("submit", armStall, true);
  // Someone typing (a code, a corrected password) is not a stalled page.
  document.addEventListener("keydown", disarmStall, true);

  function isChallenge() {
    var title = document.title || "";
    if (/^\s*(just a moment|attention required|performing security verification)/i.test(title)) return true;
    return !!document.querySelector(
      "#challenge-form, #challenge-stage, #cf-challenge-running, script[src*='/cdn-cgi/challenge-platform/']"
    );
  }
  document.addEventListener("DOMContentLoaded", function () {
    // A challenge that clears navigates (or reloads) the window, which ends this timer.
    if (isChallenge()) setTimeout(function () { stuck("challenge"); }, settings.stallMs);
  });
})();
