// The views (with live counts) and the conversation list, in queue order.
import { get } from './api.js';
import { h, clear, ago, debounce, conversationHref } from './dom.js';

// Each view is a list query; counts come from GET /api/v1/views.
export const VIEWS = [
  { key: 'mine', label: 'Mine', count: 'mine', query: (me) => `assignee_id=${me.id}&status=open,pending,on_hold` },
  { key: 'unassigned', label: 'Unassigned', count: 'unassigned', query: () => 'assignee_id=none&status=open' },
  { key: 'all', label: 'All open', count: 'all_open', query: () => 'status=open' },
  { key: 'urgent', label: 'Urgent', count: 'urgent', query: () => 'status=open&priority=urgent' },
  { key: 'sla', label: 'SLA at risk', count: 'sla_at_risk', query: () => 'status=open,pending,on_hold&sla=warning,breached&sort=sla' },
  { key: 'pending', label: 'Waiting on customer', count: 'pending', query: () => 'status=pending' },
  { key: 'solved', label: 'Solved', count: 'solved', query: () => 'status=solved' },
];

const PAGE = 50;

export class Inbox {
  constructor(app, nav, pane, views) {
    this.app = app;
    this.nav = nav;
    this.pane = pane;
    this.views = views;
    this.counts = {};
    this.items = [];
    this.cursor = null;
    this.current = null;
    this.selected = null;
    this.loaded = false;
    this.ul = h('ul', { class: 'conv-list', role: 'listbox', 'aria-label': 'Conversations' });
    this.title = h('h2', { class: 'list-title' });
    this.more = h('button', { class: 'more', hidden: true, onclick: () => this.load(true) }, 'Load more');
    clear(pane, this.title, this.ul, this.more);
    this.reload = debounce(() => this.load(false), 200);
    app.on((type, ev) => this.onEvent(type, ev));
    this.refreshCounts();
  }

  viewDef(key) {
    if (key.startsWith('team-')) {
      const id = Number(key.slice(5));
      const t = this.app.teams.get(id);
      return { key, label: t ? t.name : `Team ${id}`, query: () => `team_id=${id}&status=open` };
    }
    return this.views.find((v) => v.key === key) || this.views[0];
  }

  async refreshCounts() {
    try {
      this.counts = await get('/api/v1/views');
    } catch {
      return;
    }
    this.renderViews();
  }

  renderViews() {
    const link = (key, label, n) => h('a', {
      href: `#/view/${key}`, class: this.current && this.current.view === key ? 'active' : '',
      'aria-current': this.current && this.current.view === key ? 'page' : null, dataset: { view: key },
    }, h('span', null, label), h('span', { class: 'count', 'data-testid': `count-${key}` }, n === undefined ? '' : String(n)));
    const teams = (this.counts.teams || []).map((t) => link(`team-${t.id}`, t.name, t.open));
    clear(this.nav,
      this.views.map((v) => link(v.key, v.label, this.counts[v.count])),
      teams.length ? h('h3', null, 'My teams') : null, teams);
  }

  async show(what) {
    const same = this.current && this.current.view === what.view && this.current.search === what.search;
    this.current = what;
    this.renderViews();
    if (!same || !this.loaded) await this.load(false);
  }

  async load(more) {
    const what = this.current;
    if (!what) return;
    let items;
    let next = null;
    if (what.search) {
      this.title.textContent = `Search: ${what.search}`;
      const r = await get(`/api/v1/search?q=${encodeURIComponent(what.search)}&limit=50`);
      // one row per conversation, with the first snippet
      const seen = new Map();
      for (const it of r.items) if (!seen.has(it.conversation_id)) seen.set(it.conversation_id, it);
      items = await Promise.all([...seen.values()].map(async (it) => {
        try {
          const c = await get(`/api/v1/conversations/${it.conversation_id}`);
          return { ...c, snippet: it.snippet };
        } catch {
          return null;
        }
      }));
      items = items.filter(Boolean);
    } else {
      const def = this.viewDef(what.view);
      this.title.textContent = def.label;
      const q = def.query(this.app.me);
      const r = await get(`/api/v1/conversations?${q}&limit=${PAGE}${more && this.cursor ? `&cursor=${encodeURIComponent(this.cursor)}` : ''}`);
      items = r.items;
      next = r.next_cursor;
    }
    if (this.current !== what) return; // a newer view was chosen meanwhile
    this.items = more ? this.items.concat(items) : items;
    this.cursor = next;
    this.loaded = true;
    this.render();
  }

