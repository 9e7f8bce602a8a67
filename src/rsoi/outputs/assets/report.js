// rsoi report: pan/zoom and click-for-details on the inline SVG map. No network access.
(function () {
  "use strict";
  var svg = document.getElementById("imap");
  if (!svg) { return; }
  var data = JSON.parse(document.getElementById("imap-data").textContent);
  var info = document.getElementById("imap-info");
  var home = svg.getAttribute("data-view").split(" ").map(Number);
  var view = home.slice();
  var circles = svg.querySelectorAll("circle.place");
  var labels = svg.querySelectorAll("text.lbl");
  labels.forEach(function (t) {
    t.dataset.x = t.getAttribute("x");
    t.dataset.y = t.getAttribute("y");
  });

  function unitsPerPixel() {
    var box = svg.getBoundingClientRect();
    return Math.max(view[2] / (box.width || 1), view[3] / (box.height || 1));
  }

  function apply() {
    svg.setAttribute("viewBox", view.join(" "));
    var k = unitsPerPixel();
    circles.forEach(function (c) { c.setAttribute("r", (5 * k).toFixed(2)); });
    var shown = [];
    labels.forEach(function (t) {
      t.setAttribute("x", (+t.dataset.x + (+t.dataset.dx) * k).toFixed(2));
      t.setAttribute("y", (+t.dataset.y + (+t.dataset.dy) * k).toFixed(2));
      t.style.fontSize = (11 * k).toFixed(2) + "px";
      t.style.strokeWidth = (3 * k).toFixed(2) + "px";
      t.style.display = "";
      var b = t.getBBox();
      var hit = shown.some(function (o) {
        return b.x < o.x + o.width && o.x < b.x + b.width &&
          b.y < o.y + o.height && o.y < b.y + b.height;
      });
      if (hit) { t.style.display = "none"; } else { shown.push(b); }
    });
  }

  function zoom(factor, cx, cy) {
    if (factor === 0) { view = home.slice(); apply(); return; }
    if (cx === undefined) { cx = view[0] + view[2] / 2; cy = view[1] + view[3] / 2; }
    var w = view[2] / factor, h = view[3] / factor;
    if (w < home[2] / 40 || w > home[2] * 4) { return; }
    view = [cx - (cx - view[0]) / factor, cy - (cy - view[1]) / factor, w, h];
    apply();
  }

  function toUser(evt) {
    var box = svg.getBoundingClientRect();
    var k = unitsPerPixel();
    var ox = view[0] + view[2] / 2 - (box.width / 2) * k;
    var oy = view[1] + view[3] / 2 - (box.height / 2) * k;
    return [ox + (evt.clientX - box.left) * k, oy + (evt.clientY - box.top) * k];
  }

  svg.addEventListener("wheel", function (evt) {
    evt.preventDefault();
    var p = toUser(evt);
    zoom(evt.deltaY < 0 ? 1.25 : 0.8, p[0], p[1]);
  }, { passive: false });

  var drag = null;
  svg.addEventListener("pointerdown", function (evt) {
    drag = { x: evt.clientX, y: evt.clientY, view: view.slice(), moved: false };
  });
  svg.addEventListener("pointermove", function (evt) {
    if (!drag) { return; }
    var k = unitsPerPixel();
    var dx = evt.clientX - drag.x, dy = evt.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; }
    view = [drag.view[0] - dx * k, drag.view[1] - dy * k, view[2], view[3]];
    apply();
  });
  ["pointerup", "pointerleave"].forEach(function (name) {
    svg.addEventListener(name, function () { setTimeout(function () { drag = null; }, 0); });
  });

  function show(key) {
    var item = data[key];
    if (!item) { return; }
    info.textContent = "";
    var h = document.createElement("h4");
    h.textContent = item.title;
    info.appendChild(h);
    var table = document.createElement("table");
    item.rows.forEach(function (row) {
      var tr = document.createElement("tr");
      row.forEach(function (cell, i) {
        var td = document.createElement(i === 0 ? "th" : "td");
        td.textContent = cell;
        tr.appendChild(td);
      });
      table.appendChild(tr);
    });
    info.appendChild(table);
    svg.querySelectorAll(".feat.sel").forEach(function (el) { el.classList.remove("sel"); });
    var el = svg.querySelector('[data-key="' + key.replace(/"/g, "") + '"]');
    if (el) { el.classList.add("sel"); }
  }

  svg.addEventListener("click", function (evt) {
    if (drag && drag.moved) { return; }
    var el = evt.target.closest(".feat");
    if (el) { show(el.getAttribute("data-key")); }
  });
  document.querySelectorAll(".imap-tools button").forEach(function (b) {
    b.addEventListener("click", function () { zoom(Number(b.getAttribute("data-zoom"))); });
  });
  window.addEventListener("resize", apply);
  apply();
  // what the map drew (a test reads it): places sized to the screen, labels not overlapping
  svg.setAttribute("data-drawn-places", String(circles.length));
  svg.setAttribute("data-drawn-labels", String(Array.prototype.filter.call(labels, function (t) {
    return t.style.display !== "none";
  }).length));
})();
// print every collapsed table too (closed <details> are not printed otherwise)
window.addEventListener("beforeprint", function () {
  document.querySelectorAll("details").forEach(function (d) { d.open = true; });
});
