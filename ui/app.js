/*
 * hookfan's dashboard and application portal: one page that talks to the
 * management API (/v1/...) of the host it was loaded from.
 *
 * Two ways in:
 *   - an operator signs in with a management key (hfm_...), kept in
 *     sessionStorage (gone when the tab closes) and sent as a Bearer token;
 *   - a customer opens a portal link, /ui/#portal=TOKEN&app=APP: the token
 *     (hfp_...) opens one application's endpoints and messages, read-only
 *     but for retrying a delivery.  The fragment never reaches the server
 *     or its logs, and is taken off the address bar at once.
 *
 * Every value the API returns is put into the page as text (textContent,
 * attribute values), never as HTML: a URL, an event type or a response
 * excerpt holding markup shows as that markup.
 */
'use strict';

/* The API is mounted one level above /ui/. */
const API = new URL('../', location.href).pathname.replace(/\/$/, '');
const KEY_STORE = 'hookfan.key';
const PORTAL_STORE = 'hookfan.portal';
const TEST_EVENT_TYPE = 'hookfan.test';
const MESSAGE_STATUSES = ['pending', 'delivered', 'failed', 'no_subscribers'];
const HOUR_MS = 3600 * 1000;
const PAGE_SIZE = 50;
const STATUS_SCAN_PAGES = 10;

const auth = { kind: null, token: null, app: null };

/* ---- small DOM helpers ------------------------------------------------ */

/* An element: attrs are attributes (on* are listeners), children are
 * nodes or strings (made text nodes). */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false)
      continue;
    if (name.startsWith('on'))
      el.addEventListener(name.slice(2), value);
    else
      el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false)
      continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

function svg(tag, attrs, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attrs || {}))
    el.setAttribute(name, String(value));
  return append(el, children);
}

let uniqueId = 0;

/* A labelled form control. */
function field(label, control, hint) {
  const id = control.id || ('f' + (++uniqueId));
  control.id = id;
  const hintNode = hint ? h('span', { class: 'hint', id: id + '-hint' }, hint) : null;
  if (hintNode)
    control.setAttribute('aria-describedby', id + '-hint');
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintNode);
}

function button(label, onclick, attrs) {
  return h('button', Object.assign({ type: 'button', onclick }, attrs || {}), label);
}

function link(label, hash) {
  return h('a', { href: hash }, label);
}

