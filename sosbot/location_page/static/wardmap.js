// wardmap.js — Ho Chi Minh City's ward polygons drawn on a <canvas>, with one movable point.
//
// No tile server, no framework, nothing from the internet: the base map is the ward
// GeoJSON served at wards.json (FeatureCollection of Polygon/MultiPolygon in [lon, lat],
// properties code, name, name_en, label). Reusable by any page that needs a point picked:
//
//   import { WardMap } from "./wardmap.js";
//   const map = new WardMap(canvas, geojson, { labelKey: "name" });
//   map.on((change) => console.log(change.lat, change.lon, change.ward, change.reason));
//   map.fitTo(10.7769, 106.7009, 3000);      // centre and radius in metres
//   map.setPoint(10.79, 106.63, 15);         // a point and its accuracy radius (m)
//
// Gestures: tap to place the point, drag the point to move it, drag elsewhere to pan,
// pinch or wheel to zoom. Change reasons: "set" (setPoint), "tap", "drag" (while
// dragging), "moved" (drag finished).

const M_PER_DEG_LAT = 111320;
const TAP_SLOP_PX = 8;
const POINT_HIT_PX = 28;
const MIN_SCALE = 20; // px per degree: the whole province fits
const MAX_SCALE = 4e6; // px per degree: about 3 cm per pixel

function ringInside(ring, lon, lat) {
  let inside = false;
  for (let i = 0, j = ring.length - 2; i < ring.length; j = i, i += 2) {
    const xi = ring[i], yi = ring[i + 1], xj = ring[j], yj = ring[j + 1];
    if ((yi > lat) !== (yj > lat) && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) {
      inside = !inside;
    }
  }
  return inside;
}

function prepare(geojson) {
  const features = [];
  for (const feature of geojson.features || []) {
    const geometry = feature.geometry || {};
    const polygons = geometry.type === "Polygon" ? [geometry.coordinates]
      : geometry.type === "MultiPolygon" ? geometry.coordinates : [];
    const rings = [];
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (const polygon of polygons) {
      const group = [];
      for (const ring of polygon) {
        const flat = new Float64Array(ring.length * 2);
        ring.forEach(([x, y], k) => {
          flat[2 * k] = x;
          flat[2 * k + 1] = y;
          if (x < minX) minX = x;
          if (x > maxX) maxX = x;
          if (y < minY) minY = y;
          if (y > maxY) maxY = y;
        });
        group.push(flat);
      }
      rings.push(group);
    }
    if (rings.length) {
      features.push({ properties: feature.properties || {}, polygons: rings,
        bbox: [minX, minY, maxX, maxY] });
    }
  }
  return features;
}

export class WardMap {
  constructor(canvas, geojson, options = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.options = { labelKey: "name", interactive: true, ...options };
    this.features = prepare(geojson);
    const all = this.features.reduce((b, f) => [Math.min(b[0], f.bbox[0]),
      Math.min(b[1], f.bbox[1]), Math.max(b[2], f.bbox[2]), Math.max(b[3], f.bbox[3])],
    [Infinity, Infinity, -Infinity, -Infinity]);
    this.bounds = all;
    this.kx = Math.cos((((all[1] + all[3]) / 2) * Math.PI) / 180) || 1;
    this.view = { lon: (all[0] + all[2]) / 2, lat: (all[1] + all[3]) / 2, scale: 200 };
    this.point = null;
    this.listeners = new Set();
    this.pointers = new Map();
    this.gesture = null;
    this.frame = 0;
    this._bindEvents();
    this._resize();
    this.fitAll();
  }

  // -- public API -------------------------------------------------------------------------

