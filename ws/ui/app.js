// zhub web UI: one WebSocket to /ws (protocol: docs/websocket.md). No
// framework, no build step, nothing loaded from elsewhere. Untrusted text is
// only ever put in the page with textContent; images (chat charts) only as
// <img src="data:..."> so an SVG's script never runs.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const el = (tag, props, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children) if (c) e.append(c);
    return e;
  };

  // ---- connection -------------------------------------------------------
  let ws = null;
  let seq = 0;
  let retry = 0;
  let retryTimer = null;
  let loggedOut = false;
  const pending = new Map(); // request_id -> {onChunk, onDone}
  const devices = new Map(); // friendly name -> hub.Device
  const cards = new Map();   // friendly name -> {li, controls: Map(property -> update fn), readings}

  function setConn(state, text) {
    $("conn").dataset.state = state;
    $("conn-text").textContent = text;
  }

  function connect() {
    clearTimeout(retryTimer);
    const url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws";
    setConn("connecting", retry ? "Reconnecting…" : "Connecting…");
    let opened = false;
    ws = new WebSocket(url);
    ws.onopen = () => { opened = true; retry = 0; };
    ws.onmessage = (ev) => {
      let m;
      try { m = JSON.parse(ev.data); } catch { return; }
      dispatch(m);
    };
    ws.onclose = (ev) => {
      ws = null;
      for (const [id, p] of pending) { p.onDone({ request_id: id, status: "error", chunk: { text: "connection lost", metadata: { code: "disconnected" } } }); }
      pending.clear();
      if (ev.code === 4001) { showLogin("Your token was revoked."); return; }
      if (!opened) {
        // A refused upgrade looks like a plain failure to a browser: ask why.
        fetch("/auth/check", { credentials: "same-origin", cache: "no-store" })
          .then((r) => { if (r.status === 401) showLogin(); else scheduleRetry(); })
          .catch(scheduleRetry);
        return;
      }
      scheduleRetry();
    };
  }

  function scheduleRetry() {
    if (loggedOut) return;
    const delay = Math.min(30000, 1000 * 2 ** retry) * (0.75 + Math.random() / 2);
    retry++;
    setConn("disconnected", "Disconnected, retrying in " + Math.round(delay / 1000) + " s");
    retryTimer = setTimeout(connect, delay);
  }

  function showLogin(why) {
    loggedOut = true;
    setConn("logged-out", why || "Not logged in");
    $("login").hidden = false;
    $("main").hidden = true;
    $("login-token").focus();
  }

  // request sends an action; onChunk gets each chunk, onDone the terminal response.
  function request(action, payload, onChunk, onDone) {
    const id = "r" + (++seq);
    if (!ws || ws.readyState !== WebSocket.OPEN) {
      if (onDone) onDone({ request_id: id, status: "error", chunk: { text: "not connected", metadata: { code: "disconnected" } } });
      return null;
    }
    pending.set(id, { onChunk: onChunk || (() => {}), onDone: onDone || (() => {}) });
    ws.send(JSON.stringify({ action, payload: payload || {}, request_id: id }));
    return id;
  }

  function dispatch(m) {
    if (m.request_id === "welcome") { onWelcome(m); return; }
    const p = pending.get(m.request_id);
    if (!p) return;
    if (m.status === "chunk" && m.chunk) p.onChunk(m.chunk);
    else if (m.status === "complete" || m.status === "error") { pending.delete(m.request_id); p.onDone(m); }
  }

  function onWelcome(m) {
    const md = (m.chunk && m.chunk.metadata) || {};
    setConn("connected", "Connected" + (md.client ? " as " + md.client : ""));
    request("subscribe", { events: ["all"] }, onEvent, (done) => {
      if (done.status === "error") addNote("Live updates stopped: " + errText(done), true);
    });
    loadDevices();
  }

  function errText(resp) {
    const c = resp.chunk || {};
    return (c.text || "failed") + (c.metadata && c.metadata.code ? " (" + c.metadata.code + ")" : "");
  }

  // ---- devices ----------------------------------------------------------
  function loadDevices() {
    request("devices.list", {}, (chunk) => {
      const md = chunk.metadata || {};
      if (md.type !== "devices") return;
      devices.clear();
      for (const d of md.devices || []) if (d.type !== "Coordinator") devices.set(d.friendly_name, d);
      renderDevices();
    });
  }

  function renderDevices() {
    const list = $("devices");
    // Keep focus on the control the user was on across a re-render.
    const focused = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : null;
    list.replaceChildren();
    cards.clear();
    for (const d of devices.values()) list.append(renderDevice(d));
    $("devices-empty").hidden = devices.size > 0;
    if (focused) { const f = list.querySelector('[data-key="' + CSS.escape(focused) + '"]'); if (f) f.focus(); }
  }

  // flatten returns the exposes a card shows: the features of specific
  // types (light, switch, ...) and the generic ones.
  function flatten(exposes) {
    const out = [];
    for (const e of exposes || []) {
      if (e.features && e.type !== "composite") out.push(...flatten(e.features));
      else out.push(e);
    }
    return out;
  }

  function renderDevice(d) {
    const name = d.friendly_name;
    const state = d.state || {};
    const def = d.definition || {};
    const li = el("li", { class: "device", "data-device": name, "data-available": String(d.available !== false) });
    const card = { li, controls: new Map(), readings: null };
    cards.set(name, card);
    li.append(el("div", { class: "device-head" },
      el("span", { class: "device-name", text: name }),
      el("span", { class: "badge", text: d.available === false ? "offline" : (d.interview && d.interview.state !== "SUCCESSFUL" ? (d.interview.state || "").toLowerCase() : "online") })));
    if (def.vendor || def.model || def.description) {
      li.append(el("div", { class: "device-model", text: [def.vendor, def.model, def.description].filter(Boolean).join(" · ") }));
    }
    const controls = el("div", { class: "controls" });
    const readings = el("div", { class: "readings" });
    card.readings = readings;
    for (const e of flatten(def.exposes)) {
      const prop = e.property || e.name;
      if (!prop) continue;
      const writable = (e.access || 0) & 2;
      if (writable && e.type === "binary") controls.append(toggleControl(card, name, e, prop, state));
      else if (writable && e.type === "numeric" && e.value_min !== undefined && e.value_max !== undefined) controls.append(rangeControl(card, name, e, prop, state));
      else if (writable && e.type === "composite" && prop === "color" && !card.controls.has("color")) controls.append(colorControl(card, name, e, prop, state));
      else if (writable && e.type === "enum" && e.values) controls.append(enumControl(card, name, e, prop, state));
    }
    if (controls.childElementCount) li.append(controls);
    li.append(readings);
    renderReadings(card, d);
    return li;
  }

  function renderReadings(card, d) {
    const skip = new Set(card.controls.keys());
    const parts = [];
    for (const [k, v] of Object.entries(d.state || {})) {
      if (skip.has(k) || v === null || typeof v === "object") continue;
      parts.push(el("span", { text: k.replace(/_/g, " ") + ": " + v }));
    }
    card.readings.replaceChildren(...parts);
  }

  function setDevice(name, values, control) {
    const id = request("device.set", { device: name, state: values }, null, (done) => {
      if (done.status === "error") showControlError(name, errText(done));
      else clearControlError(name);
    });
    if (!id) showControlError(name, "not connected");
    return id;
  }

  function showControlError(name, text) {
    const card = cards.get(name);
    if (!card) return;
    let e = card.li.querySelector(".control-error");
    if (!e) { e = el("div", { class: "control-error", role: "alert" }); card.li.append(e); }
    e.textContent = text;
  }
  function clearControlError(name) {
    const card = cards.get(name);
    const e = card && card.li.querySelector(".control-error");
    if (e) e.remove();
  }

  function label(e, prop) { return (e.label || prop).replace(/_/g, " "); }

  function toggleControl(card, name, e, prop, state) {
    const on = e.value_on !== undefined ? e.value_on : "ON";
    const off = e.value_off !== undefined ? e.value_off : "OFF";
    const b = el("button", { type: "button", class: "toggle", "data-device": name, "data-property": prop, "data-key": name + "/" + prop });
    const update = (v) => {
      const isOn = v === on;
      b.setAttribute("aria-pressed", String(isOn));
      b.textContent = (v === undefined ? "?" : (isOn ? "On" : "Off"));
      b.setAttribute("aria-label", name + " " + label(e, prop) + ": " + (isOn ? "on" : "off"));
    };
    b.addEventListener("click", () => {
      const cur = (devices.get(name) || {}).state || {};
      setDevice(name, { [prop]: cur[prop] === on ? off : on }, b);
    });
    update(state[prop]);
    card.controls.set(prop, update);
    return el("div", { class: "control" }, el("span", { class: "label", text: label(e, prop) }), b);
  }

  function rangeControl(card, name, e, prop, state) {
    const id = "c-" + name + "-" + prop;
    const r = el("input", { type: "range", id, min: e.value_min, max: e.value_max, step: e.value_step || 1,
      "data-device": name, "data-property": prop, "data-key": name + "/" + prop });
    const out = el("output", { for: id });
    const update = (v) => {
      if (v === undefined || v === null) return;
      if (document.activeElement !== r) r.value = v;
      out.textContent = v + (e.unit ? " " + e.unit : "");
    };
    r.addEventListener("input", () => { out.textContent = r.value + (e.unit ? " " + e.unit : ""); });
    r.addEventListener("change", () => setDevice(name, { [prop]: Number(r.value) }, r));
    update(state[prop]);
    card.controls.set(prop, update);
    return el("div", { class: "control" }, el("label", { for: id, text: label(e, prop) }), r, out);
  }

  function colorControl(card, name, e, prop, state) {
    const id = "c-" + name + "-" + prop;
    const c = el("input", { type: "color", id, "data-device": name, "data-property": prop, "data-key": name + "/" + prop });
    const update = (v) => { const hex = colorHex(v); if (hex && document.activeElement !== c) c.value = hex; };
    c.addEventListener("change", () => setDevice(name, { color: { hex: c.value } }, c));
    update(state[prop]);
    card.controls.set(prop, update);
    return el("div", { class: "control" }, el("label", { for: id, text: "Colour" }), c);
  }

  function enumControl(card, name, e, prop, state) {
    const id = "c-" + name + "-" + prop;
    const s = el("select", { id, "data-device": name, "data-property": prop, "data-key": name + "/" + prop });
    for (const v of e.values) s.append(el("option", { value: v, text: v }));
    const update = (v) => { if (v !== undefined && document.activeElement !== s) s.value = v; };
    s.addEventListener("change", () => setDevice(name, { [prop]: s.value }, s));
    update(state[prop]);
    card.controls.set(prop, update);
    return el("div", { class: "control" }, el("label", { for: id, text: label(e, prop) }), s);
  }

  // colorHex turns a reported colour ({x, y} or {hex}) into #rrggbb for the picker.
  function colorHex(v) {
    if (!v || typeof v !== "object") return null;
    if (typeof v.hex === "string") return v.hex;
    if (typeof v.x !== "number" || typeof v.y !== "number" || v.y <= 0) return null;
    const Y = 1, X = (Y / v.y) * v.x, Z = (Y / v.y) * (1 - v.x - v.y);
    let r = X * 1.656492 - Y * 0.354851 - Z * 0.255038;
    let g = -X * 0.707196 + Y * 1.655397 + Z * 0.036152;
    let b = X * 0.051713 - Y * 0.121364 + Z * 1.01153;
    const m = Math.max(r, g, b, 1e-9);
    const gamma = (c) => { c = Math.max(0, c / m); return c <= 0.0031308 ? 12.92 * c : 1.055 * Math.pow(c, 1 / 2.4) - 0.055; };
    return "#" + [r, g, b].map((c) => Math.round(gamma(c) * 255).toString(16).padStart(2, "0")).join("");
  }

  function applyState(name, state) {
    const d = devices.get(name);
    if (!d) return;
    d.state = Object.assign({}, d.state || {}, state || {});
    const card = cards.get(name);
    if (!card) return;
    for (const [prop, update] of card.controls) if (prop in d.state) update(d.state[prop]);
    renderReadings(card, d);
  }

  // ---- events -----------------------------------------------------------
  function onEvent(chunk) {
    const md = chunk.metadata || {};
    switch (md.type) {
      case "device_state": applyState(md.device, md.state); break;
      case "availability": {
        const d = devices.get(md.device);
        if (d) { d.available = md.available; const c = cards.get(md.device); if (c) c.li.dataset.available = String(md.available); }
        break;
      }
      case "permit_join": onPermitJoin(md); break;
      case "device_joined": pairLog((md.new ? "Joined: " : "Rejoined: ") + md.device); break;
      case "interview":
        pairLog("Interview " + md.device + ": " + (md.step || "") + " " + (md.state || "").toLowerCase().replace("_", " ") + (md.error ? " — " + md.error : ""));
        if (md.state === "SUCCESSFUL" || md.state === "FAILED") loadDevices();
        break;
      case "device_left": pairLog("Left: " + md.device); loadDevices(); break;
      case "device_removed": case "device_renamed": loadDevices(); break;
      case "network": if (!md.up) addNote("Zigbee network down" + (md.error ? ": " + md.error : ""), true); break;
    }
  }

  // ---- pairing ----------------------------------------------------------
  let pairUntil = 0;
  let pairTimer = null;
  function onPermitJoin(md) {
    pairUntil = md.open && md.until ? Date.parse(md.until) : 0;
    $("pair-box").hidden = false;
    tickPair();
  }
  function tickPair() {
    clearTimeout(pairTimer);
    const left = Math.round((pairUntil - Date.now()) / 1000);
    const btn = $("pair");
    if (left > 0) {
      $("pair-status").textContent = "Joining open: " + left + " s left. Put the device in pairing mode.";
      btn.textContent = "Stop pairing";
      pairTimer = setTimeout(tickPair, 1000);
    } else {
      $("pair-status").textContent = "Joining closed.";
      btn.textContent = "Pair a device";
    }
  }
  function pairLog(text) {
    $("pair-box").hidden = false;
    $("pair-log").append(el("li", { text }));
  }
  $("pair").addEventListener("click", () => {
    const open = pairUntil > Date.now();
    request("permit_join", { duration: open ? 0 : 120 }, (chunk) => {
      const md = chunk.metadata || {};
      if (md.type === "permit_join") onPermitJoin(md);
    }, (done) => { if (done.status === "error") { $("pair-box").hidden = false; $("pair-status").textContent = "Pairing failed: " + errText(done); } });
  });

  // ---- chat -------------------------------------------------------------
  let chatID = null;
  const session = "ui-" + Math.random().toString(36).slice(2);
  function scrollChat() { const m = $("messages"); m.scrollTop = m.scrollHeight; }
  function addNote(text, isErr) {
    $("messages").append(el("div", { class: "meta" + (isErr ? " err" : "") , text }));
    scrollChat();
  }

  const imageTypes = new Set(["image/svg+xml", "image/png", "image/jpeg", "image/gif", "image/webp"]);
  function chunkInto(msg, textNode, chunk) {
    if (chunk.text) textNode.textContent += chunk.text;
    if (chunk.image && imageTypes.has(chunk.image.mime_type) && typeof chunk.image.data === "string" && /^[A-Za-z0-9+/=]*$/.test(chunk.image.data)) {
      msg.append(el("img", { src: "data:" + chunk.image.mime_type + ";base64," + chunk.image.data, alt: chunk.image.title || "chart" }));
    }
    const md = chunk.metadata;
    if (md && md.type) {
      if (md.type === "device_state") {
        msg.append(el("div", { class: "meta ok", text: md.summary || (md.device + " updated") }));
        if (md.device && md.state) applyState(md.device, md.state);
      } else if (md.type === "tool_call") {
        msg.append(el("div", { class: "meta", text: "→ " + md.tool }));
      } else if (md.type === "tool_result" && md.is_error) {
        msg.append(el("div", { class: "meta err", text: "tool failed" }));
      } else if (md.type === "confirmation_required") {
        msg.append(el("div", { class: "meta", text: md.prompt || "confirmation required" }));
      }
    }
    scrollChat();
  }

  $("chat-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const input = $("chat-input");
    const text = input.value.trim();
    if (!text || chatID) return;
    input.value = "";
    $("messages").append(el("div", { class: "msg user", text }));
    const textNode = el("span", { class: "text" });
    const msg = el("div", { class: "msg bot", "data-status": "processing" }, textNode);
    $("messages").append(msg);
    scrollChat();
    $("chat-send").disabled = true;
    $("chat-stop").hidden = false;
    chatID = request("chat", { text, session }, (chunk) => chunkInto(msg, textNode, chunk), (done) => {
      msg.dataset.status = done.status;
      if (done.status === "error") msg.append(el("div", { class: "meta err", text: errText(done) }));
      chatID = null;
      $("chat-send").disabled = false;
      $("chat-stop").hidden = true;
      scrollChat();
    });
  });
  $("chat-stop").addEventListener("click", () => { if (chatID) request("cancel", { request_id: chatID }); });

  $("login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const t = $("login-token").value.trim();
    if (t) location.href = "/?token=" + encodeURIComponent(t);
  });

  connect();
})();