function time(iso) {
  if (!iso)
    return '—';
  return h('time', { datetime: iso }, String(iso).replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC'));
}

function badge(status) {
  return h('span', { class: 'badge badge-' + String(status).replace(/[^a-z]/g, '') }, String(status));
}

/* A table in a scrolling region: columns [label, row => cell].  On a
 * phone each row becomes a block of label: value lines (style.css). */
function table(caption, columns, rows, empty) {
  if (!rows.length)
    return h('p', { class: 'empty' }, empty || 'Nothing yet.');
  const head = h('tr', {}, columns.map(([label]) => h('th', { scope: 'col' }, label)));
  const body = rows.map(row => h('tr', {}, columns.map(([label, cell]) => h('td', { 'data-label': label }, cell(row)))));
  return h('div', { class: 'scroll', role: 'region', 'aria-label': caption, tabindex: '0' },
    h('table', {}, h('caption', {}, caption), h('thead', {}, head), h('tbody', {}, body)));
}

function say(text) {
  document.getElementById('alert').textContent = '';
  document.getElementById('status').textContent = text;
}

function complain(text) {
  document.getElementById('status').textContent = '';
  document.getElementById('alert').textContent = text;
}

async function copy(text, what) {
  try {
    await navigator.clipboard.writeText(text);
    say(what + ' copied.');
  } catch (err) {
    complain('Could not copy; select the text and copy it by hand.');
  }
}

/* A value shown once (a secret, a link) with a copy button. */
function reveal(label, value, note) {
  const input = h('input', { type: 'text', readonly: true, value, class: 'secret', spellcheck: 'false' });
  return h('div', { class: 'reveal' }, field(label, input, note),
    button('Copy', () => copy(value, label)));
}

/* ---- the API ---------------------------------------------------------- */

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, body, token) {
  const headers = { Accept: 'application/json' };
  const bearer = token || auth.token;
  if (bearer)
    headers.Authorization = 'Bearer ' + bearer;
  if (body !== undefined)
    headers['Content-Type'] = 'application/json';
  const resp = await fetch(API + path, {
    method, headers, cache: 'no-store', credentials: 'omit',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try {
    data = await resp.json();
  } catch (err) {
    data = null;
  }
  if (!resp.ok)
    throw new ApiError(resp.status, data && data.code,
      (data && data.message) || ('the server answered ' + resp.status));
  return data;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '')
      q.set(k, v);
  const s = q.toString();
  return s ? '?' + s : '';
}

/* Where an application's things live: the portal may use only the routes
 * under its own application. */
const paths = {
  endpoints: (app) => auth.kind === 'portal'
    ? '/v1/applications/' + enc(auth.app) + '/endpoints'
    : '/v1/endpoints' + query({ application_id: app }),
  endpoint: (id) => auth.kind === 'portal'
    ? '/v1/applications/' + enc(auth.app) + '/endpoints/' + enc(id)
    : '/v1/endpoints/' + enc(id),
  messages: (params) => auth.kind === 'portal'
    ? '/v1/applications/' + enc(auth.app) + '/messages' + query(params)
    : '/v1/messages' + query(params),
  message: (id) => auth.kind === 'portal'
    ? '/v1/applications/' + enc(auth.app) + '/messages/' + enc(id)
    : '/v1/messages/' + enc(id),
};

function enc(s) {
  return encodeURIComponent(s);
}

/* Every page of a list (the selects and counts need them all), up to max. */
async function listAll(path, max) {
  const rows = [];
  let cursor = null;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api('GET', path + sep + 'limit=100' + (cursor ? '&cursor=' + enc(cursor) : ''));
    rows.push(...page.data);
    cursor = page.next_cursor;
  } while (cursor && rows.length < (max || 1000));
  return { rows, more: Boolean(cursor) };
}

/* ---- signing in and out ----------------------------------------------- */

function loadAuth() {
  const portal = /^#portal=([^&]+)&app=([^&]+)/.exec(location.hash);
  if (portal) {
    /* A portal tab never holds a management key. */
    sessionStorage.removeItem(KEY_STORE);
    sessionStorage.setItem(PORTAL_STORE, JSON.stringify({
      token: decodeURIComponent(portal[1]), app: decodeURIComponent(portal[2]),
    }));
    history.replaceState(null, '', location.pathname + '#/endpoints');
  }
  const stored = sessionStorage.getItem(PORTAL_STORE);
  if (stored) {
    const p = JSON.parse(stored);
    Object.assign(auth, { kind: 'portal', token: p.token, app: p.app });
  } else if (sessionStorage.getItem(KEY_STORE)) {
    Object.assign(auth, { kind: 'operator', token: sessionStorage.getItem(KEY_STORE), app: null });
  } else {
    Object.assign(auth, { kind: null, token: null, app: null });
  }
}

function signOut(message) {
  sessionStorage.removeItem(KEY_STORE);
  sessionStorage.removeItem(PORTAL_STORE);
  loadAuth();
  history.replaceState(null, '', location.pathname);
  render();
  if (message)
    complain(message);
  else
    say('Signed out.');
}

function viewSignIn(view) {
  const input = h('input', { type: 'password', name: 'key', autocomplete: 'off', required: true,
    spellcheck: 'false', placeholder: 'hfm_…' });
  const form = h('form', { class: 'card sign-in', onsubmit: async (ev) => {
    ev.preventDefault();
    const key = input.value.trim();
    if (!key.startsWith('hfm_')) {
      complain('That is not a management key: they begin with hfm_.');
      return;
    }
    try {
      await api('GET', '/v1/applications?limit=1', undefined, key);
    } catch (err) {
      complain(err.status === 401 || err.status === 403
        ? 'The key was refused.' : 'Could not sign in: ' + err.message);
      return;
    }
    sessionStorage.setItem(KEY_STORE, key);
    loadAuth();
    location.hash = '#/applications';
    say('Signed in.');
    render();
  } },
  h('h2', {}, 'Sign in'),
  field('Management key', input, 'Made with: hookfan-admin key create --workspace W --management. It stays in this tab only.'),
  h('button', { type: 'submit' }, 'Sign in'));
  view.append(form);
  input.focus();
}

