/* Switchboard chat widget: one <script src="https://support.example.com/widget.js" async>
 * tag. It talks to the server it was loaded from, renders in an open shadow root (the host
 * page's CSS cannot break it, its CSS comes by <link>, nothing inline), shows every message as
 * text, and keeps the visitor token in localStorage so the conversation survives a reload.
 * Docs: docs/widget.md. No framework, no build step. */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || window.__switchboardWidget) return;
  window.__switchboardWidget = true;
  var ORIGIN = new URL(script.src, location.href).origin;
  var API = ORIGIN + '/api/v1/widget';
  var KEY = 'switchboard:' + ORIGIN;
  var MAX_FILE = 10 * 1024 * 1024;
  var TYPING_SHOW_MS = 6000;

  var st = {
    token: load('token'), conv: +load('conv') || 0, lastMsg: 0, lastEvent: '', seen: {},
    config: null, me: null, identity: null, es: null, poll: 0, typingSent: 0, typingTimer: 0,
    open: load('open') === '1', sending: false
  };

  function load(k) { try { return localStorage.getItem(KEY + ':' + k); } catch (e) { return null; } }
  function save(k, v) {
    try { if (v == null || v === '') localStorage.removeItem(KEY + ':' + k); else localStorage.setItem(KEY + ':' + k, String(v)); } catch (e) { /* private mode */ }
  }

  /* Icons as SVG paths: no emoji font needed, nothing inline for the CSP to block. */
  function icon(d) {
    var NS = 'http://www.w3.org/2000/svg';
    var svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24'); svg.setAttribute('aria-hidden', 'true'); svg.setAttribute('focusable', 'false');
    var p = document.createElementNS(NS, 'path');
    p.setAttribute('d', d);
    svg.appendChild(p);
    return svg;
  }
  var CHAT = 'M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z';
  var CLIP = 'M16.5 6.5l-8 8a2 2 0 0 0 2.8 2.8l8.2-8.2a4 4 0 0 0-5.7-5.7L5.6 11.6a6 6 0 0 0 8.5 8.5l6.4-6.4';

  function el(tag, attrs, text) {
    var n = document.createElement(tag);
    for (var k in attrs || {}) n.setAttribute(k, attrs[k]);
    if (text != null) n.textContent = text;
    return n;
  }

  function api(method, path, body, raw) {
    var headers = {};
    if (st.token) headers['X-Visitor-Token'] = st.token;
    var init = { method: method, headers: headers, credentials: 'omit', mode: 'cors' };
    if (raw) { init.body = raw.data; headers['Content-Type'] = raw.type || 'application/octet-stream'; }
    else if (body) { init.body = JSON.stringify(body); headers['Content-Type'] = 'application/json'; }
    return fetch(API + path, init).then(function (r) {
      if (r.status === 204) return null;
      return r.json().then(function (j) {
        if (r.status === 401 && headers['X-Visitor-Token'] && st.token === headers['X-Visitor-Token']) {
          /* a stale token (the server's data changed): forget it, the next message starts afresh */
          st.token = null; st.conv = 0; save('token', ''); save('conv', '');
        }
        if (!r.ok) { var e = new Error((j && j.error && j.error.message) || ('HTTP ' + r.status)); e.status = r.status; throw e; }
        return j;
      });
    });
  }

  /* ---- DOM (inside an open shadow root) ---- */
  var host = el('div', { id: 'switchboard-widget', 'data-switchboard-widget': '' });
  var root = host.attachShadow({ mode: 'open' });
  var css = el('link', { rel: 'stylesheet', href: ORIGIN + '/widget.css' });
  var launcher = el('button', { type: 'button', 'class': 'launcher', 'data-testid': 'widget-launcher', 'aria-label': 'Open chat', 'aria-expanded': 'false', 'aria-controls': 'sb-panel' });
  launcher.appendChild(icon(CHAT));
  var panel = el('section', { id: 'sb-panel', 'class': 'panel', role: 'dialog', 'aria-modal': 'false', 'aria-labelledby': 'sb-title', hidden: '' });
  var head = el('header', { 'class': 'head' });
  var title = el('h2', { id: 'sb-title' }, 'Chat');
  var closeBtn = el('button', { type: 'button', 'class': 'close', 'aria-label': 'Close chat' }, '\u00D7');
  head.appendChild(title); head.appendChild(closeBtn);
  var log = el('div', { 'class': 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', tabindex: '0' });
  var greeting = el('p', { 'class': 'greeting' });
  log.appendChild(greeting);
  var away = el('p', { 'class': 'away', 'data-testid': 'widget-away', hidden: '' });
  log.appendChild(away);
  /* "Did this solve it?" while the conversation is solved; the rating once a survey was sent */
  var feedback = el('div', { 'class': 'feedback', 'data-testid': 'widget-feedback', hidden: '' });
  var typing = el('div', { 'class': 'typing', 'aria-live': 'polite', 'data-testid': 'widget-typing' });
  var lead = el('form', { 'class': 'lead', hidden: '' });
  var leadLabel = el('label', { 'for': 'sb-lead-email' }, 'Leave your email so the team can reach you later:');
  var leadInput = el('input', { id: 'sb-lead-email', type: 'email', autocomplete: 'email', placeholder: 'you@example.com', required: '', 'data-testid': 'widget-email' });
  var leadBtn = el('button', { type: 'submit' }, 'Save');
  lead.appendChild(leadLabel); lead.appendChild(leadInput); lead.appendChild(leadBtn);
  var status = el('div', { 'class': 'status', role: 'status' });
  var form = el('form', { 'class': 'composer' });
  var file = el('input', { type: 'file', 'class': 'file', tabindex: '-1', 'aria-hidden': 'true', 'data-testid': 'widget-file' });
  var attach = el('button', { type: 'button', 'class': 'attach', 'aria-label': 'Attach a file', 'data-testid': 'widget-attach' });
  attach.appendChild(icon(CLIP));
  var input = el('textarea', { rows: '1', placeholder: 'Write a message\u2026', 'aria-label': 'Message', 'data-testid': 'widget-input', maxlength: '16000' });
  var send = el('button', { type: 'submit', 'class': 'send', 'aria-label': 'Send message', 'data-testid': 'widget-send' }, 'Send');
  form.appendChild(file); form.appendChild(attach); form.appendChild(input); form.appendChild(send);
  [head, log, typing, feedback, lead, status, form].forEach(function (n) { panel.appendChild(n); });
  root.appendChild(css); root.appendChild(launcher); root.appendChild(panel);

  function setStatus(text) { status.textContent = text || ''; }

  function applyConfig(c) {
    st.config = c;
    title.textContent = c.title || 'Chat';
    greeting.textContent = c.greeting || '';
    greeting.hidden = !c.greeting;
    away.textContent = c.away || '';
    away.hidden = !c.away;
    if (/^#[0-9a-fA-F]{6}$/.test(c.accent_color || '')) host.style.setProperty('--sb-accent', c.accent_color); /* CSSOM: allowed under a strict CSP */
  }

  function show(open) {
    st.open = open;
    save('open', open ? '1' : '');
    panel.hidden = !open;
    launcher.setAttribute('aria-expanded', open ? 'true' : 'false');
    launcher.setAttribute('aria-label', open ? 'Close chat' : 'Open chat');
    host.classList.toggle('sb-open', open);
    if (open) {
      launcher.classList.remove('unread');
      input.focus();
      log.scrollTop = log.scrollHeight;
    }
  }

  /* ---- messages ---- */
  function fmtTime(ts) {
    var d = new Date(ts);
    return isNaN(d) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  }

  function fetchFile(att) {
    fetch(API + '/attachments/' + att.id, { headers: { 'X-Visitor-Token': st.token }, credentials: 'omit' })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.blob(); })
      .then(function (b) {
        var a = el('a', { href: URL.createObjectURL(b), download: att.filename });
        root.appendChild(a); a.click(); a.remove();
        setTimeout(function () { URL.revokeObjectURL(a.href); }, 10000);
      })
      .catch(function () { setStatus('The file could not be downloaded.'); });
  }

  /* The answer bot's message carries its Yes/No link: in the chat it becomes two buttons. */
  function botButtons(item, body) {
    var hit = /\/help\/bot\/(\d+)\?t=([0-9a-f]{64})/.exec(body);
    if (!hit) return;
    var box = el('div', { 'class': 'feedback bot' });
    function reply(helpful) {
      fetch(ORIGIN + '/api/v1/bot/attempts/' + hit[1] + '/feedback', { method: 'POST', credentials: 'omit', mode: 'cors',
        headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: hit[2], helpful: helpful }) })
        .then(function (r) {
          while (box.firstChild) box.removeChild(box.firstChild);
          box.appendChild(el('p', { 'data-testid': 'widget-bot-done' }, !r.ok && r.status !== 409 ? 'Not sent, please write to us.'
            : helpful ? 'Glad it helped!' : 'A person from the team will answer here.'));
        });
    }
    var yes = el('button', { type: 'button', 'data-testid': 'widget-bot-yes' }, 'Yes, this solved it');
    var no = el('button', { type: 'button', 'data-testid': 'widget-bot-no' }, 'No, talk to a person');
    yes.addEventListener('click', function () { reply(true); });
    no.addEventListener('click', function () { reply(false); });
    box.appendChild(yes); box.appendChild(no);
    item.appendChild(box);
  }

  function render(m) {
    if (st.seen[m.id]) return;
    st.seen[m.id] = true;
    if (m.id > st.lastMsg) st.lastMsg = m.id;
    var mine = m.direction === 'in';
    var item = el('div', { 'class': 'msg ' + (mine ? 'mine' : 'theirs'), 'data-testid': 'widget-message', 'data-direction': m.direction, 'data-message-id': String(m.id) });
    item.appendChild(el('span', { 'class': 'who' }, mine ? 'You' : (m.author || 'Support')));
    if (m.body) item.appendChild(el('p', { 'class': 'body' }, m.body));
    if (!mine) botButtons(item, m.body || '');
    (m.attachments || []).forEach(function (a) {
      var b = el('button', { type: 'button', 'class': 'file-link', 'data-testid': 'widget-attachment', 'aria-label': 'Download ' + a.filename });
      b.appendChild(icon(CLIP));
      b.appendChild(el('span', null, a.filename));
      b.addEventListener('click', function () { fetchFile(a); });
      item.appendChild(b);
    });
    item.appendChild(el('time', { datetime: m.created_at }, fmtTime(m.created_at)));
    log.appendChild(item);
    log.scrollTop = log.scrollHeight;
    if (!mine) {
      hideTyping();
      if (!st.open) { launcher.classList.add('unread'); launcher.setAttribute('aria-label', 'Open chat (new message)'); }
    }
  }

  var RATINGS = [['excellent', 'Excellent'], ['good', 'Good'], ['okay', 'Okay'], ['poor', 'Poor']];

  function button(label, testid, onclick) {
    var b = el('button', { type: 'button', 'data-testid': testid }, label);
    b.addEventListener('click', onclick);
    return b;
  }

  function answer(path, body, done) {
    fetch(API.replace(/\/widget$/, '/public') + path, { method: 'POST', credentials: 'omit', mode: 'cors',
      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
      .then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.json(); })
      .then(done).catch(function (e) { setStatus('Not sent: ' + e.message); });
  }

  function renderFeedback(c) {
    while (feedback.firstChild) feedback.removeChild(feedback.firstChild);
    feedback.hidden = true;
    if (!c) return;
    if (c.resolution_token) {
      feedback.appendChild(el('p', null, 'Did this solve your problem?'));
      feedback.appendChild(button('Yes, solved', 'widget-resolved-yes', function () {
        answer('/resolution', { token: c.resolution_token, solved: true }, refreshConversation);
      }));
      feedback.appendChild(button('No, I still need help', 'widget-resolved-no', function () {
        answer('/resolution', { token: c.resolution_token, solved: false }, refreshConversation);
      }));
      feedback.hidden = false;
    } else if (c.csat && !c.csat.rating) {
      feedback.appendChild(el('p', null, 'How would you rate the help you received?'));
      RATINGS.forEach(function (r) {
        feedback.appendChild(button(r[1], 'widget-csat-' + r[0], function () {
          answer('/csat', { token: c.csat.token, rating: r[0] }, function () { c.csat.rating = r[0]; renderFeedback(c); });
        }));
      });
      feedback.hidden = false;
    } else if (c.csat && c.csat.rating) {
      feedback.appendChild(el('p', { 'data-testid': 'widget-csat-thanks' }, 'Thank you for your rating!'));
      feedback.hidden = false;
    }
  }

  function refreshConversation() {
    if (!st.conv || !st.token) return renderFeedback(null);
    var conv = st.conv;
    api('GET', '/conversations/' + conv).then(function (c) { if (conv === st.conv) renderFeedback(c); })
      .catch(function () { renderFeedback(null); });
  }

  function fetchMessages() {
    if (!st.conv || !st.token) return Promise.resolve();
    var conv = st.conv;
    return api('GET', '/conversations/' + conv + '/messages' + (st.lastMsg ? '?after=' + st.lastMsg : ''))
      .then(function (j) {
        if (conv !== st.conv) return null;
        j.items.forEach(render);
        return j.items.length >= 200 ? fetchMessages() : null; /* a full page: read on to the newest */
      })
      .catch(function (e) { if (e.status === 404) switchConv(0); });
  }

  function switchConv(id) {
    if (id === st.conv) return;
    st.conv = id; save('conv', id || '');
    st.lastMsg = 0; st.seen = {};
    Array.prototype.slice.call(log.querySelectorAll('.msg')).forEach(function (n) { n.remove(); });
  }

  /* ---- realtime: SSE with Last-Event-ID, polling when EventSource cannot work ---- */
  function connect() {
    if (!st.token || st.es || st.poll) return;
    if (typeof EventSource !== 'function') return startPolling();
    var url = API + '/events?visitor_token=' + encodeURIComponent(st.token) + (st.lastEvent ? '&last_event_id=' + encodeURIComponent(st.lastEvent) : '');
    var es = new EventSource(url);
    var failures = 0;
    st.es = es;
    function onEvent(e) {
      if (e.lastEventId) st.lastEvent = e.lastEventId;
      var d; try { d = JSON.parse(e.data); } catch (x) { return; }
      if (d.conversation_id === st.conv) {
        fetchMessages();
        if (e.type === 'conversation.updated') refreshConversation();
      }
    }
    ['message.created', 'conversation.created', 'conversation.updated'].forEach(function (t) { es.addEventListener(t, onEvent); });
    es.addEventListener('typing', function (e) {
      var d; try { d = JSON.parse(e.data); } catch (x) { return; }
      if (d.conversation_id === st.conv && d.who === 'agent') showTyping(d.name);
    });
    es.onopen = function () { failures = 0; fetchMessages(); /* whatever happened while we were away */ };
    es.onerror = function () {
      failures++;
      if (es.readyState === 2 || failures > 5) { es.close(); st.es = null; startPolling(); }
    };
  }

  function startPolling() {
    if (st.poll) return;
    st.poll = setInterval(function () { fetchMessages(); refreshConversation(); }, 4000);
    /* try the stream again later: the failure may have been a passing network problem */
    setTimeout(function () { clearInterval(st.poll); st.poll = 0; connect(); }, 60000);
  }

  function showTyping(name) {
    typing.textContent = (name || 'Support') + ' is typing\u2026';
    typing.classList.add('on');
    clearTimeout(st.typingTimer);
    st.typingTimer = setTimeout(hideTyping, TYPING_SHOW_MS);
  }
  function hideTyping() { typing.textContent = ''; typing.classList.remove('on'); }

  function sendTyping(on) {
    if (!st.conv || !st.token) return;
    var now = Date.now();
    if (on && now - st.typingSent < 3000) return;
    st.typingSent = on ? now : 0;
    api('POST', '/typing', { conversation_id: st.conv, typing: on }).catch(function () {});
  }

  /* ---- sessions ---- */
  function identityFromScript() {
    var d = script.dataset;
    if (!d.userId) return null;
    return { user_id: d.userId, user_hash: d.userHash, name: d.userName, email: d.userEmail };
  }

  function startSession() {
    var body = {};
    if (st.token) body.visitor_token = st.token;
    var id = st.identity;
    if (id) {
      body.user_id = String(id.user_id); body.user_hash = String(id.user_hash || '');
      if (id.name) body.name = String(id.name);
      if (id.email) body.email = String(id.email);
    }
    return api('POST', '/session', body).then(function (j) {
      if (j.visitor_token !== st.token) { closeStream(); switchConv(0); }
      st.token = j.visitor_token; save('token', st.token);
      st.me = { verified: j.verified };
      return j;
    });
  }

  function ensureSession() { return st.token ? Promise.resolve() : startSession(); }

  function closeStream() {
    if (st.es) { st.es.close(); st.es = null; }
    if (st.poll) { clearInterval(st.poll); st.poll = 0; }
    st.lastEvent = '';
  }

  function resume() {
    if (!st.token) return Promise.resolve();
    return api('GET', '/conversations').then(function (j) {
      var ids = j.items.map(function (c) { return c.id; });
      if (ids.indexOf(st.conv) < 0) switchConv(ids[0] || 0);
      refreshConversation();
      return fetchMessages();
    }).then(function () {
      connect();
      return api('GET', '/me');
    }).then(function (me) {
      st.me = me;
      lead.hidden = !(me && !me.verified && !me.email && st.conv);
    }).catch(function (e) {
      if (e.status === 401) { st.token = null; save('token', ''); switchConv(0); closeStream(); }
    });
  }

  /* ---- sending ---- */
  function postText(text, attachments) {
    return ensureSession().then(function () {
      if (!st.conv) {
        return api('POST', '/conversations', { body: text || (attachments ? 'Sent a file' : '') }).then(function (c) {
          switchConv(c.id);
          return attachments ? api('POST', '/conversations/' + c.id + '/messages', { body: '', attachments: attachments }) : null;
        }).then(function () {
          connect();
          if (st.me && !st.me.verified) lead.hidden = false;
          return fetchMessages();
        });
      }
      return api('POST', '/conversations/' + st.conv + '/messages', { body: text, attachments: attachments || undefined }).then(function (m) {
        if (m.conversation_id !== st.conv) switchConv(m.conversation_id); /* a closed chat continues in a new one */
        return fetchMessages();
      });
    });
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var text = input.value.trim();
    if (!text || st.sending) return;
    st.sending = true; send.disabled = true; setStatus('');
    postText(text).then(function () {
      input.value = '';
      sendTyping(false);
    }).catch(function (err) { setStatus('Not sent: ' + err.message); })
      .then(function () { st.sending = false; send.disabled = false; input.focus(); });
  });

  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event('submit')); }
  });
  input.addEventListener('input', function () { if (input.value) sendTyping(true); });

  attach.addEventListener('click', function () { file.click(); });
  file.addEventListener('change', function () {
    var f = file.files && file.files[0];
    file.value = '';
    if (!f) return;
    if (f.size > MAX_FILE) { setStatus('Files can be at most 10 MB.'); return; }
    if (f.size === 0) { setStatus('That file is empty.'); return; }
    setStatus('Uploading ' + f.name + '\u2026');
    ensureSession().then(function () {
      return api('POST', '/uploads?filename=' + encodeURIComponent(f.name), null, { data: f, type: f.type });
    }).then(function (up) {
      return postText('', [{ sha256: up.sha256, filename: up.filename, content_type: up.content_type, receipt: up.receipt }]);
    }).then(function () { setStatus(''); })
      .catch(function (err) { setStatus('Not sent: ' + err.message); });
  });

  lead.addEventListener('submit', function (e) {
    e.preventDefault();
    var email = leadInput.value.trim();
    if (!email) return;
    api('PATCH', '/me', { email: email }).then(function (me) {
      st.me = me; lead.hidden = true; setStatus('Thanks! The team can reach you at ' + me.email + '.');
    }).catch(function (err) { setStatus(err.message); });
  });

  launcher.addEventListener('click', function () { show(!st.open); });
  closeBtn.addEventListener('click', function () { show(false); launcher.focus(); });
  panel.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') { e.stopPropagation(); show(false); launcher.focus(); }
  });

  /* ---- public API: window.Switchboard ---- */
  var pub = window.Switchboard || {};
  pub.open = function () { show(true); };
  pub.close = function () { show(false); };
  pub.identify = function (user) {
    if (!user || !user.user_id) return Promise.reject(new Error('identify needs user_id and user_hash'));
    st.identity = user;
    return startSession().then(resume);
  };
  /* Call when the site's user logs out: this browser forgets the conversation. */
  pub.logout = function () {
    closeStream(); st.token = null; st.identity = null; save('token', ''); switchConv(0);
    lead.hidden = true;
  };
  window.Switchboard = pub;

  function start() {
    document.body.appendChild(host);
    st.identity = st.identity || (pub.user && pub.user.user_id ? pub.user : null) || identityFromScript();
    api('GET', '/config').then(function (c) {
      applyConfig(c);
      if (!c.enabled && !st.token) { host.remove(); return; }
      host.classList.add('sb-ready');
      if (st.open) show(true);
      return (st.identity ? startSession() : Promise.resolve()).then(resume);
    }).catch(function (e) { setStatus('Chat is unavailable right now.'); if (typeof console !== 'undefined') console.warn('switchboard widget:', e.message); });
  }

  if (document.body) start(); else document.addEventListener('DOMContentLoaded', start);
})();
