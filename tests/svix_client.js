// Drives hookfan through Svix's own client library (tests/svix_client.py
// runs it phase by phase, delivering with hookfan-sweep in between).
// argv: modules dir, phase, state file (JSON, read and rewritten).
"use strict";
const fs = require("fs");
const path = require("path");
const url = require("url");
const phase = process.argv[3], stateFile = process.argv[4];
const st = JSON.parse(fs.readFileSync(stateFile, "utf8"));
let Svix, Webhook, svix;
// svix 1.x is CommonJS, 2.x an ES module only.
async function load() {
    const dir = path.join(process.argv[2], "svix");
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    const mod = pkg.version.startsWith("1.") ? require(dir)
        : await import(url.pathToFileURL(path.join(dir, pkg.main)).href);
    ({ Svix, Webhook } = mod);
    svix = new Svix(st.token, { serverUrl: st.url });
}
// 1.x names an endpoint's event types filterTypes, 2.x eventTypes.
const types = (e) => e.eventTypes || e.filterTypes;
const typesIn = (t) => st.version.startsWith("1.") ? { filterTypes: t } : { eventTypes: t };
const out = [];
function check(cond, what) { out.push([!!cond, what]); }
async function status(p) {
    try { await p; return 200; } catch (e) { return e.code; }
}
function verify(secret, d) {
    try { new Webhook(secret).verify(d.body, d.headers); return true; }
    catch (e) { return false; }
}

async function setup() {
    if (svix.health)
        check(await status(svix.health.get()) === 200, "health answers");
    const app = await svix.application.create({ name: "Shop", uid: "shop-1" });
    check(app.id.startsWith("app_") && app.uid === "shop-1" && app.name === "Shop",
          "application created with its uid");
    const again = await svix.application.getOrCreate({ name: "Shop", uid: "shop-1" });
    check(again.id === app.id, "getOrCreate finds it by uid");
    check((await svix.application.get("shop-1")).id === app.id, "get by uid");
    const list = await svix.application.list();
    check(list.data.length === 1 && list.done === true, "application list");
    const ep = await svix.endpoint.create("shop-1", {
        url: st.receiver, description: "orders", ...typesIn(["user.created"]) });
    check(ep.id.startsWith("ep_") && types(ep)[0] === "user.created" &&
          ep.disabled === false, "endpoint created with filterTypes");
    const et = await svix.eventType.create({ name: "user.deleted", description: "A user" });
    check(et.name === "user.deleted" && et.description === "A user", "event type created");
    // The endpoint's filter registered user.created.
    check(await status(svix.eventType.create({ name: "user.created", description: "again" }))
          === 409, "an event type twice is 409");
    const etPut = (svix.eventType.update || svix.eventType.upsert).bind(svix.eventType);
    check((await etPut("invoice.paid", { description: "Paid" })).description === "Paid",
          "PUT makes a new event type");
    check((await svix.eventType.patch("invoice.paid", { description: "Settled" }))
          .description === "Settled", "event type patch");
    check((await svix.eventType.get("invoice.paid")).description === "Settled",
          "event type get");
    const ets = await svix.eventType.list();
    check(ets.data.map((e) => e.name).sort().join() === "invoice.paid,user.created,user.deleted",
          "event type list");
    check(await status(svix.eventType.delete("invoice.paid")) === 501,
          "deleting an event type is 501");
    check(await status(svix.eventType.create({ name: "a.b", description: "",
                                               schemas: { "1": { type: "object" } } }))
          === 501, "event type schemas are 501");
    const m = await svix.message.create(app.id, {
        eventType: "user.created", payload: { n: 1 }, eventId: "evt-1" },
        { withContent: true });
    check(m.id.startsWith("msg_") && m.eventId === "evt-1" && m.payload.n === 1,
          "message created " + JSON.stringify(m));
    const m2 = await svix.message.create("shop-1", {
        eventType: "other.type", payload: { n: 2 } });
    const once = { idempotencyKey: "retry-" + st.version };
    const k1 = await svix.message.create(app.id, { eventType: "other.type", payload: {} }, once);
    const k2 = await svix.message.create(app.id, { eventType: "other.type", payload: {} }, once);
    check(k1.id === k2.id, "an idempotency-key repeat answers the first message");
    for (const [key, what] of [["has space", "with a space"], ["k".repeat(256), "over 255"]])
        check(await status(svix.message.create(app.id, { eventType: "other.type", payload: {} },
                                               { idempotencyKey: key })) === 422,
              "an idempotency-key " + what + " is 422, not ignored");
    const appPut = (svix.application.update || svix.application.upsert).bind(svix.application);
    check(await status(appPut("u".repeat(257), { name: "Long" })) === 422,
          "PUT of a path uid over 256 is 422");
    check(await status(svix.message.create(app.id, {
        eventType: "user.created", payload: { n: 3 }, eventId: "evt-1" })) === 409,
          "a repeated eventId is 409");
    const got = await svix.message.get(app.id, m.id, { withContent: true });
    check(got.eventType === "user.created" && got.eventId === "evt-1" && got.payload.n === 1,
          "message get");
    const msgs = await svix.message.list(app.id);
    check(msgs.data.length === 3 && msgs.done === true, "message list holds the three");
    const bad = new Svix("hfm_" + "0".repeat(64), { serverUrl: st.url });
    check(await status(bad.application.list()) === 401, "a bad token is 401");
    const other = new Svix(st.other_token, { serverUrl: st.url });
    check(await status(other.application.get(app.id)) === 404,
          "another workspace's application is 404");
    check(await status(svix.application.list({ limit: 251 })) === 422, "limit 251 is 422");
    check(await status(svix.application.list({ iterator: "junk" })) === 422,
          "a junk iterator is 422");
    check(await status(svix.application.create({ name: "x", uid: "app_x" })) === 422,
          "a uid shaped as an id is 422");
    check(await status(svix.message.create(app.id, { eventType: "bad type", payload: {} }))
          === 422, "a bad eventType is 422");
    check(await status(svix.message.create(app.id, { eventType: "a.b", payload: {},
                                                     application: { name: "x" } })) === 501,
          "a message's inline application is 501");
    check(await status(svix.message.list(app.id, { eventTypes: ["a.b"] })) === 501,
          "a message list filter is 501");
    check(await status(svix.integration.list(app.id)) === 501,
          "an unsupported route is 501");
    check(await status(svix.endpoint.getHeaders(app.id, ep.id)) === 501,
          "endpoint headers are 501");
    Object.assign(st, { app: app.id, ep: ep.id, msg: m.id, msg2: m2.id });
}