/* ---- applications ----------------------------------------------------- */

async function viewApplications(view) {
  const { rows } = await listAll('/v1/applications');
  const name = h('input', { type: 'text', required: true, maxlength: '200' });
  view.append(h('h2', {}, 'Applications'),
    h('form', { class: 'card inline', onsubmit: async (ev) => {
      ev.preventDefault();
      await act(() => api('POST', '/v1/applications', { name: name.value }), 'Application added.');
    } }, field('New application name', name), h('button', { type: 'submit' }, 'Add application')),
    h('div', { id: 'portal-link' }),
    table('Applications', [
      ['Name', a => a.name],
      ['Id', a => h('code', {}, a.id)],
      ['Status', a => badge(a.status)],
      ['Created', a => time(a.created_at)],
      ['', a => h('div', { class: 'actions' },
        link('Endpoints', '#/endpoints?app=' + enc(a.id)),
        link('Messages', '#/messages?app=' + enc(a.id)),
        button('Portal link', () => portalLink(a), { 'aria-label': 'Portal link for ' + a.name }),
        button(a.status === 'active' ? 'Deactivate' : 'Activate',
          () => act(() => api('PATCH', '/v1/applications/' + enc(a.id),
            { status: a.status === 'active' ? 'inactive' : 'active' }), 'Application updated.')),
        button('Delete', () => confirm('Delete application ' + a.name + '?') &&
          act(() => api('DELETE', '/v1/applications/' + enc(a.id)), 'Application deleted.'),
        { class: 'danger', 'aria-label': 'Delete ' + a.name }))],
    ], rows, 'No applications yet.'));
}

async function portalLink(app) {
  try {
    const made = await api('POST', '/v1/applications/' + enc(app.id) + '/portal', { expires_in_minutes: 60 });
    const url = new URL(made.url, location.href).href;
    const box = document.getElementById('portal-link');
    box.replaceChildren(h('div', { class: 'card' },
      reveal('Portal link for ' + app.name, url, 'Works until ' + made.expires_at + ' for this application only.')));
    box.querySelector('input').focus();
    say('Portal link made.');
  } catch (err) {
    complain(err.message);
  }
}

/* Run a change, then show the page again with a message. */
async function act(fn, done) {
  try {
    const result = await fn();
    await render();
    say(done);
    return result;
  } catch (err) {
    complain(err.message);
    return null;
  }
}

/* ---- endpoints -------------------------------------------------------- */

function parseTypes(text) {
  return text.split(/[\s,]+/).filter(Boolean);
}

async function viewEndpoints(view, params) {
  const app = auth.kind === 'portal' ? auth.app : params.get('app');
  const [{ rows }, apps] = await Promise.all([
    listAll(paths.endpoints(app)),
    auth.kind === 'operator' ? listAll('/v1/applications').then(r => r.rows) : Promise.resolve([]),
  ]);
  const appName = id => (apps.find(a => a.id === id) || {}).name || id || '—';
  view.append(h('h2', {}, 'Endpoints'));
  if (auth.kind === 'operator') {
    const filter = h('select', { onchange: () => { location.hash = '#/endpoints' + query({ app: filter.value }); } },
      h('option', { value: '' }, 'All applications'),
      apps.map(a => h('option', { value: a.id, selected: a.id === app }, a.name)));
    view.append(h('div', { class: 'card inline' }, field('Application', filter)));
  }
  view.append(h('div', { id: 'new-secret' }), table('Endpoints', [
    ['URL', e => link(e.url, '#/endpoint/' + enc(e.id))],
    ['Description', e => e.description || ''],
    auth.kind === 'operator' ? ['Application', e => appName(e.application_id)] : null,
    ['Event types', e => (e.event_types || []).join(', ')],
    ['Status', e => badge(e.status)],
    ['Failing since', e => time(e.failing_since)],
  ].filter(Boolean), rows, 'No endpoints yet.'));
  if (auth.kind === 'operator')
    view.append(addEndpointForm(apps, app));
}

