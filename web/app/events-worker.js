// A SharedWorker holding the one event stream of this browser and relaying it to every tab.
import { openStream } from './api.js';

const ports = new Set();
let state = 'connecting';
let started = false;

function broadcast(m) {
  if (m.kind === 'state') state = m.state;
  for (const p of ports) p.postMessage(m);
}

self.onconnect = (e) => {
  const port = e.ports[0];
  ports.add(port);
  port.onmessage = (m) => {
    if (m.data.kind === 'bye') ports.delete(port);
  };
  port.start();
  port.postMessage({ kind: 'state', state });
  if (!started) {
    started = true;
    openStream(broadcast);
  }
};
