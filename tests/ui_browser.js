// Drives the dashboard and the portal in Debian's headless Chromium
// (puppeteer-core), for tests/ui_browser.py, which starts the servers and
// reads this script's verdicts.  Input, JSON on stdin:
//   {base, key, app, app_name, other_endpoint_url, other_event_type,
//    receiver_url, sweep: [argv], expire: [argv], screenshots}
// Output, one line per step: "PASS step" or "FAIL step: why"; it stops at
// the first failure, since every step builds on the one before.
'use strict';
const fs = require('fs');
const path = require('path');
const { execFileSync } = require('child_process');
const puppeteer = require('puppeteer-core');

const cfg = JSON.parse(fs.readFileSync(0, 'utf8'));
const TIMEOUT = 15000;

function pass(step) {
  console.log('PASS ' + step);
}

function check(cond, why) {
  if (!cond)
    throw new Error(why);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(cfg.screenshots, name + '.png'), fullPage: true });
}

function run(argv) {
  execFileSync(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'inherit'], timeout: 60000 });
}

async function mainText(page) {
  return page.$eval('main', m => m.innerText);
}

async function waitText(page, text, where) {
  await page.waitForFunction((t, sel) => {
    const el = document.querySelector(sel);
    return el && el.innerText.includes(t);
  }, { timeout: TIMEOUT }, text, where || 'main');
}

/* act(element) on what selector finds, found again when the page
 * re-rendered it between the finding and the act (a view re-renders when
 * the answer of a request it made comes in, and answers come in any
 * order). */
async function onElement(page, selector, act) {
  for (let tries = 1; ; tries++) {
    const el = await page.waitForSelector(selector, { timeout: TIMEOUT });
    try {
      return await act(el);
    } catch (e) {
      if (tries >= 5 || !/detached|not clickable/i.test(String(e.message)))
        throw e;
      await new Promise(r => setTimeout(r, 100));
    }
  }
}

async function click(page, ariaName) {
  await onElement(page, '::-p-aria(' + ariaName + ')', el => el.click());
}

async function typeInto(page, ariaName, text) {
  await onElement(page, '::-p-aria(' + ariaName + ')', el => el.type(text));
}

/* Records Content-Security-Policy refusals, which would mean the pages
 * need something the shipped policy forbids. */
async function watch(page, problems) {
  await page.evaluateOnNewDocument(() => {
    document.addEventListener('securitypolicyviolation', e => {
      window.__csp = (window.__csp || []).concat(e.violatedDirective + ' ' + e.blockedURI);
    });
  });
  page.on('pageerror', err => problems.push('page error: ' + err.message));
  page.on('requestfailed', req => problems.push('request failed: ' + req.url()));
  page.on('request', req => {
    // data: URLs (the favicon, Chromium's own form icons) go nowhere.
    if (!req.url().startsWith(cfg.base) && !req.url().startsWith('data:'))
      problems.push('request outside the host: ' + req.url());
  });
}

async function noCsp(page, problems) {
  const csp = await page.evaluate(() => window.__csp || []);
  check(csp.length === 0, 'the page broke its Content-Security-Policy: ' + csp.join('; '));
  check(problems.length === 0, problems.join('; '));
}