function addEndpointForm(apps, app) {
  const appSel = h('select', { name: 'application' },
    h('option', { value: '' }, '(none)'),
    apps.map(a => h('option', { value: a.id, selected: a.id === app }, a.name)));
  const url = h('input', { type: 'url', required: true, placeholder: 'https://example.com/webhook' });
  const description = h('input', { type: 'text', maxlength: '1024' });
  const types = h('input', { type: 'text', placeholder: 'order.paid, order.refunded' });
  return h('form', { class: 'card', onsubmit: async (ev) => {
    ev.preventDefault();
    const body = { url: url.value, description: description.value };
    if (appSel.value)
      body.application_id = appSel.value;
    const list = parseTypes(types.value);
    if (list.length)
      body.event_types = list;
    try {
      const made = await api('POST', '/v1/endpoints', body);
      await render();
      document.getElementById('new-secret').replaceChildren(h('div', { class: 'card' },
        h('p', {}, 'Endpoint ', link(made.url, '#/endpoint/' + enc(made.id)), ' added.'),
        reveal('Signing secret', made.secret, 'Shown once here; "Reveal secret" on the endpoint shows it again.')));
      say('Endpoint added. Its signing secret is shown once.');
    } catch (err) {
      complain(err.message);
    }
  } },
  h('h3', {}, 'Add an endpoint'),
  field('Application', appSel), field('URL', url), field('Description', description),
  field('Event types', types, 'Separated by commas or spaces; empty: every event type.'),
  h('button', { type: 'submit' }, 'Add endpoint'));
}

async function viewEndpoint(view, params, id) {
  const ep = await api('GET', paths.endpoint(id));
  view.append(h('h2', {}, 'Endpoint ', h('span', { class: 'url' }, ep.url)));
  view.append(await healthCard(ep));
  if (auth.kind === 'operator')
    view.append(...endpointControls(ep));
  const { rows } = await listAll('/v1/deliveries' + query({ endpoint_id: ep.id }), 100);
  view.append(h('h3', {}, 'Latest deliveries'), deliveriesTable(rows.slice(0, 20)));
}

async function healthCard(ep) {
  const [waiting, paused, attempts] = await Promise.all([
    countDeliveries(ep.id, 'pending'), countDeliveries(ep.id, 'paused'), lastDayAttempts(ep.id)]);
  const facts = [
    ['Status', badge(ep.status)],
    ['Failing since', time(ep.failing_since)],
    ['Why disabled', ep.disabled_reason || '—'],
    ['Waiting deliveries', waiting],
    ['Paused deliveries', paused],
    ['Event types', (ep.event_types || []).join(', ')],
    ['Description', ep.description || '—'],
    ['Id', h('code', {}, ep.id)],
  ];
  return h('section', { class: 'card', 'aria-labelledby': 'health-h' },
    h('h3', { id: 'health-h' }, 'Health'),
    h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    attemptChart(attempts));
}

async function countDeliveries(endpointId, status) {
  const page = await api('GET', '/v1/deliveries' + query({ endpoint_id: endpointId, status, limit: 100 }));
  return page.next_cursor ? '100 or more' : String(page.data.length);
}

/* The attempts of the last 24 hours, read from the endpoint's latest
 * deliveries that changed in that time (at most 30 of them). */
async function lastDayAttempts(endpointId) {
  const since = Date.now() - 24 * HOUR_MS;
  const page = await api('GET', '/v1/deliveries' + query({ endpoint_id: endpointId, limit: 100 }));
  const recent = page.data.filter(d => Date.parse(d.updated_at) >= since && d.attempts > 0).slice(0, 30);
  const full = await Promise.all(recent.map(d => api('GET', '/v1/deliveries/' + enc(d.id))));
  return full.flatMap(d => d.attempt_list || []).filter(a => Date.parse(a.started_at) >= since);
}

