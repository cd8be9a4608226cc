/**
 * The fleet web page at `GET /` for browsers: server-rendered HTML with inline CSS and script (no
 * front-end build), readable on a phone, refreshed every two seconds from the admin API. The page
 * itself holds no data: it fetches /admin/fleet and /admin/requests, so the admin key guards what it
 * shows (a key field appears when the gateway asks for one; the key stays in this tab's storage).
 */
export function fleetPage(version: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cortex fleet</title>
<style>
  :root { color-scheme: light dark; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --bar: #8c959f33; }
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0 auto; padding: 12px; max-width: 1100px; }
  h1 { font-size: 20px; margin: 4px 0 12px; } h2 { font-size: 16px; margin: 18px 0 6px; }
  .muted { opacity: .7; } .ok { color: var(--ok); } .warn { color: var(--warn); } .bad { color: var(--bad); }
  .card { border: 1px solid var(--bar); border-radius: 8px; padding: 10px; margin: 8px 0; }
  .bar { background: var(--bar); border-radius: 4px; height: 8px; overflow: hidden; margin: 4px 0; }
  .bar > div { background: var(--ok); height: 100%; }
  table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: 4px 6px; border-bottom: 1px solid var(--bar); }
  .scroll { overflow-x: auto; } #key { display: none; } input { font: inherit; padding: 4px; }
  @media (max-width: 600px) { td, th { padding: 3px; font-size: 13px; } .hide-sm { display: none; } }
</style>
</head>
<body>
<h1>cortex fleet <span class="muted">v${version}</span> <span id="status"></span></h1>
<form id="key" class="card">The admin API needs a key: <input id="keyInput" type="password" placeholder="admin key"> <button>Use</button></form>
<div id="error" class="bad"></div>
<h2>Neurons and devices</h2><div id="neurons"></div>
<h2>Models</h2><div class="scroll"><table id="models"></table></div>
<h2>Recent requests</h2><div class="scroll"><table id="requests"></table></div>
<h2>Evictions and restarts</h2><div id="events"></div>
<p class="muted" id="updated"></p>
<script>
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
const cls = (s) => (s === 'ok' || s === 'loaded' || s === 'ready' || s === 'healthy' ? 'ok' : s === 'loading' || s === 'impaired' ? 'warn' : 'bad');
const ago = (t) => (t ? Math.max(0, Math.round((Date.now() - Date.parse(t)) / 1000)) + ' s ago' : '—');
$('key').onsubmit = (e) => { e.preventDefault(); sessionStorage.setItem('cortexKey', $('keyInput').value); tick(); };
async function get(path) {
  const key = sessionStorage.getItem('cortexKey');
  const res = await fetch(path, { headers: key ? { 'x-api-key': key } : {} });
  if (res.status === 401 || res.status === 403) { $('key').style.display = 'block'; throw new Error('the admin API refused this page (' + res.status + ')'); }
  if (!res.ok) throw new Error(path + ': HTTP ' + res.status);
  return res.json();
}
function render(fleet, log) {
  $('status').innerHTML = '<span class="' + cls(fleet.status) + '">' + esc(fleet.status) + '</span>';
  $('neurons').innerHTML = fleet.neurons.map((n) => '<div class="card"><b>' + esc(n.name) + '</b> <span class="' + cls(n.healthy ? 'healthy' : 'bad') + '">' + (n.healthy ? 'healthy' : 'unhealthy ' + esc(n.last_error)) + '</span>' +
    n.devices.map((d) => { const used = d.vram_free_mb == null ? 0 : d.vram_total_mb - d.vram_free_mb; const pct = d.vram_total_mb ? Math.round(100 * used / d.vram_total_mb) : 0;
      return '<div>' + esc(d.id) + ' <span class="' + cls(d.state) + '">' + esc(d.state) + '</span>' + (d.restarts ? ' · ' + d.restarts + ' restart(s)' : '') + ' · ' + used + ' / ' + d.vram_total_mb + ' MB<div class="bar"><div style="width:' + pct + '%"></div></div></div>'; }).join('') + '</div>').join('');
  const models = fleet.neurons.flatMap((n) => n.models.map((m) => ({ ...m, node: n.name })));
  $('models').innerHTML = '<tr><th>model</th><th>status</th><th>where</th><th>in flight</th><th>queue</th><th class="hide-sm">last used</th></tr>' +
    models.map((m) => '<tr data-model="' + esc(m.id) + '"><td>' + esc(m.id) + (m.pinned ? ' 📌' : '') + '</td><td class="' + cls(m.status) + '">' + esc(m.status) + (m.status === 'loading' && m.load_progress != null ? ' ' + Math.round(m.load_progress * 100) + '%' : '') +
      '</td><td>' + esc(m.node) + ' ' + esc(m.device) + '</td><td>' + m.in_flight + ' / ' + m.max_in_flight + '</td><td>' + m.queue_depth + '</td><td class="hide-sm">' + ago(m.last_used_at) + '</td></tr>').join('');
  $('requests').innerHTML = '<tr><th>time</th><th>route</th><th>model</th><th>status</th><th class="hide-sm">tokens</th><th>ms</th></tr>' +
    log.requests.slice(0, 20).map((r) => '<tr data-request="' + esc(r.request_id) + '"><td>' + esc(String(r.time).slice(11, 19)) + '</td><td>' + esc(r.route) + '</td><td>' + esc(r.model ?? '') + '</td><td class="' + (r.status < 400 ? 'ok' : 'bad') + '">' + esc(r.status) + (r.error ? ' ' + esc(r.error) : '') +
      '</td><td class="hide-sm">' + (r.prompt_tokens ?? '') + (r.completion_tokens != null ? ' → ' + r.completion_tokens : '') + '</td><td>' + esc(r.duration_ms) + '</td></tr>').join('');
  const restarts = fleet.neurons.flatMap((n) => n.devices.filter((d) => d.restarts).map((d) => ({ time: null, text: n.name + ' ' + d.id + ': ' + d.restarts + ' restart(s)' + (d.last_fault ? ' (' + d.last_fault + ')' : '') })));
  const events = [...log.events.map((e) => ({ time: e.time, text: e.text })), ...restarts];
  $('events').innerHTML = events.length ? events.slice(0, 20).map((e) => '<div>' + (e.time ? esc(String(e.time).slice(11, 19)) + ' ' : '') + esc(e.text) + '</div>').join('') : '<span class="muted">none</span>';
  $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
}
async function tick() {
  try { const [fleet, log] = await Promise.all([get('/admin/fleet'), get('/admin/requests')]); $('error').textContent = ''; $('key').style.display = 'none'; render(fleet, log); }
  catch (err) { $('error').textContent = err.message; }
}
tick(); setInterval(tick, 2000);
</script>
</body>
</html>
`;
}
