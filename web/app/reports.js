// Reports page (#/reports): filters, charts as inline SVG built with DOM calls, tables with CSV
// downloads. Every figure comes from /api/v1/reports/*; agents get their own figures only.
import { get } from './api.js';
import { h, clear, toast } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const CHANNELS = ['email', 'widget', 'webform', 'api'];
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const COLORS = { a: '#2f5bea', b: '#18a058', warn: '#d93025', muted: '#c4cad4' };

function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, String(v));
  for (const c of children) if (c) el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

const day = (d) => d.toISOString().slice(0, 10);

const state = { from: day(new Date(Date.now() - 29 * 86400000)), to: day(new Date()), team_id: '', agent_id: '', channel: '', tag: '',
  tz: (Intl.DateTimeFormat().resolvedOptions().timeZone) || 'UTC' };

function query(extra = {}) {
  // The picked dates are sent as UTC midnights (the end day included); the zone only shapes
  // the day/hour buckets and the heat map.
  const q = new URLSearchParams();
  q.set('from', `${state.from}T00:00:00Z`);
  const to = new Date(`${state.to}T00:00:00Z`);
  to.setUTCDate(to.getUTCDate() + 1);
  q.set('to', to.toISOString().replace(/\.\d+Z$/, 'Z'));
  for (const k of ['team_id', 'agent_id', 'channel', 'tag', 'tz']) if (state[k]) q.set(k, state[k]);
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  return q.toString();
}

export function duration(sec) {
  if (sec === null || sec === undefined) return '–';
  if (sec < 60) return `${sec}s`;
  const m = Math.round(sec / 60);
  if (m < 60) return `${m}m`;
  const hrs = Math.floor(m / 60);
  if (hrs < 48) return `${hrs}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(hrs / 24)}d ${hrs % 24}h`;
}

const pct = (x) => (x === null || x === undefined ? '–' : `${(x * 100).toFixed(1)}%`);

export async function renderReports(pane, app) {
  const supervisor = app.me.role === 'admin' || app.me.role === 'supervisor';
  const body = h('div', { class: 'reports-body' });
  clear(pane, h('div', { class: 'admin-page reports-page', 'data-testid': 'reports-page' },
    h('h2', null, supervisor ? 'Reports' : 'My figures'), filters(app, supervisor, () => load(body, supervisor)), body));
  await load(body, supervisor);
}

function filters(app, supervisor, reload) {
  const input = (key, attrs) => h('input', { ...attrs, value: state[key], onchange: (e) => { state[key] = e.target.value.trim(); } });
  const select = (key, label, options) => h('select', { 'aria-label': label, onchange: (e) => { state[key] = e.target.value; } },
    h('option', { value: '' }, `Any ${label.toLowerCase()}`),
    options.map(([v, t]) => h('option', { value: v, selected: String(v) === String(state[key]) }, t)));
  return h('form', { class: 'inline-form report-filters', 'data-testid': 'report-filters', onsubmit: (e) => { e.preventDefault(); reload(); } },
    h('label', null, 'From ', input('from', { type: 'date', 'aria-label': 'From', required: true })),
    h('label', null, 'To ', input('to', { type: 'date', 'aria-label': 'To', required: true })),
    select('team_id', 'Team', [...app.teams.values()].map((t) => [t.id, t.name])),
    supervisor ? select('agent_id', 'Agent', [...app.agents.values()].map((a) => [a.id, a.name])) : null,
    select('channel', 'Channel', CHANNELS.map((c) => [c, c])),
    input('tag', { type: 'text', placeholder: 'Tag', 'aria-label': 'Tag', size: 10 }),
    input('tz', { type: 'text', 'aria-label': 'Time zone', size: 16 }),
    h('button', { type: 'submit', class: 'primary' }, 'Show'));
}

