// sandbox.js — draws the picture the server streams (api/events) and sends what the user
// does (api/act, api/seed, api/clock). No framework, no build step.
import { WardMap } from "../wardmap.js";
import { EVENT_ICONS, WORDS } from "./i18n.js";

const $ = (selector, root = document) => root.querySelector(selector);
const RESIDENT_PANES = ["telegram", "zalo", "messenger"];
const PLATFORM_NAMES = { telegram: "Telegram", zalo: "Zalo", messenger: "Messenger" };
const SAMPLES = ["fire.jpg", "traffic.jpg", "flood.jpg"];
const DEMO_WARDS = ["27031", "26704", "26743", "26740", "26737"];
const FAST_FORWARD_MIN = 5;

const ui = {
  lang: localStorage.getItem("sandbox-lang") || "vi",
  snapshot: null,
  drawn: new Map(), // pane id → JSON of the messages last drawn
  seen: new Map(), // group pane id → messages seen
  activeGroup: null,
  mapFor: null,
  map: null,
  wards: null,
};
window.sandbox = ui; // for the browser tests and the curious

function w() {
  return WORDS[ui.lang];
}

// -- language ------------------------------------------------------------------------------

function applyLang() {
  document.documentElement.lang = ui.lang;
  document.body.dataset.lang = ui.lang;
  for (const el of document.querySelectorAll("[data-i18n]")) {
    const value = w()[el.dataset.i18n];
    if (typeof value === "string") el.textContent = value;
  }
  for (const el of document.querySelectorAll("[data-i18n-title]")) el.title = w()[el.dataset.i18nTitle] || "";
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = w()[el.dataset.i18nPlaceholder] || "";
  }
  for (const button of document.querySelectorAll("[data-set-lang]")) {
    button.setAttribute("aria-pressed", String(button.dataset.setLang === ui.lang));
  }
  if (ui.map) {
    ui.map.options.labelKey = ui.lang === "vi" ? "name" : "name_en";
    ui.map.redraw();
  }
  ui.drawn.clear();
  if (ui.snapshot) render(ui.snapshot);
}

// -- talking to the server -----------------------------------------------------------------

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) {
    toast(`${w().error}: ${answer.error || response.status}`);
    throw new Error(answer.error || String(response.status));
  }
  return answer;
}

function act(pane, action) {
  return post("api/act", { pane, action });
}

let toastTimer = 0;
function toast(message) {
  const box = $("#toast");
  box.textContent = message;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.hidden = true; }, 5000);
}

function connect() {
  const source = new EventSource("api/events");
  source.onopen = () => { document.body.dataset.connected = "yes"; };
  source.onerror = () => { document.body.dataset.connected = "no"; };
  source.onmessage = (event) => {
    ui.snapshot = JSON.parse(event.data);
    render(ui.snapshot);
  };
}

