import { createHash } from "node:crypto";

// The interactive API reference at /docs. Self-contained on purpose: relbot often runs where there is no internet,
// so no CDN script or font. It reads /openapi.json and renders every operation; GET operations can be tried with a
// token typed into the page (kept in sessionStorage only, sent only to this origin). All text from the document
// goes into the page through textContent, never innerHTML.

const style = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #1d2430; background: #f6f7f9; }
header { background: #1d2430; color: #fff; padding: 12px 24px; display: flex; gap: 16px; align-items: center; flex-wrap: wrap; }
header h1 { font-size: 18px; margin: 0; }
header a { color: #9cc3ff; }
header label { margin-left: auto; }
header input { width: 320px; padding: 4px 6px; }
main { max-width: 1100px; margin: 0 auto; padding: 16px 24px; }
h2 { font-size: 16px; margin: 24px 0 8px; text-transform: capitalize; }
details.op { background: #fff; border: 1px solid #d8dde5; border-radius: 6px; margin: 6px 0; }
details.op > summary { cursor: pointer; padding: 8px 12px; display: flex; gap: 12px; align-items: baseline; }
.method { font: bold 12px ui-monospace, monospace; padding: 2px 6px; border-radius: 4px; color: #fff; min-width: 44px; text-align: center; }
.get { background: #2f6fdb; } .post { background: #1a8a4a; } .put, .patch { background: #b26b00; } .delete { background: #c0392b; }
.path { font-family: ui-monospace, monospace; }
.lock { color: #8a94a6; font-size: 12px; }
.body { padding: 4px 16px 12px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid #eef0f3; vertical-align: top; }
td input, td select { width: 100%; box-sizing: border-box; }
pre { background: #0f1420; color: #d7e0ef; padding: 10px; border-radius: 6px; overflow: auto; max-height: 420px; }
button { padding: 5px 14px; }
.status { font-weight: bold; margin-left: 8px; }
.muted { color: #6b7587; }
`;

const script = `
(function () {
  "use strict";
  var tokenInput = document.getElementById("token");
  tokenInput.value = sessionStorage.getItem("relbot-token") || "";
  tokenInput.addEventListener("input", function () { sessionStorage.setItem("relbot-token", tokenInput.value); });
  var root = document.getElementById("operations");

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { node.append(c && c.nodeType ? c : document.createTextNode(String(c))); });
    return node;
  }

  function deref(doc, schema) {
    var seen = 0;
    while (schema && schema.$ref && seen++ < 10) {
      var parts = schema.$ref.replace(/^#\\//, "").split("/");
      schema = parts.reduce(function (o, p) { return o && o[p]; }, doc);
    }
    return schema || {};
  }

  function schemaText(doc, schema) {
    var s = deref(doc, schema);
    var type = s.type || (s.enum ? "enum" : s.anyOf || s.oneOf ? "one of" : "");
    if (Array.isArray(type)) type = type.join(" | ");
    var parts = [type];
    if (s.format) parts.push(s.format);
    if (s.enum) parts.push(s.enum.join(", "));
    if (s.minimum !== undefined || s.maximum !== undefined) parts.push((s.minimum ?? "") + ".." + (s.maximum ?? ""));
    if (s.default !== undefined) parts.push("default " + JSON.stringify(s.default));
    return parts.filter(Boolean).join(", ");
  }

  function inputFor(doc, param) {
    var s = deref(doc, param.schema);
    if (s.enum) {
      var select = el("select", { "data-param": param.name, "data-in": param.in }, [el("option", { value: "" }, [""])]);
      s.enum.forEach(function (v) { select.append(el("option", { value: String(v) }, [String(v)])); });
      return select;
    }
    var attrs = { "data-param": param.name, "data-in": param.in };
    if (param.example !== undefined) attrs.placeholder = String(param.example);
    else if (s.example !== undefined) attrs.placeholder = String(s.example);
    return el("input", attrs);
  }

  function send(path, container, out) {
    var url = path;
    var query = new URLSearchParams();
    var missing = [];
    container.querySelectorAll("[data-param]").forEach(function (field) {
      var name = field.getAttribute("data-param");
      var where = field.getAttribute("data-in");
      if (where === "path") {
        if (!field.value) missing.push(name);
        url = url.replace("{" + name + "}", encodeURIComponent(field.value));
      } else if (where === "query" && field.value !== "") {
        query.append(name, field.value);
      }
    });
    if (missing.length) { out.status.textContent = "fill in: " + missing.join(", "); return; }
    var qs = query.toString();
    if (qs) url += "?" + qs;
    var headers = {};
    if (tokenInput.value) headers.Authorization = "Bearer " + tokenInput.value;
    out.status.textContent = "GET " + url + " ...";
    fetch(url, { headers: headers }).then(function (res) {
      return res.text().then(function (text) {
        out.status.textContent = res.status + " " + res.statusText + "  (" + (res.headers.get("content-type") || "") + ")";
        var shown = text;
        try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch (e) { /* not JSON: show as is */ }
        if (shown.length > 200000) shown = shown.slice(0, 200000) + "\\n... (truncated)";
        out.body.textContent = shown;
      });
    }, function (error) { out.status.textContent = "request failed: " + error; });
  }

  function renderOperation(doc, path, method, op) {
    var secured = (op.security || doc.security || []).length > 0;
    var summary = el("summary", {}, [
      el("span", { class: "method " + method }, [method.toUpperCase()]),
      el("span", { class: "path" }, [path]),
      el("span", {}, [op.summary || ""]),
      secured ? el("span", { class: "lock" }, ["token"]) : "",
    ]);
    var body = el("div", { class: "body" });
    if (op.description) body.append(el("p", {}, [op.description]));
    var params = op.parameters || [];
    if (params.length) {
      var rows = params.map(function (p) {
        p = deref(doc, p);
        return el("tr", {}, [
          el("td", {}, [el("code", {}, [p.name]), p.required ? " *" : ""]),
          el("td", { class: "muted" }, [p.in]),
          el("td", { class: "muted" }, [schemaText(doc, p.schema)]),
          el("td", {}, [p.description || deref(doc, p.schema).description || ""]),
          el("td", {}, method === "get" ? [inputFor(doc, p)] : []),
        ]);
      });
      body.append(el("table", {}, [el("tr", {}, [el("th", {}, ["parameter"]), el("th", {}, ["in"]), el("th", {}, ["schema"]), el("th", {}, ["description"]), el("th", {}, ["value"])])].concat(rows)));
    }
    if (op.requestBody) {
      var content = op.requestBody.content || {};
      Object.keys(content).forEach(function (type) {
        body.append(el("p", {}, ["Request body (" + type + "):"]));
        body.append(el("pre", {}, [JSON.stringify(deref(doc, content[type].schema), null, 2)]));
      });
    }
    var responses = op.responses || {};
    body.append(el("table", {}, [el("tr", {}, [el("th", {}, ["status"]), el("th", {}, ["response"]), el("th", {}, ["content types"])])].concat(
      Object.keys(responses).map(function (code) {
        var r = deref(doc, responses[code]);
        return el("tr", {}, [el("td", {}, [code]), el("td", {}, [r.description || ""]), el("td", { class: "muted" }, [Object.keys(r.content || {}).join(", ")])]);
      }))));
    if (method === "get") {
      var out = { status: el("span", { class: "status" }), body: el("pre", {}) };
      var button = el("button", { type: "button" }, ["Send"]);
      button.addEventListener("click", function () { send(path, body, out); });
      body.append(el("p", {}, [button, out.status]), out.body);
    } else {
      body.append(el("p", { class: "muted" }, ["Try this one with curl: the page only sends GET requests."]));
    }
    return el("details", { class: "op" }, [summary, body]);
  }

  fetch("/openapi.json").then(function (r) { return r.json(); }).then(function (doc) {
    document.getElementById("title").textContent = doc.info.title + " " + doc.info.version;
    document.title = doc.info.title + " API reference";
    if (doc.info.description) document.getElementById("about").textContent = doc.info.description;
    var byTag = {};
    Object.keys(doc.paths || {}).forEach(function (path) {
      Object.keys(doc.paths[path]).forEach(function (method) {
        var op = doc.paths[path][method];
        if (!op || typeof op !== "object" || !op.responses) return;
        var tag = (op.tags && op.tags[0]) || "other";
        (byTag[tag] = byTag[tag] || []).push(renderOperation(doc, path, method, op));
      });
    });
    Object.keys(byTag).forEach(function (tag) {
      root.append(el("h2", {}, [tag]));
      byTag[tag].forEach(function (node) { root.append(node); });
    });
    var schemas = (doc.components && doc.components.schemas) || {};
    if (Object.keys(schemas).length) {
      root.append(el("h2", {}, ["schemas"]));
      Object.keys(schemas).forEach(function (name) {
        root.append(el("details", { class: "op" }, [el("summary", {}, [el("span", { class: "path" }, [name])]), el("div", { class: "body" }, [el("pre", {}, [JSON.stringify(schemas[name], null, 2)])])]));
      });
    }
  }, function (error) { root.textContent = "could not load /openapi.json: " + error; });
})();
`;

const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>relbot API reference</title>
<style>${style}</style>
</head>
<body>
<header>
  <h1 id="title">relbot API</h1>
  <a href="/openapi.json">openapi.json</a>
  <label>API token <input id="token" type="password" autocomplete="off" placeholder="Bearer token (read scope)"></label>
</header>
<main>
  <p id="about" class="muted"></p>
  <div id="operations"></div>
</main>
<script>${script}</script>
</body>
</html>
`;

const sha256Source = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

/**
 * Allows exactly the page's own inline script and style (by hash) and requests to this origin; nothing else loads.
 */
const contentSecurityPolicy = [
  "default-src 'none'",
  `script-src ${sha256Source(script)}`,
  `style-src ${sha256Source(style)}`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

export const docsPage = { html, contentSecurityPolicy };
