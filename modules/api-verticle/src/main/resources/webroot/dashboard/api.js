// The API as the page uses it: the key (entered once, kept in this tab's sessionStorage), calls by
// contract entry name, and the status feed over a WebSocket that carries the key as a subprotocol
// (browsers cannot set an Authorization header on a WebSocket).
import { CONTRACT, pathOf } from './contract.js';

const KEY_ITEM = 'emcachers.api-key';

export const apiKey = {
  get: () => sessionStorage.getItem(KEY_ITEM),
  set: (key) => sessionStorage.setItem(KEY_ITEM, key.trim()),
  clear: () => sessionStorage.removeItem(KEY_ITEM),
};

/** A failed call: HTTP status and the API's error object ({code, message, details}). */
export class ApiError extends Error {
  constructor(status, body) {
    const error = body && body.error ? body.error : {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || 'http_' + status;
    this.details = Array.isArray(error.details) ? error.details : [];
  }
}

/** Absolute URL of an API path, relative to where the page is served (works behind a prefix). */
function urlOf(path) {
  return new URL('.' + path, document.baseURI);
}

/**
 * Calls contract entry `name`; resolves to {status, data}. Statuses the entry accepts (e.g. 503 of
 * a DOWN health) resolve too; other non-2xx answers reject with an ApiError.
 */
export async function call(name, { params = {}, body } = {}) {
  const entry = CONTRACT[name];
  const headers = { Accept: 'application/json' };
  const key = apiKey.get();
  if (entry.auth !== 'open' && key) {
    headers.Authorization = 'Bearer ' + key;
  }
  const init = { method: entry.method, headers, cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(urlOf(pathOf(name, params)), init);
  } catch (e) {
    throw new ApiError(0, { error: { code: 'unreachable', message: 'the node does not answer' } });
  }
  let data = null;
  try {
    data = await response.json();
  } catch (e) {
    data = null;
  }
  if (response.ok || (entry.accept || []).includes(response.status)) {
    return { status: response.status, data };
  }
  throw new ApiError(response.status, data);
}

/** The key as a WebSocket subprotocol token: base64url of its UTF-8 bytes, no padding. */
function keyProtocol(key) {
  let binary = '';
  for (const b of new TextEncoder().encode(key)) {
    binary += String.fromCharCode(b);
  }
  return CONTRACT.feed.key_prefix + btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Follows the status feed until stop() is called: onEvent(event) for each event, onState(text)
 * when the connection opens or closes. Reconnects with a growing delay (1 s .. 15 s).
 */
export function followFeed(onEvent, onState) {
  let socket = null;
  let stopped = false;
  let delay = 1000;
  let timer = null;
  const open = () => {
    const url = urlOf(CONTRACT.feed.path);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const protocols = [CONTRACT.feed.protocol];
    const key = apiKey.get();
    if (key) {
      protocols.push(keyProtocol(key));
    }
    socket = new WebSocket(url, protocols);
    socket.onopen = () => {
      delay = 1000;
      onState('live');
    };
    socket.onmessage = (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch (e) {
        return;
      }
      onEvent(event);
    };
    socket.onclose = () => {
      socket = null;
      if (stopped) {
        return;
      }
      onState('reconnecting');
      timer = setTimeout(open, delay);
      delay = Math.min(delay * 2, 15000);
    };
  };
  open();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
      if (socket) {
        socket.close();
      }
    },
  };
}
