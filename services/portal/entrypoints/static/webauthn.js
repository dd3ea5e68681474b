/* Security keys and passkeys (WebAuthn) for the portal: the "Use your security key" button of the code page and
   the "Add a security key" form of the keys page. Only runs where WebAuthn exists; the sections stay hidden
   otherwise and the code form is the way in. Options and answers travel as JSON with base64url binary fields,
   the page's CSRF token in the X-CSRFToken header. */
(function () {
  "use strict";

  function toBytes(text) {
    var padded = text.replace(/-/g, "+").replace(/_/g, "/");
    padded += "===".slice((padded.length + 3) % 4);
    var raw = atob(padded), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) { bytes[i] = raw.charCodeAt(i); }
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer), raw = "";
    for (var i = 0; i < bytes.length; i++) { raw += String.fromCharCode(bytes[i]); }
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function withIds(list) {
    return (list || []).map(function (item) { item.id = toBytes(item.id); return item; });
  }

  function credentialJson(credential) {
    var response = credential.response, out = {
      id: credential.id, rawId: toText(credential.rawId), type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      response: {clientDataJSON: toText(response.clientDataJSON)}
    };
    if (credential.authenticatorAttachment) { out.authenticatorAttachment = credential.authenticatorAttachment; }
    if (response.attestationObject) {
      out.response.attestationObject = toText(response.attestationObject);
      if (response.getTransports) { out.response.transports = response.getTransports(); }
    }
    if (response.authenticatorData) {
      out.response.authenticatorData = toText(response.authenticatorData);
      out.response.signature = toText(response.signature);
      if (response.userHandle) { out.response.userHandle = toText(response.userHandle); }
    }
    return out;
  }

  function post(url, csrf, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin", body: JSON.stringify(body || {}),
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf}
    }).then(function (answer) {
      return answer.json().catch(function () { return {}; }).then(function (data) {
        if (!answer.ok) { var refusal = new Error(data.detail || answer.status); refusal.data = data; throw refusal; }
        return data;
      });
    });
  }

  function wire(section, button, run) {
    var error = section.querySelector(".key-error");
    section.hidden = false;
    var needs = document.getElementById("key-needs-script");
    if (needs) { needs.hidden = true; }
    button.addEventListener("click", function () {
      error.hidden = true;
      button.disabled = true;
      run().then(function (data) {
        window.location.assign(data.next);
      }).catch(function (refusal) {
        var data = refusal.data || {};
        if (data.next) { window.location.assign(data.next); return; }
        error.textContent = data.message ||
          (refusal.name === "NotAllowedError" ? section.dataset.cancelled : section.dataset.failed);
        error.hidden = false;
        button.disabled = false;
      });
    });
  }

  function signIn(section) {
    var csrf = section.dataset.csrf;
    wire(section, section.querySelector("button"), function () {
      return post(section.dataset.options, csrf).then(function (options) {
        options.challenge = toBytes(options.challenge);
        options.allowCredentials = withIds(options.allowCredentials);
        return navigator.credentials.get({publicKey: options});
      }).then(function (credential) {
        return post(section.dataset.verify, csrf, {credential: credentialJson(credential)});
      });
    });
  }

  function register(section) {
    var csrf = section.dataset.csrf, name = section.querySelector("input");
    wire(section, section.querySelector("button"), function () {
      if (!name.value.trim()) {
        name.focus();
        return Promise.reject({data: {message: section.dataset.nameNeeded}});
      }
      return post(section.dataset.options, csrf).then(function (options) {
        options.challenge = toBytes(options.challenge);
        options.user.id = toBytes(options.user.id);
        options.excludeCredentials = withIds(options.excludeCredentials);
        return navigator.credentials.create({publicKey: options});
      }).then(function (credential) {
        return post(section.dataset.register, csrf, {name: name.value, credential: credentialJson(credential)});
      });
    });
  }

  function start() {
    if (!window.PublicKeyCredential || !navigator.credentials || !window.fetch) { return; }
    var signing = document.getElementById("key-sign-in"), adding = document.getElementById("key-register");
    if (signing) { signIn(signing); }
    if (adding) { register(adding); }
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
}());
