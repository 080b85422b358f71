// location.js — the one-time location page: ask the phone where it is, let the resident
// correct the point on the ward map, post it back once.
import { WardMap } from "./wardmap.js";

const CITY_CENTRE = { lat: 10.7769, lon: 106.7009, radiusM: 12000 };
const texts = JSON.parse(document.getElementById("texts").textContent);
const lang = document.body.dataset.lang || "vi";
const $ = (id) => document.getElementById(id);
let map = null;
let sending = false;

function setState(state) {
  document.body.dataset.state = state;
}

function showError(message) {
  const box = $("error");
  box.textContent = message || "";
  box.hidden = !message;
}

function wardName(ward) {
  if (!ward) return "";
  return (lang === "en" && ward.name_en) || ward.name || "";
}

function describe(change) {
  $("submit").disabled = sending;
  $("ward").textContent = change.ward ? wardName(change.ward) : texts.outside;
  $("ward").classList.toggle("outside", !change.ward);
  const coords = `${change.lat.toFixed(5)}, ${change.lon.toFixed(5)}`;
  const how = change.manual || change.accuracy_m == null
    ? texts.manual
    : texts.accuracy.replace("{m}", String(Math.max(1, Math.round(change.accuracy_m))));
  $("detail").textContent = `${how} · ${coords}`;
}

function locate() {
  if (!("geolocation" in navigator) || !window.isSecureContext) {
    $("detail").textContent = texts.geo_unavailable;
    setState("ready");
    return;
  }
  $("detail").textContent = texts.locating;
  navigator.geolocation.getCurrentPosition(
    (position) => {
      const { latitude, longitude, accuracy } = position.coords;
      // Wide enough to see the neighbouring wards: borders are the map's only landmarks.
      map.fitTo(latitude, longitude, Math.min(Math.max(accuracy * 6, 1200), 6000));
      map.setPoint(latitude, longitude, accuracy);
      setState("located");
    },
    (error) => {
      if (!map.getPoint()) {
        $("detail").textContent = error.code === 1 ? texts.geo_denied : texts.geo_unavailable;
      }
      setState("ready");
    },
    { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 },
  );
}

async function submit() {
  const point = map.getPoint();
  if (!point || sending) return;
  sending = true;
  showError("");
  $("submit").disabled = true;
  $("submit").textContent = texts.sending;
  let answer = null;
  try {
    const response = await fetch(window.location.pathname, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(point),
      credentials: "same-origin",
    });
    answer = await response.json().catch(() => ({}));
    if (response.ok) {
      map.setInteractive(false);
      $("confirmation").textContent = answer.message || "";
      $("done").hidden = false;
      $("submit").hidden = true;
      document.querySelector(".map-buttons").hidden = true;
      setState("sent");
      return;
    }
    showError(answer.message || texts.send_failed);
    if (response.status === 404 || response.status === 410) {
      map.setInteractive(false);
      $("submit").hidden = true;
      setState("gone");
      return;
    }
  } catch (error) {
    showError(texts.send_failed);
  }
  sending = false;
  $("submit").disabled = false;
  $("submit").textContent = texts.submit;
}

async function main() {
  let wards;
  try {
    const response = await fetch("wards.json", { credentials: "same-origin" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    wards = await response.json();
  } catch (error) {
    $("map-note").textContent = texts.map_failed;
    setState("failed");
    return;
  }
  $("map-note").hidden = true;
  map = new WardMap($("map"), wards, { labelKey: lang === "en" ? "name_en" : "name" });
  window.sosLocationMap = map; // for the browser tests and for debugging
  map.fitTo(CITY_CENTRE.lat, CITY_CENTRE.lon, CITY_CENTRE.radiusM);
  map.on(describe);
  $("zoom-in").addEventListener("click", () => map.zoomBy(2));
  $("zoom-out").addEventListener("click", () => map.zoomBy(0.5));
  $("locate").addEventListener("click", locate);
  $("submit").addEventListener("click", submit);
  $("detail").textContent = texts.no_point;
  locate();
}

main();
