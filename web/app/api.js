// The JSON API over the session cookie, and the live event stream.

let csrf = null;

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code;
  }
}

export function setCsrf(token) {
  csrf = token;
}

export async function api(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  let payload;
  if (body instanceof Blob) {
    payload = body;
    headers['Content-Type'] = opts.contentType || body.type || 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['Content-Type'] = 'application/json';
  }
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  const r = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  if (r.status === 204) return null;
  const text = await r.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!r.ok) {
    const e = data && data.error;
    throw new ApiError(r.status, e && e.code, e && e.message);
  }
  return data;
}

export const get = (p) => api('GET', p);
export const post = (p, b) => api('POST', p, b === undefined ? {} : b);
export const patch = (p, b) => api('PATCH', p, b);
export const del = (p) => api('DELETE', p);

// Every event type the workspace reacts to (EventSource delivers named events only to
// listeners registered for their name).
export const EVENT_TYPES = [
  'conversation.created', 'conversation.updated', 'message.created', 'message.delivery',
  'notification.created', 'presence', 'typing', 'stream.open', 'stream.reset',
  'agent.created', 'agent.updated', 'agent.deleted', 'team.created', 'team.updated', 'team.deleted',
  'contact.created', 'contact.updated', 'organization.updated', 'tag.created',
  'sla.warning', 'sla.breached',
];

// One event stream per browser, shared by the tabs through a SharedWorker (browsers allow
// about six connections per site); the same stream in the page where SharedWorker is missing.
export function connectEvents(onEvent, onState) {
  const deliver = (m) => {
    if (m.kind === 'event') onEvent(m.type, m.data, m.id);
    else if (m.kind === 'state') onState(m.state);
  };
  if (typeof SharedWorker !== 'undefined') {
    try {
      const w = new SharedWorker('/assets/events-worker.js', { type: 'module', name: 'switchboard-events' });
      w.port.onmessage = (m) => deliver(m.data);
      w.port.start();
      w.port.postMessage({ kind: 'hello' });
      window.addEventListener('pagehide', () => w.port.postMessage({ kind: 'bye' }));
      return;
    } catch {
      /* fall through */
    }
  }
  openStream(deliver);
}

// EventSource reconnects by itself and sends Last-Event-ID, so nothing is missed. When it
// gives up (the server answered an error while restarting), a new one resumes from the last
// id it saw through ?last_event_id=.
export function openStream(deliver) {
  let lastId = null;
  let es = null;
  let retry = 1000;
  const open = () => {
    es = new EventSource(lastId ? `/api/v1/events?last_event_id=${encodeURIComponent(lastId)}` : '/api/v1/events');
    for (const t of EVENT_TYPES) {
      es.addEventListener(t, (e) => {
        if (e.lastEventId) lastId = e.lastEventId;
        let data = null;
        try {
          data = JSON.parse(e.data);
        } catch {
          return;
        }
        deliver({ kind: 'event', type: t, data, id: e.lastEventId });
      });
    }
    es.onopen = () => {
      retry = 1000;
      deliver({ kind: 'state', state: 'live' });
    };
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED) {
        deliver({ kind: 'state', state: 'reconnecting' });
        setTimeout(open, retry);
        retry = Math.min(retry * 2, 15000);
      } else {
        deliver({ kind: 'state', state: 'reconnecting' });
      }
    };
  };
  open();
}
