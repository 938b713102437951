// One conversation: properties, timeline, composer, customer sidebar, collision detection.
import { api, get, post, patch } from './api.js';
import { h, clear, ago, initials, toast } from './dom.js';
import { slaBadge } from './inbox.js';
import { MacroPicker, suggestedArticles } from './kb.js';

const STATUSES = ['open', 'pending', 'on_hold', 'solved', 'closed'];
const PRIORITIES = ['low', 'normal', 'high', 'urgent'];
const PRESENCE_EVERY_MS = 15000;
const PRESENCE_TTL_MS = 30000;
const TYPING_EVERY_MS = 3000;

export class ConversationView {
  constructor(app, id, pane) {
    this.app = app;
    this.id = id;
    this.pane = pane;
    this.conv = null;
    this.messageIds = new Set();
    this.lastMessageId = 0;
    this.others = new Map(); // agent id -> {name, state, mode, until}
    this.customerTypingUntil = 0;
    this.mentions = new Map(); // "@Name" -> agent id
    this.attachments = [];
    this.note = false;
    this.closed = false;
    this.off = app.on((type, ev) => this.onEvent(type, ev));
    this.presenceTimer = setInterval(() => this.sendPresence('viewing'), PRESENCE_EVERY_MS);
    this.expireTimer = setInterval(() => this.renderCollision(), 2000);
    this.lastTyping = 0;
    clear(pane, h('p', { class: 'loading' }, 'Loading…'));
    this.load();
  }

  close() {
    this.closed = true;
    this.off();
    clearInterval(this.presenceTimer);
    clearInterval(this.expireTimer);
    this.sendPresence('left');
  }

  sendPresence(state) {
    post(`/api/v1/conversations/${this.id}/presence`, { state, mode: this.note ? 'note' : 'reply' })
      .then((r) => {
        if (!r || this.closed) return;
        for (const o of r.others) this.seePresence(o);
        this.renderCollision();
      })
      .catch(() => {});
  }

  seePresence(d) {
    if (d.agent.id === this.app.me.id) return;
    if (d.state === 'left') this.others.delete(d.agent.id);
    else this.others.set(d.agent.id, { name: d.agent.name, state: d.state, mode: d.mode, until: Date.now() + (d.state === 'typing' ? 6000 : PRESENCE_TTL_MS) });
  }

  async load() {
    const t0 = performance.now();
    try {
      const [conv, msgs] = await Promise.all([get(`/api/v1/conversations/${this.id}`), this.fetchMessages(0)]);
      if (this.closed) return;
      this.conv = conv;
      this.build();
      this.appendMessages(msgs);
      if (this.missed) this.catchUp(); // a message arrived while the first page was on its way
      this.sendPresence('viewing');
      this.loadSidebar();
      // rendered once the browser painted it (measured by bench/ui.py)
      requestAnimationFrame(() => setTimeout(() => {
        performance.measure('conversation-render', { start: t0, end: performance.now() });
        this.pane.dataset.renderedId = String(this.id);
      }, 0));
    } catch (e) {
      clear(this.pane, h('p', { class: 'error', role: 'alert' }, e.status === 404 ? 'This conversation does not exist.' : `Could not load: ${e.message}`));
    }
  }

  async fetchMessages(after) {
    let items = [];
    let cursor = after;
    for (;;) {
      const r = await get(`/api/v1/conversations/${this.id}/messages?limit=500${cursor ? `&cursor=${cursor}` : ''}`);
      items = items.concat(r.items);
      if (!r.next_cursor) return items;
      cursor = r.next_cursor;
    }
  }

  build() {
    const c = this.conv;
    this.subject = h('h2', { class: 'subject' }, c.subject || '(no subject)');
    this.props = h('div', { class: 'props' });
    this.collision = h('div', { class: 'collision', 'aria-live': 'polite', 'data-testid': 'collision', hidden: true });
    this.timeline = h('ol', { class: 'timeline', 'aria-label': 'Messages' });
    this.sidebar = h('aside', { class: 'customer', 'aria-label': 'Customer' });
    this.composerBox = this.buildComposer();
    const main = h('div', { class: 'conv-main' },
      h('div', { class: 'conv-head' }, h('a', { class: 'back', href: '#/', 'aria-label': 'Back to the list' }, '←'), this.subject,
        h('span', { class: 'muted' }, `#${c.id} · ${c.channel}`)),
      this.props, this.collision, this.timeline, this.composerBox);
    clear(this.pane, h('div', { class: 'conv' }, main, this.sidebar));
    this.renderProps();
  }