/* 24 hourly columns, successes (2xx) stacked under failures. */
function attemptChart(attempts) {
  const now = Date.now();
  const hours = Array.from({ length: 24 }, () => ({ ok: 0, failed: 0 }));
  for (const a of attempts) {
    const slot = 23 - Math.floor((now - Date.parse(a.started_at)) / HOUR_MS);
    if (slot < 0 || slot > 23)
      continue;
    if (a.status_code >= 200 && a.status_code < 300)
      hours[slot].ok++;
    else
      hours[slot].failed++;
  }
  const ok = hours.reduce((n, x) => n + x.ok, 0);
  const failed = hours.reduce((n, x) => n + x.failed, 0);
  const top = Math.max(1, ...hours.map(x => x.ok + x.failed));
  const width = 240, height = 60, bar = width / 24;
  const summary = 'Attempts in the last 24 hours: ' + ok + ' succeeded, ' + failed + ' failed.';
  const chart = svg('svg', { viewBox: '0 0 ' + width + ' ' + (height + 15), role: 'img', 'aria-label': summary,
    class: 'chart' }, svg('title', {}, summary),
  svg('line', { x1: 0, y1: height, x2: width, y2: height, class: 'axis' }));
  hours.forEach((x, i) => {
    const okH = x.ok / top * height, failH = x.failed / top * height;
    if (x.ok)
      chart.append(svg('rect', { x: i * bar + 1, y: height - okH, width: bar - 2, height: okH, class: 'ok' },
        svg('title', {}, (23 - i) + 'h ago: ' + x.ok + ' succeeded')));
    if (x.failed)
      chart.append(svg('rect', { x: i * bar + 1, y: height - okH - failH, width: bar - 2, height: failH, class: 'failed' },
        svg('title', {}, (23 - i) + 'h ago: ' + x.failed + ' failed')));
  });
  chart.append(svg('text', { x: 0, y: height + 11, class: 'tick' }, '24 h ago'),
    svg('text', { x: width, y: height + 11, class: 'tick', 'text-anchor': 'end' }, 'now'));
  return h('figure', { class: 'chart-box' }, chart,
    h('figcaption', {}, h('span', { class: 'key ok' }, ''), ' succeeded ' + ok + '  ',
      h('span', { class: 'key failed' }, ''), ' failed ' + failed));
}

function endpointControls(ep) {
  const url = h('input', { type: 'url', required: true, value: ep.url });
  const description = h('input', { type: 'text', value: ep.description || '', maxlength: '1024' });
  const types = h('input', { type: 'text', value: (ep.event_types || []).join(', ') });
  const secretBox = h('div', {});
  const base = '/v1/endpoints/' + enc(ep.id);
  const edit = h('form', { class: 'card', onsubmit: async (ev) => {
    ev.preventDefault();
    await act(() => api('PATCH', base, {
      url: url.value, description: description.value,
      event_types: parseTypes(types.value).length ? parseTypes(types.value) : ['*'],
    }), 'Endpoint saved.');
  } }, h('h3', {}, 'Edit'), field('URL', url), field('Description', description),
  field('Event types', types, 'Separated by commas or spaces; * or empty: every event type.'),
  h('button', { type: 'submit' }, 'Save'));
  const actions = h('section', { class: 'card', 'aria-labelledby': 'actions-h' },
    h('h3', { id: 'actions-h' }, 'Actions'),
    h('div', { class: 'actions' },
      button('Send test event', () => sendTest(ep)),
      button(ep.status === 'active' ? 'Disable' : 'Enable', () => act(() => api('PATCH', base,
        { status: ep.status === 'active' ? 'disabled' : 'active' }),
      ep.status === 'active' ? 'Endpoint disabled.' : 'Endpoint enabled.')),
      button('Reveal secret', async () => {
        try {
          const s = await api('GET', base + '/secret');
          secretBox.replaceChildren(reveal('Signing secret', s.secret));
          say('Secret shown.');
        } catch (err) {
          complain(err.message);
        }
      }),
      button('Rotate secret', async () => {
        if (!confirm('Make a new signing secret? The old one keeps signing beside it for 24 hours.'))
          return;
        try {
          const s = await api('POST', base + '/rotate-secret', {});
          secretBox.replaceChildren(reveal('New signing secret', s.secret, 'The old one still signs for 24 hours.'));
          say('Secret rotated.');
        } catch (err) {
          complain(err.message);
        }
      }),
      button('Delete', async () => {
        if (!confirm('Delete this endpoint? Nothing more is sent to it.'))
          return;
        try {
          await api('DELETE', base);
          location.hash = '#/endpoints';
          say('Endpoint deleted.');
        } catch (err) {
          complain(err.message);
        }
      }, { class: 'danger' })),
    secretBox);
  return [actions, edit];
}

