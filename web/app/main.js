// The agent workspace: login, layout, hash routing, live events, keyboard shortcuts.
import { api, get, post, setCsrf, connectEvents, ApiError } from './api.js';
import { h, clear, debounce, toast, conversationHref } from './dom.js';
import { Inbox, VIEWS } from './inbox.js';
import { ConversationView } from './conversation.js';
import { renderAdmin } from './admin.js';
import { renderKb } from './kb.js';

const root = document.getElementById('app');

export const app = {
  me: null,
  agents: new Map(), // id -> agent (names for the timeline, mentions, assignee lists)
  teams: new Map(),
  inbox: null,
  conv: null,
  listeners: new Set(),
  on(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  },
  agentName(id) {
    const a = this.agents.get(id);
    return a ? a.name : id ? `Agent ${id}` : '';
  },
};

async function loadDirectory() {
  const [agents, teams] = await Promise.all([get('/api/v1/agents'), get('/api/v1/teams')]);
  app.agents = new Map(agents.items.map((a) => [a.id, a]));
  app.teams = new Map(teams.items.map((t) => [t.id, t]));
}

function showLogin(message) {
  const err = h('p', { class: 'login-error', role: 'alert' }, message || '');
  const email = h('input', { type: 'email', id: 'login-email', name: 'email', autocomplete: 'username', required: true, 'data-testid': 'login-email' });
  const password = h('input', { type: 'password', id: 'login-password', name: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'login-password' });
  const form = h('form', { class: 'login', onsubmit: async (e) => {
    e.preventDefault();
    err.textContent = '';
    try {
      const r = await api('POST', '/api/v1/auth/login', { email: email.value, password: password.value });
      setCsrf(r.csrf_token);
      app.me = r.agent;
      await start();
    } catch (x) {
      err.textContent = x.status === 429 ? 'Too many attempts: wait a minute and try again.' : 'Wrong email or password.';
      password.select();
    }
  } },
    h('h1', null, 'Switchboard'),
    h('label', { for: 'login-email' }, 'Email'), email,
    h('label', { for: 'login-password' }, 'Password'), password,
    h('button', { type: 'submit', class: 'primary', 'data-testid': 'login-submit' }, 'Sign in'),
    err);
  clear(root, h('main', { class: 'login-page' }, form));
  email.focus();
}

let layout = null;

function buildLayout() {
  const search = h('input', { type: 'search', id: 'search', placeholder: 'Search conversations  ( / )', 'aria-label': 'Search conversations', 'data-testid': 'search' });
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && search.value.trim()) location.hash = `#/search/${encodeURIComponent(search.value.trim())}`;
    if (e.key === 'Escape') search.blur();
  });
  const live = h('span', { class: 'live-state', title: 'Live updates', 'data-testid': 'live-state' }, '●');
  const bell = h('button', { class: 'bell', 'aria-label': 'Notifications', 'data-testid': 'notifications' }, h('img', { src: '/assets/bell.svg', alt: '' }), h('span', { class: 'badge', hidden: true }));
  const notifPanel = h('div', { class: 'notif-panel', hidden: true, role: 'dialog', 'aria-label': 'Notifications' });
  bell.addEventListener('click', () => toggleNotifications(notifPanel));
  const nav = h('nav', { class: 'views', 'aria-label': 'Views' });
  const list = h('section', { class: 'list-pane', 'aria-label': 'Conversations' });
  const detail = h('section', { class: 'detail-pane', 'aria-label': 'Conversation' });
  const adminLinks = h('div', { class: 'admin-links' },
    h('a', { href: '#/kb' }, 'Knowledge base'), h('a', { href: '#/macros' }, 'Macros'),
    app.me.role === 'admin' || app.me.role === 'supervisor' ? [h('a', { href: '#/admin/agents' }, 'Agents'), h('a', { href: '#/admin/teams' }, 'Teams')] : null);
  const header = h('header', { class: 'top' },
    h('a', { class: 'brand', href: '#/view/mine' }, 'Switchboard'),
    search, live, bell,
    h('span', { class: 'me', 'data-testid': 'me' }, app.me.name),
    statusPicker(),
    h('button', { class: 'link', onclick: logout }, 'Sign out'));
  const shell = h('div', { class: 'shell' }, h('aside', { class: 'sidebar' }, nav, adminLinks), list, detail);
  clear(root, header, shell, notifPanel);
  layout = { search, live, bell, notifPanel, nav, list, detail, shell };
}

// Online agents receive routed conversations; away and offline ones do not.
function statusPicker() {
  const sel = h('select', { class: 'my-status', 'aria-label': 'My status', 'data-testid': 'my-status', onchange: async () => {
    try {
      app.me = (await api('PUT', '/api/v1/agents/me/status', { status: sel.value })) || app.me;
      sel.dataset.status = sel.value;
    } catch (e) {
      toast(e.message, 'error');
      sel.value = app.me.status;
    }
  } }, ['online', 'away', 'offline'].map((st) => h('option', { value: st, selected: app.me.status === st }, st)));
  sel.dataset.status = app.me.status;
  return sel;
}

async function logout() {
  try {
    await post('/api/v1/auth/logout');
  } catch {
    /* the session may be gone already */
  }
  location.hash = '';
  location.reload();
}

