// Verify recorded webhook requests with the `standardwebhooks` npm package,
// a verifier nobody on this project wrote.  Reads JSON on stdin:
//   [{"secret": "whsec_...", "headers": {...}, "body": "..."}, ...]
// and prints one JSON array of {"ok": bool, "error": string|null}.
// NODE_PATH must name the node_modules folder holding standardwebhooks.
"use strict";
const { Webhook } = require("standardwebhooks");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const checks = JSON.parse(input);
  const results = checks.map((c) => {
    try {
      new Webhook(c.secret).verify(c.body, c.headers);
      return { ok: true, error: null };
    } catch (e) {
      return { ok: false, error: String(e && e.message ? e.message : e) };
    }
  });
  process.stdout.write(JSON.stringify(results) + "\n");
});