/* A test event reaches this endpoint only: it is sent with an ingest key
 * scoped to the endpoint, made for this one message and revoked after. */
async function sendTest(ep) {
  if (!ep.application_id) {
    complain('A test event is sent through an application; this endpoint has none.');
    return;
  }
  const type = (ep.event_types || []).find(t => t !== '*') || TEST_EVENT_TYPE;
  let key = null;
  try {
    key = await api('POST', '/v1/keys', { endpoint_id: ep.id });
    const sent = await api('POST', '/v1/applications/' + enc(ep.application_id) + '/messages',
      { event_type: type, payload: { test: true, sent_at: new Date().toISOString() } }, key.key);
    say('Test event ' + type + ' sent' + (sent && sent.id ? ' as ' + sent.id : '') + '.');
  } catch (err) {
    complain('The test event was not sent: ' + err.message);
  } finally {
    if (key)
      await api('DELETE', '/v1/keys/' + enc(key.id)).catch(() => null);
  }
}

/* ---- event types ------------------------------------------------------ */

async function viewEventTypes(view) {
  const { rows } = await listAll('/v1/event-types');
  const name = h('input', { type: 'text', required: true, maxlength: '128', placeholder: 'order.paid' });
  view.append(h('h2', {}, 'Event types'),
    h('form', { class: 'card inline', onsubmit: async (ev) => {
      ev.preventDefault();
      await act(() => api('POST', '/v1/event-types', { name: name.value }), 'Event type added.');
    } }, field('New event type', name), h('button', { type: 'submit' }, 'Add event type')),
    table('Event types', [['Name', t => h('code', {}, t.name)], ['Created', t => time(t.created_at)]],
      rows, 'No event types yet.'));
}

/* ---- messages --------------------------------------------------------- */

function isoFromLocal(value) {
  return value ? new Date(value + 'Z').toISOString() : '';
}

async function viewMessages(view, params) {
  const filters = {
    application_id: auth.kind === 'portal' ? null : params.get('app'),
    event_type: params.get('event_type'),
    status: params.get('status'),
    after: params.get('after'),
    before: params.get('before'),
  };
  const apps = auth.kind === 'operator' ? (await listAll('/v1/applications')).rows : [];
  const appName = id => (apps.find(a => a.id === id) || {}).name || id || '—';
  const appSel = h('select', { name: 'app' }, h('option', { value: '' }, 'All applications'),
    apps.map(a => h('option', { value: a.id, selected: a.id === filters.application_id }, a.name)));
  const type = h('input', { type: 'text', name: 'event_type', value: filters.event_type || '' });
  const status = h('select', { name: 'status' }, h('option', { value: '' }, 'Any status'),
    MESSAGE_STATUSES.map(s => h('option', { value: s, selected: s === filters.status }, s)));
  const after = h('input', { type: 'datetime-local', value: (filters.after || '').slice(0, 16) });
  const before = h('input', { type: 'datetime-local', value: (filters.before || '').slice(0, 16) });
  const form = h('form', { class: 'card filters', onsubmit: (ev) => {
    ev.preventDefault();
    location.hash = '#/messages' + query({
      app: appSel.value, event_type: type.value.trim(), status: status.value,
      after: isoFromLocal(after.value), before: isoFromLocal(before.value),
    });
  } },
  auth.kind === 'operator' ? field('Application', appSel) : null,
  field('Event type', type), field('Status', status),
  field('After (UTC)', after), field('Before (UTC)', before),
  h('button', { type: 'submit' }, 'Filter'));
  view.append(h('h2', {}, 'Messages'), form);

  const region = h('div', {});
  const more = h('div', {});
  view.append(region, more);
  const rows = [];
  const columns = [
    ['Time', m => time(m.created_at)],
    ['Event type', m => h('code', {}, m.event_type)],
    auth.kind === 'operator' ? ['Application', m => appName(m.application_id)] : null,
    ['Status', m => badge(m.status)],
    ['Message', m => link(m.id, '#/message/' + enc(m.id))],
  ].filter(Boolean);
  /* The API filters by everything but status: the page reads on, up to
   * STATUS_SCAN_PAGES pages a click, until it has a page's worth of
   * messages of that status. */
  const { status: wanted, ...apiFilters } = filters;
  async function page(cursor) {
    let got = null, scanned = 0, found = 0;
    do {
      got = await api('GET', paths.messages(Object.assign({}, apiFilters, { limit: PAGE_SIZE, cursor })));
      const matching = got.data.filter(m => !wanted || m.status === wanted);
      rows.push(...matching);
      found += matching.length;
      cursor = got.next_cursor;
    } while (wanted && cursor && found < PAGE_SIZE && ++scanned < STATUS_SCAN_PAGES);
    region.replaceChildren(table('Messages, newest first', columns, rows, 'No messages match.'));
    more.replaceChildren(cursor
      ? button('Older messages', () => page(cursor).then(() => say(rows.length + ' messages shown.'))
        .catch(err => complain(err.message)))
      : '');
  }
  await page(null);
}