  // ---- properties ----

  renderProps() {
    const c = this.conv;
    const select = (label, value, options, onchange, testid) => h('label', { class: 'prop' }, h('span', null, label),
      h('select', { 'data-testid': testid, onchange: (e) => onchange(e.target.value, e.target) },
        options.map(([v, text]) => h('option', { value: v, selected: String(v) === String(value) }, text))));
    const agents = [...this.app.agents.values()].filter((a) => a.active);
    const teams = [...this.app.teams.values()];
    this.tagsInput = h('input', { type: 'text', value: (c.tags || []).join(', '), 'aria-label': 'Tags', 'data-testid': 'tags',
      onchange: (e) => this.update({ tags: e.target.value.split(',').map((t) => t.trim()).filter(Boolean) }) });
    clear(this.props,
      select('Status', c.status, STATUSES.map((s) => [s, s.replace('_', ' ')]), (v) => this.setStatus(v), 'status'),
      select('Priority', c.priority, PRIORITIES.map((p) => [p, p]), (v, el) => this.setPriority(v, el), 'priority'),
      select('Assignee', c.assignee_id || '', [['', 'Unassigned'], ...agents.map((a) => [a.id, a.name])],
        (v) => this.update({ assignee_id: v ? Number(v) : null }), 'assignee'),
      select('Team', c.team_id || '', [['', 'No team'], ...teams.map((t) => [t.id, `${t.name} (${t.tier})`])],
        (v) => this.update({ team_id: v ? Number(v) : null }), 'team'),
      h('label', { class: 'prop tags' }, h('span', null, 'Tags'), this.tagsInput),
      slaDetails(c.sla),
      h('div', { class: 'prop' }, h('span', null, 'Escalate'), h('button', { type: 'button', 'data-testid': 'escalate', onclick: (e) => this.escalateForm(e.target) }, 'Escalate…')),
      c.priority === 'urgent' && c.priority_reason ? h('p', { class: 'urgent-reason' }, `Urgent: ${c.priority_reason}`) : null);
  }

  async update(fields) {
    try {
      this.conv = { ...this.conv, ...(await patch(`/api/v1/conversations/${this.id}`, fields)) };
    } catch (e) {
      toast(e.message, 'error');
    }
    this.renderProps();
  }

  setStatus(status) {
    return this.update({ status });
  }

  setPriority(priority, el) {
    if (priority !== 'urgent') return this.update({ priority });
    // urgent jumps the queue: it needs a written reason
    const reason = h('input', { type: 'text', required: true, placeholder: 'Why is it urgent?', 'aria-label': 'Reason for urgent priority', 'data-testid': 'urgent-reason' });
    const form = h('form', { class: 'urgent-form', onsubmit: (e) => {
      e.preventDefault();
      if (reason.value.trim()) this.update({ priority: 'urgent', priority_reason: reason.value.trim() });
    } }, reason, h('button', { type: 'submit' }, 'Set urgent'), h('button', { type: 'button', onclick: () => this.renderProps() }, 'Cancel'));
    el.closest('.prop').after(form);
    reason.focus();
    return null;
  }

