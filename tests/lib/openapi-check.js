// Check hookfan's OpenAPI document and the answers of its API against it,
// with validators nobody on this project wrote: @apidevtools/swagger-parser
// for the document, ajv (JSON Schema 2020-12, as OpenAPI 3.1 uses) for each
// answer's body.  One long-lived process: it reads one JSON request per line
// on stdin and writes one JSON answer per line on stdout.
//
//   {"op": "load", "path": FILE}
//       validate the whole document; later checks use it.
//       -> {"ok": true} or {"ok": false, "errors": [..]}
//   {"op": "check", "method": M, "path": P, "status": N,
//    "content_type": T, "body": TEXT}
//       the answer to M P (P without query string, relative to where the
//       program is mounted) must be documented for status N (or its range
//       "4XX", or "default"), with that media type, and its body must match
//       the schema.  -> {"ok": bool, "errors": [..], "route": TEMPLATE}
//
// NODE_PATH must name the node_modules folder holding the packages of
// tests/lib/openapi-check/package.json.
"use strict";
const readline = require("readline");
const SwaggerParser = require("@apidevtools/swagger-parser");
const Ajv2020 = require("ajv/dist/2020");
const addFormats = require("ajv-formats");

let api = null;
let routes = [];
const compiled = new Map();
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
addFormats(ajv);
// Keywords OpenAPI 3.1 adds to JSON Schema; they annotate, never validate.
ajv.addVocabulary(["example", "discriminator", "xml", "externalDocs"]);

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// Each path template as a regular expression; a template with more literal
// segments wins over one with a parameter in their place.
function buildRoutes(paths) {
  return Object.keys(paths).map((template) => {
    const parts = template.split(/(\{[^}]+\})/);
    const source = parts.map((p) => (p.startsWith("{") ? "([^/]+)" : escapeRegExp(p))).join("");
    const literal = template.split("/").filter((s) => s && !s.startsWith("{")).length;
    return { template, re: new RegExp("^" + source + "$"), literal };
  }).sort((a, b) => b.literal - a.literal);
}

async function load(path) {
  try {
    api = await SwaggerParser.validate(path);
  } catch (e) {
    api = null;
    return { ok: false, errors: [String(e && e.message ? e.message : e)] };
  }
  routes = buildRoutes(api.paths || {});
  compiled.clear();
  return { ok: true };
}

function findResponse(operation, status) {
  const responses = operation.responses || {};
  const exact = String(status);
  const range = exact[0] + "XX";
  if (responses[exact]) return [exact, responses[exact]];
  if (responses[range]) return [range, responses[range]];
  if (responses.default) return ["default", responses.default];
  return [null, null];
}

function check(req) {
  if (!api) return { ok: false, errors: ["no document loaded"] };
  const route = routes.find((r) => r.re.test(req.path));
  if (!route) return { ok: false, errors: ["no path of the document matches " + req.path] };
  const operation = api.paths[route.template][req.method.toLowerCase()];
  const where = req.method + " " + route.template;
  if (!operation) return { ok: false, route: route.template, errors: [where + " is not documented"] };
  const [key, response] = findResponse(operation, req.status);
  if (!response) {
    return { ok: false, route: route.template,
             errors: [where + ": status " + req.status + " is not documented"] };
  }
  // A HEAD answer has the GET answer's headers and no body.
  if (req.method === "HEAD") {
    if (req.body) return { ok: false, route: route.template, errors: [where + " " + key + ": a body in a HEAD answer"] };
    return { ok: true, route: route.template, errors: [] };
  }
  const content = response.content || {};
  const types = Object.keys(content);
  if (types.length === 0) {
    if (req.body) return { ok: false, route: route.template, errors: [where + " " + key + ": a body where none is documented"] };
    return { ok: true, route: route.template, errors: [] };
  }
  const mediaType = (req.content_type || "").split(";")[0].trim().toLowerCase();
  if (!content[mediaType]) {
    return { ok: false, route: route.template,
             errors: [where + " " + key + ": Content-Type " + JSON.stringify(req.content_type) +
                      " is not one of " + types.join(", ")] };
  }
  const schema = content[mediaType].schema;
  if (!schema) return { ok: true, route: route.template, errors: [] };
  if (!mediaType.endsWith("json")) return { ok: true, route: route.template, errors: [] };
  let body;
  try {
    body = JSON.parse(req.body);
  } catch (e) {
    return { ok: false, route: route.template, errors: [where + " " + key + ": the body is not JSON: " + e.message] };
  }
  const id = where + " " + key + " " + mediaType;
  let validate = compiled.get(id);
  if (!validate) {
    try {
      validate = ajv.compile(schema);
    } catch (e) {
      return { ok: false, route: route.template, errors: [id + ": the schema does not compile: " + e.message] };
    }
    compiled.set(id, validate);
  }
  if (validate(body)) return { ok: true, route: route.template, errors: [] };
  return { ok: false, route: route.template,
           errors: validate.errors.map((e) => id + ": " + (e.instancePath || "/") + " " + e.message +
                                       (e.params ? " " + JSON.stringify(e.params) : "")) };
}

// One request at a time, in order: a load finishes before the next check.
const lines = readline.createInterface({ input: process.stdin, terminal: false });
let queue = Promise.resolve();
lines.on("line", (line) => {
  queue = queue.then(async () => {
    let answer;
    try {
      const req = JSON.parse(line);
      answer = req.op === "load" ? await load(req.path) : check(req);
    } catch (e) {
      answer = { ok: false, errors: ["checker: " + String(e && e.stack ? e.stack : e)] };
    }
    process.stdout.write(JSON.stringify(answer) + "\n");
  });
});
