// councilqa search page: plain JavaScript, no external resources.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { reports: {}, passages: [], query: "" };

function escapeHtml(text) {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;",
    '"': "&quot;", "'": "&#39;" }[c]));
}

// Report text as HTML: "### heading" lines in bold, **bold** rendered, bare page-number
// lines ("82") left out, and the characters inside `spans` (absolute report offsets;
// `offset` is the offset of text[0]) wrapped in <mark>. Everything is escaped.
function renderSource(text, offset, spans) {
  const marked = new Uint8Array(text.length);
  for (const s of spans || []) {
    for (let i = Math.max(0, s.start - offset); i < Math.min(text.length, s.end - offset); i++) {
      marked[i] = 1;
    }
  }
  const tag = "<mark>";
  const lines = [];
  let pos = 0;
  for (const line of text.split("\n")) {
    const at = pos;
    pos += line.length + 1;
    if (/^\s*\d{1,4}\s*$/.test(line)) continue;
    const heading = /^\s*#{1,6}\s+/.exec(line);
    let i = heading ? heading[0].length : 0;
    let bold = false;
    let mark = false;
    let html = "";
    while (i < line.length) {
      if (line.startsWith("**", i)) {
        if (mark) html += "</mark>";
        html += bold ? "</strong>" : "<strong>";
        if (mark) html += tag;
        bold = !bold;
        i += 2;
        continue;
      }
      const m = marked[at + i] === 1;
      if (m !== mark) html += m ? tag : "</mark>";
      mark = m;
      html += escapeHtml(line[i]);
      i++;
    }
    if (mark) html += "</mark>";
    if (bold) html += "</strong>";
    lines.push(heading ? `<strong class="heading">${html}</strong>` : html);
  }
  return lines.join("<br>").replace(/(<br>){3,}/g, "<br><br>");
}

function pagesLabel(pages) {
  if (!pages || !pages.length) return "";
  return pages[0] === pages[pages.length - 1] ? `p. ${pages[0]}` : `pp. ${pages[0]}–${pages[pages.length - 1]}`;
}

function setStatus(message, isError = false) {
  $("status").textContent = message;
  $("status").classList.toggle("error", isError);
}

async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, options);
  } catch (err) {
    throw new Error("Cannot reach the councilqa service. Is it running?");
  }
  if (!response.ok) {
    let detail = `The service answered ${response.status}.`;
    try { detail = (await response.json()).detail || detail; } catch (e) { /* not JSON */ }
    throw new Error(detail);
  }
  return response;
}

async function loadFilters() {
  try {
    const [docs, councils] = await Promise.all([
      api("/documents").then((r) => r.json()), api("/councils").then((r) => r.json())]);
    for (const d of docs) {
      state.reports[d.source] = d;
      $("source").add(new Option(`${d.title} (${d.year})`, d.source));
    }
    for (const c of councils) $("council").add(new Option(c.council, c.council));
  } catch (err) {
    setStatus(err.message, true);
  }
}

function request(query) {
  const body = { query, top_k: 8, mode: $("mode").value, generate: $("generate").checked,
    filters: {} };
  if ($("council").value) body.filters.councils = [$("council").value];
  if ($("source").value) body.filters.sources = [$("source").value];
  return body;
}

function renderPassages(passages) {
  state.passages = passages;
  const list = $("passages");
  list.replaceChildren();
  $("passages-title").hidden = !passages.length;
  passages.forEach((p, i) => {
    const n = i + 1;
    const report = state.reports[p.source];
    const li = document.createElement("li");
    li.innerHTML = `<article class="passage" id="passage-${n}" tabindex="-1">
      <h3><span class="num">[${n}]</span> ${escapeHtml(p.title)}</h3>
      <div class="meta">${escapeHtml(p.councils.join(", ") || "Council not named")} ·
        ${escapeHtml(report ? `${report.title}, ${report.year}` : p.source)}
        ${p.section ? " · " + escapeHtml(p.section) : ""}
        ${p.pages ? " · " + pagesLabel(p.pages) : ""}</div>
      <p>${renderSource(p.text, p.start, p.highlights)}</p>
      <button type="button" class="read" data-n="${n}">Read in report</button>
    </article>`;
    list.append(li);
  });
}

// Answer text: escaped, line breaks kept, runs of "- " lines as a list, [n] as links to passage n.
function renderAnswerText(text) {
  const cite = (line) => escapeHtml(line).replace(/\[(\d+)\]/g, (m, n) =>
    Number(n) >= 1 && Number(n) <= state.passages.length
      ? `<a href="#passage-${n}" class="cite" data-n="${n}" title="Passage ${n}: jump to it and read it in the report">[${n}]</a>`
      : m);
  const blocks = [];
  for (const line of text.split("\n")) {
    const item = /^\s*[-*•]\s+(.*)$/.exec(line);
    const last = blocks[blocks.length - 1];
    if (item) {
      if (last && last.list) last.lines.push(item[1]);
      else blocks.push({ list: true, lines: [item[1]] });
    } else if (!line.trim()) {
      blocks.push({ list: false, lines: [] });
    } else if (last && !last.list && last.lines.length) {
      last.lines.push(line);
    } else {
      blocks.push({ list: false, lines: [line] });
    }
  }
  return blocks.filter((blk) => blk.lines.length).map((blk) => blk.list
    ? `<ul>${blk.lines.map((l) => `<li>${cite(l)}</li>`).join("")}</ul>`
    : `<p>${blk.lines.map(cite).join("<br>")}</p>`).join("");
}

