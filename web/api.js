// The public HTTP API, and the API key: kept in localStorage, sent as `Authorization: Bearer`,
// asked for when the server answers 401.

const KEY_STORAGE = 'montecell.apiKey';

/** An answer that is not 2xx, with its problem document (RFC 9457) when there is one. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }

  /** The field a 422 names (`inputs[1].distribution`), if any. */
  get field() {
    return this.problem?.errors?.[0]?.field ?? null;
  }
}

export function apiKey() {
  try {
    return localStorage.getItem(KEY_STORAGE) || '';
  } catch {
    return '';
  }
}

export function setApiKey(key) {
  try {
    if (key) localStorage.setItem(KEY_STORAGE, key);
    else localStorage.removeItem(KEY_STORAGE);
  } catch {
    // Storage disabled: the key lives for this page only.
  }
  sessionKey = key || '';
  keyListeners.forEach((f) => f(Boolean(key)));
}

let sessionKey = apiKey();
const keyListeners = [];

/** `f(hasKey)` whenever the key changes. */
export function onKeyChange(f) {
  keyListeners.push(f);
}

/**
 * Asks the user for a key (set by the app: it opens the dialog). Resolves with the key, or
 * null when the user declines.
 */
let askForKey = async () => null;
export function setKeyPrompt(f) {
  askForKey = f;
}

// One prompt at a time: requests that get 401 together wait for the same answer.
let pendingPrompt = null;
function promptOnce(reason) {
  if (!pendingPrompt) {
    pendingPrompt = Promise.resolve(askForKey(reason)).finally(() => {
      pendingPrompt = null;
    });
  }
  return pendingPrompt;
}

/**
 * `fetch` of an API path with the key. On 401 it asks for a key and tries again; any other
 * non-2xx answer throws an ApiError. Returns the Response.
 */
export async function request(path, options = {}) {
  for (let tries = 0; ; tries += 1) {
    const headers = new Headers(options.headers || {});
    const key = sessionKey || apiKey();
    if (key) headers.set('Authorization', `Bearer ${key}`);
    let res;
    try {
      res = await fetch(path, { ...options, headers });
    } catch (e) {
      throw new ApiError(0, { title: 'The server cannot be reached', detail: String(e?.message || e) });
    }
    if (res.status === 401 && tries < 5) {
      const problem = await readProblem(res);
      const reason = key ? 'The server refused this API key.' : (problem.detail || 'This server needs an API key.');
      const entered = await promptOnce(reason);
      if (!entered) throw new ApiError(401, { title: 'An API key is needed', detail: reason, ...problem });
      continue;
    }
    if (!res.ok) throw new ApiError(res.status, await readProblem(res));
    return res;
  }
}

async function readProblem(res) {
  const text = await res.text().catch(() => '');
  try {
    const p = JSON.parse(text);
    if (p && typeof p === 'object') return p;
  } catch {
    // not JSON
  }
  return { title: `HTTP ${res.status}`, detail: text.slice(0, 300) || res.statusText };
}

/** GET (or another method) returning JSON. */
export async function json(path, options = {}) {
  const res = await request(path, options);
  return res.json();
}

/** POST a JSON body, returning JSON. */
export async function postJson(path, body, options = {}) {
  return json(path, {
    ...options,
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(options.headers || {}) },
    body: JSON.stringify(body),
  });
}

export const api = {
  uploadModel: (file) =>
    json(`/v1/models?filename=${encodeURIComponent(file.name)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
      body: file,
    }),
  model: (id) => json(`/v1/models/${encodeURIComponent(id)}`),
  models: (cursor, limit = 10) =>
    json(`/v1/models?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`),
  cells: (modelId, sheet, range) =>
    json(`/v1/models/${encodeURIComponent(modelId)}/sheets/${encodeURIComponent(sheet)}/cells?range=${range}`),
  submit: (body) => postJson('/v1/simulations', body),
  simulation: (id) => json(`/v1/simulations/${encodeURIComponent(id)}`),
  simulations: (cursor, status, limit = 20) => {
    const q = new URLSearchParams({ limit: String(limit) });
    if (cursor) q.set('cursor', cursor);
    if (status) q.set('status', status);
    return json(`/v1/simulations?${q}`);
  },
  cancel: (id) => json(`/v1/simulations/${encodeURIComponent(id)}/cancel`, { method: 'POST' }),
  samplesCsv: async (id, output) =>
    (await request(`/v1/simulations/${encodeURIComponent(id)}/samples?output=${output}`)).blob(),
  /** One output's samples as numbers (NaN where the iteration was an error). */
  samples: async (id, output) => {
    const res = await request(`/v1/simulations/${encodeURIComponent(id)}/samples?output=${output}&format=binary`);
    const buf = await res.arrayBuffer();
    const view = new DataView(buf);
    const out = new Float64Array(buf.byteLength / 8);
    for (let i = 0; i < out.length; i += 1) out[i] = view.getFloat64(i * 8, true);
    return out;
  },
};
