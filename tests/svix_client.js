// Drives hookfan through Svix's own client library (tests/svix_client.py
// runs it phase by phase, delivering with hookfan-sweep in between).
// argv: modules dir, phase, state file (JSON, read and rewritten).
"use strict";
const fs = require("fs");
const path = require("path");
const { Svix, Webhook } = require(path.join(process.argv[2], "svix"));
const phase = process.argv[3], stateFile = process.argv[4];
const st = JSON.parse(fs.readFileSync(stateFile, "utf8"));
const svix = new Svix(st.token, { serverUrl: st.url });
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
        url: st.receiver, description: "orders", filterTypes: ["user.created"] });
    check(ep.id.startsWith("ep_") && ep.filterTypes[0] === "user.created" &&
          ep.disabled === false, "endpoint created with filterTypes");
    const m = await svix.message.create(app.id, {
        eventType: "user.created", payload: { n: 1 }, eventId: "evt-1" });
    check(m.id.startsWith("msg_") && m.eventId === "evt-1" && m.payload.n === 1,
          "message created");
    const m2 = await svix.message.create("shop-1", {
        eventType: "other.type", payload: { n: 2 } });
    check(await status(svix.message.create(app.id, {
        eventType: "user.created", payload: { n: 3 }, eventId: "evt-1" })) === 409,
          "a repeated eventId is 409");
    const got = await svix.message.get(app.id, m.id);
    check(got.eventType === "user.created" && got.eventId === "evt-1", "message get");
    const msgs = await svix.message.list(app.id);
    check(msgs.data.length === 2, "message list holds both");
    const bad = new Svix("hfm_" + "0".repeat(64), { serverUrl: st.url });
    check(await status(bad.application.list()) === 401, "a bad token is 401");
    const other = new Svix(st.other_token, { serverUrl: st.url });
    check(await status(other.application.get(app.id)) === 404,
          "another workspace's application is 404");
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
    const up = await svix.endpoint.update(st.app, st.ep, {
        url: st.receiver, filterTypes: ["a.b", "c.d"], disabled: true });
    check(up.disabled === true && up.filterTypes.length === 2, "endpoint update");
    const p = await svix.endpoint.patch(st.app, st.ep, { description: "x" });
    check(p.description === "x" && p.disabled === true, "endpoint patch");
    check(await status(svix.endpoint.create(st.app, {
        url: st.receiver, rateLimit: 5 })) === 501, "an endpoint rate limit is 501");
    check(await status(svix.endpoint.create(st.app, { url: "ftp://x" })) === 422,
          "a bad url is 422");
    await svix.endpoint.delete(st.app, st.ep);
    check(await status(svix.endpoint.get(st.app, st.ep)) === 404, "endpoint deleted");
    const renamed = await svix.application.update(st.app, { name: "Shop 2" });
    check(renamed.name === "Shop 2", "application update");
    await svix.application.delete(st.app);
    check(await status(svix.application.get(st.app)) === 404, "application deleted");
}

({ setup, afterSweep, finish })[phase]().then(() => {
    fs.writeFileSync(stateFile, JSON.stringify(st));
    console.log(JSON.stringify(out));
}, (e) => {
    console.log(JSON.stringify(out.concat([[false, phase + " threw: " + e +
        " " + JSON.stringify(e.body || "")]])));
});
