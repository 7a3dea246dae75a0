// The softphone: polls what each virtual phone hears, and relays buttons, keys and WAV
// uploads to /ui/softphone (which talks to the simulator). No data leaves this server.
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var phones = document.getElementById("phones");
  var errorBox = document.getElementById("softphone-error");
  var speak = document.getElementById("speak");
  var extra = [];
  var spoken = {};

  function fail(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  }

  function post(url, body, type) {
    var headers = { "X-CSRF-Token": csrf };
    if (type) { headers["Content-Type"] = type; }
    return fetch(url, { method: "POST", headers: headers, body: body, credentials: "same-origin" })
      .then(function (response) {
        return response.json().then(function (data) {
          if (!response.ok) { throw new Error((data.error && data.error.message) || response.statusText); }
          fail("");
          return data;
        });
      });
  }

  function card(number) {
    return phones.querySelector('.phone[data-number="' + number + '"]');
  }

  function addPhone(number) {
    if (card(number)) { return; }
    var node = document.getElementById("phone-template").content.firstElementChild.cloneNode(true);
    node.dataset.number = number;
    node.setAttribute("aria-label", "Phone " + number);
    node.querySelector("h2").textContent = "Caller " + number;
    phones.prepend(node);
    extra.push(number);
  }

  function show(state) {
    var node = card(state.number);
    if (!node) { return; }
    var status = state.status === "idle" ? "idle" : (state.ringing ? "ringing" : state.status);
    var idle = state.status === "idle";
    // An idle phone keeps showing its last call's final words (e.g. the goodbye).
    var heard = (idle ? state.last_prompt : state.prompt) || "";
    node.dataset.state = status;
    node.querySelector(".phone-status").textContent = (idle && heard ? "idle · call ended" : status) + (state.listening ? " · listening for " + state.listening : "");
    node.querySelector(".heard").textContent = heard;
    // Only a call in progress speaks: an idle phone's old goodbye is shown, not read out.
    if (speak.checked && !idle && heard && spoken[state.number] !== heard && window.speechSynthesis) {
      spoken[state.number] = heard;
      window.speechSynthesis.speak(new SpeechSynthesisUtterance(heard));
    }
  }

  function poll() {
    var query = extra.map(function (n) { return "extra=" + encodeURIComponent(n); }).join("&");
    fetch("/ui/softphone/state" + (query ? "?" + query : ""), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(new Error(r.statusText)); })
      .then(function (data) { data.phones.forEach(show); })
      .catch(function (error) { fail("Cannot reach the phones: " + error.message); })
      .finally(function () { window.setTimeout(poll, 400); });
  }

  function phoneUrl(number, action) {
    return "/ui/softphone/phones/" + encodeURIComponent(number) + "/" + action;
  }

  phones.addEventListener("click", function (event) {
    var button = event.target.closest("button");
    if (!button) { return; }
    var number = button.closest(".phone").dataset.number;
    var request = button.dataset.key
      ? post(phoneUrl(number, "press"), JSON.stringify({ digits: button.dataset.key }), "application/json")
      : post(phoneUrl(number, button.dataset.action), null);
    request.catch(function (error) { fail(error.message); });
  });

  phones.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches("[data-upload]") || !input.files.length) { return; }
    var number = input.closest(".phone").dataset.number;
    post(phoneUrl(number, "recording"), input.files[0], "audio/wav")
      .then(function () { input.value = ""; })
      .catch(function (error) { fail(error.message); });
  });

  document.getElementById("dial").addEventListener("submit", function (event) {
    event.preventDefault();
    var from = document.getElementById("dial-from").value;
    post("/ui/softphone/dial", JSON.stringify({ from: from }), "application/json")
      .then(function (data) { addPhone(data.number); })
      .catch(function (error) { fail(error.message); });
  });

  post("/ui/softphone/connect", null)
    .then(function () { phones.dataset.connected = "yes"; poll(); })
    .catch(function (error) { fail(error.message); poll(); });
})();
