// Knowledge base pages: articles (list, editor with translations and versions), macros
// (with usage counts), and the deflection figures. Routes: #/kb, #/kb/<id>, #/kb/new,
// #/macros, #/kb-report.
import { api, get, post, patch, del } from './api.js';
import { h, clear, ago, toast } from './dom.js';

const canPublish = (me) => me.role === 'supervisor' || me.role === 'admin';

export async function renderKb(app, pane, parts) {
  const page = parts[0];
  const nav = h('nav', { class: 'tabs' },
    h('a', { href: '#/kb', class: page === 'kb' && !parts[1] ? 'active' : '' }, 'Articles'),
    h('a', { href: '#/kb/new', class: parts[1] === 'new' ? 'active' : '' }, 'New article'),
    h('a', { href: '#/macros', class: page === 'macros' ? 'active' : '' }, 'Macros'),
    canPublish(app.me) ? h('a', { href: '#/kb-report', class: page === 'kb-report' ? 'active' : '' }, 'Deflection') : null,
    h('a', { href: '/help', target: '_blank', rel: 'noopener' }, 'Help center ↗'));
  const body = h('div', { class: 'admin-body' });
  clear(pane, h('div', { class: 'admin-page kb-page' }, nav, body));
  try {
    if (page === 'macros') await macrosPage(app, body);
    else if (page === 'kb-report') await deflectionPage(body);
    else if (parts[1]) await editorPage(app, body, parts[1] === 'new' ? null : Number(parts[1]), parts[2]);
    else await listPage(body);
  } catch (e) {
    clear(body, h('p', { class: 'error', role: 'alert' }, e.message));
  }
}

// ---- articles ----

async function listPage(body) {
  const [settings, cats] = await Promise.all([get('/api/v1/help-center/settings'), get('/api/v1/kb/categories')]);
  const q = h('input', { type: 'search', placeholder: 'Search articles', 'aria-label': 'Search articles', 'data-testid': 'kb-search' });
  const locale = h('select', { 'aria-label': 'Locale' }, settings.locales.map((l) => h('option', { value: l, selected: l === settings.default_locale }, l)));
  const status = h('select', { 'aria-label': 'Status' }, ['', 'published', 'draft'].map((s) => h('option', { value: s }, s || 'any status')));
  const table = h('tbody');
  const load = async () => {
    let items;
    if (q.value.trim()) {
      items = (await get(`/api/v1/articles/search?q=${encodeURIComponent(q.value.trim())}&locale=${locale.value}&limit=50`)).items;
    } else {
      const params = new URLSearchParams({ locale: locale.value, limit: '100' });
      if (status.value) params.set('status', status.value);
      items = (await get(`/api/v1/articles?${params}`)).items;
    }
    clear(table, items.length ? items.map((a) => h('tr', { 'data-testid': 'kb-article-row', 'data-article-id': a.id },
      h('td', null, h('a', { href: `#/kb/${a.id}/${a.locale || locale.value}` }, a.title)),
      h('td', null, a.locale || ''), h('td', null, a.status || ''), h('td', null, a.visibility || ''),
      h('td', null, a.category || ''), h('td', null, a.views === undefined ? '' : String(a.views)),
      h('td', null, a.helpful_yes === undefined ? '' : `${a.helpful_yes} / ${a.helpful_no}`),
      h('td', null, a.updated_at ? ago(a.updated_at) : ''))) : h('tr', null, h('td', { colspan: 8, class: 'muted' }, 'No articles.')));
  };
  for (const el of [locale, status]) el.addEventListener('change', load);
  q.addEventListener('keydown', (e) => e.key === 'Enter' && load());
  clear(body, h('h2', null, 'Knowledge base'),
    h('div', { class: 'inline-form' }, q, locale, status, h('button', { onclick: load }, 'Search')),
    h('p', { class: 'muted' }, `${cats.items.length} categories · locales ${settings.locales.join(', ')}`),
    h('table', { class: 'grid' }, h('thead', null, h('tr', null, ['Title', 'Locale', 'Status', 'Visibility', 'Category', 'Views', 'Helpful yes / no', 'Updated'].map((t) => h('th', null, t)))), table));
  await load();
}