async function afterSweep() {
    const att = await svix.messageAttempt.listByMsg(st.app, st.msg);
    check(att.data.length === 1 && att.data[0].status === 0 &&
          att.data[0].responseStatusCode === 200 && att.data[0].endpointId === st.ep,
          "one successful attempt of the message");
    const none = await svix.messageAttempt.listByMsg(st.app, st.msg2);
    check(none.data.length === 0, "the unsubscribed type was not delivered");
    const byEp = await svix.messageAttempt.listByEndpoint(st.app, st.ep);
    check(byEp.data.length === 1, "attempts by endpoint");
    const one = await svix.messageAttempt.get(st.app, st.msg, att.data[0].id);
    check(one.id === att.data[0].id, "one attempt");
    const secret = (await svix.endpoint.getSecret(st.app, st.ep)).key;
    check(verify(secret, st.delivered[0]), "the delivery verifies with the secret");
    await svix.endpoint.rotateSecret(st.app, st.ep, {});
    const fresh = (await svix.endpoint.getSecret(st.app, st.ep)).key;
    check(fresh !== secret, "rotation makes a new secret");
    await svix.messageAttempt.resend(st.app, st.msg, st.ep);
    Object.assign(st, { secret: fresh });
}

async function finish() {
    check(verify(st.secret, st.delivered[1]), "the resend verifies with the new secret");
    const att = await svix.messageAttempt.listByMsg(st.app, st.msg);
    check(att.data.length === 2, "the resend's attempt is listed");
    const rec = await svix.endpoint.recover(st.app, st.ep, { since: new Date(0) });
    check(rec.status === "finished", "recover");
    const stats = await svix.endpoint.getStats(st.app, st.ep);
    check(stats.success === 1 && stats.fail === 0, "endpoint stats");
    // 2.x calls PUT upsert.
    const up = await (svix.endpoint.update || svix.endpoint.upsert).call(svix.endpoint, st.app, st.ep, {
        url: st.receiver, ...typesIn(["a.b", "c.d"]), disabled: true });
    check(up.disabled === true && types(up).length === 2, "endpoint update");
    const p = await svix.endpoint.patch(st.app, st.ep, { description: "x" });
    check(p.description === "x" && p.disabled === true, "endpoint patch");
    check(await status(svix.endpoint.create(st.app, {
        url: st.receiver, rateLimit: 5, throttleRate: 5 })) === 501,
          "an endpoint rate limit is 501");
    check(await status(svix.endpoint.create(st.app, { url: "ftp://x" })) === 422,
          "a bad url is 422");
    await svix.endpoint.delete(st.app, st.ep);
    check(await status(svix.endpoint.get(st.app, st.ep)) === 404, "endpoint deleted");
    const ep2 = await svix.endpoint.create(st.app, { url: st.receiver });
    check(types(ep2) == null, "an endpoint without types gets every type");
    const renamed = await (svix.application.update || svix.application.upsert)
        .call(svix.application, st.app, { name: "Shop 2" });
    check(renamed.name === "Shop 2", "application update");
    // hookfan alone refuses (409) while endpoints remain; Svix's delete
    // takes ep2 with it.
    await svix.application.delete(st.app);
    check(await status(svix.application.get(st.app)) === 404,
          "application deleted, with its endpoint");
}

load().then(() => ({ setup, afterSweep, finish })[phase]()).then(() => {
    fs.writeFileSync(stateFile, JSON.stringify(st));
    console.log(JSON.stringify(out));
}, (e) => {
    console.log(JSON.stringify(out.concat([[false, phase + " threw: " + e +
        " " + JSON.stringify(e.body || "")]])));
});