  // Escalation: to the next tier's team (re-routed there) or to the team's supervisor, with a
  // reason that lands in the timeline as a note.
  escalateForm(button) {
    const reason = h('input', { type: 'text', required: true, placeholder: 'Why? (the note says it)', 'aria-label': 'Reason for escalating', 'data-testid': 'escalate-reason' });
    const to = h('select', { 'aria-label': 'Escalate to' }, h('option', { value: 'next_tier' }, 'next tier'), h('option', { value: 'supervisor' }, 'supervisor'));
    const form = h('form', { class: 'urgent-form', onsubmit: async (e) => {
      e.preventDefault();
      try {
        const r = await post(`/api/v1/conversations/${this.id}/escalate`, { to: to.value, reason: reason.value.trim() });
        if (r && r.conversation) this.applied(r.conversation);
        else if (r && r.id) this.applied(r);
        toast(to.value === 'supervisor' ? 'The supervisor was notified' : 'Escalated to the next tier');
        form.remove();
      } catch (x) {
        toast(x.message, 'error');
      }
    } }, to, reason, h('button', { type: 'submit' }, 'Escalate'), h('button', { type: 'button', onclick: () => form.remove() }, 'Cancel'));
    button.closest('.prop').after(form);
    reason.focus();
  }

  // ---- timeline ----

  appendMessages(items) {
    const frag = document.createDocumentFragment();
    for (const m of items) {
      if (this.messageIds.has(m.id)) continue;
      this.messageIds.add(m.id);
      this.lastMessageId = Math.max(this.lastMessageId, m.id);
      frag.appendChild(this.messageEl(m));
    }
    const atBottom = this.timeline.scrollHeight - this.timeline.scrollTop - this.timeline.clientHeight < 80;
    this.timeline.appendChild(frag);
    if (atBottom || items.length > 1) {
      // long timelines skip offscreen layout (content-visibility): scroll again once sized
      this.timeline.scrollTop = this.timeline.scrollHeight;
      const last = this.timeline.lastElementChild;
      const settle = (n) => requestAnimationFrame(() => {
        if (last && last.isConnected) last.scrollIntoView({ block: 'end' });
        if (n > 0) settle(n - 1);
      });
      settle(3);
    }
  }