  render() {
    clear(this.ul, this.items.map((c) => this.row(c)));
    if (!this.items.length) this.ul.appendChild(h('li', { class: 'empty' }, 'No conversations here.'));
    this.more.hidden = !this.cursor;
  }

  row(c) {
    const contact = c.contact ? c.contact.name || c.contact.email : ''; // search rows carry it
    const assignee = c.assignee_id ? this.app.agentName(c.assignee_id) : 'Unassigned';
    return h('li', {
      role: 'option', class: `conv-item prio-${c.priority} status-${c.status}${c.id === this.selected ? ' selected' : ''}`,
      'aria-selected': c.id === this.selected ? 'true' : 'false',
      'data-testid': 'conversation-list-item', 'data-conversation-id': c.id,
    }, h('a', { href: conversationHref(c.id) },
      h('div', { class: 'line1' },
        c.priority === 'urgent' ? h('span', { class: 'pill urgent' }, 'Urgent') : null,
        h('span', { class: 'subject' }, c.subject || '(no subject)'),
        h('time', { datetime: c.updated_at, title: c.updated_at }, ago(c.last_message_at || c.updated_at))),
      h('div', { class: 'line2' },
        h('span', { class: 'channel' }, c.channel), contact ? h('span', null, contact) : null,
        h('span', { class: 'status' }, c.status.replace('_', ' ')), h('span', { class: 'assignee' }, assignee),
        slaBadge(c.sla),
        (c.tags || []).map((t) => h('span', { class: 'tag' }, t))),
      c.snippet ? h('div', { class: 'snippet' }, c.snippet) : null));
  }

  onEvent(type, ev) {
    if (!type.startsWith('conversation.') && type !== 'message.created') return;
    const c = ev.data && ev.data.conversation;
    if (c) {
      const i = this.items.findIndex((x) => x.id === c.id);
      if (i >= 0 && type === 'conversation.updated') {
        this.items[i] = { ...this.items[i], ...c };
        const old = this.ul.querySelector(`[data-conversation-id="${c.id}"]`);
        if (old) old.replaceWith(this.row(this.items[i]));
      }
    }
    // membership and order may change: the list is re-read, debounced
    if (!this.current || !this.current.search) this.reload();
  }

  select(id) {
    this.selected = id;
    for (const li of this.ul.querySelectorAll('.conv-item')) {
      const on = Number(li.dataset.conversationId) === id;
      li.classList.toggle('selected', on);
      li.setAttribute('aria-selected', on ? 'true' : 'false');
    }
  }

  selectedId() {
    return this.selected;
  }

  move(delta) {
    if (!this.items.length) return;
    let i = this.items.findIndex((c) => c.id === this.selected);
    i = Math.max(0, Math.min(this.items.length - 1, i < 0 ? 0 : i + delta));
    this.select(this.items[i].id);
    const li = this.ul.querySelector(`[data-conversation-id="${this.items[i].id}"]`);
    if (li) li.scrollIntoView({ block: 'nearest' });
  }
}

// The SLA state of a conversation, with its nearest due instant.
export function slaBadge(sla) {
  if (!sla || !sla.state || sla.state === 'met' || sla.state === 'ok' && !nextDue(sla)) return null;
  const due = nextDue(sla);
  const text = sla.state === 'breached' ? 'SLA breached' : sla.paused ? 'SLA paused' : `SLA ${due ? ago(due) : ''}`;
  return h('span', { class: `sla sla-${sla.paused ? 'paused' : sla.state}`, title: due ? `Due ${due}` : '', 'data-testid': 'sla-badge' }, text);
}

function nextDue(sla) {
  const dues = [sla.first_response_due, sla.next_response_due, sla.resolution_due].filter(Boolean).sort();
  return dues[0] || null;
}
