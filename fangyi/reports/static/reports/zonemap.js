// A small editor for building outlines on the zone map: pick a building, drag it or its
// corners, or redraw it corner by corner; Save POSTs the outline, which the server checks.
(function () {
  var svg = document.getElementById("zonemap");
  if (!svg) return;
  var NS = "http://www.w3.org/2000/svg";
  var W = +svg.dataset.width, H = +svg.dataset.height;
  var pick = document.getElementById("editor-building");
  var btn = {
    start: document.getElementById("editor-start"),
    redraw: document.getElementById("editor-redraw"),
    save: document.getElementById("editor-save"),
    cancel: document.getElementById("editor-cancel")
  };
  var status = document.getElementById("editor-status");
  var csrf = (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value;
  var state = null; // {id, group, points, original, mode: "edit"|"draw", drag}

  function clamp(v, max) { return Math.max(0, Math.min(max, Math.round(v * 10) / 10)); }
  function at(evt) {
    var pt = svg.createSVGPoint();
    pt.x = evt.clientX; pt.y = evt.clientY;
    var p = pt.matrixTransform(svg.getScreenCTM().inverse());
    return [clamp(p.x, W), clamp(p.y, H)];
  }
  function parse(text) {
    return (text || "").trim().split(/\s+/).filter(Boolean).map(function (pair) {
      return pair.split(",").map(Number);
    });
  }
  function groupOf(id) { return svg.querySelector('.building[data-id="' + id + '"]'); }
  function ensureGroup(id) {
    var g = groupOf(id);
    if (g) return g;
    g = document.createElementNS(NS, "g");
    g.setAttribute("class", "building");
    g.dataset.id = id;
    g.appendChild(document.createElementNS(NS, "polygon"));
    svg.appendChild(g);
    return g;
  }
  function draw() {
    var poly = state.group.querySelector("polygon");
    poly.setAttribute("points", state.points.map(function (p) { return p.join(","); }).join(" "));
    svg.querySelectorAll(".handle").forEach(function (h) { h.remove(); });
    state.points.forEach(function (p, i) {
      var c = document.createElementNS(NS, "circle");
      c.setAttribute("class", "handle"); c.setAttribute("r", 8);
      c.setAttribute("cx", p[0]); c.setAttribute("cy", p[1]);
      c.dataset.index = i;
      svg.appendChild(c);
    });
    btn.save.disabled = state.points.length < 3;
  }
  function begin(mode) {
    stop(true);
    var id = pick.value;
    var group = ensureGroup(id);
    var original = parse(group.dataset.points || group.querySelector("polygon").getAttribute("points"));
    state = { id: id, group: group, original: original, points: mode === "draw" ? [] : original.slice(), mode: mode };
    group.classList.add("editing");
    btn.cancel.disabled = false;
    status.textContent = mode === "draw" ? status.dataset.drawHint || "" : "";
    draw();
  }
  function stop(restore) {
    if (!state) return;
    if (restore) state.points = state.original;
    state.group.querySelector("polygon").setAttribute("points", state.points.map(function (p) { return p.join(","); }).join(" "));
    state.group.classList.remove("editing");
    svg.querySelectorAll(".handle").forEach(function (h) { h.remove(); });
    state = null;
    btn.save.disabled = btn.cancel.disabled = true;
  }
  svg.addEventListener("pointerdown", function (evt) {
    if (!state) return;
    evt.preventDefault(); evt.stopPropagation();
    var p = at(evt);
    if (evt.target.classList.contains("handle")) {
      state.drag = { kind: "corner", index: +evt.target.dataset.index };
    } else if (state.mode === "draw") {
      state.points.push(p); draw();
    } else if (state.group.contains(evt.target)) {
      state.drag = { kind: "move", from: p, start: state.points.map(function (q) { return q.slice(); }) };
    }
    if (state.drag) svg.setPointerCapture(evt.pointerId);
  }, true);
  svg.addEventListener("pointermove", function (evt) {
    if (!state || !state.drag) return;
    var p = at(evt);
    if (state.drag.kind === "corner") {
      state.points[state.drag.index] = p;
    } else {
      var dx = p[0] - state.drag.from[0], dy = p[1] - state.drag.from[1];
      state.points = state.drag.start.map(function (q) { return [clamp(q[0] + dx, W), clamp(q[1] + dy, H)]; });
    }
    draw();
  });
  svg.addEventListener("pointerup", function () { if (state) state.drag = null; });
  // While editing, a click on the map must not open the building panel (htmx).
  svg.addEventListener("click", function (evt) { if (state) { evt.preventDefault(); evt.stopPropagation(); } }, true);
  btn.start.addEventListener("click", function () { begin("edit"); });
  btn.redraw.addEventListener("click", function () { begin("draw"); });
  btn.cancel.addEventListener("click", function () { stop(true); status.textContent = ""; });
  btn.save.addEventListener("click", function () {
    if (!state) return;
    var url = svg.dataset.polygonUrl.replace("/0/", "/" + state.id + "/");
    fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ polygon: state.points }),
      credentials: "same-origin"
    }).then(function (r) { return r.json().then(function (body) { return [r.ok, body]; }); })
      .then(function (res) {
        if (res[0]) {
          state.points = res[1].polygon; state.original = res[1].polygon;
          state.group.dataset.points = res[1].polygon.map(function (p) { return p.join(","); }).join(" ");
          stop(false);
          status.textContent = "✓";
          window.location.reload();
        } else {
          status.textContent = res[1].error ? res[1].error.message : "error";
        }
      });
  });
})();