async function viewMessage(view, params, id) {
  const [got, endpoints] = await Promise.all([api('GET', paths.message(id)), listAll(paths.endpoints())]);
  const urls = new Map(endpoints.rows.map(e => [e.id, e.url]));
  const m = got.message || got;
  let payload = m.payload;
  try {
    payload = JSON.stringify(typeof payload === 'string' ? JSON.parse(payload) : payload, null, 2);
  } catch (err) {
    payload = String(payload);
  }
  view.append(h('h2', {}, 'Message ', h('code', {}, m.id)),
    h('section', { class: 'card' },
      h('dl', { class: 'facts' },
        h('dt', {}, 'Event type'), h('dd', {}, h('code', {}, m.event_type)),
        h('dt', {}, 'Status'), h('dd', {}, badge(m.status)),
        h('dt', {}, 'Created'), h('dd', {}, time(m.created_at))),
      h('h3', {}, 'Payload'), h('pre', { class: 'payload', tabindex: '0' }, payload),
      auth.kind === 'operator'
        ? h('div', { class: 'actions' }, button('Resend', () => act(() =>
          api('POST', '/v1/messages/' + enc(m.id) + '/resend', {}), 'Message resent.')))
        : null));
  for (const d of got.deliveries || [])
    view.append(deliveryCard(d, urls.get(d.endpoint_id)));
  if (!(got.deliveries || []).length)
    view.append(h('p', { class: 'empty' }, 'No deliveries: no endpoint was subscribed.'));
}

function retryButton(d) {
  return button('Retry', () => act(() => api('POST', '/v1/deliveries/' + enc(d.id) + '/retry', {}),
    'Retry queued: the next sweep sends it.'), { 'aria-label': 'Retry delivery ' + d.id });
}

function deliveryCard(d, endpointUrl) {
  const attempts = d.attempts_list || d.attempt_list || (Array.isArray(d.attempts) ? d.attempts : []);
  const count = typeof d.attempts === 'number' ? d.attempts : attempts.length;
  return h('section', { class: 'card delivery', 'aria-label': 'Delivery ' + d.id },
    h('h3', {}, 'Delivery to ', link(endpointUrl || d.endpoint_id, '#/endpoint/' + enc(d.endpoint_id))),
    h('dl', { class: 'facts' },
      h('dt', {}, 'Status'), h('dd', {}, badge(d.status)),
      h('dt', {}, 'Attempts'), h('dd', {}, String(count)),
      h('dt', {}, 'Next attempt'), h('dd', {}, time(d.next_attempt_at)),
      h('dt', {}, 'Delivery'), h('dd', {}, h('code', {}, d.id))),
    h('div', { class: 'actions' }, retryButton(d)),
    table('Attempts of ' + d.id, [
      ['#', a => String(a.attempt_number)],
      ['Time', a => time(a.started_at)],
      ['Duration', a => a.duration_ms + ' ms'],
      ['HTTP status', a => a.status_code === null || a.status_code === undefined ? '—' : String(a.status_code)],
      ['Error', a => a.error || ''],
      ['Response', a => h('pre', { class: 'excerpt' },
        a.response_excerpt_encoding === 'base64' ? '(not text; base64) ' + a.response_excerpt : a.response_excerpt || '')],
    ], attempts, 'Not attempted yet.'));
}