function renderAnswer(data) {
  const box = $("answer");
  box.hidden = false;
  box.classList.toggle("abstained", data.abstained);
  let html = data.abstained
    ? `<h2>The reports don't say.</h2><p class="notice">${escapeHtml(data.reason)}</p>`
    : `<h2>Answer</h2>${renderAnswerText(data.answer.text)}`;
  if (data.llm && data.llm.error) {
    html += `<p class="notice">LLM: ${escapeHtml(data.llm.error)} (showing the answer built from the passages)</p>`;
  }
  box.innerHTML = html;
  $("passages-title").textContent = data.abstained ? "Closest passages" : "Passages";
}

// One server-sent event block -> {event, data}; data lines are joined as the SSE spec says.
function parseEvent(block) {
  let event = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  return { event, data: data.length ? JSON.parse(data.join("\n")) : null };
}

async function streamAsk(body) {
  const response = await api("/ask", { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...body, stream: true }) });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  let draft = "";
  let finished = false;
  $("answer").hidden = false;
  $("answer").classList.remove("abstained");
  $("answer").innerHTML = '<h2>Answer</h2><p class="draft"></p>';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const { event, data } = parseEvent(buffer.slice(0, cut));
      buffer = buffer.slice(cut + 2);
      if (event === "passages") {
        renderPassages(data);
        setStatus("Writing the answer…");
      } else if (event === "delta") {
        draft += data.text;
        const p = $("answer").querySelector("p.draft");
        if (p) p.textContent = draft;
      } else if (event === "done") {
        renderPassages(data.passages);
        renderAnswer(data);
        finished = true;
      }
    }
  }
  if (!finished) throw new Error("The answer stream ended early; try again.");
}

async function search(event) {
  event.preventDefault();
  const query = $("q").value.trim();
  if (!query) {
    setStatus("Type a question first.", true);
    $("q").focus();
    return;
  }
  state.query = query;
  $("go").disabled = true;
  $("ask").setAttribute("aria-busy", "true");
  $("results").setAttribute("aria-busy", "true");
  setStatus("Searching…");
  try {
    const body = request(query);
    if (body.generate) {
      await streamAsk(body);
    } else {
      const data = await (await api("/ask", { method: "POST",
        headers: { "content-type": "application/json" }, body: JSON.stringify(body) })).json();
      renderPassages(data.passages);
      renderAnswer(data);
    }
    const count = state.passages.length;
    setStatus(count ? `${count} passage${count === 1 ? "" : "s"}.` : "No passages matched.");
  } catch (err) {
    setStatus(err.message, true);
  } finally {
    $("go").disabled = false;
    $("ask").removeAttribute("aria-busy");
    $("results").removeAttribute("aria-busy");
  }
}

let returnFocus = null;

async function openReader(n, opener) {
  const p = state.passages[n - 1];
  if (!p) return;
  try {
    const params = new URLSearchParams({ start: p.start, end: p.end, context: 1500 });
    const doc = await (await api(`/documents/${encodeURIComponent(p.source)}/text?${params}`)).json();
    const a = doc.highlight_start - doc.start;
    const b = doc.highlight_end - doc.start;
    const report = state.reports[p.source];
    const pages = pagesLabel(doc.pages || p.pages);
    $("reader-title").textContent =
      `[${n}] ${report ? `${report.title} (${report.year})` : p.source}${pages ? `, ${pages}` : ""}`;
    // One <mark> around the whole cited span, so it can be scrolled to and read as one.
    const t = doc.text;
    $("reader-text").innerHTML = renderSource(t.slice(0, a), 0, []) +
      `<mark class="cited">${renderSource(t.slice(a, b), 0, [])}</mark>` + renderSource(t.slice(b), 0, []);
    returnFocus = opener || null;
    $("reader").hidden = false;
    $("reader-close").focus();
    $("reader-text").querySelector("mark.cited").scrollIntoView({ block: "center" });
  } catch (err) {
    setStatus(err.message, true);
  }
}

function closeReader() {
  $("reader").hidden = true;
  if (returnFocus && document.contains(returnFocus)) returnFocus.focus({ preventScroll: true });
  returnFocus = null;
}

function focusPassage(n) {
  const el = $(`passage-${n}`);
  if (!el) return null;
  document.querySelectorAll(".passage.focus").forEach((x) => x.classList.remove("focus"));
  el.classList.add("focus");
  el.scrollIntoView({ block: "start" });
  el.focus();
  return el;
}

document.addEventListener("click", (event) => {
  // A citation jumps to its passage and shows the cited span in the report;
  // closing the reader leaves the focus on that passage.
  const cite = event.target.closest("a.cite");
  if (cite) {
    event.preventDefault();
    const n = Number(cite.dataset.n);
    const el = focusPassage(n);
    if (el) openReader(n, el);
    return;
  }
  const read = event.target.closest("button.read");
  if (read) openReader(Number(read.dataset.n), read);
});
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !$("reader").hidden) closeReader();
});
$("reader-close").addEventListener("click", closeReader);
$("reader").addEventListener("click", (event) => { if (event.target === $("reader")) closeReader(); });
$("ask").addEventListener("submit", search);
loadFilters();