function categoryOptions(cats, selected) {
  const out = [h('option', { value: '' }, 'No category')];
  const top = cats.filter((c) => !c.parent_id);
  for (const c of top) {
    out.push(h('option', { value: c.id, selected: c.id === selected }, c.name));
    for (const s of cats.filter((x) => x.parent_id === c.id)) out.push(h('option', { value: s.id, selected: s.id === selected }, `— ${s.name}`));
  }
  return out;
}

async function editorPage(app, body, id, wantLocale) {
  const [settings, cats] = await Promise.all([get('/api/v1/help-center/settings'), get('/api/v1/kb/categories')]);
  const locale = wantLocale || settings.default_locale;
  const a = id ? await get(`/api/v1/articles/${id}?locale=${encodeURIComponent(locale)}`) : null;
  const editingLocale = a && a.locale === locale ? locale : locale; // a new translation when missing
  const isNewTranslation = a && a.locale !== locale;
  const title = h('input', { value: isNewTranslation ? '' : a ? a.title : '', required: true, maxlength: 300, 'aria-label': 'Title', 'data-testid': 'kb-title', class: 'wide' });
  const text = h('textarea', { rows: 18, 'aria-label': 'Body (Markdown)', 'data-testid': 'kb-body', class: 'wide mono' });
  text.value = isNewTranslation ? '' : a ? a.body_markdown || '' : '';
  const visibility = h('select', { 'aria-label': 'Visibility', 'data-testid': 'kb-visibility' },
    ['public', 'internal'].map((v) => h('option', { value: v, selected: a ? a.visibility === v : v === 'public' }, v === 'internal' ? 'internal (agents only)' : 'public')));
  const category = h('select', { 'aria-label': 'Category' }, categoryOptions(cats.items, a ? a.category_id : null));
  const tags = h('input', { value: a ? (a.tags || []).join(', ') : '', 'aria-label': 'Tags', placeholder: 'tags, comma separated' });
  const files = a ? [...(a.files || [])] : [];
  const fileList = h('ul', { class: 'attachments' });
  const renderFiles = () => clear(fileList, files.map((f) => h('li', null, h('a', { href: `/help/files/${f.sha256}`, target: '_blank', rel: 'noopener' }, f.filename),
    ' ', h('button', { type: 'button', class: 'link', onclick: () => { text.value += `\n![${f.filename}](/help/files/${f.sha256})\n`; } }, 'insert'),
    ' ', h('button', { type: 'button', class: 'link danger', onclick: () => { files.splice(files.indexOf(f), 1); renderFiles(); } }, 'remove'))));
  renderFiles();
  const upload = h('input', { type: 'file', multiple: true, 'aria-label': 'Attach files', onchange: async (e) => {
    for (const f of e.target.files) {
      try {
        const r = await api('POST', `/api/v1/uploads?filename=${encodeURIComponent(f.name)}`, f, { contentType: f.type || 'application/octet-stream' });
        files.push({ sha256: r.sha256, filename: r.filename, content_type: r.content_type });
      } catch (x) {
        toast(`${f.name}: ${x.message}`, 'error');
      }
    }
    e.target.value = '';
    renderFiles();
  } });
  const save = async (status) => {
    const fields = { title: title.value, body_markdown: text.value, locale: editingLocale, visibility: visibility.value,
      category_id: category.value ? Number(category.value) : null,
      tags: tags.value.split(',').map((t) => t.trim()).filter(Boolean), files };
    if (status) fields.status = status;
    try {
      const r = id ? await patch(`/api/v1/articles/${id}`, fields) : await post('/api/v1/articles', { ...fields, status: status || 'draft' });
      toast(status === 'published' ? 'Published' : 'Saved');
      location.hash = `#/kb/${r.id}/${editingLocale}`;
      if (id) await editorPage(app, body, r.id, editingLocale);
    } catch (x) {
      toast(x.message, 'error');
    }
  };
  const translations = a ? a.translations || [] : [];
  const localeTabs = h('div', { class: 'tabs small' }, settings.locales.map((l) => {
    const t = translations.find((x) => x.locale === l);
    return h('a', { href: id ? `#/kb/${id}/${l}` : `#/kb/new/${l}`, class: l === editingLocale ? 'active' : '' },
      `${l}${t ? ` (${t.status})` : id ? ' (missing)' : ''}`);
  }));
  const versions = h('ul', { class: 'versions' });
  const status = a && !isNewTranslation ? translations.find((x) => x.locale === editingLocale) : null;
  clear(body,
    h('h2', null, id ? `Article #${id}` : 'New article'),
    localeTabs,
    isNewTranslation ? h('p', { class: 'muted' }, `No ${editingLocale} translation yet: the help center shows ${a.locale} for now. Write one below.`) : null,
    h('form', { class: 'kb-editor', onsubmit: (e) => { e.preventDefault(); save(); } },
      h('label', null, 'Title', title),
      h('label', null, 'Body (Markdown: **bold**, lists, [links](https://…), tables; raw HTML is dropped)', text),
      h('div', { class: 'inline-form' }, h('label', null, 'Visibility ', visibility), h('label', null, 'Category ', category), h('label', null, 'Tags ', tags)),
      h('div', null, h('label', { class: 'attach' }, 'Files and images ', upload), fileList),
      h('div', { class: 'inline-form' },
        h('button', { type: 'submit', 'data-testid': 'kb-save' }, id && status && status.status === 'published' ? 'Save' : 'Save draft'),
        canPublish(app.me) ? h('button', { type: 'button', class: 'primary', 'data-testid': 'kb-publish', onclick: () => save('published') }, 'Publish') : h('span', { class: 'muted' }, 'A supervisor publishes drafts.'),
        canPublish(app.me) && status && status.status === 'published' ? h('button', { type: 'button', onclick: () => save('draft') }, 'Unpublish') : null,
        id && canPublish(app.me) ? h('button', { type: 'button', class: 'danger', onclick: async () => {
          if (!confirm('Delete this article and all its translations?')) return;
          await del(`/api/v1/articles/${id}`);
          location.hash = '#/kb';
        } }, 'Delete') : null,
        id && a.visibility === 'public' && status && status.status === 'published'
          ? h('a', { href: `/help/${editingLocale}/articles/${id}`, target: '_blank', rel: 'noopener' }, 'View in the help center ↗') : null)),
    id && !isNewTranslation ? [h('h3', null, 'Versions'), versions] : null);
  if (id && !isNewTranslation) {
    const v = await get(`/api/v1/articles/${id}/versions?locale=${encodeURIComponent(editingLocale)}`);
    clear(versions, v.items.map((x) => h('li', null, `v${x.version} · ${x.status} · ${app.agentName(x.author_id)} · ${ago(x.created_at)} `,
      canPublish(app.me) && x.version !== a.version ? h('button', { class: 'link', onclick: async () => {
        await post(`/api/v1/articles/${id}/versions/${x.id}/restore`, {});
        toast(`Restored v${x.version}`);
        await editorPage(app, body, id, editingLocale);
      } }, 'restore') : null)));
  }
}