function deliveriesTable(rows) {
  return table('Deliveries', [
    ['Created', d => time(d.created_at)],
    ['Message', d => link(d.message_id, '#/message/' + enc(d.message_id))],
    ['Status', d => badge(d.status)],
    ['Attempts', d => String(d.attempts)],
    ['Last HTTP status', d => d.last_status_code === null ? '—' : String(d.last_status_code)],
    ['Last error', d => d.last_error || ''],
    ['', d => retryButton(d)],
  ], rows, 'No deliveries yet.');
}

/* ---- the router ------------------------------------------------------- */

const views = {
  applications: viewApplications,
  endpoints: viewEndpoints,
  endpoint: viewEndpoint,
  'event-types': viewEventTypes,
  messages: viewMessages,
  message: viewMessage,
};
const operatorOnly = new Set(['applications', 'event-types']);

function parseHash() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, q] = hash.split('?');
  const [name, id] = path.split('/').map(decodeURIComponent);
  return { name, id, params: new URLSearchParams(q || '') };
}

let renderSerial = 0;

async function render() {
  const serial = ++renderSerial;
  const view = document.getElementById('view');
  const nav = document.getElementById('nav');
  const signOutButton = document.getElementById('sign-out');
  view.replaceChildren();
  document.body.classList.toggle('portal', auth.kind === 'portal');
  nav.hidden = !auth.kind;
  signOutButton.hidden = !auth.kind;
  signOutButton.textContent = auth.kind === 'portal' ? 'Leave' : 'Sign out';
  for (const a of nav.querySelectorAll('[data-operator]'))
    a.parentElement.hidden = auth.kind !== 'operator';
  if (!auth.kind) {
    document.getElementById('title').textContent = 'hookfan';
    viewSignIn(view);
    return;
  }
  let { name, id, params } = parseHash();
  if (!views[name] || (auth.kind === 'portal' && operatorOnly.has(name)))
    name = auth.kind === 'portal' ? 'endpoints' : 'applications';
  for (const a of nav.querySelectorAll('a')) {
    const here = a.getAttribute('href') === '#/' + name ||
      (a.getAttribute('href') === '#/endpoints' && name === 'endpoint') ||
      (a.getAttribute('href') === '#/messages' && name === 'message');
    if (here)
      a.setAttribute('aria-current', 'page');
    else
      a.removeAttribute('aria-current');
  }
  const body = h('div', { 'aria-busy': 'true' });
  view.append(body);
  try {
    if (auth.kind === 'portal') {
      const app = await api('GET', '/v1/applications/' + enc(auth.app));
      document.getElementById('title').textContent = app.name + ' webhooks';
      document.title = app.name + ' webhooks';
    } else {
      document.getElementById('title').textContent = 'hookfan';
    }
    await views[name](body, params, id);
  } catch (err) {
    if (serial !== renderSerial)
      return;
    if (err.status === 401 && auth.kind === 'portal') {
      view.replaceChildren(h('div', { class: 'card' }, h('h2', {}, 'This link has expired'),
        h('p', {}, 'Ask for a new link.')));
      nav.hidden = true;
      document.getElementById('title').textContent = document.title = 'hookfan';
      complain('This link has expired or is not valid.');
      return;
    }
    if (err.status === 401) {
      signOut('The key was refused; sign in again.');
      return;
    }
    body.append(h('p', { class: 'error' }, 'Could not load this page: ' + err.message));
    complain(err.message);
  } finally {
    body.removeAttribute('aria-busy');
  }
}

document.addEventListener('DOMContentLoaded', () => {
  loadAuth();
  document.getElementById('sign-out').addEventListener('click', () => signOut());
  window.addEventListener('hashchange', () => {
    if (/^#portal=/.test(location.hash))
      loadAuth();
    say('');
    /* A new page: keyboard and screen-reader users start at its content. */
    render().then(() => document.getElementById('view').focus({ preventScroll: true }));
  });
  /* The skip link moves focus without touching the hash (the router's). */
  document.querySelector('.skip').addEventListener('click', (ev) => {
    ev.preventDefault();
    document.getElementById('view').focus();
  });
  render();
});