  messageEl(m) {
    const kind = m.kind === 'system' ? 'system' : m.internal ? 'note' : m.direction === 'in' ? 'in' : 'out';
    const author = m.author && m.author.name ? m.author.name : m.author && m.author.type === 'system' ? 'Switchboard' : '';
    if (kind === 'system') {
      return h('li', { class: 'msg system', 'data-testid': 'timeline-message', 'data-kind': 'system', 'data-message-id': m.id },
        h('span', null, m.body_text), h('time', { datetime: m.created_at, title: m.created_at }, ago(m.created_at)));
    }
    const body = h('div', { class: 'body' });
    if (m.body_html && kind === 'in') body.appendChild(this.htmlFrame(m));
    else body.appendChild(h('div', { class: 'text' }, m.body_text));
    const atts = (m.attachments || []).filter((a) => !a.inline);
    return h('li', { class: `msg ${kind}`, 'data-testid': 'timeline-message', 'data-kind': kind, 'data-message-id': m.id },
      h('div', { class: 'meta' },
        h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(author)),
        h('strong', null, author || (kind === 'in' ? 'Customer' : 'Agent')),
        kind === 'note' ? h('span', { class: 'pill note' }, 'Internal note') : null,
        h('time', { datetime: m.created_at, title: m.created_at }, ago(m.created_at)),
        m.delivery ? h('span', { class: `delivery ${m.delivery.status}`, title: m.delivery.error || '' }, m.delivery.status) : null,
        m.raw_url ? h('a', { href: m.raw_url, class: 'muted', download: '' }, 'raw') : null),
      body,
      atts.length ? h('ul', { class: 'attachments' }, atts.map((a) => h('li', null,
        h('a', { href: a.url, download: a.filename }, h('img', { src: '/assets/clip.svg', alt: '' }), ` ${a.filename}`), h('span', { class: 'muted' }, ` ${Math.ceil(a.size / 1024)} KB`)))) : null);
  }

  // Email HTML (sanitised by the server) shows in a sandboxed frame served with its own
  // CSP: no script can run, remote images only after the agent asks.
  htmlFrame(m) {
    const frame = h('iframe', { class: 'email-html', sandbox: 'allow-same-origin allow-popups allow-popups-to-escape-sandbox',
      src: `/api/v1/messages/${m.id}/html`, title: 'Email content', loading: 'lazy', referrerpolicy: 'no-referrer' });
    frame.addEventListener('load', () => {
      try {
        frame.style.height = `${Math.min(frame.contentDocument.documentElement.scrollHeight + 8, 2000)}px`;
      } catch {
        /* not readable: keep the default height */
      }
    });
    const remote = m.email && m.email.remote_images;
    const wrap = h('div', { class: 'email' }, frame);
    if (remote) {
      wrap.prepend(h('button', { class: 'link images', onclick: (e) => {
        frame.src = `/api/v1/messages/${m.id}/html?images=1`;
        e.target.remove();
      } }, `Load ${remote} remote image${remote > 1 ? 's' : ''}`));
    }
    return wrap;
  }

  // ---- composer ----

  buildComposer() {
    this.text = h('textarea', { rows: 3, 'data-testid': 'composer', 'aria-label': 'Reply', placeholder: 'Reply to the customer… (Markdown)' });
    this.noteToggle = h('button', { type: 'button', class: 'toggle', 'aria-pressed': 'false', 'data-testid': 'note-toggle', onclick: () => this.setNote(!this.note) }, 'Internal note');
    this.fileInput = h('input', { type: 'file', multiple: true, class: 'file', 'aria-label': 'Attach files', onchange: (e) => this.upload(e.target.files) });
    this.attList = h('ul', { class: 'pending-atts' });
    this.mentionBox = h('ul', { class: 'mention-box', hidden: true, role: 'listbox' });
    this.macroBox = h('ul', { class: 'mention-box macro-box', hidden: true, role: 'listbox', 'aria-label': 'Macros', 'data-testid': 'macro-picker' });
    this.macros = new MacroPicker(this, this.text, this.macroBox);
    this.sendBtn = h('button', { type: 'submit', class: 'primary', 'data-testid': 'send' }, 'Send');
    this.sendStatus = h('select', { 'aria-label': 'Then set status', 'data-testid': 'send-status' },
      h('option', { value: '' }, 'and keep status'), h('option', { value: 'pending' }, 'and set pending'),
      h('option', { value: 'solved' }, 'and set solved'), h('option', { value: 'on_hold' }, 'and set on hold'));
    this.text.addEventListener('input', () => this.onInput());
    this.text.addEventListener('keydown', (e) => {
      if (this.macros.onKey(e)) return;
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        this.send();
      } else if (e.key === 'Escape') {
        this.mentionBox.hidden = true;
        this.text.blur();
      } else if (!this.mentionBox.hidden && (e.key === 'Tab' || e.key === 'Enter')) {
        const first = this.mentionBox.querySelector('li');
        if (first) {
          e.preventDefault();
          first.click();
        }
      }
    });
    return h('form', { class: 'composer', onsubmit: (e) => {
      e.preventDefault();
      this.send();
    } },
    h('div', { class: 'composer-tools' }, this.noteToggle, h('label', { class: 'attach' }, h('img', { src: '/assets/clip.svg', alt: '' }), ' Attach', this.fileInput),
      h('span', { class: 'muted hint' }, 'Ctrl+Enter sends · ;; inserts a macro · @ mentions in notes')),
    this.text, this.mentionBox, this.macroBox, this.attList,
    h('div', { class: 'composer-send' }, this.sendBtn, this.sendStatus));
  }

  setNote(on) {
    if (on !== this.note) this.lastTyping = 0; // announce the new mode with the next keystroke
    this.note = on;
    this.noteToggle.setAttribute('aria-pressed', on ? 'true' : 'false');
    this.composerBox.classList.toggle('note-mode', on);
    this.text.placeholder = on ? 'Internal note: only agents see it. @name mentions a colleague.' : 'Reply to the customer… (Markdown)';
    this.sendBtn.textContent = on ? 'Add note' : 'Send';
    this.sendStatus.hidden = on;
  }

  focusComposer(note) {
    if (!this.text) return;
    this.setNote(note);
    this.text.focus();
  }

  onInput() {
    const now = Date.now();
    if (now - this.lastTyping > TYPING_EVERY_MS) {
      this.lastTyping = now;
      this.sendPresence('typing');
    }
    this.suggestMentions();
    this.macros.onInput();
  }

  insertText(text) {
    const at = this.text.selectionStart ?? this.text.value.length;
    this.text.value = this.text.value.slice(0, at) + text + this.text.value.slice(at);
    this.text.focus();
  }

  // A macro changed the conversation (status, tags, team...).
  applied(conversation) {
    this.conv = { ...this.conv, ...conversation };
    this.renderProps();
  }

  suggestMentions() {
    const before = this.text.value.slice(0, this.text.selectionStart);
    const m = this.note && before.match(/(^|\s)@([^\s@]{0,30})$/);
    if (!m) {
      this.mentionBox.hidden = true;
      return;
    }
    const q = m[2].toLowerCase();
    const hits = [...this.app.agents.values()].filter((a) => a.active && a.name.toLowerCase().includes(q)).slice(0, 6);
    clear(this.mentionBox, hits.map((a) => h('li', { role: 'option', 'data-testid': 'mention-option', onclick: () => {
      const start = before.length - m[2].length - 1;
      const tag = `@${a.name}`;
      this.text.value = `${this.text.value.slice(0, start)}${tag} ${this.text.value.slice(this.text.selectionStart)}`;
      this.mentions.set(tag, a.id);
      this.mentionBox.hidden = true;
      this.text.focus();
    } }, a.name, h('span', { class: 'muted' }, ` ${a.email}`))));
    this.mentionBox.hidden = !hits.length;
  }

  async upload(files) {
    for (const f of files) {
      try {
        const r = await api('POST', `/api/v1/uploads?filename=${encodeURIComponent(f.name)}`, f, { contentType: f.type || 'application/octet-stream' });
        this.attachments.push(r);
        this.attList.appendChild(h('li', null, h('img', { src: '/assets/clip.svg', alt: '' }), ` ${r.filename}`));
      } catch (e) {
        toast(`${f.name}: ${e.message}`, 'error');
      }
    }
    this.fileInput.value = '';
  }

  async send() {
    const body = this.text.value.trim();
    if (!body && !this.attachments.length) return;
    const payload = { body: body || '(attachment)', internal: this.note };
    if (this.note) {
      const ids = [...this.mentions.entries()].filter(([tag]) => body.includes(tag)).map(([, id]) => id);
      if (ids.length) payload.mentions = ids;
    } else if (this.sendStatus.value) {
      payload.status = this.sendStatus.value;
    }
    if (this.attachments.length) payload.attachments = this.attachments.map((a) => ({ sha256: a.sha256, filename: a.filename, content_type: a.content_type }));
    this.sendBtn.disabled = true;
    try {
      const m = await post(`/api/v1/conversations/${this.id}/messages`, payload);
      this.appendMessages([m]);
      this.text.value = '';
      this.attachments = [];
      this.mentions.clear();
      clear(this.attList);
      this.sendStatus.value = '';
    } catch (e) {
      toast(`Not sent: ${e.message}`, 'error');
    } finally {
      this.sendBtn.disabled = false;
    }
  }

  // ---- customer sidebar ----

  async loadSidebar() {
    const c = this.conv;
    const contact = c.contact || {};
    const parts = [h('h3', null, 'Customer'),
      h('p', { class: 'contact-name' }, contact.name || '(no name)'),
      contact.email ? h('p', null, h('a', { href: `mailto:${contact.email}` }, contact.email)) : null,
      contact.phone ? h('p', null, contact.phone) : null];
    if (c.csat) {
      parts.push(h('h3', null, 'Satisfaction'), h('p', { 'data-testid': 'csat' },
        c.csat.rating ? `Rated ${c.csat.rating}${c.csat.comment ? `: “${c.csat.comment}”` : ''}` : 'Survey sent, no answer yet'));
    }
    if (c.fields && Object.keys(c.fields).length) {
      parts.push(h('h3', null, 'Form answers'), h('dl', { class: 'fields', 'data-testid': 'form-fields' },
        Object.entries(c.fields).map(([k, v]) => [h('dt', null, k), h('dd', null, String(v))])));
    }
    const orgBox = h('div');
    const earlier = h('ul', { class: 'earlier' });
    const suggested = h('ul', { class: 'earlier', 'aria-label': 'Suggested articles' });
    parts.push(orgBox, h('h3', null, 'Earlier conversations'), earlier, h('h3', null, 'Suggested articles'), suggested);
    clear(this.sidebar, parts);
    suggestedArticles(this, suggested);
    if (contact.organization_id) {
      try {
        const org = await get(`/api/v1/organizations/${contact.organization_id}`);
        clear(orgBox, h('h3', null, 'Organisation'), h('p', null, org.name),
          h('p', { class: 'muted' }, `Account manager: ${org.account_manager_id ? this.app.agentName(org.account_manager_id) : 'none'}`));
      } catch {
        /* deleted meanwhile */
      }
    }
    if (c.contact_id) {
      const r = await get(`/api/v1/conversations?contact_id=${c.contact_id}&status=open,pending,on_hold,solved,closed&limit=10`);
      const others = r.items.filter((x) => x.id !== c.id);
      clear(earlier, others.length ? others.map((x) => h('li', null, h('a', { href: `#/c/${x.id}` }, x.subject || `#${x.id}`),
        h('span', { class: 'muted' }, ` ${x.status} · ${ago(x.created_at)}`))) : h('li', { class: 'muted' }, 'None.'));
    }
  }

  // ---- live ----

  onEvent(type, ev) {
    if (this.closed) return;
    const d = ev && ev.data ? ev.data : ev;
    if (type === 'presence') {
      if (d.conversation_id !== this.id) return;
      this.seePresence(d);
      this.renderCollision();
      return;
    }
    if (type === 'typing') {
      if (d.conversation_id === this.id && d.who === 'customer') {
        this.customerTypingUntil = Date.now() + 6000;
        this.renderCollision();
      }
      return;
    }
    if (!ev || ev.conversation_id !== this.id) return;
    if (type === 'message.created') {
      if (!this.timeline) {
        this.missed = true;
        return;
      }
      this.catchUp();
      this.customerTypingUntil = 0;
    } else if (type === 'conversation.updated' && d.conversation) {
      this.conv = { ...this.conv, ...d.conversation };
      if (!this.props.contains(document.activeElement)) this.renderProps();
    }
  }

  // The event may carry a shortened body: read the messages after the last one shown.
  catchUp() {
    this.missed = false;
    this.fetchMessages(this.lastMessageId).then((items) => this.appendMessages(items)).catch(() => {});
  }

  async reloadAll() {
    try {
      this.conv = { ...this.conv, ...(await get(`/api/v1/conversations/${this.id}`)) };
      this.renderProps();
      this.catchUp();
    } catch {
      /* gone: the next navigation shows it */
    }
  }

  renderCollision() {
    if (!this.collision) return;
    const now = Date.now();
    const lines = [];
    for (const [id, o] of this.others) {
      if (o.until < now) {
        this.others.delete(id);
        continue;
      }
      lines.push(h('span', { class: `who ${o.state}`, 'data-testid': 'collision-agent', 'data-agent-id': id },
        o.state === 'typing' ? `${o.name} is typing ${o.mode === 'note' ? 'a note' : 'a reply'}…` : `${o.name} is viewing`));
    }
    if (this.customerTypingUntil > now) lines.push(h('span', { class: 'who customer' }, 'The customer is typing…'));
    clear(this.collision, lines);
    this.collision.hidden = !lines.length;
  }
}

function slaDetails(sla) {
  if (!sla || !sla.state) return null;
  const row = (label, due) => (due ? h('span', null, `${label} ${ago(due)}`) : null);
  return h('div', { class: 'prop sla-details' }, h('span', null, 'SLA'),
    h('div', null, slaBadge(sla) || h('span', { class: 'sla sla-ok' }, sla.state === 'met' ? 'met' : 'on track'),
      row(' first reply', sla.first_response_due), row(' · next reply', sla.next_response_due),
      row(' · resolution', sla.resolution_due),
      sla.breached && sla.breached.length ? h('span', { class: 'muted' }, ` · missed: ${sla.breached.join(', ').replace(/_/g, ' ')}`) : null));
}
