/**
 * The admin console's script: plain browser JavaScript, no framework, served inline and allowed by its hash
 * (the page's Content-Security-Policy permits nothing else). It keeps the admin key in `sessionStorage` (gone
 * when the tab closes), sends it as `Authorization: Bearer` to the admin API on the same origin, and builds
 * every element with `textContent` — nothing from the server is ever parsed as HTML.
 */
export const CONSOLE_SCRIPT = String.raw`
'use strict';
var API = '/api/admin/v1';
var KEY = 'gatehouse-admin-key';
var state = { me: null, app: null, search: '', provider: '', after: null, pages: [], user: null };
var root = document.getElementById('console');

function h(tag, attrs, children) {
  var el = document.createElement(tag);
  if (attrs) for (var k in attrs) {
    if (k === 'text') el.textContent = attrs[k];
    else if (k === 'on') for (var ev in attrs.on) el.addEventListener(ev, attrs.on[ev]);
    else if (attrs[k] !== false && attrs[k] != null) el.setAttribute(k, attrs[k] === true ? '' : attrs[k]);
  }
  (children || []).forEach(function (c) { if (c != null) el.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
  return el;
}
function time(ms) { return ms == null ? '—' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + 'Z'; }
function key() { return sessionStorage.getItem(KEY); }

function call(method, path, body) {
  var init = { method: method, headers: { authorization: 'Bearer ' + key() }, credentials: 'omit', cache: 'no-store' };
  if (body !== undefined) { init.headers['content-type'] = 'application/json'; init.body = JSON.stringify(body); }
  return fetch(API + path, init).then(function (res) {
    if (res.status === 204) return null;
    return res.json().then(function (data) {
      if (res.ok) return data;
      if (res.status === 401) { sessionStorage.removeItem(KEY); state.me = null; }
      var err = new Error(data && data.error ? data.error : 'request failed');
      err.code = data && data.error_code; err.status = res.status;
      throw err;
    });
  });
}
function appPath(p) { return '/apps/' + encodeURIComponent(state.app.id) + p; }

function flash(message, kind) {
  var box = document.getElementById('flash');
  box.textContent = message;
  box.className = kind || 'info';
  box.hidden = !message;
}
function fail(err) {
  // A refused key signs the tab out: back to the sign-in form, with the reason.
  if (!key() && !document.getElementById('sign-in')) render();
  flash(err.message + (err.code ? ' (' + err.code + ')' : ''), 'error');
}

function render() {
  root.textContent = '';
  root.appendChild(h('p', { id: 'flash', hidden: true, role: 'status' }));
  if (!key() || !state.me) return renderSignIn();
  var apps = h('select', { id: 'app', 'aria-label': 'App', on: { change: function (e) {
    state.app = state.me.apps.filter(function (a) { return a.id === e.target.value; })[0];
    state.user = null; state.after = null; state.pages = []; loadUsers();
  } } }, state.me.apps.map(function (a) { return h('option', { value: a.id, selected: a.id === state.app.id, text: a.name + ' (' + a.id + ')' }); }));
  root.appendChild(h('header', null, [
    h('h1', { text: 'Gatehouse admin' }), apps,
    h('span', { class: 'who', text: 'key ' + state.me.key.name }),
    h('button', { type: 'button', id: 'sign-out', on: { click: function () { sessionStorage.removeItem(KEY); state.me = null; render(); } }, text: 'Sign out' }),
  ]));
  root.appendChild(h('section', { id: 'providers', 'aria-label': 'Providers' }, [
    h('h2', { text: 'Providers' }),
    h('ul', null, state.app.providers.map(function (p) { return h('li', { text: p }); })),
  ]));
  root.appendChild(h('main', { id: 'main' }));
  if (state.user) renderUser(); else renderUsers();
}

function renderSignIn() {
  var input = h('input', { id: 'admin-key', type: 'password', autocomplete: 'off', required: true, placeholder: 'gha_…' });
  root.appendChild(h('form', { id: 'sign-in', on: { submit: function (e) {
    e.preventDefault();
    sessionStorage.setItem(KEY, input.value.trim());
    start();
  } } }, [
    h('h1', { text: 'Gatehouse admin' }),
    h('label', { for: 'admin-key', text: 'Admin API key' }), input,
    h('button', { type: 'submit', text: 'Sign in' }),
    h('p', { class: 'hint', text: 'Create one with: gatehouse admin-keys create --app <id> --name <name>. It is kept in this tab only.' }),
  ]));
}

function start() {
  call('GET', '/me').then(function (me) {
    state.me = me; state.app = me.apps[0]; state.user = null;
    if (!state.app) throw new Error('this key administers no configured app');
    loadUsers();
  }).catch(function (err) { sessionStorage.removeItem(KEY); state.me = null; fail(err); });
}

function loadUsers() {
  var q = new URLSearchParams({ limit: '20' });
  if (state.search) q.set('search', state.search);
  if (state.provider) q.set('provider', state.provider);
  if (state.after) q.set('after', state.after);
  return call('GET', appPath('/users?' + q)).then(function (page) { state.list = page; state.user = null; render(); }).catch(fail);
}

function renderUsers() {
  var main = document.getElementById('main');
  var search = h('input', { id: 'search', type: 'search', value: state.search, placeholder: 'id, username or email', 'aria-label': 'Search users' });
  var provider = h('select', { id: 'provider', 'aria-label': 'Provider' },
    [h('option', { value: '', text: 'any provider' })].concat(state.app.providers.map(function (p) { return h('option', { value: p, selected: p === state.provider, text: p }); })));
  main.appendChild(h('h2', { text: 'Users' }));
  main.appendChild(h('form', { id: 'search-form', on: { submit: function (e) {
    e.preventDefault(); state.search = search.value.trim(); state.provider = provider.value; state.after = null; state.pages = []; loadUsers();
  } } }, [search, provider, h('button', { type: 'submit', text: 'Search' })]));
  var rows = (state.list ? state.list.items : []).map(function (u) {
    return h('tr', { 'data-user': u.id }, [
      h('td', null, [h('a', { href: '#', on: { click: function (e) { e.preventDefault(); openUser(u.id); } }, text: u.id })]),
      h('td', { text: u.username || '—' }),
      h('td', { text: u.emails.map(function (m) { return m.address; }).join(', ') || '—' }),
      h('td', { text: u.identities.map(function (i) { return i.providerType; }).join(', ') }),
      h('td', { text: u.disabled ? 'disabled' : 'active', class: u.disabled ? 'off' : 'on' }),
      h('td', { text: time(u.createdAt) }),
    ]);
  });
  main.appendChild(h('table', { id: 'users' }, [
    h('thead', null, [h('tr', null, ['Id', 'Username', 'Emails', 'Providers', 'State', 'Created'].map(function (t) { return h('th', { text: t }); }))]),
    h('tbody', null, rows.length ? rows : [h('tr', null, [h('td', { colspan: '6', text: 'No users.' })])]),
  ]));
  var nav = h('nav', { class: 'pager' });
  if (state.pages.length) nav.appendChild(h('button', { type: 'button', id: 'prev', text: 'Previous', on: { click: function () { state.after = state.pages.pop(); loadUsers(); } } }));
  if (state.list && state.list.next) nav.appendChild(h('button', { type: 'button', id: 'next', text: 'Next', on: { click: function () { state.pages.push(state.after); state.after = state.list.next; loadUsers(); } } }));
  main.appendChild(nav);
}

function openUser(id) {
  var base = appPath('/users/' + id);
  return Promise.all([
    call('GET', base), call('GET', base + '/sessions'), call('GET', base + '/api-keys'),
    call('GET', appPath('/audit?limit=50&userId=' + id)),
  ]).then(function (r) {
    state.user = { user: r[0], sessions: r[1], keys: r[2], audit: r[3].items };
    render();
  }).catch(fail);
}

function act(promise, message, after) {
  var id = state.user.user.id;
  promise.then(function () {
    return after ? after() : openUser(id);
  }).then(function () { flash(message, 'info'); }, fail);
}

function renderUser() {
  var main = document.getElementById('main');
  var u = state.user.user;
  var base = appPath('/users/' + u.id);
  main.appendChild(h('p', null, [h('a', { href: '#', id: 'back', text: '← All users', on: { click: function (e) { e.preventDefault(); state.user = null; loadUsers(); } } })]));
  main.appendChild(h('h2', { id: 'user-title', text: (u.username || (u.emails[0] && u.emails[0].address) || u.id) + (u.disabled ? ' (disabled)' : '') }));
  main.appendChild(h('div', { class: 'actions' }, [
    u.disabled
      ? h('button', { type: 'button', id: 'enable', text: 'Enable', on: { click: function () { act(call('POST', base + '/enable', {}), 'User enabled.'); } } })
      : h('button', { type: 'button', id: 'disable', class: 'danger', text: 'Disable', on: { click: function () { act(call('POST', base + '/disable', {}), 'User disabled; its sessions ended.'); } } }),
    h('button', { type: 'button', id: 'revoke-all', text: 'End all sessions', on: { click: function () { act(call('DELETE', base + '/sessions'), 'Sessions ended.'); } } }),
    u.emails.length ? h('button', { type: 'button', id: 'send-reset', text: 'Send password reset', on: { click: function () { act(call('POST', base + '/mail', { kind: 'reset' }), 'Reset mail sent.'); } } }) : null,
    h('button', { type: 'button', id: 'delete', class: 'danger', text: 'Delete user', on: { click: function () {
      if (!confirm('Delete ' + u.id + ' and everything it owns?')) return;
      act(call('DELETE', base), 'User deleted.', function () { state.user = null; return loadUsers(); });
    } } }),
  ]));
  main.appendChild(h('dl', { id: 'facts' }, [
    h('dt', { text: 'Id' }), h('dd', { text: u.id }),
    h('dt', { text: 'Type' }), h('dd', { text: u.type }),
    h('dt', { text: 'Created' }), h('dd', { text: time(u.createdAt) }),
    h('dt', { text: 'Emails' }), h('dd', { text: u.emails.map(function (m) { return m.address + (m.verified ? ' ✓' : ' (unverified)'); }).join(', ') || '—' }),
  ]));
  main.appendChild(h('h3', { text: 'Profile' }));
  main.appendChild(h('pre', { id: 'profile', text: JSON.stringify(u.profile, null, 2) }));
  main.appendChild(h('h3', { text: 'Custom data' }));
  main.appendChild(h('pre', { id: 'custom-data', text: JSON.stringify(u.customData, null, 2) }));
  main.appendChild(table('identities', 'Identities', ['Provider', 'Id', ''], u.identities.map(function (i) {
    return [i.providerType, i.id, u.identities.length > 1 ? h('button', { type: 'button', class: 'small', text: 'Unlink', on: { click: function () {
      act(call('DELETE', base + '/identities/' + encodeURIComponent(i.providerId) + '/' + encodeURIComponent(i.id)), 'Identity unlinked.');
    } } }) : ''];
  })));
  main.appendChild(table('sessions', 'Sessions', ['Provider', 'Client', 'Last used', 'Expires', ''], state.user.sessions.map(function (s) {
    return [s.providerType, s.userAgent || '—', time(s.lastUsedAt), time(s.expiresAt), h('button', { type: 'button', class: 'small', text: 'Revoke', on: { click: function () {
      act(call('DELETE', base + '/sessions/' + encodeURIComponent(s.id)), 'Session ended.');
    } } })];
  })));
  main.appendChild(table('api-keys', 'API keys', ['Name', 'Kind', 'State', 'Last used', ''], state.user.keys.map(function (k) {
    return [k.name, k.kind, k.disabled ? 'disabled' : 'active', time(k.lastUsedAt), h('button', { type: 'button', class: 'small', text: 'Delete', on: { click: function () {
      act(call('DELETE', base + '/api-keys/' + k.id), 'API key deleted.');
    } } })];
  })));
  main.appendChild(table('audit', 'Audit trail', ['When', 'Event', 'Address', 'Client', 'By'], state.user.audit.map(function (e) {
    return [time(e.at), e.type, e.ip || '—', e.userAgent || '—', e.actor ? 'admin ' + e.actor : 'user'];
  })));
}

function table(id, title, heads, rows) {
  return h('section', { id: id }, [
    h('h3', { text: title }),
    rows.length
      ? h('table', null, [
          h('thead', null, [h('tr', null, heads.map(function (t) { return h('th', { text: t }); }))]),
          h('tbody', null, rows.map(function (r) { return h('tr', null, r.map(function (c) { return h('td', null, [c]); })); })),
        ])
      : h('p', { class: 'empty', text: 'None.' }),
  ]);
}

if (key()) start(); else render();
`;