  on(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setInteractive(interactive) {
    this.options.interactive = interactive;
  }

  setPoint(lat, lon, accuracyM = null, reason = "set") {
    this.point = { lat, lon, accuracyM: accuracyM ?? null, manual: reason !== "set" };
    this._emit(reason);
    this.redraw();
  }

  clearPoint() {
    this.point = null;
    this.redraw();
  }

  getPoint() {
    if (!this.point) return null;
    return { lat: this.point.lat, lon: this.point.lon, accuracy_m: this.point.accuracyM };
  }

  wardAt(lat, lon) {
    for (const feature of this.features) {
      const [x0, y0, x1, y1] = feature.bbox;
      if (lon < x0 || lon > x1 || lat < y0 || lat > y1) continue;
      for (const polygon of feature.polygons) {
        let inside = false;
        for (const ring of polygon) if (ringInside(ring, lon, lat)) inside = !inside;
        if (inside) return feature.properties;
      }
    }
    return null;
  }

  fitAll() {
    const [x0, y0, x1, y1] = this.bounds;
    this._fitBox(x0, y0, x1, y1);
  }

  fitTo(lat, lon, radiusM = 600) {
    const dLat = radiusM / M_PER_DEG_LAT;
    const dLon = dLat / this.kx;
    this._fitBox(lon - dLon, lat - dLat, lon + dLon, lat + dLat);
  }

  zoomBy(factor, sx = this.width / 2, sy = this.height / 2) {
    const before = this.unproject(sx, sy);
    this.view.scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, this.view.scale * factor));
    const after = this.unproject(sx, sy);
    this.view.lon += before.lon - after.lon;
    this.view.lat += before.lat - after.lat;
    this.redraw();
  }

  project(lat, lon) {
    const s = this.view.scale;
    return [(lon - this.view.lon) * this.kx * s + this.width / 2,
      (this.view.lat - lat) * s + this.height / 2];
  }

  unproject(sx, sy) {
    const s = this.view.scale;
    return { lon: (sx - this.width / 2) / (this.kx * s) + this.view.lon,
      lat: this.view.lat - (sy - this.height / 2) / s };
  }

  redraw() {
    if (this.frame) return;
    const schedule = window.requestAnimationFrame || ((fn) => setTimeout(fn, 16));
    this.frame = schedule(() => {
      this.frame = 0;
      this._draw();
    });
  }

  // -- internals --------------------------------------------------------------------------

  _emit(reason) {
    const change = { ...this.getPoint(), reason, manual: this.point.manual,
      ward: this.wardAt(this.point.lat, this.point.lon) };
    for (const listener of this.listeners) listener(change);
  }

  _fitBox(x0, y0, x1, y1) {
    const w = Math.max(1, this.width - 24), h = Math.max(1, this.height - 24);
    const scale = Math.min(w / Math.max(1e-9, (x1 - x0) * this.kx), h / Math.max(1e-9, y1 - y0));
    this.view = { lon: (x0 + x1) / 2, lat: (y0 + y1) / 2,
      scale: Math.min(MAX_SCALE, Math.max(MIN_SCALE, scale)) };
    this.redraw();
  }

  _resize() {
    const rect = this.canvas.getBoundingClientRect();
    const ratio = window.devicePixelRatio || 1;
    this.width = Math.max(1, rect.width);
    this.height = Math.max(1, rect.height);
    this.canvas.width = Math.round(this.width * ratio);
    this.canvas.height = Math.round(this.height * ratio);
    this.ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    this._draw();
  }

  _path(polygons) {
    const path = new Path2D();
    const s = this.view.scale, kx = this.kx;
    const ox = this.width / 2 - this.view.lon * kx * s, oy = this.height / 2 + this.view.lat * s;
    for (const polygon of polygons) {
      for (const ring of polygon) {
        path.moveTo(ring[0] * kx * s + ox, oy - ring[1] * s);
        for (let i = 2; i < ring.length; i += 2) path.lineTo(ring[i] * kx * s + ox, oy - ring[i + 1] * s);
        path.closePath();
      }
    }
    return path;
  }

  _visible(bbox) {
    const [ax, ay] = this.project(bbox[3], bbox[0]);
    const [bx, by] = this.project(bbox[1], bbox[2]);
    return bx >= 0 && ax <= this.width && by >= 0 && ay <= this.height;
  }

  _draw() {
    const ctx = this.ctx;
    ctx.fillStyle = "#dbe7ef";
    ctx.fillRect(0, 0, this.width, this.height);
    const selected = this.point ? this.wardAt(this.point.lat, this.point.lon) : null;
    const labels = [];
    ctx.lineJoin = "round";
    for (const feature of this.features) {
      if (!this._visible(feature.bbox)) continue;
      const path = this._path(feature.polygons);
      ctx.fillStyle = feature.properties === selected ? "#ffe3b8" : "#fbf9f4";
      ctx.fill(path, "evenodd");
      ctx.strokeStyle = "#8e9aa6";
      ctx.lineWidth = 1;
      ctx.stroke(path);
      labels.push(feature);
    }
    this._drawLabels(labels);
    if (this.point) this._drawPoint();
  }

  _drawLabels(features) {
    const ctx = this.ctx;
    ctx.font = "12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (const feature of features) {
      const label = feature.properties.label;
      const name = feature.properties[this.options.labelKey] || feature.properties.name;
      if (!label || !name) continue;
      const [x0, y0] = this.project(feature.bbox[3], feature.bbox[0]);
      const [x1, y1] = this.project(feature.bbox[1], feature.bbox[2]);
      const width = ctx.measureText(name).width;
      if (x1 - x0 < width * 1.3 || y1 - y0 < 28) continue;
      let [x, y] = this.project(label[1], label[0]);
      // Keep the name on screen, as long as it stays inside its own ward.
      const half = width / 2 + 6;
      const cx = Math.min(Math.max(x, half), this.width - half);
      const cy = Math.min(Math.max(y, 14), this.height - 14);
      if (cx !== x || cy !== y) {
        const at = this.unproject(cx, cy);
        if (this.wardAt(at.lat, at.lon) !== feature.properties) continue;
        [x, y] = [cx, cy];
      }
      ctx.lineWidth = 3;
      ctx.strokeStyle = "rgba(255,255,255,0.9)";
      ctx.strokeText(name, x, y);
      ctx.fillStyle = "#3d4852";
      ctx.fillText(name, x, y);
    }
  }

  _drawPoint() {
    const ctx = this.ctx;
    const [x, y] = this.project(this.point.lat, this.point.lon);
    if (this.point.accuracyM) {
      const r = (this.point.accuracyM / M_PER_DEG_LAT) * this.view.scale;
      if (r > 4) {
        ctx.beginPath();
        ctx.arc(x, y, r, 0, 2 * Math.PI);
        ctx.fillStyle = "rgba(37, 99, 235, 0.15)";
        ctx.fill();
        ctx.strokeStyle = "rgba(37, 99, 235, 0.6)";
        ctx.lineWidth = 1;
        ctx.stroke();
      }
    }
    ctx.beginPath();
    ctx.arc(x, y, 10, 0, 2 * Math.PI);
    ctx.fillStyle = "#d7261e";
    ctx.fill();
    ctx.lineWidth = 3;
    ctx.strokeStyle = "#ffffff";
    ctx.stroke();
  }

  _local(event) {
    const rect = this.canvas.getBoundingClientRect();
    return [event.clientX - rect.left, event.clientY - rect.top];
  }

  _bindEvents() {
    const canvas = this.canvas;
    canvas.style.touchAction = "none";
    canvas.addEventListener("pointerdown", (e) => this._down(e));
    canvas.addEventListener("pointermove", (e) => this._move(e));
    canvas.addEventListener("pointerup", (e) => this._up(e));
    canvas.addEventListener("pointercancel", (e) => this._up(e, true));
    canvas.addEventListener("wheel", (e) => {
      e.preventDefault();
      const [sx, sy] = this._local(e);
      this.zoomBy(Math.exp(-e.deltaY * 0.002), sx, sy);
    }, { passive: false });
    if (window.ResizeObserver) {
      new ResizeObserver(() => this._resize()).observe(canvas);
    } else {
      window.addEventListener("resize", () => this._resize());
    }
  }

  _down(event) {
    if (!this.options.interactive) return;
    this.canvas.setPointerCapture?.(event.pointerId);
    const [sx, sy] = this._local(event);
    this.pointers.set(event.pointerId, [sx, sy]);
    if (this.pointers.size === 2) {
      const [a, b] = [...this.pointers.values()];
      this.gesture = { mode: "pinch", distance: Math.hypot(a[0] - b[0], a[1] - b[1]) };
      return;
    }
    let mode = "pan";
    if (this.point) {
      const [px, py] = this.project(this.point.lat, this.point.lon);
      if (Math.hypot(px - sx, py - sy) <= POINT_HIT_PX) mode = "point";
    }
    this.gesture = { mode, startX: sx, startY: sy, lastX: sx, lastY: sy, moved: false };
  }

  _move(event) {
    if (!this.gesture || !this.pointers.has(event.pointerId)) return;
    const [sx, sy] = this._local(event);
    this.pointers.set(event.pointerId, [sx, sy]);
    const g = this.gesture;
    if (g.mode === "pinch") {
      if (this.pointers.size < 2) return;
      const [a, b] = [...this.pointers.values()];
      const distance = Math.hypot(a[0] - b[0], a[1] - b[1]);
      if (g.distance > 0) this.zoomBy(distance / g.distance, (a[0] + b[0]) / 2, (a[1] + b[1]) / 2);
      g.distance = distance;
      return;
    }
    if (Math.hypot(sx - g.startX, sy - g.startY) > TAP_SLOP_PX) g.moved = true;
    if (g.mode === "point") {
      const { lat, lon } = this.unproject(sx, sy);
      this.point = { lat, lon, accuracyM: null, manual: true };
      this._emit("drag");
      this.redraw();
    } else if (g.moved) {
      const s = this.view.scale;
      this.view.lon -= (sx - g.lastX) / (this.kx * s);
      this.view.lat += (sy - g.lastY) / s;
      this.redraw();
    }
    g.lastX = sx;
    g.lastY = sy;
  }

  _up(event, cancelled = false) {
    const g = this.gesture;
    this.pointers.delete(event.pointerId);
    if (!g) return;
    if (g.mode === "pinch") {
      if (this.pointers.size === 0) this.gesture = null;
      return;
    }
    this.gesture = null;
    if (cancelled) return;
    const [sx, sy] = this._local(event);
    if (g.mode === "point" && g.moved) {
      const { lat, lon } = this.unproject(sx, sy);
      this.setPoint(lat, lon, null, "moved");
    } else if (!g.moved) {
      const { lat, lon } = this.unproject(sx, sy);
      this.setPoint(lat, lon, null, "tap");
    }
  }
}