// ---- macros ----

async function macrosPage(app, body) {
  const { items } = await get('/api/v1/macros');
  const name = h('input', { required: true, 'aria-label': 'Macro name', placeholder: 'Name', 'data-testid': 'macro-name' });
  const text = h('textarea', { rows: 5, 'aria-label': 'Macro text', class: 'wide', 'data-testid': 'macro-body',
    placeholder: 'Hi {{contact.first_name}}, … {{agent.first_name}}' });
  const status = h('select', { 'aria-label': 'Then set status' }, ['', 'open', 'pending', 'on_hold', 'solved'].map((s) => h('option', { value: s }, s ? `set ${s}` : 'keep status')));
  const addTags = h('input', { 'aria-label': 'Add tags', placeholder: 'add tags, comma separated' });
  const scope = h('select', { 'aria-label': 'Scope' }, h('option', { value: 'personal' }, 'personal'),
    canPublish(app.me) ? h('option', { value: 'shared' }, 'shared with the team') : null);
  const form = h('form', { class: 'kb-editor', onsubmit: async (e) => {
    e.preventDefault();
    const actions = {};
    if (status.value) actions.status = status.value;
    const tags = addTags.value.split(',').map((t) => t.trim()).filter(Boolean);
    if (tags.length) actions.add_tags = tags;
    try {
      await post('/api/v1/macros', { name: name.value, body: text.value, actions, scope: scope.value });
      await macrosPage(app, body);
    } catch (x) {
      toast(x.message, 'error');
    }
  } }, h('h3', null, 'New macro'), name, text, h('div', { class: 'inline-form' }, status, addTags, scope, h('button', { type: 'submit', class: 'primary' }, 'Create')),
  h('p', { class: 'muted' }, 'Placeholders: {{contact.name}} {{contact.first_name}} {{contact.email}} {{organization.name}} {{agent.name}} {{agent.first_name}} {{conversation.id}} {{conversation.subject}} {{article:ID}}'));
  clear(body, h('h2', null, 'Macros'),
    h('p', { class: 'muted' }, 'Most used first: the requests your team answers again and again. In the composer, type ;; and a name to insert one.'),
    h('table', { class: 'grid', 'data-testid': 'macros-table' }, h('thead', null, h('tr', null, ['Name', 'Scope', 'Used', 'Last used', 'Actions', ''].map((t) => h('th', null, t)))),
      h('tbody', null, items.map((m) => h('tr', { 'data-macro-id': m.id },
        h('td', null, h('strong', null, m.name), h('div', { class: 'muted snippet' }, m.body.slice(0, 120))),
        h('td', null, m.scope), h('td', { 'data-testid': 'macro-usage' }, String(m.usage_count)), h('td', null, m.last_used_at ? ago(m.last_used_at) : 'never'),
        h('td', null, Object.keys(m.actions || {}).join(', ')),
        h('td', null, m.scope === 'personal' || canPublish(app.me) ? h('button', { class: 'link danger', onclick: async () => {
          if (!confirm(`Delete the macro ${m.name}?`)) return;
          await del(`/api/v1/macros/${m.id}`);
          await macrosPage(app, body);
        } }, 'delete') : null))))),
    form);
}

