// Admin pages: agents and teams.
import { get, post, patch, del } from './api.js';
import { h, clear, toast } from './dom.js';

const ROLES = ['admin', 'supervisor', 'agent', 'trainee'];
const TIERS = ['L1', 'L2', 'L3'];

export async function renderAdmin(pane, page) {
  const nav = h('nav', { class: 'tabs' },
    h('a', { href: '#/admin/agents', class: page === 'agents' ? 'active' : '' }, 'Agents'),
    h('a', { href: '#/admin/teams', class: page === 'teams' ? 'active' : '' }, 'Teams'),
    h('a', { href: '#/view/mine' }, 'Back to the inbox'));
  const body = h('div', { class: 'admin-body' });
  clear(pane, h('div', { class: 'admin-page' }, nav, body));
  try {
    if (page === 'teams') await teamsPage(body);
    else await agentsPage(body);
  } catch (e) {
    clear(body, h('p', { class: 'error', role: 'alert' }, e.status === 403 ? 'Only supervisors and admins may see this page.' : e.message));
  }
}

async function agentsPage(body) {
  const { items } = await get('/api/v1/agents');
  const rows = items.map((a) => h('tr', { 'data-agent-id': a.id },
    h('td', null, a.name), h('td', null, a.email),
    h('td', null, h('select', { 'aria-label': `Role of ${a.name}`, onchange: (e) => save(a, { role: e.target.value }) },
      ROLES.map((r) => h('option', { value: r, selected: r === a.role }, r)))),
    h('td', null, a.status),
    h('td', null, h('label', null, h('input', { type: 'checkbox', checked: a.active, onchange: (e) => save(a, { active: e.target.checked }) }), ' active'))));
  const name = h('input', { required: true, 'aria-label': 'Name', placeholder: 'Name', 'data-testid': 'new-agent-name' });
  const email = h('input', { type: 'email', required: true, 'aria-label': 'Email', placeholder: 'Email', 'data-testid': 'new-agent-email' });
  const password = h('input', { type: 'password', minlength: 8, 'aria-label': 'Password', placeholder: 'Password (optional)', autocomplete: 'new-password' });
  const role = h('select', { 'aria-label': 'Role' }, ROLES.map((r) => h('option', { value: r, selected: r === 'agent' }, r)));
  const form = h('form', { class: 'inline-form', onsubmit: async (e) => {
    e.preventDefault();
    const fields = { name: name.value, email: email.value, role: role.value };
    if (password.value) fields.password = password.value;
    try {
      await post('/api/v1/agents', fields);
      toast(`${name.value} added`);
      await agentsPage(body);
    } catch (x) {
      toast(x.message, 'error');
    }
  } }, name, email, password, role, h('button', { type: 'submit', class: 'primary' }, 'Add agent'));
  clear(body, h('h2', null, 'Agents'),
    h('table', { class: 'grid', 'data-testid': 'agents-table' }, h('thead', null, h('tr', null, ['Name', 'Email', 'Role', 'Status', ''].map((t) => h('th', null, t)))), h('tbody', null, rows)),
    h('h3', null, 'Add an agent'), form);

  async function save(a, fields) {
    try {
      await patch(`/api/v1/agents/${a.id}`, fields);
      toast(`${a.name} updated`);
    } catch (x) {
      toast(x.message, 'error');
      await agentsPage(body);
    }
  }
}

async function teamsPage(body) {
  const [{ items: teams }, { items: agents }] = await Promise.all([get('/api/v1/teams'), get('/api/v1/agents')]);
  const byId = new Map(agents.map((a) => [a.id, a]));
  const memberPicker = (selected) => h('select', { multiple: true, size: Math.min(6, Math.max(3, agents.length)), 'aria-label': 'Members' },
    agents.filter((a) => a.active).map((a) => h('option', { value: a.id, selected: selected.includes(a.id) }, a.name)));
  const picked = (sel) => [...sel.selectedOptions].map((o) => Number(o.value));
  const cards = teams.map((t) => {
    const ids = agents.filter((a) => (a.team_ids || []).includes(t.id)).map((a) => a.id);
    const members = memberPicker(ids);
    const tier = h('select', { 'aria-label': 'Tier' }, TIERS.map((x) => h('option', { value: x, selected: x === t.tier }, x)));
    return h('form', { class: 'team-card', 'data-team-id': t.id, onsubmit: async (e) => {
      e.preventDefault();
      try {
        await patch(`/api/v1/teams/${t.id}`, { tier: tier.value, member_ids: picked(members) });
        toast(`${t.name} saved`);
      } catch (x) {
        toast(x.message, 'error');
      }
    } }, h('h3', null, t.name), h('p', { class: 'muted' }, t.description || ''),
    h('label', null, 'Tier ', tier), h('label', null, 'Members', members),
    h('p', { class: 'muted' }, ids.map((id) => byId.get(id).name).join(', ') || 'No members'),
    h('div', null, h('button', { type: 'submit', class: 'primary' }, 'Save'),
      h('button', { type: 'button', class: 'danger', onclick: async () => {
        if (!confirm(`Delete the team ${t.name}? Its conversations keep their messages and lose the team.`)) return;
        await del(`/api/v1/teams/${t.id}`);
        await teamsPage(body);
      } }, 'Delete')));
  });
  const name = h('input', { required: true, 'aria-label': 'Team name', placeholder: 'Team name' });
  const tier = h('select', { 'aria-label': 'Tier' }, TIERS.map((x) => h('option', { value: x }, x)));
  const members = memberPicker([]);
  const form = h('form', { class: 'team-card new', onsubmit: async (e) => {
    e.preventDefault();
    try {
      await post('/api/v1/teams', { name: name.value, tier: tier.value, member_ids: picked(members) });
      await teamsPage(body);
    } catch (x) {
      toast(x.message, 'error');
    }
  } }, h('h3', null, 'New team'), name, h('label', null, 'Tier ', tier), h('label', null, 'Members', members),
  h('button', { type: 'submit', class: 'primary' }, 'Create team'));
  clear(body, h('h2', null, 'Teams'), h('div', { class: 'team-grid' }, cards, form));
}