async function load(body, supervisor) {
  clear(body, h('p', { class: 'loading' }, 'Loading…'));
  const names = ['volume', 'times', 'sla', 'csat', 'backlog', 'heatmap', 'categories', 'tags'];
  if (supervisor) names.push('agents');
  let r;
  try {
    r = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await get(`/api/v1/reports/${n}?${query()}`)])));
  } catch (e) {
    clear(body, h('p', { class: 'error', role: 'alert' }, e.message));
    toast(e.message, 'error');
    return;
  }
  clear(body,
    section('volume', 'Conversations in and solved', volumeChart(r.volume),
      h('details', null, h('summary', null, 'Table'), table(r.volume.items, [['bucket', r.volume.granularity === 'hour' ? 'Hour' : 'Day'], ['created', 'In'], ['solved', 'Solved']]))),
    section('times', 'Response and resolution times', timesChart(r.times), table(r.times.items, [['metric', 'Metric'], ['clock', 'Clock'], ['count', 'Count'], ['median_s', 'Median', duration], ['p90_s', 'p90', duration]])),
    section('sla', 'SLA attainment', barChart(r.sla.items.map((i) => [i.target.replace('_', ' '), i.attainment === null ? 0 : i.attainment * 100, pct(i.attainment)]), 100),
      table(r.sla.items, [['target', 'Target'], ['met', 'Met'], ['breached', 'Breached'], ['running', 'Running'], ['attainment', 'Attainment', pct]])),
    section('csat', `CSAT ${pct(r.csat.score)} of ${r.csat.rated} rated`, barChart(r.csat.items.map((i) => [i.rating, i.count, i.count])),
      table(r.csat.items, [['rating', 'Rating'], ['count', 'Count']])),
    section('backlog', `Backlog by age (${r.backlog.total} open)`, barChart(r.backlog.items.map((i) => [i.bucket, i.count, i.count])),
      table(r.backlog.items, [['bucket', 'Age'], ['count', 'Conversations']])),
    section('heatmap', `Busiest hours (${r.heatmap.filters.tz})`, heatmap(r.heatmap), null),
    section('categories', 'Top categories', null, table(r.categories.items, trendCols('Category'))),
    section('tags', 'Top tags', null, table(r.tags.items, trendCols('Tag'))),
    supervisor ? section('agents', 'Agents', null, table(r.agents.items, [['name', 'Agent'], ['assigned', 'Assigned'], ['solved', 'Solved'],
      ['first_response_median_s', 'First response (median)', duration], ['first_response_median_business_s', 'business', duration],
      ['resolution_median_s', 'Resolution (median)', duration], ['resolution_median_business_s', 'business', duration],
      ['csat_rated', 'Rated'], ['csat_score', 'CSAT', pct]])) : null);
}

function trendCols(label) {
  return [['name', label], ['count', 'This period'], ['previous', 'Previous'],
    ['change_percent', 'Trend', (v) => (v === null ? 'new' : `${v > 0 ? '▲' : v < 0 ? '▼' : '='} ${Math.abs(v)}%`)]];
}

function section(name, title, chart, tbl) {
  return h('section', { class: 'report', 'data-testid': `report-${name}` },
    h('div', { class: 'report-head' }, h('h3', null, title),
      h('a', { href: `/api/v1/reports/${name}?${query({ format: 'csv' })}`, download: `report-${name}.csv`, 'data-testid': `csv-${name}` }, 'CSV')),
    chart, tbl);
}

function table(items, cols) {
  if (!items.length) return h('p', { class: 'muted' }, 'No data for these filters.');
  return h('table', { class: 'grid' }, h('thead', null, h('tr', null, cols.map((c) => h('th', null, c[1])))),
    h('tbody', null, items.map((it) => h('tr', null, cols.map(([k, , fmt]) => h('td', null, fmt ? fmt(it[k]) : (it[k] ?? '–')))))));
}

function chartBox(w, hgt, label) {
  return s('svg', { viewBox: `0 0 ${w} ${hgt}`, class: 'chart', role: 'img', 'aria-label': label, 'data-testid': 'chart' });
}