export const CONSOLE_STYLE = `
:root { color-scheme: light dark; --line: #8884; --accent: #2b59c3; --danger: #b42318; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
#console { max-width: 1100px; margin: 0 auto; padding: 16px 20px 48px; }
header { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; border-bottom: 1px solid var(--line); padding-bottom: 10px; }
header h1 { font-size: 18px; margin: 0 auto 0 0; }
.who { opacity: .7; }
h2 { font-size: 16px; margin: 20px 0 8px; } h3 { font-size: 14px; margin: 18px 0 6px; }
#providers ul { display: flex; gap: 6px; list-style: none; padding: 0; margin: 0; flex-wrap: wrap; }
#providers li { border: 1px solid var(--line); border-radius: 999px; padding: 1px 10px; font-size: 12px; }
#providers h2 { display: none; }
#providers { margin-top: 10px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; word-break: break-all; }
th { font-weight: 600; font-size: 12px; text-transform: uppercase; letter-spacing: .03em; opacity: .75; }
input, select, button { font: inherit; padding: 6px 10px; border-radius: 6px; border: 1px solid var(--line); background: Canvas; color: CanvasText; }
button { cursor: pointer; background: var(--accent); color: #fff; border-color: var(--accent); }
button.danger { background: var(--danger); border-color: var(--danger); }
button.small { padding: 2px 8px; font-size: 12px; }
#search-form { display: flex; gap: 8px; margin-bottom: 10px; } #search { flex: 1; }
.actions { display: flex; gap: 8px; flex-wrap: wrap; }
.off { color: var(--danger); font-weight: 600; } .on { color: #12813b; }
pre { background: #8881; padding: 8px 10px; border-radius: 6px; overflow: auto; margin: 0; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; }
dt { opacity: .7; } dd { margin: 0; }
.pager { display: flex; gap: 8px; margin-top: 10px; }
#flash { padding: 8px 12px; border-radius: 6px; margin: 0 0 10px; }
#flash.error { background: #b4231822; color: var(--danger); } #flash.info { background: #2b59c31c; }
#sign-in { max-width: 420px; margin: 12vh auto; display: grid; gap: 10px; }
.hint, .empty { opacity: .7; }
`;