// -- drawing -------------------------------------------------------------------------------

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null) node.setAttribute(key, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function withLinks(text) {
  const parts = [];
  const pattern = /https?:\/\/[^\s<>"]+/g;
  let last = 0;
  for (const match of text.matchAll(pattern)) {
    parts.push(text.slice(last, match.index));
    parts.push(el("a", { href: match[0], target: "_blank", rel: "noopener" }, match[0]));
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}

function clock(at) {
  return at ? new Date(at * 1000).toLocaleTimeString(ui.lang === "vi" ? "vi-VN" : "en-GB",
    { hour: "2-digit", minute: "2-digit" }) : "";
}

function buttonFor(pane, button) {
  return el("button", { type: "button", class: "kb", "data-label": button.label,
    onclick: () => press(pane, button.act) }, button.label);
}

function press(pane, action) {
  if (action.type === "url") {
    window.open(action.url, "_blank", "noopener");
  } else if (action.type === "map") {
    openMap(pane);
  } else {
    act(pane, action).catch(() => {});
  }
}

function messageNode(pane, message, group) {
  const node = el("div", { class: "msg", "data-who": message.who, "data-id": message.id });
  if (group && message.who !== "me" && message.name) node.append(el("span", { class: "name" }, message.name));
  if (message.reply_to) node.append(el("span", { class: "reply" }, message.reply_to));
  if (message.media.length) {
    node.append(el("div", { class: "media" }, message.media.map((m) => (
      m.kind === "image" ? el("img", { src: m.url, alt: "", loading: "lazy" })
        : m.kind === "video" ? el("video", { src: m.url, controls: "", preload: "metadata" })
          : el("a", { href: m.url, target: "_blank" }, `📄 ${m.name || "file"}`)))));
  }
  if (message.location) {
    node.append(el("div", { class: "place" },
      `📍 ${message.location.lat.toFixed(5)}, ${message.location.lon.toFixed(5)}`));
  }
  if (message.text) node.append(el("div", { class: "bubble" }, withLinks(message.text)));
  if (message.buttons.length) {
    node.append(el("div", { class: "buttons" }, message.buttons.map((row) => el("div", { class: "row" },
      row.map((button) => buttonFor(pane, button))))));
  }
  const code = group && message.who === "bot" ? (message.text.match(/SOS-\d+/) || [])[0] : null;
  if (code && (message.buttons.length || message.text.includes("/ack "))) {
    node.append(el("div", { class: "quick" },
      el("button", { type: "button", "data-fill": `/ack ${code}`, onclick: () => fill(`/ack ${code}`) }, `/ack ${code}`),
      el("button", { type: "button", "data-fill": `/hoi ${code} `, onclick: () => fill(`/hoi ${code} `) }, `❓ ${w().ask}`)));
  }
  node.append(el("span", { class: "time" }, clock(message.at)));
  return node;
}

function fill(text) {
  const input = $("#group .composer .text");
  if (!input) return;
  input.value = text;
  input.focus();
}

function drawMessages(container, pane, group) {
  const key = JSON.stringify(pane.messages);
  if (ui.drawn.get(pane.id) === key) return false;
  ui.drawn.set(pane.id, key);
  const atBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 60;
  container.replaceChildren(...pane.messages.map((m) => messageNode(pane.id, m, group)));
  if (atBottom || !container.dataset.drawn) container.scrollTop = container.scrollHeight;
  container.dataset.drawn = "yes";
  return true;
}

function drawKeyboard(container, pane) {
  container.replaceChildren(...(pane.keyboard || []).map((row) => el("div", { class: "row" },
    row.map((button) => buttonFor(pane.id, button)))));
}

function setUpPhone(root, pane) {
  root.append($("#phone-template").content.cloneNode(true));
  $(".platform-badge", root).textContent = PLATFORM_NAMES[pane.platform];
  $(".composer", root).addEventListener("submit", (event) => {
    event.preventDefault();
    const input = $(".text", root);
    const text = input.value.trim();
    if (!text) return;
    act(pane.id, { type: "text", text }).then(() => { input.value = ""; }).catch(() => {});
  });
  $(".locate", root).addEventListener("click", () => openMap(pane.id));
  const menu = $(".attach-menu", root);
  $(".attach", root).addEventListener("click", () => { menu.hidden = !menu.hidden; });
  $(".samples", root).replaceChildren(...SAMPLES.map((name) => el("button", {
    type: "button", "data-sample": name, title: name,
    onclick: () => { menu.hidden = true; act(pane.id, { type: "sample", name }).catch(() => {}); },
  }, el("img", { src: `static/samples/${name}`, alt: name }))));
  $("input[type=file]", root).addEventListener("change", (event) => {
    const file = event.target.files[0];
    event.target.value = "";
    menu.hidden = true;
    if (file) sendFile(pane.id, file);
  });
  root.dataset.ready = "yes";
}

function sendFile(paneId, file) {
  const reader = new FileReader();
  reader.onload = () => {
    const data = String(reader.result).split(",", 2)[1] || "";
    const kind = file.type.startsWith("video/") ? "video" : "photo";
    act(paneId, { type: "media", kind, data_b64: data, name: file.name }).catch(() => {});
  };
  reader.readAsDataURL(file);
}

function drawPhone(pane) {
  const root = $(`.phone[data-pane="${pane.id}"]`);
  if (!root) return;
  if (!root.dataset.ready) setUpPhone(root, pane);
  $(".who", root).textContent = `${w().you_are}: ${pane.actor}`;
  $(".text", root).placeholder = w().type;
  $(".locate", root).title = w().location;
  drawMessages($(".messages", root), pane, false);
  drawKeyboard($(".keyboard", root), pane);
}

function drawGroups(groups) {
  const tabs = $("#tabs");
  const box = $("#group");
  if (!groups.length) return;
  if (!ui.activeGroup || !groups.some((g) => g.id === ui.activeGroup)) ui.activeGroup = groups[0].id;
  tabs.replaceChildren(...groups.map((g) => {
    const unread = g.id === ui.activeGroup ? 0
      : reportMessages(g) - (ui.seen.get(g.id) || 0);
    return el("button", { type: "button", class: "tab", role: "tab", "data-pane": g.id,
      "data-platform": g.platform, "data-role": g.role, "data-target": g.target,
      "aria-selected": String(g.id === ui.activeGroup),
      title: `${PLATFORM_NAMES[g.platform]} — ${ui.lang === "vi" ? g.unit_vi : g.unit_en}`,
      onclick: () => { ui.activeGroup = g.id; ui.drawn.delete(g.id); render(ui.snapshot); } },
    el("span", { class: "dot" }), g.title, unread > 0 ? el("span", { class: "badge" }, String(unread)) : null);
  }));
  const group = groups.find((g) => g.id === ui.activeGroup);
  ui.seen.set(group.id, reportMessages(group));
  if (box.dataset.pane !== group.id) {
    box.dataset.pane = group.id;
    box.dataset.platform = group.platform;
    box.replaceChildren(
      el("div", { class: "group-info" }, el("span", { class: "unit" }), el("span", { class: "actor" })),
      el("div", { class: "messages" }),
      el("form", { class: "composer", onsubmit: (event) => {
        event.preventDefault();
        const input = $(".text", event.target);
        const text = input.value.trim();
        if (text) act(group.id, { type: "text", text }).then(() => { input.value = ""; }).catch(() => {});
      } }, el("input", { class: "text", autocomplete: "off" }), el("button", { class: "send" }, w().send)));
    ui.drawn.delete(group.id);
  }
  $(".group-info .unit", box).textContent = `${PLATFORM_NAMES[group.platform]} · ${w().bound_to}: ${ui.lang === "vi" ? group.unit_vi : group.unit_en}`;
  $(".group-info .actor", box).textContent = `${w().you_are}: ${group.actor} (${w().officer})`;
  $(".composer .text", box).placeholder = w().type_group;
  $(".composer .send", box).textContent = w().send;
  drawMessages($(".messages", box), group, true);
}

// What makes a group's badge count: the bot's messages about reports, not its greetings.
function reportMessages(group) {
  return group.messages.filter((m) => m.who === "bot" && /SOS-\d+/.test(m.text)).length;
}

function drawTimeline(events) {
  const list = $("#events");
  if (!events.length) {
    list.replaceChildren(el("li", { class: "empty" }, w().no_events));
    return;
  }
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  const now = Date.now() / 1000;
  list.replaceChildren(...events.map((e) => el("li", { "data-kind": e.kind, "data-code": e.code },
    // Steps run by the fast-forward carry the simulated time they fell due at.
    el("time", e.at > now + 5 ? { title: w().simulated } : {},
      (e.at > now + 5 ? "⏩" : "") + new Date(e.at * 1000).toLocaleTimeString(ui.lang === "vi" ? "vi-VN" : "en-GB")),
    el("span", {}, EVENT_ICONS[e.kind] || "•"), el("span", {}, w().ev[e.kind](e, w())))));
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function render(snapshot) {
  for (const pane of snapshot.panes.filter((p) => p.kind === "resident")) drawPhone(pane);
  drawGroups(snapshot.panes.filter((p) => p.kind === "group"));
  drawTimeline(snapshot.timeline);
  const minutes = Math.round(snapshot.clock.offset_s / 60);
  $("#clock-offset").textContent = `+${minutes} ${w().minutes}`;
  const seed = $("#seed");
  seed.disabled = snapshot.seeded || seed.dataset.busy === "yes";
  seed.textContent = snapshot.seeded ? w().seeded : seed.dataset.busy === "yes" ? w().seeding : w().seed;
  document.body.dataset.seeded = String(snapshot.seeded);
}

// -- the map -------------------------------------------------------------------------------

async function openMap(paneId) {
  ui.mapFor = paneId;
  const dialog = $("#map-dialog");
  dialog.showModal();
  if (!ui.wards) ui.wards = await (await fetch("api/wards.json")).json();
  if (!ui.map) {
    ui.map = new WardMap($("#map"), ui.wards, { labelKey: ui.lang === "vi" ? "name" : "name_en" });
    ui.map.on(describePoint);
    ui.map.fitTo(10.775, 106.68, 6000);
    const byCode = new Map(ui.wards.features.map((f) => [f.properties.code, f.properties]));
    $("#ward-chips").replaceChildren(...DEMO_WARDS.filter((c) => byCode.has(c)).map((code) => {
      const ward = byCode.get(code);
      return el("button", { type: "button", "data-ward": code, onclick: () => {
        ui.map.fitTo(ward.label[1], ward.label[0], 1500);
      } }, ward.name);
    }));
  } else {
    ui.map._resize();
  }
  dialog.dataset.ready = "yes";
}

function describePoint(change) {
  const ward = change.ward;
  $("#map-ward").textContent = ward ? (ui.lang === "vi" ? ward.name : ward.name_en || ward.name)
    : w().map_outside;
  $("#map-send").disabled = false;
}

async function sendPoint() {
  const point = ui.map && ui.map.getPoint();
  if (!point || !ui.mapFor) return;
  $("#map-dialog").close();
  await act(ui.mapFor, { type: "location", lat: point.lat, lon: point.lon }).catch(() => {});
}

// -- start ---------------------------------------------------------------------------------

function start() {
  for (const button of document.querySelectorAll("[data-set-lang]")) {
    button.addEventListener("click", () => {
      ui.lang = button.dataset.setLang;
      localStorage.setItem("sandbox-lang", ui.lang);
      applyLang();
    });
  }
  $("#seed").addEventListener("click", async () => {
    const seed = $("#seed");
    seed.dataset.busy = "yes";
    seed.disabled = true;
    seed.textContent = w().seeding;
    try {
      await post("api/seed", {});
    } catch (error) {
      seed.disabled = false;
    } finally {
      seed.dataset.busy = "no";
    }
  });
  $("#ff").addEventListener("click", () => post("api/clock", { minutes: FAST_FORWARD_MIN }).catch(() => {}));
  $("#map-send").addEventListener("click", sendPoint);
  applyLang();
  connect();
}

start();