// ---- deflection ----

async function deflectionPage(body) {
  const to = new Date();
  const from = new Date(to.getTime() - 30 * 86400000);
  const r = await get(`/api/v1/reports/deflection?from=${from.toISOString().slice(0, 19)}Z&to=${to.toISOString().slice(0, 19)}Z`);
  const kv = (o) => h('dl', { class: 'kv' }, Object.entries(o || {}).filter(([, v]) => typeof v !== 'object').map(([k, v]) => [h('dt', null, k.replace(/_/g, ' ')), h('dd', null, String(v))]));
  const list = (items, fn) => h('ol', null, (items || []).map((x) => h('li', null, fn(x))));
  clear(body, h('h2', null, 'Deflection, last 30 days'),
    h('div', { class: 'team-grid' },
      h('section', { class: 'team-card' }, h('h3', null, 'Answer bot'), kv(r.bot)),
      h('section', { class: 'team-card' }, h('h3', null, 'Article views'), kv(r.article_views)),
      h('section', { class: 'team-card' }, h('h3', null, 'Read before writing to us'), kv(r.viewed_before_conversation)),
      h('section', { class: 'team-card' }, h('h3', null, 'Most viewed'), list(r.top_articles, (a) => `${a.title || `#${a.id}`} (${a.views})`)),
      h('section', { class: 'team-card' }, h('h3', null, 'Searched, not found (content gaps)'), list(r.content_gaps, (g) => `${g.query} · ${g.locale} · ${g.searches}×`))));
}

// ---- in the composer: macros by keyboard, suggested articles ----

// ";;name" in the composer opens a picker of macros matching "name": Enter or Tab applies the
// first (its actions run, its text replaces the trigger), arrows choose, Escape closes.
export class MacroPicker {
  constructor(conv, textarea, box) {
    this.conv = conv;
    this.text = textarea;
    this.box = box;
    this.items = null;
    this.hits = [];
    this.index = 0;
  }

  async load() {
    if (!this.items) this.items = (await get('/api/v1/macros')).items;
    return this.items;
  }

  trigger() {
    const before = this.text.value.slice(0, this.text.selectionStart);
    const m = before.match(/;;([^\n;]{0,40})$/);
    return m ? { start: before.length - m[0].length, query: m[1].toLowerCase() } : null;
  }

  async onInput() {
    const t = this.trigger();
    if (!t) return this.hide();
    const items = await this.load();
    this.hits = items.filter((m) => m.name.toLowerCase().includes(t.query)).slice(0, 8);
    this.index = 0;
    this.render();
    return true;
  }

  render() {
    clear(this.box, this.hits.map((m, i) => h('li', { role: 'option', 'aria-selected': i === this.index ? 'true' : 'false',
      class: i === this.index ? 'active' : '', 'data-testid': 'macro-option', onmousedown: (e) => { e.preventDefault(); this.apply(m); } },
    m.name, h('span', { class: 'muted' }, ` · used ${m.usage_count}×`))));
    this.box.hidden = !this.hits.length;
  }

  hide() {
    this.box.hidden = true;
    this.hits = [];
    return false;
  }

  // Returns true when it handled the key.
  onKey(e) {
    if (this.box.hidden || !this.hits.length) return false;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      this.index = (this.index + (e.key === 'ArrowDown' ? 1 : this.hits.length - 1)) % this.hits.length;
      this.render();
    } else if (e.key === 'Enter' || e.key === 'Tab') {
      this.apply(this.hits[this.index]);
    } else if (e.key === 'Escape') {
      this.hide();
    } else {
      return false;
    }
    e.preventDefault();
    return true;
  }

  async apply(macro) {
    const t = this.trigger();
    this.hide();
    try {
      const r = await post(`/api/v1/conversations/${this.conv.id}/macros/${macro.id}/apply`, { preview: false });
      const start = t ? t.start : this.text.selectionStart;
      const end = this.text.selectionStart;
      this.text.value = this.text.value.slice(0, start) + r.body + this.text.value.slice(end);
      this.text.focus();
      macro.usage_count += 1;
      if (r.conversation) this.conv.applied(r.conversation);
    } catch (x) {
      toast(`${macro.name}: ${x.message}`, 'error');
    }
  }
}

let helpBase = null;

export async function suggestedArticles(conv, box) {
  try {
    if (helpBase === null) {
      // links go to customers: the configured public address, else this server's
      const s = await get('/api/v1/help-center/settings');
      helpBase = (s.base_url || location.origin).replace(/\/$/, '');
    }
    const r = await get(`/api/v1/conversations/${conv.id}/suggested-articles`);
    clear(box, r.items.length ? r.items.slice(0, 5).map((a) => h('li', { 'data-testid': 'suggested-article' },
      h('a', { href: `#/kb/${a.id}` }, a.title), ' ',
      h('button', { class: 'link', title: 'Insert a link into the reply', onclick: () => conv.insertText(`[${a.title}](${helpBase}/help/${r.locale}/articles/${a.id})`) }, 'insert link'))) : h('li', { class: 'muted' }, 'No matching article.'));
  } catch {
    clear(box, h('li', { class: 'muted' }, 'No suggestions.'));
  }
}