async function main() {
  const userData = fs.mkdtempSync(path.join(cfg.screenshots, '..', 'chromium-'));
  const browser = await puppeteer.launch({
    executablePath: cfg.chromium,
    headless: true,
    userDataDir: userData,
    args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run',
      '--disable-dev-shm-usage'],
  });
  const problems = [];
  let step = 'start';
  try {
    const page = await browser.newPage();
    await page.setViewport({ width: 1200, height: 800 });
    await watch(page, problems);

    step = 'signs in with a management key, by keyboard';
    await page.goto(cfg.base + '/ui/', { waitUntil: 'load' });
    await page.waitForSelector('::-p-aria(Management key)', { timeout: TIMEOUT });
    await shot(page, 'sign-in');
    // By keyboard alone: the key field has the focus, Enter submits.
    await page.keyboard.type(cfg.key);
    await page.keyboard.press('Enter');
    await waitText(page, cfg.app_name);
    const stored = await page.evaluate(() => sessionStorage.getItem('hookfan.key'));
    check(stored === cfg.key, 'the key is not in sessionStorage');
    await shot(page, 'applications');
    pass(step);

    step = 'creates an endpoint and shows its secret once';
    await click(page, '[name="Endpoints"][role="link"]');
    await waitText(page, 'Add an endpoint');
    await page.select('select[name="application"]', cfg.app);
    await typeInto(page, '[name="URL"][role="textbox"]', cfg.receiver_url);
    await typeInto(page, '[name="Description"][role="textbox"]', 'browser test endpoint');
    await typeInto(page, '[name="Event types"][role="textbox"]', 'order.paid');
    await click(page, '[name="Add endpoint"][role="button"]');
    await page.waitForSelector('#new-secret input.secret', { timeout: TIMEOUT });
    const secret = await page.$eval('#new-secret input.secret', i => i.value);
    check(/^whsec_/.test(secret), 'no secret shown: ' + secret);
    await page.waitForSelector('::-p-aria([name="Copy"][role="button"])', { timeout: TIMEOUT });
    await waitText(page, cfg.receiver_url);
    await shot(page, 'endpoints');
    pass(step);

    step = 'sends a test event';
    await page.click('#new-secret a');
    await waitText(page, 'Health');
    await click(page, '[name="Send test event"][role="button"]');
    await waitText(page, 'Test event order.paid sent', '#status');
    pass(step);

    step = 'shows the failed attempt, its response excerpt as text';
    run(cfg.sweep);
    await click(page, '[name="Messages"][role="link"]');
    await waitText(page, 'order.paid');
    await onElement(page, 'main table a[href^="#/message/"]', el => el.click());
    await waitText(page, 'Attempts of');
    await waitText(page, '500');
    const excerpt = await page.$eval('pre.excerpt', p => p.textContent);
    check(excerpt.includes('<script>'), 'the excerpt is not shown as text: ' + excerpt);
    const injected = await page.evaluate(() => ({
      xss: window.__xss, scripts: document.querySelectorAll('main script, main img').length,
    }));
    check(injected.xss === undefined && injected.scripts === 0,
      'the response excerpt became markup: ' + JSON.stringify(injected));
    await shot(page, 'message-failed');
    pass(step);

    step = 'retries the delivery and shows the new attempt';
    await onElement(page, 'button[aria-label^="Retry delivery"]', el => el.click());
    await waitText(page, 'Retry queued', '#status');
    run(cfg.sweep);
    await page.reload({ waitUntil: 'load' });
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('main tbody tr')].map(r => r.innerText);
      return rows.some(r => /^2\t/.test(r) && r.includes('200')) &&
        document.querySelector('main .badge-succeeded');
    }, { timeout: TIMEOUT });
    await shot(page, 'message');
    const messageUrl = page.url();
    pass(step);

    step = 'lists messages newest first, filtered by application and status';
    await page.goto(cfg.base + '/ui/#/messages', { waitUntil: 'load' });
    await waitText(page, cfg.other_event_type);
    await shot(page, 'messages');
    await page.select('select[name="app"]', cfg.app);
    await click(page, '[name="Filter"][role="button"]');
    await page.waitForFunction(t => !document.querySelector('main').innerText.includes(t) &&
      document.querySelector('main').innerText.includes('order.paid'), { timeout: TIMEOUT }, cfg.other_event_type);
    await page.select('select[name="app"]', '');
    await page.select('select[name="status"]', 'pending');
    await click(page, '[name="Filter"][role="button"]');
    await page.waitForFunction(t => document.querySelector('main').innerText.includes(t) &&
      !document.querySelector('main').innerText.includes('order.paid'), { timeout: TIMEOUT }, cfg.other_event_type);
    pass(step);

    step = 'shows the endpoint health chart';
    await page.goto(cfg.base + '/ui/#/endpoints', { waitUntil: 'load' });
    await waitText(page, cfg.receiver_url);
    await onElement(page, 'main table a[href^="#/endpoint/"]', el => el.click());
    await page.waitForSelector('svg.chart rect.ok', { timeout: TIMEOUT });
    await page.waitForSelector('svg.chart rect.failed', { timeout: TIMEOUT });
    const label = await page.$eval('svg.chart', s => s.getAttribute('aria-label'));
    check(/1 succeeded, 1 failed/.test(label), 'chart label: ' + label);
    await shot(page, 'endpoint');
    await noCsp(page, problems);
    pass(step);

    step = 'makes a portal link';
    await page.goto(cfg.base + '/ui/#/applications', { waitUntil: 'load' });
    await click(page, '[name="Portal link for ' + cfg.app_name + '"][role="button"]');
    await page.waitForSelector('#portal-link input', { timeout: TIMEOUT });
    const portalUrl = await page.$eval('#portal-link input', i => i.value);
    check(portalUrl.includes('#portal=hfp_'), 'portal url: ' + portalUrl);
    pass(step);

    step = 'the portal shows only its application, no management key, retries';
    const context = await browser.createBrowserContext();
    const portal = await context.newPage();
    await portal.setViewport({ width: 1200, height: 800 });
    await watch(portal, problems);
    await portal.goto(portalUrl, { waitUntil: 'load' });
    await waitText(portal, cfg.receiver_url);
    let text = await mainText(portal);
    check(!text.includes(cfg.other_endpoint_url), 'the portal shows another application\'s endpoint');
    const leaked = await portal.evaluate(() => ({
      hash: location.hash, key: sessionStorage.getItem('hookfan.key'),
      keyInput: document.querySelectorAll('input[type="password"]').length,
      apps: [...document.querySelectorAll('nav li:not([hidden]) a')].map(a => a.textContent),
    }));
    check(!leaked.hash.includes('hfp_'), 'the token stays in the address bar');
    check(leaked.key === null && leaked.keyInput === 0, 'the portal holds or asks for a management key');
    check(!leaked.apps.includes('Applications'), 'the portal offers every application');
    await shot(portal, 'portal-endpoints');
    await click(portal, '[name="Messages"][role="link"]');
    await waitText(portal, 'order.paid');
    text = await mainText(portal);
    check(!text.includes(cfg.other_event_type), 'the portal shows another application\'s message');
    await onElement(portal, 'main table a[href^="#/message/"]', el => el.click());
    await waitText(portal, 'Attempts of');
    await onElement(portal, 'button[aria-label^="Retry delivery"]', el => el.click());
    await waitText(portal, 'Retry queued', '#status');
    await portal.setViewport({ width: 390, height: 844 });
    await shot(portal, 'portal-message-phone');
    const overflow = await portal.evaluate(() => document.documentElement.scrollWidth);
    check(overflow <= 391, 'the page is wider than a phone: ' + overflow + 'px');
    await noCsp(portal, problems);
    pass(step);

    step = 'the portal link is refused once expired';
    run(cfg.expire);
    await portal.goto(cfg.base + '/ui/#/endpoints', { waitUntil: 'load' });
    await waitText(portal, 'This link has expired');
    text = await mainText(portal);
    check(!text.includes(cfg.receiver_url), 'the expired portal still shows endpoints');
    await shot(portal, 'portal-expired');
    pass(step);
    await context.close();

    step = 'edits, disables, enables an endpoint, reveals and rotates its secret';
    page.on('dialog', dialog => dialog.accept());
    await page.goto(cfg.base + '/ui/#/endpoints', { waitUntil: 'load' });
    await waitText(page, cfg.receiver_url);
    await onElement(page, 'main table a[href^="#/endpoint/"]', el => el.click());
    await onElement(page, '::-p-aria([name="Description"][role="textbox"])', async el => {
      await el.click({ count: 3 });
      await page.keyboard.press('Backspace');
      await el.type('edited <b>here</b>');
    });
    await click(page, '[name="Save"][role="button"]');
    await waitText(page, 'Endpoint saved.', '#status');
    await waitText(page, 'edited <b>here</b>');
    await click(page, '[name="Disable"][role="button"]');
    await waitText(page, 'Endpoint disabled.', '#status');
    await page.waitForSelector('main .badge-disabled', { timeout: TIMEOUT });
    await click(page, '[name="Enable"][role="button"]');
    await waitText(page, 'Endpoint enabled.', '#status');
    await click(page, '[name="Reveal secret"][role="button"]');
    await waitText(page, 'Secret shown.', '#status');
    const revealed = await page.$eval('main input.secret', i => i.value);
    check(revealed === secret, 'the revealed secret is not the one shown at creation');
    await click(page, '[name="Rotate secret"][role="button"]');
    await waitText(page, 'Secret rotated.', '#status');
    const rotated = await page.$eval('main input.secret', i => i.value);
    check(/^whsec_/.test(rotated) && rotated !== secret, 'no new secret: ' + rotated);
    pass(step);

    step = 'adds an application and an event type, resends a message';
    await page.goto(cfg.base + '/ui/#/event-types', { waitUntil: 'load' });
    await typeInto(page, '[name="New event type"][role="textbox"]', 'invoice.paid');
    await click(page, '[name="Add event type"][role="button"]');
    await waitText(page, 'Event type added.', '#status');
    await waitText(page, 'invoice.paid');
    await shot(page, 'event-types');
    await page.goto(cfg.base + '/ui/#/applications', { waitUntil: 'load' });
    await typeInto(page, '[name="New application name"][role="textbox"]', 'Third <i>app</i>');
    await click(page, '[name="Add application"][role="button"]');
    await waitText(page, 'Application added.', '#status');
    await waitText(page, 'Third <i>app</i>');
    await page.goto(messageUrl, { waitUntil: 'load' });
    await click(page, '[name="Resend"][role="button"]');
    await waitText(page, 'Message resent.', '#status');
    await page.waitForFunction(() => document.querySelectorAll('main section.delivery').length === 2,
      { timeout: TIMEOUT });
    await noCsp(page, problems);
    pass(step);
  } catch (err) {
    console.log('FAIL ' + step + ': ' + err.message.split('\n')[0]);
  } finally {
    await browser.close();
    fs.rmSync(userData, { recursive: true, force: true });
  }
}

main().catch(err => {
  console.log('FAIL start: ' + err.message);
  process.exitCode = 1;
});
