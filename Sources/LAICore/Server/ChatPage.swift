// ChatPage: the built-in chat page served at /chat — one HTML file, inline CSS and JS, no external assets.
// It talks only to this server (root-relative URLs): GET /api/tags, POST /api/chat, POST /lai/v1/ask, all read as
// NDJSON streams; an API key typed into the page goes out as `Authorization: Bearer …`. Stable ids and classes
// (#model #prompt #send #messages .msg.user .msg.assistant #kb-toggle #kb-name #apikey .sources .error .stats,
// data-done / data-stopped on the assistant bubble) are what Tests/Fixtures/serve/test_chat_page.py drives.
package enum ChatPage {
    package static let html = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lai chat</title>
<link rel="icon" href="data:,">
<style>
:root { --bg:#f6f7f9; --panel:#fff; --fg:#1d2330; --muted:#6b7280; --line:#dfe3ea; --accent:#2f6fed;
  --user:#2f6fed; --userfg:#fff; --bot:#fff; --err:#b42318; --errbg:#fdecea; }
@media (prefers-color-scheme: dark) {
  :root { --bg:#14161b; --panel:#1c1f26; --fg:#e6e8ec; --muted:#9aa1ad; --line:#2c313b; --accent:#5b8cff;
    --user:#3d63c9; --userfg:#fff; --bot:#222630; --err:#ff8a80; --errbg:#3a1f1f; }
}
* { box-sizing: border-box; }
html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; background: var(--bg); color: var(--fg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 14px; padding: 10px 16px;
  background: var(--panel); border-bottom: 1px solid var(--line); }
header .brand { font-weight: 700; letter-spacing: .02em; margin-right: 4px; }
header label { display: flex; align-items: center; gap: 6px; color: var(--muted); font-size: 13px; }
header .spacer { flex: 1; }
select, input, textarea, button { font: inherit; color: inherit; }
select, input[type=text], input[type=password] { background: var(--bg); border: 1px solid var(--line);
  border-radius: 6px; padding: 5px 8px; }
#model { min-width: 180px; max-width: 280px; }
#kb-name { width: 110px; }
#kb-name.off { opacity: .5; }
#apikey { width: 150px; }
#apikey.need { border-color: var(--err); box-shadow: 0 0 0 2px var(--errbg); }
button { border: 1px solid var(--line); background: var(--panel); border-radius: 6px; padding: 5px 12px; cursor: pointer; }
button:hover { border-color: var(--accent); }
#messages { flex: 1; overflow-y: auto; padding: 18px 16px 8px; }
.turn, .empty { max-width: 820px; margin: 0 auto 14px; }
.empty { color: var(--muted); text-align: center; margin-top: 18vh; }
.msg { white-space: pre-wrap; overflow-wrap: anywhere; padding: 9px 13px; border-radius: 12px; width: fit-content; max-width: 100%; }
.msg.user { margin: 0 0 8px auto; background: var(--user); color: var(--userfg); border-bottom-right-radius: 4px; }
.msg.assistant { background: var(--bot); border: 1px solid var(--line); border-bottom-left-radius: 4px; min-width: 3em; }
.msg.assistant.waiting::after { content: "…"; color: var(--muted); animation: blink 1s infinite; }
.msg.assistant.hidden { display: none; }
.msg .note { color: var(--muted); font-style: italic; }
@keyframes blink { 50% { opacity: .3; } }
.stats { color: var(--muted); font-size: 12px; margin: 4px 2px 0; }
.sources { font-size: 13px; margin: 6px 0 0; padding-left: 26px; color: var(--muted); }
.sources li { margin: 2px 0; }
.sources .path { color: var(--fg); font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
.error { color: var(--err); background: var(--errbg); border-radius: 8px; padding: 7px 12px; margin-top: 6px; white-space: pre-wrap; }
footer { padding: 10px 16px 14px; background: var(--panel); border-top: 1px solid var(--line); }
footer form { display: flex; gap: 10px; max-width: 820px; margin: 0 auto; align-items: flex-end; }
#prompt { flex: 1; resize: none; min-height: 44px; max-height: 220px; padding: 10px 12px; border-radius: 10px;
  border: 1px solid var(--line); background: var(--bg); outline: none; }
#prompt:focus { border-color: var(--accent); }
#send { min-width: 76px; height: 44px; border-radius: 10px; background: var(--accent); border-color: var(--accent); color: #fff; font-weight: 600; }
#send.stop { background: var(--err); border-color: var(--err); }
</style>
</head>
<body>
<header>
  <span class="brand">lai</span>
  <select id="model" title="Model"><option value="">loading models…</option></select>
  <label title="Answer from a knowledge base (POST /lai/v1/ask)"><input type="checkbox" id="kb-toggle"> Knowledge base</label>
  <input type="text" id="kb-name" value="default" placeholder="kb name" title="Knowledge-base name" spellcheck="false">
  <span class="spacer"></span>
  <input type="password" id="apikey" placeholder="API key" title="Sent as Authorization: Bearer …" autocomplete="off">
  <button type="button" id="new-chat">New chat</button>
</header>
<main id="messages"><div class="empty">Pick a model and say something.</div></main>
<footer>
  <form id="composer">
    <textarea id="prompt" rows="1" placeholder="Message (Enter to send, Shift+Enter for a new line)"></textarea>
    <button type="submit" id="send">Send</button>
  </form>
</footer>
<script>
"use strict";
const $ = (id) => document.getElementById(id);
const store = {
  get: (k, d) => { try { const v = localStorage.getItem("lai." + k); return v === null ? d : v; } catch (e) { return d; } },
  set: (k, v) => { try { localStorage.setItem("lai." + k, v); } catch (e) {} },
};
const modelSel = $("model"), promptBox = $("prompt"), sendBtn = $("send"), messages = $("messages");
const kbToggle = $("kb-toggle"), kbName = $("kb-name"), apiKey = $("apikey");
let history = [];      // [{role, content}] sent to /api/chat
let controller = null; // AbortController of the stream in flight
let chatId = 0;        // bumped by New chat, so a stream it aborted leaves the new history alone

apiKey.value = store.get("apikey", "");
kbName.value = store.get("kb", "default");
kbToggle.checked = store.get("kbOn", "0") === "1";
kbName.classList.toggle("off", !kbToggle.checked);

function headers(json) {
  const h = {};
  if (json) h["Content-Type"] = "application/json";
  const key = apiKey.value.trim();
  if (key) h["Authorization"] = "Bearer " + key;
  return h;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function nearBottom() { return messages.scrollHeight - messages.scrollTop - messages.clientHeight < 80; }
function scrollDown(force) { if (force || nearBottom()) messages.scrollTop = messages.scrollHeight; }

function newTurn() {
  const empty = messages.querySelector(".empty");
  if (empty) empty.remove();
  const turn = el("div", "turn");
  messages.appendChild(turn);
  return turn;
}

function showError(turn, text) {
  (turn || newTurn()).appendChild(el("div", "error", text));
  scrollDown(true);
}

// A non-2xx response: its body is {"error": "..."}; 401 means an API key is needed.
async function errorText(resp) {
  let msg = "";
  try { const body = await resp.text(); try { msg = JSON.parse(body).error || body; } catch (e) { msg = body; } } catch (e) {}
  msg = (msg || resp.statusText || "request failed").toString().trim();
  if (resp.status === 401) {
    apiKey.classList.add("need");
    apiKey.focus();
    return "HTTP 401: " + msg + " — enter an API key in the field at the top right.";
  }
  return "HTTP " + resp.status + ": " + msg;
}

async function loadModels() {
  let resp;
  try { resp = await fetch("/api/tags", { headers: headers(false) }); }
  catch (e) { modelSel.innerHTML = ""; modelSel.appendChild(el("option", "", "server unreachable")); return; }
  if (!resp.ok) {
    const msg = await errorText(resp);
    modelSel.innerHTML = "";
    modelSel.appendChild(el("option", "", resp.status === 401 ? "API key needed" : "no models"));
    const stale = messages.querySelector(".turn.load-error");
    if (stale) stale.remove();
    const turn = newTurn();
    turn.classList.add("load-error");
    showError(turn, msg);
    return;
  }
  const stale = messages.querySelector(".turn.load-error");
  if (stale) stale.remove();
  const data = await resp.json();
  const names = (data.models || []).map((m) => m.name || m.model).filter(Boolean);
  modelSel.innerHTML = "";
  if (!names.length) { modelSel.appendChild(el("option", "", "no models installed")); return; }
  for (const n of names) { const o = el("option", "", n); o.value = n; modelSel.appendChild(o); }
  const saved = store.get("model", "");
  modelSel.value = names.includes(saved) ? saved : names[0];
}

// Reads an NDJSON body, calling onObject for each line as it arrives.
async function readNDJSON(resp, onObject) {
  const reader = resp.body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i).trim();
      buf = buf.slice(i + 1);
      if (line) onObject(JSON.parse(line));
    }
  }
  buf += decoder.decode();
  if (buf.trim()) onObject(JSON.parse(buf));
}

function setBusy(busy) {
  sendBtn.textContent = busy ? "Stop" : "Send";
  sendBtn.classList.toggle("stop", busy);
}

function renderStats(turn, final) {
  const parts = [];
  if (final && final.eval_count && final.eval_duration) {
    parts.push(final.eval_count + " tokens", (final.eval_count / final.eval_duration * 1e9).toFixed(1) + " tok/s");
  }
  if (final && final.total_duration) parts.push((final.total_duration / 1e9).toFixed(2) + " s");
  if (final && final.done_reason && final.done_reason !== "stop") parts.push("ended: " + final.done_reason);
  if (parts.length) turn.appendChild(el("div", "stats", parts.join(" · ")));
}

function renderSources(turn, sources) {
  if (!Array.isArray(sources) || !sources.length) return;
  const ol = el("ol", "sources");
  sources.forEach((s, i) => {
    const li = el("li");
    if (s.n) li.value = s.n;
    li.appendChild(el("span", "path", s.path || s.title || "?"));
    if (s.title && s.title !== s.path) li.appendChild(document.createTextNode(" — " + s.title));
    if (typeof s.score === "number") li.appendChild(document.createTextNode(" (score " + s.score.toFixed(2) + ")"));
    if (s.text) li.title = s.text;
    ol.appendChild(li);
  });
  turn.appendChild(ol);
}

async function send() {
  if (controller) { controller.abort(); return; }
  const text = promptBox.value.trim();
  if (!text) return;
  const model = modelSel.value;
  if (!model) { showError(null, "No model selected."); return; }
  const useKB = kbToggle.checked, myChat = chatId;
  const kb = kbName.value.trim() || "default";
  promptBox.value = "";
  autosize();

  const turn = newTurn();
  turn.appendChild(el("div", "msg user", text));
  const bubble = el("div", "msg assistant waiting");
  const textNode = document.createTextNode("");
  bubble.appendChild(textNode);
  turn.appendChild(bubble);
  scrollDown(true);

  const url = useKB ? "/lai/v1/ask" : "/api/chat";
  const body = useKB
    ? { model, kb, question: text, stream: true }
    : { model, messages: history.concat([{ role: "user", content: text }]), stream: true };
  controller = new AbortController();
  setBusy(true);
  let answer = "", final = null, stopped = false, failed = null;
  try {
    const resp = await fetch(url, { method: "POST", headers: headers(true), body: JSON.stringify(body), signal: controller.signal });
    if (!resp.ok) { failed = await errorText(resp); }
    else {
      apiKey.classList.remove("need");
      await readNDJSON(resp, (obj) => {
        if (obj.error) throw new Error(String(obj.error));
        const piece = useKB ? obj.response : (obj.message && obj.message.content);
        if (piece) {
          bubble.classList.remove("waiting");
          answer += piece;
          const stick = nearBottom();
          textNode.appendData(piece);
          scrollDown(stick);
        }
        if (obj.done) final = obj;
      });
    }
  } catch (e) {
    if (e && e.name === "AbortError") stopped = true;
    else { failed = (e && e.message) || String(e); controller.abort(); }
  }
  controller = null;
  setBusy(false);
  bubble.classList.remove("waiting");
  if (stopped) { bubble.appendChild(el("span", "note", (answer && !/\s$/.test(answer) ? " " : "") + "(stopped)")); bubble.dataset.stopped = "true"; }
  else if (!answer && failed) bubble.classList.add("hidden");
  bubble.dataset.done = "true";
  if (failed) showError(turn, failed);
  if (answer && myChat === chatId) history.push({ role: "user", content: text }, { role: "assistant", content: answer });
  renderStats(turn, final);
  if (final) renderSources(turn, final.sources);
  scrollDown(false);
  promptBox.focus();
}

function autosize() {
  promptBox.style.height = "auto";
  promptBox.style.height = Math.min(promptBox.scrollHeight + 2, 220) + "px";
}

$("composer").addEventListener("submit", (e) => { e.preventDefault(); send(); });
promptBox.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    if (!controller) send();
  }
});
promptBox.addEventListener("input", autosize);
modelSel.addEventListener("change", () => store.set("model", modelSel.value));
kbToggle.addEventListener("change", () => {
  store.set("kbOn", kbToggle.checked ? "1" : "0");
  kbName.classList.toggle("off", !kbToggle.checked);
});
kbName.addEventListener("input", () => store.set("kb", kbName.value.trim()));
apiKey.addEventListener("input", () => { store.set("apikey", apiKey.value.trim()); apiKey.classList.remove("need"); });
apiKey.addEventListener("change", loadModels);
$("new-chat").addEventListener("click", () => {
  if (controller) controller.abort();
  chatId++;
  history = [];
  messages.innerHTML = "";
  messages.appendChild(el("div", "empty", "New chat. Say something."));
  promptBox.focus();
});

loadModels();
promptBox.focus();
</script>
</body>
</html>
"""#
}
