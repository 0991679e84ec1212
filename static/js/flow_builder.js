// The flow builder (/manage/flows/<id>/): the steps of a flow on a canvas (cards dragged with
// the pointer, lines drawn from an answer's dot to a step, zoom and pan) or in a list (the
// keyboard's way), one side form editing the selected step, "Save" posting the graph as a new
// version (the server's problems shown on the step and field they name) and "Try it" running
// the editor's graph against typed messages. Plain DOM and SVG, no library.
(function () {
  "use strict";

  var root = document.getElementById("flow-builder");
  if (!root) return;
  var data = JSON.parse(document.getElementById("flow-builder-data").textContent);
  var T = JSON.parse(document.getElementById("flow-builder-text").textContent);
  var csrf = (document.querySelector("input[name=csrfmiddlewaretoken]") || {}).value || "";

  var graph = data.graph || { start: "node-1", settings: {}, nodes: [] };
  graph.settings = graph.settings || {};
  var selected = graph.nodes.length ? graph.start || graph.nodes[0].id : null;
  var problems = [];
  var view = "canvas";
  var zoom = 1;
  var pan = { x: 0, y: 0 };

  var stage = root.querySelector(".fb-stage");
  var world = root.querySelector(".fb-world");
  var svg = root.querySelector(".fb-lines");
  var list = root.querySelector(".fb-list");
  var formBox = root.querySelector(".fb-form");
  var settingsBox = root.querySelector(".fb-settings-body");
  var status = root.querySelector(".fb-status");
  var problemsBox = root.querySelector(".fb-problems");
  var SVG_NS = "http://www.w3.org/2000/svg";

  // ------------------------------------------------------------------ small helpers

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") node.textContent = value;
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  var uid = 0;
  function fieldId() {
    uid += 1;
    return "fb-f" + uid;
  }

  function newId(prefix, taken) {
    var n = 1;
    while (taken.indexOf(prefix + n) !== -1) n += 1;
    return prefix + n;
  }

  function nodeById(id) {
    for (var i = 0; i < graph.nodes.length; i += 1) if (graph.nodes[i].id === id) return graph.nodes[i];
    return null;
  }

  function dirty() {
    status.textContent = T.unsaved;
  }

  function problemsFor(nodeId) {
    return problems.filter(function (p) { return p.node === nodeId; });
  }

  // A labelled control; ``field`` is the validation path its errors are reported on.
  function row(label, control, field, help) {
    var id = control.id || fieldId();
    control.id = id;
    var box = el("div", { class: "form-row" }, [el("label", { for: id, text: label }), control]);
    if (help) box.appendChild(el("p", { class: "muted help", text: help }));
    if (field) box.setAttribute("data-field", field);
    return box;
  }

  function checkRow(label, control, field) {
    control.id = control.id || fieldId();
    var box = el("div", { class: "form-row" }, [el("label", { class: "inline-check", for: control.id }, [control, " " + label])]);
    if (field) box.setAttribute("data-field", field);
    return box;
  }

  function input(value, onChange, attrs) {
    var box = el("input", Object.assign({ type: "text" }, attrs || {}));
    box.value = value === null || value === undefined ? "" : value;
    box.addEventListener("input", function () { onChange(box.value); dirty(); });
    return box;
  }

  function textarea(value, onChange) {
    var box = el("textarea", { rows: "3" });
    box.value = value || "";
    box.addEventListener("input", function () { onChange(box.value); dirty(); });
    return box;
  }

  function select(choices, value, onChange) {
    var box = el("select");
    choices.forEach(function (choice) {
      var option = el("option", { value: String(choice[0]), text: choice[1] });
      if (String(choice[0]) === String(value === null || value === undefined ? "" : value)) option.selected = true;
      box.appendChild(option);
    });
    box.addEventListener("change", function () { onChange(box.value); dirty(); });
    return box;
  }

  function button(label, onClick, cls, attrs) {
    return el("button", Object.assign({ type: "button", class: cls || "secondary", text: label, onclick: onClick }, attrs || {}));
  }

  function splitList(text) {
    return text.split(",").map(function (s) { return s.trim(); }).filter(Boolean);
  }

  // ------------------------------------------------------------------ actions (then ...)

  function actionEditor(action, allowed, fieldBase, onChange) {
    action = action || { type: "" };
    var box = el("div", { class: "fb-action" });
    var typeChoices = [["", T.choose]].concat(allowed.map(function (t) { return [t, T["action_" + t]]; }));
    var target = el("div");
    function drawTarget() {
      target.textContent = "";
      var kind = action.type;
      var choices = null;
      if (kind === "node") choices = graph.nodes.map(function (n) { return [n.id, n.name || n.id]; });
      if (kind === "queue") choices = data.queues.map(function (q) { return [q.id, q.name]; });
      if (kind === "agent") choices = data.agents.map(function (a) { return [a.id, a.name]; });
      if (!choices) return;
      target.appendChild(row(T.target, select([["", T.choose]].concat(choices), action[kind], function (value) {
        action[kind] = kind === "node" ? value : value ? Number(value) : null;
        onChange(action);
      }), fieldBase + "." + kind));
    }
    box.appendChild(row(T.action, select(typeChoices, action.type, function (value) {
      action = value ? { type: value } : null;
      if (action && (value === "node" || value === "queue" || value === "agent")) action[value] = null;
      action = action || { type: "" };
      onChange(action.type ? action : null);
      drawTarget();
    }), fieldBase));
    box.appendChild(target);
    drawTarget();
    return box;
  }

  // ------------------------------------------------------------------ the side form

  function drawForm() {
    formBox.textContent = "";
    var node = nodeById(selected);
    if (!node) {
      formBox.appendChild(el("p", { class: "muted", text: T.select_hint }));
      return;
    }
    var heading = el("h3", { text: T.step + ": " + (node.name || node.id), tabindex: "-1", class: "fb-form-title" });
    formBox.appendChild(heading);
    formBox.appendChild(row(T.name, input(node.name, function (v) { node.name = v; drawNodes(); }), "name"));
    if (graph.start === node.id) formBox.appendChild(el("p", { class: "muted", text: T.is_start }));
    else formBox.appendChild(button(T.make_start, function () { graph.start = node.id; dirty(); redraw(); }));

    formBox.appendChild(el("h4", { text: T.messages }));
    node.interactions = node.interactions || [];
    node.interactions.forEach(function (item, index) {
      var where = "interactions[" + index + "]";
      var box = el("fieldset", { class: "fb-item", "data-field": where });
      box.appendChild(el("legend", { text: (item.type === "media" ? T.media : T.text) + " " + (index + 1) }));
      if (item.type === "media") {
        var choices = [["", T.media_none]].concat(data.media.map(function (m) { return [m.id, m.name]; }));
        box.appendChild(row(T.media, select(choices, item.media, function (v) { item.media = v; }), where + ".media"));
        var file = el("input", { type: "file" });
        file.addEventListener("change", function () { upload(file, item); });
        box.appendChild(row(T.upload, file));
        box.appendChild(row(T.caption, textarea(item.caption, function (v) { item.caption = v; }), where + ".caption", T.text_help));
      } else {
        box.appendChild(row(T.text, textarea(item.text, function (v) { item.text = v; drawNodes(); }), where + ".text", T.text_help));
      }
      box.appendChild(row(T.delay, input(Math.round((item.delay_ms || 0) / 1000), function (v) {
        var seconds = Number(v);
        item.delay_ms = isFinite(seconds) && seconds > 0 ? Math.round(seconds * 1000) : 0;
      }, { type: "number", min: "0", max: "60", step: "1" }), where + ".delay_ms"));
      box.appendChild(button(T.remove, function () { node.interactions.splice(index, 1); dirty(); redraw(); }));
      formBox.appendChild(box);
    });
    var ids = function () { return node.interactions.map(function (i) { return i.id; }); };
    formBox.appendChild(el("div", { class: "actions" }, [
      button(T.add_text, function () {
        node.interactions.push({ id: newId(node.id + "-i", ids()), type: "text", text: "", delay_ms: 0 });
        dirty(); redraw();
      }),
      button(T.add_media, function () {
        node.interactions.push({ id: newId(node.id + "-i", ids()), type: "media", media: "", caption: "", delay_ms: 0 });
        dirty(); redraw();
      }),
    ]));

    formBox.appendChild(el("h4", { text: T.options }));
    node.options = node.options || [];
    node.options.forEach(function (option, index) {
      var where = "options[" + index + "]";
      var box = el("fieldset", { class: "fb-item", "data-field": where });
      box.appendChild(el("legend", { text: (index + 1) + ". " + (option.label || "") }));
      box.appendChild(row(T.label, input(option.label, function (v) { option.label = v; drawNodes(); }), where + ".label"));
      box.appendChild(row(T.answers, input((option.answers || []).join(", "), function (v) { option.answers = splitList(v); }), where + ".answers"));
      var any = el("input", { type: "checkbox" });
      any.checked = !!option.any;
      any.addEventListener("change", function () { option.any = any.checked; dirty(); });
      box.appendChild(checkRow(T.any, any, where + ".any"));
      box.appendChild(actionEditor(option.action, ["node", "queue", "agent", "close", "waiting"], where + ".action", function (action) {
        option.action = action;
        drawLines();
        drawList();
      }));
      box.appendChild(button(T.remove, function () { node.options.splice(index, 1); dirty(); redraw(); }));
      formBox.appendChild(box);
    });
    formBox.appendChild(el("div", { class: "actions" }, [
      button(T.add_option, function () {
        node.options.push({
          id: newId(node.id + "-o", node.options.map(function (o) { return o.id; })),
          label: "", answers: [], any: false, action: null,
        });
        dirty(); redraw();
      }),
      button(T.delete_node, function () {
        if (!window.confirm(T.delete_node_confirm)) return;
        graph.nodes = graph.nodes.filter(function (n) { return n !== node; });
        if (graph.start === node.id) graph.start = graph.nodes.length ? graph.nodes[0].id : "";
        selected = graph.nodes.length ? graph.nodes[0].id : null;
        dirty(); redraw();
      }, "danger"),
    ]));
    placeProblems(formBox, problemsFor(node.id));
  }

  // The server's problems under the control whose path they name (or the nearest enclosing
  // one), else at the top of the box.
  function placeProblems(box, found) {
    found.forEach(function (problem) {
      var path = problem.field || "";
      var target = null;
      while (path && !target) {
        target = box.querySelector('[data-field="' + path.replace(/"/g, "") + '"]');
        if (!target) path = path.indexOf(".") !== -1 ? path.slice(0, path.lastIndexOf(".")) : "";
      }
      var message = el("p", { class: "field-error", role: "alert", "data-testid": "flow-field-error", text: problem.message });
      if (target) {
        target.classList.add("has-error");
        target.appendChild(message);
      } else {
        box.insertBefore(message, box.firstChild.nextSibling);
      }
    });
  }

  function upload(fileInput, item) {
    if (!fileInput.files.length) return;
    var body = new FormData();
    body.append("file", fileInput.files[0]);
    fetch(root.dataset.mediaUrl, { method: "POST", body: body, headers: { "X-CSRFToken": csrf }, credentials: "same-origin" })
      .then(function (response) { return response.json().then(function (json) { return { ok: response.ok, json: json }; }); })
      .then(function (result) {
        if (!result.ok) {
          status.textContent = result.json.message || T.error;
          return;
        }
        data.media.unshift({ id: result.json.id, name: result.json.name });
        item.media = result.json.id;
        status.textContent = T.uploaded;
        drawForm();
      })
      .catch(function () { status.textContent = T.error; });
  }

  // ------------------------------------------------------------------ bot settings

  function drawSettings() {
    var s = graph.settings;
    settingsBox.textContent = "";
    settingsBox.appendChild(row(T.handoff_message, textarea(s.handoff_message, function (v) { s.handoff_message = v; }), "settings.handoff_message", T.text_help));
    settingsBox.appendChild(row(T.not_understood_message, textarea(s.not_understood_message, function (v) { s.not_understood_message = v; }), "settings.not_understood_message"));
    settingsBox.appendChild(row(T.step_return, select([["current", T.step_return_current], ["start", T.step_return_start]], s.step_return || "current", function (v) { s.step_return = v; }), "settings.step_return"));
    settingsBox.appendChild(row(T.close_keywords, input((s.close_keywords || []).join(", "), function (v) { s.close_keywords = splitList(v); }), "settings.close_keywords"));
    var handoff = ["queue", "agent", "close", "waiting"];
    // The rules' fields are kept while the number is empty (no rule), so filling the number
    // afterwards keeps what was chosen.
    var retry = { count: "", action: { type: "waiting" } };
    if (s.retry_limit) retry = { count: s.retry_limit.count, action: s.retry_limit.action };
    function retrySet() {
      s.retry_limit = retry.count ? { count: Number(retry.count), action: retry.action } : null;
    }
    settingsBox.appendChild(row(T.retry_count, input(retry.count, function (v) { retry.count = v; retrySet(); },
      { type: "number", min: "1", max: "20" }), "settings.retry_limit.count"));
    settingsBox.appendChild(actionEditor(retry.action, handoff, "settings.retry_limit.action", function (action) {
      retry.action = action;
      retrySet();
    }));
    var idle = { minutes: "", message: "", action: { type: "waiting" } };
    if (s.inactivity) idle = { minutes: s.inactivity.minutes, message: s.inactivity.message, action: s.inactivity.action };
    function idleSet() {
      s.inactivity = idle.minutes ? { minutes: Number(idle.minutes), message: idle.message, action: idle.action } : null;
    }
    settingsBox.appendChild(row(T.inactivity_minutes, input(idle.minutes, function (v) { idle.minutes = v; idleSet(); },
      { type: "number", min: "1", max: "10080" }), "settings.inactivity.minutes"));
    settingsBox.appendChild(row(T.inactivity_message, textarea(idle.message, function (v) { idle.message = v; idleSet(); }),
      "settings.inactivity.message"));
    settingsBox.appendChild(actionEditor(idle.action, handoff, "settings.inactivity.action", function (action) {
      idle.action = action;
      idleSet();
    }));
    var own = problems.filter(function (p) { return p.node === null && String(p.field || "").indexOf("settings") === 0; });
    placeProblems(settingsBox, own);
    if (own.length) settingsBox.parentNode.open = true;
  }

  // ------------------------------------------------------------------ the list view

  function drawList() {
    list.textContent = "";
    graph.nodes.forEach(function (node) {
      var targets = (node.options || []).map(function (o, i) {
        var a = o.action || {};
        var where = a.type === "node" ? (nodeById(a.node) || { name: a.node }).name : a.type ? T["action_" + a.type] : "—";
        return (i + 1) + ". " + (o.label || "") + " → " + where;
      });
      var item = el("li", { class: "fb-list-item" + (node.id === selected ? " selected" : "") + (problemsFor(node.id).length ? " has-error" : "") }, [
        button((node.name || node.id) + (graph.start === node.id ? " (" + T.start + ")" : ""), function () {
          select_(node.id);
          var title = formBox.querySelector(".fb-form-title");
          if (title) title.focus();
        }, "link", { "aria-current": node.id === selected ? "true" : null, "data-node": node.id }),
        targets.length ? el("p", { class: "muted", text: targets.join(" · ") }) : null,
      ]);
      list.appendChild(item);
    });
  }

  // ------------------------------------------------------------------ the canvas

  function drawNodes() {
    Array.prototype.slice.call(world.querySelectorAll(".fb-node")).forEach(function (n) { n.remove(); });
    graph.nodes.forEach(function (node) {
      node.position = node.position || { x: 40, y: 40 };
      var first = (node.interactions || []).filter(function (i) { return i.type === "text" && i.text; })[0];
      var card = el("div", {
        class: "fb-node" + (node.id === selected ? " selected" : "") + (problemsFor(node.id).length ? " has-error" : ""),
        "data-node": node.id,
        tabindex: "0",
        role: "button",
        "aria-label": T.edit + ": " + (node.name || node.id),
        "aria-describedby": "fb-hint",
        style: "left:" + node.position.x + "px;top:" + node.position.y + "px",
      }, [
        el("div", { class: "fb-node-head" }, [
          el("strong", { text: node.name || node.id }),
          graph.start === node.id ? el("span", { class: "badge", text: T.start }) : null,
        ]),
        first ? el("p", { class: "fb-node-text", text: first.text.slice(0, 80) }) : null,
      ]);
      var options = el("ol", { class: "fb-node-options" });
      (node.options || []).forEach(function (option, index) {
        options.appendChild(el("li", { "data-option": String(index) }, [
          el("span", { text: (index + 1) + ". " + (option.label || (option.answers || []).join(", ") || (option.any ? T.any : "…")) }),
          el("span", { class: "fb-port", title: T.connect, "data-port": String(index), "aria-hidden": "true" }),
        ]));
      });
      card.appendChild(options);
      card.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") {
          event.preventDefault();
          select_(node.id);
          return;
        }
        // Arrow keys move the card (Shift: by a bigger step), as dragging does.
        var step = event.shiftKey ? 100 : 20;
        var moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, -step], ArrowDown: [0, step] };
        var move = moves[event.key];
        if (!move) return;
        event.preventDefault();
        node.position = { x: Math.max(0, node.position.x + move[0]), y: Math.max(0, node.position.y + move[1]) };
        card.style.left = node.position.x + "px";
        card.style.top = node.position.y + "px";
        drawLines();
        dirty();
      });
      world.appendChild(card);
    });
    drawLines();
  }

  function portPoint(card, index) {
    var port = card.querySelector('[data-port="' + index + '"]');
    var base = world.getBoundingClientRect();
    var r = port.getBoundingClientRect();
    return { x: (r.left + r.width / 2 - base.left) / zoom, y: (r.top + r.height / 2 - base.top) / zoom };
  }

  function curve(a, b) {
    var dx = Math.max(40, Math.abs(b.x - a.x) / 2);
    return "M" + a.x + "," + a.y + " C" + (a.x + dx) + "," + a.y + " " + (b.x - dx) + "," + b.y + " " + b.x + "," + b.y;
  }

  function drawLines(extra) {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    graph.nodes.forEach(function (node) {
      var card = world.querySelector('.fb-node[data-node="' + CSS.escape(node.id) + '"]');
      if (!card) return;
      (node.options || []).forEach(function (option, index) {
        var action = option.action || {};
        if (action.type !== "node") return;
        var target = world.querySelector('.fb-node[data-node="' + CSS.escape(String(action.node)) + '"]');
        if (!target) return;
        var to = { x: target.offsetLeft, y: target.offsetTop + 18 };
        var path = document.createElementNS(SVG_NS, "path");
        path.setAttribute("d", curve(portPoint(card, index), to));
        path.setAttribute("class", "fb-line");
        svg.appendChild(path);
      });
    });
    if (extra) {
      var temp = document.createElementNS(SVG_NS, "path");
      temp.setAttribute("d", curve(extra.from, extra.to));
      temp.setAttribute("class", "fb-line fb-line-new");
      svg.appendChild(temp);
    }
  }

  function applyView() {
    world.style.transform = "translate(" + pan.x + "px," + pan.y + "px) scale(" + zoom + ")";
    root.querySelector('[data-action="zoom-reset"]').textContent = Math.round(zoom * 100) + "%";
  }

  function toWorld(event) {
    var base = world.getBoundingClientRect();
    return { x: (event.clientX - base.left) / zoom, y: (event.clientY - base.top) / zoom };
  }

  var gesture = null;

  stage.addEventListener("pointerdown", function (event) {
    if (event.button !== 0) return;
    var port = event.target.closest(".fb-port");
    var card = event.target.closest(".fb-node");
    if (port && card) {
      var node = nodeById(card.dataset.node);
      gesture = { kind: "connect", node: node, index: Number(port.dataset.port), from: portPoint(card, port.dataset.port) };
    } else if (card) {
      var moving = nodeById(card.dataset.node);
      gesture = { kind: "move", node: moving, card: card, start: toWorld(event), origin: { x: moving.position.x, y: moving.position.y }, moved: false };
    } else {
      gesture = { kind: "pan", x: event.clientX, y: event.clientY, origin: { x: pan.x, y: pan.y } };
    }
    stage.setPointerCapture(event.pointerId);
    event.preventDefault();
  });

  stage.addEventListener("pointermove", function (event) {
    if (!gesture) return;
    if (gesture.kind === "pan") {
      pan.x = gesture.origin.x + event.clientX - gesture.x;
      pan.y = gesture.origin.y + event.clientY - gesture.y;
      applyView();
    } else if (gesture.kind === "move") {
      var at = toWorld(event);
      var x = Math.max(0, Math.round(gesture.origin.x + at.x - gesture.start.x));
      var y = Math.max(0, Math.round(gesture.origin.y + at.y - gesture.start.y));
      if (Math.abs(x - gesture.origin.x) + Math.abs(y - gesture.origin.y) > 3) gesture.moved = true;
      gesture.node.position = { x: x, y: y };
      gesture.card.style.left = x + "px";
      gesture.card.style.top = y + "px";
      drawLines();
    } else if (gesture.kind === "connect") {
      drawLines({ from: gesture.from, to: toWorld(event) });
    }
  });

  function endGesture(event) {
    if (!gesture) return;
    var done = gesture;
    gesture = null;
    if (done.kind === "move") {
      if (done.moved) dirty();
      else select_(done.node.id);
    } else if (done.kind === "connect") {
      var under = document.elementFromPoint(event.clientX, event.clientY);
      var target = under && under.closest(".fb-node");
      if (target && target.dataset.node !== done.node.id) {
        done.node.options[done.index].action = { type: "node", node: target.dataset.node };
        selected = done.node.id;
        dirty();
        redraw();
        return;
      }
      drawLines();
    }
  }
  stage.addEventListener("pointerup", endGesture);
  stage.addEventListener("pointercancel", function () { gesture = null; drawLines(); });

  function zoomTo(value) {
    zoom = Math.min(2, Math.max(0.4, Math.round(value * 10) / 10));
    applyView();
  }
  stage.addEventListener("wheel", function (event) {
    if (!event.ctrlKey && !event.metaKey) return;
    event.preventDefault();
    zoomTo(zoom + (event.deltaY < 0 ? 0.1 : -0.1));
  }, { passive: false });

  // ------------------------------------------------------------------ toolbar

  function select_(id) {
    selected = id;
    redraw();
  }

  function redraw() {
    drawNodes();
    drawList();
    drawForm();
    drawSettings();
  }

  function setView(name) {
    view = name;
    stage.hidden = name !== "canvas";
    document.getElementById("fb-hint").hidden = name !== "canvas";
    list.hidden = name !== "list";
    root.querySelectorAll("[data-view]").forEach(function (b) { b.setAttribute("aria-pressed", String(b.dataset.view === name)); });
    if (name === "canvas") drawLines();
  }

  root.querySelectorAll("[data-view]").forEach(function (b) {
    b.addEventListener("click", function () { setView(b.dataset.view); });
  });

  root.querySelector('[data-action="add-node"]').addEventListener("click", function () {
    var id = newId("node-", graph.nodes.map(function (n) { return n.id; }));
    var last = graph.nodes[graph.nodes.length - 1];
    var position = last ? { x: last.position.x + 300, y: last.position.y } : { x: 40, y: 40 };
    graph.nodes.push({ id: id, name: T.step + " " + (graph.nodes.length + 1), position: position, interactions: [], options: [] });
    if (!graph.start) graph.start = id;
    selected = id;
    dirty();
    redraw();
    var name = formBox.querySelector("input");
    if (name) name.focus();
  });
  root.querySelector('[data-action="zoom-in"]').addEventListener("click", function () { zoomTo(zoom + 0.1); });
  root.querySelector('[data-action="zoom-out"]').addEventListener("click", function () { zoomTo(zoom - 0.1); });
  root.querySelector('[data-action="zoom-reset"]').addEventListener("click", function () { pan = { x: 0, y: 0 }; zoomTo(1); });

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      credentials: "same-origin",
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(function (json) { return { ok: response.ok, json: json }; });
    });
  }

  function showProblems(list_) {
    problems = list_;
    problemsBox.textContent = "";
    var general = problems.filter(function (p) { return p.node === null && String(p.field || "").indexOf("settings") !== 0; });
    general.forEach(function (p) { problemsBox.appendChild(el("p", { text: p.message })); });
    var withNode = problems.filter(function (p) { return p.node !== null; });
    if (withNode.length && !problemsFor(selected).length) selected = withNode[0].node;
    if (withNode.length) {
      var names = [];
      withNode.forEach(function (p) {
        var n = nodeById(p.node);
        var name = n ? n.name || n.id : p.node;
        if (names.indexOf(name) === -1) names.push(name);
      });
      problemsBox.appendChild(el("p", { text: T.invalid + " (" + names.join(", ") + ")" }));
    }
    redraw();
  }

  root.querySelector('[data-action="save"]').addEventListener("click", function () {
    status.textContent = T.saving;
    post(root.dataset.saveUrl, { graph: graph, note: document.getElementById("fb-note").value })
      .then(function (result) {
        if (result.ok) {
          status.textContent = result.json.message || T.saved;
          showProblems([]);
          window.setTimeout(function () { window.location.reload(); }, 600);
          return;
        }
        status.textContent = result.json.message || T.error;
        showProblems((result.json.extra && result.json.extra.errors) || []);
      })
      .catch(function () { status.textContent = T.error; });
  });

  // ------------------------------------------------------------------ test run

  var tryBox = document.querySelector(".fb-try");
  var tryLog = tryBox.querySelector(".fb-try-log");
  var tryInput = document.getElementById("fb-try-text");
  var tryState = null;
  var tryStarted = false;
  var tryEnded = false;

  function say(who, text, cls) {
    tryLog.appendChild(el("li", { class: cls }, [el("strong", { text: who + ": " }), text]));
  }

  function nameOf(items, id) {
    var found = items.filter(function (item) { return String(item.id) === String(id); })[0];
    return found ? found.name : String(id);
  }

  // "transfer to queue: Suporte", "close the ticket", ...
  function describe(action) {
    if (!action) return "";
    var words = T["action_" + action.type] || action.type;
    if (action.type === "queue") words += ": " + nameOf(data.queues, action.queue);
    if (action.type === "agent") words += ": " + nameOf(data.agents, action.agent);
    return words;
  }

  function tryRun(text) {
    return post(root.dataset.tryUrl, { graph: graph, state: tryState, text: text }).then(function (result) {
      if (!result.ok) {
        say(T.bot, result.json.message || T.error, "error");
        if (result.json.extra && result.json.extra.errors) showProblems(result.json.extra.errors);
        return;
      }
      var answer = result.json;
      (answer.replies || []).forEach(function (reply) {
        var file = reply.type === "media" ? "[" + nameOf(data.media, reply.media) + "] " : "";
        say(T.bot, file + (reply.text || reply.caption || ""), "fb-try-bot");
      });
      tryState = answer.state;
      if (tryState) {
        var node = nodeById(tryState.node);
        say(T.answers_at, node ? node.name || node.id : tryState.node, "muted fb-try-node");
      } else {
        tryEnded = true;
        say(T.handoff, describe(answer.handoff), "muted fb-try-handoff");
        say(T.bot, T.try_ended, "muted");
      }
    });
  }

  tryBox.querySelector("form").addEventListener("submit", function (event) {
    event.preventDefault();
    var text = tryInput.value;
    if (tryEnded) return;
    tryInput.value = "";
    var first = tryStarted ? Promise.resolve() : tryRun("");
    tryStarted = true;
    first.then(function () {
      if (tryEnded) return;
      if (text) {
        say(T.customer, text, "fb-try-customer");
        return tryRun(text);
      }
    }).catch(function () { say(T.bot, T.error, "error"); });
  });
  tryBox.querySelector('[data-action="try-restart"]').addEventListener("click", function () {
    tryLog.textContent = "";
    tryState = null;
    tryStarted = false;
    tryEnded = false;
    tryInput.focus();
  });

  redraw();
  applyView();
  status.textContent = "";
})();