function volumeChart(v) {
  const items = v.items;
  const W = 720; const H = 180; const pad = 24;
  const max = Math.max(1, ...items.map((i) => Math.max(i.created, i.solved)));
  const svg = chartBox(W, H + pad, 'Conversations in (bars) and solved (line)');
  const step = (W - pad) / Math.max(1, items.length);
  const y = (n) => H - (n / max) * (H - 10);
  items.forEach((it, i) => {
    const bar = s('rect', { x: pad + i * step + 1, y: y(it.created), width: Math.max(1, step - 2), height: H - y(it.created), fill: COLORS.a, class: 'bar' },
      s('title', null, `${it.bucket}: ${it.created} in, ${it.solved} solved`));
    svg.appendChild(bar);
  });
  const pts = items.map((it, i) => `${pad + i * step + step / 2},${y(it.solved)}`).join(' ');
  svg.appendChild(s('polyline', { points: pts, fill: 'none', stroke: COLORS.b, 'stroke-width': 2 }));
  svg.appendChild(s('text', { x: 0, y: 12, class: 'axis' }, String(max)));
  svg.appendChild(s('line', { x1: pad, y1: H, x2: W, y2: H, stroke: COLORS.muted }));
  const every = Math.ceil(items.length / 8);
  items.forEach((it, i) => {
    if (i % every === 0) svg.appendChild(s('text', { x: pad + i * step, y: H + 16, class: 'axis' }, it.bucket.slice(5)));
  });
  return svg;
}

function barChart(rows, fixedMax) {
  const W = 480; const row = 22;
  const max = fixedMax || Math.max(1, ...rows.map((r) => r[1]));
  const svg = chartBox(W, rows.length * row + 4, 'Bar chart');
  rows.forEach(([label, value, text], i) => {
    const w = ((W - 220) * value) / max;
    svg.appendChild(s('text', { x: 0, y: i * row + 15, class: 'axis' }, label));
    svg.appendChild(s('rect', { x: 130, y: i * row + 4, width: Math.max(0, w), height: row - 8, fill: COLORS.a, class: 'bar' }, s('title', null, `${label}: ${text}`)));
    svg.appendChild(s('text', { x: 136 + w, y: i * row + 15, class: 'axis' }, String(text)));
  });
  return svg;
}

function timesChart(t) {
  const rows = [];
  for (const [key, label] of [['first_response', 'First response'], ['resolution', 'Resolution']]) {
    for (const clock of ['wall', 'business']) {
      rows.push([`${label} (${clock === 'wall' ? 'wall' : 'business'})`, t[key][clock].median_s || 0, `${duration(t[key][clock].median_s)} median, ${duration(t[key][clock].p90_s)} p90`]);
    }
  }
  return barChart(rows);
}

function heatmap(hm) {
  const cell = 22; const left = 36; const top = 16;
  const svg = chartBox(left + 24 * cell, top + 7 * cell, 'Conversations created by weekday and hour');
  for (let hr = 0; hr < 24; hr += 3) svg.appendChild(s('text', { x: left + hr * cell, y: 12, class: 'axis' }, String(hr)));
  DAYS.forEach((d, i) => svg.appendChild(s('text', { x: 0, y: top + i * cell + 15, class: 'axis' }, d)));
  for (const it of hm.items) {
    const i = DAYS.indexOf(it.weekday);
    const level = hm.max ? it.count / hm.max : 0;
    svg.appendChild(s('rect', { x: left + it.hour * cell, y: top + i * cell, width: cell - 2, height: cell - 2, rx: 3,
      fill: it.count ? COLORS.a : '#eef0f4', 'fill-opacity': it.count ? (0.15 + 0.85 * level).toFixed(2) : 1, class: 'cell' },
    s('title', null, `${it.weekday} ${it.hour}:00 — ${it.count}`)));
  }
  return svg;
}