async function toggleNotifications(panel) {
  if (!panel.hidden) {
    panel.hidden = true;
    return;
  }
  const r = await get('/api/v1/notifications?limit=30');
  clear(panel, h('div', { class: 'notif-head' }, h('strong', null, 'Notifications'),
    h('button', { class: 'link', onclick: async () => { await post('/api/v1/notifications/read', {}); panel.hidden = true; refreshBell(); } }, 'Mark all read')),
  r.items.length ? r.items.map((n) => h('a', {
    class: `notif ${n.read_at ? '' : 'unread'}`, href: n.conversation_id ? `#/c/${n.conversation_id}` : '#/',
    onclick: async () => { panel.hidden = true; await post('/api/v1/notifications/read', { id: n.id }); refreshBell(); },
  }, n.text)) : h('p', { class: 'muted' }, 'Nothing yet.'));
  panel.hidden = false;
}

async function refreshBell() {
  const r = await get('/api/v1/notifications?unread=1&limit=1');
  const badge = layout.bell.querySelector('.badge');
  badge.textContent = r.unread;
  badge.hidden = !r.unread;
}

function onEvent(type, ev) {
  if (type === 'notification.created') {
    refreshBell();
    toast(ev.data.notification.text);
  }
  if (type.startsWith('agent.') || type.startsWith('team.')) loadDirectory().then(() => app.inbox && app.inbox.renderViews());
  for (const fn of app.listeners) fn(type, ev);
}

function onStreamState(state) {
  if (!layout) return;
  layout.live.dataset.state = state;
  layout.live.title = state === 'live' ? 'Live updates on' : 'Reconnecting…';
}

// ---- routing: #/view/<key>, #/view/<key>/c/<id>, #/c/<id>, #/search/<q>, #/admin/<page> ----

let currentView = 'mine';

async function route() {
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] === 'kb' || parts[0] === 'macros' || parts[0] === 'kb-report') {
    layout.shell.classList.add('admin');
    if (app.conv) app.conv.close();
    app.conv = null;
    await renderKb(app, layout.detail, parts);
    return;
  }
  if (parts[0] === 'admin') {
    layout.shell.classList.add('admin');
    if (app.conv) app.conv.close();
    app.conv = null;
    await renderAdmin(layout.detail, parts[1] || 'agents');
    return;
  }
  layout.shell.classList.remove('admin');
  let convId = null;
  if (parts[0] === 'view' && parts[1]) {
    currentView = parts[1];
    if (parts[2] === 'c') convId = Number(parts[3]);
    await app.inbox.show({ view: currentView });
  } else if (parts[0] === 'search' && parts[1]) {
    layout.search.value = parts[1];
    if (parts[2] === 'c') convId = Number(parts[3]);
    await app.inbox.show({ search: parts[1] });
  } else if (parts[0] === 'c' && parts[1]) {
    convId = Number(parts[1]);
    if (!app.inbox.loaded) await app.inbox.show({ view: currentView });
  } else {
    await app.inbox.show({ view: currentView });
  }
  if (convId) openConversation(convId);
  else {
    if (app.conv) app.conv.close();
    app.conv = null;
    clear(layout.detail, h('div', { class: 'empty' }, h('p', null, 'Select a conversation.'),
      h('p', { class: 'muted' }, 'j / k to move, Enter to open, r reply, n note, e solve, / search, ? shortcuts')));
  }
  layout.shell.classList.toggle('has-detail', Boolean(convId));
}

function openConversation(id) {
  if (app.conv && app.conv.id === id) return;
  if (app.conv) app.conv.close();
  app.conv = new ConversationView(app, id, layout.detail);
  app.inbox.select(id);
}

// ---- keyboard ----

function typingTarget(e) {
  const t = e.target;
  return t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
}

function onKey(e) {
  if (e.ctrlKey || e.metaKey || e.altKey || typingTarget(e)) return;
  const k = e.key;
  if (k === '/') {
    e.preventDefault();
    layout.search.focus();
    layout.search.select();
  } else if (k === 'j' || k === 'k') {
    app.inbox.move(k === 'j' ? 1 : -1);
  } else if (k === 'Enter' || k === 'o') {
    const id = app.inbox.selectedId();
    if (id) location.hash = conversationHref(id);
  } else if (app.conv && (k === 'r' || k === 'n')) {
    e.preventDefault();
    app.conv.focusComposer(k === 'n');
  } else if (app.conv && k === 'e') {
    app.conv.setStatus('solved');
  } else if (k === 'Escape' && app.conv) {
    location.hash = `#/view/${currentView}`;
  } else if (k === '?') {
    toast('j/k move · Enter open · r reply · n note · e solve · / search · Esc back');
  }
}

async function start() {
  await loadDirectory();
  buildLayout();
  app.inbox = new Inbox(app, layout.nav, layout.list, VIEWS);
  connectEvents(onEvent, onStreamState);
  refreshBell();
  window.addEventListener('hashchange', route);
  document.addEventListener('keydown', onKey);
  app.on(debounce(() => app.inbox.refreshCounts(), 250));
  await route();
}

async function boot() {
  try {
    const me = await get('/api/v1/auth/me');
    app.me = me.agent;
    setCsrf(me.csrf_token);
    await start();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) showLogin();
    else showLogin('The server could not be reached.');
  }
}

boot();
