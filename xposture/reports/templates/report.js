/* xposture report: renders findings, assets, coverage targets and the probe audit log on demand
   from the JSON embedded once in the page. Every value from scanned data goes into the DOM as
   text (textContent / append), never as markup; links are http(s) only. No network access. */
(function () {
  "use strict";
  const t0 = performance.now();
  const D = JSON.parse(document.getElementById("xp-data").textContent);
  const mark = (name, since) => performance.measure("xp:" + name, { start: since, end: performance.now() });
  mark("parse", t0);
  const SVGNS = "http://www.w3.org/2000/svg";
  // Row layouts of the payload (see xposture/reports/html_model.py).
  const R = { id: 0, name: 1, title: 2, level: 3, pack: 4, tags: 5, rem: 6, desc: 7, refs: 8 };
  const A = { id: 0, name: 1, kind: 2, site: 3, zone: 4, level: 5, layer: 6, ident: 7, seen: 8, ids: 9 };
  const F = { rule: 0, asset: 1, sev: 2, layer: 3, status: 4, change: 5, key: 6, shape: 7, vals: 8, fp: 9, srcHead: 10, src: 11 };
  const STATUS = ["open", "waived", "fixed"];
  const nf = new Intl.NumberFormat("en");
  const fmt = (n) => nf.format(n);
  const $ = (id) => document.getElementById(id);

  function el(tag, attrs, kids) {
    const e = document.createElement(tag);
    if (attrs) {
      for (const k in attrs) {
        const v = attrs[k];
        if (v === null || v === undefined || v === false) continue;
        if (k === "class") e.className = v;
        else if (k === "text") e.textContent = v;
        else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, v === true ? "" : String(v));
      }
    }
    if (kids) for (const c of kids) if (c !== null && c !== undefined && c !== false) e.append(c);
    return e;
  }
  function icon(id, cls) {
    const s = document.createElementNS(SVGNS, "svg");
    s.setAttribute("class", cls || "shp");
    s.setAttribute("viewBox", "0 0 12 12");
    s.setAttribute("aria-hidden", "true");
    s.setAttribute("focusable", "false");
    const u = document.createElementNS(SVGNS, "use");
    u.setAttribute("href", "#" + id);
    s.append(u);
    return s;
  }
  const badgeProto = D.sev.map((name, i) => el("span", { class: "sev sev" + i }, [icon("shp" + i), name]));
  const sevBadge = (i) => badgeProto[i].cloneNode(true);
  function chevron() {
    const s = document.createElementNS(SVGNS, "svg");
    s.setAttribute("class", "chev");
    s.setAttribute("viewBox", "0 0 10 10");
    s.setAttribute("aria-hidden", "true");
    const p = document.createElementNS(SVGNS, "path");
    p.setAttribute("d", "M3 1.5 6.5 5 3 8.5");
    s.append(p);
    return s;
  }
  function sevCounts(counts) {
    const wrap = el("span", { class: "sevcounts" });
    let any = false;
    for (let i = counts.length - 1; i >= 0; i--) {
      if (!counts[i]) continue;
      any = true;
      wrap.append(el("span", { class: "sc sc" + i, title: D.sev[i] }, [icon("shp" + i), el("span", { class: "vh", text: D.sev[i] + ": " }), fmt(counts[i])]));
    }
    if (!any) wrap.append(el("span", { class: "muted", text: "none open" }));
    return wrap;
  }
  function safeUrl(u) {
    const s = String(u).trim();
    return /^https?:\/\//i.test(s) ? s : "";
  }
  const sourceOf = (f) => (f[F.srcHead] >= 0 ? D.sources[f[F.srcHead]] + " " : "") + f[F.src];
  function show(v) {
    if (v === null || v === undefined) return "";
    if (Array.isArray(v)) return v.map(show).join(", ");
    return String(v);
  }

  /* ---------- derived tables ---------- */
  const rules = D.rules, assets = D.assets;
  const layerName = (i) => { const l = D.layers[i]; return (D.layerNames[l] || l || "—"); };
  const assetLabel = (a) => a[A.name] || a[A.id];
  const fwOf = (tag) => tag.split(".", 1)[0].toLowerCase();

  /* ---------- findings state ---------- */
  const S = { q: "", sev: new Set(), layer: "", site: "", zone: "", rule: "", tag: "", status: "", change: "", group: "", asset: "", page: 0, size: 100 };
  const expanded = new Set();
  let order = { f: null, fixed: null };
  let searchText = { f: null, fixed: null };
  let current = [];
  let printing = false;

  function sorted(name) {
    if (order[name]) return order[name];
    const src = D[name];
    const idx = new Int32Array(src.length);
    for (let i = 0; i < idx.length; i++) idx[i] = i;
    if (D.sorted) return (order[name] = idx);  // the generator wrote rows in display order
    const titles = rules.map((r) => r[R.title].toLowerCase());
    idx.sort((x, y) => {
      const a = src[x], b = src[y];
      return b[F.sev] - a[F.sev] || (titles[a[F.rule]] < titles[b[F.rule]] ? -1 : titles[a[F.rule]] > titles[b[F.rule]] ? 1 : 0) ||
        (assets[a[F.asset]][A.id] < assets[b[F.asset]][A.id] ? -1 : assets[a[F.asset]][A.id] > assets[b[F.asset]][A.id] ? 1 : 0);
    });
    return (order[name] = idx);
  }
  function texts(name) {
    if (searchText[name]) return searchText[name];
    const src = D[name];
    const out = new Array(src.length);
    for (let i = 0; i < src.length; i++) {
      const f = src[i], r = rules[f[F.rule]], a = assets[f[F.asset]];
      const ident = a[A.ident];
      let s = r[R.title] + "\u0001" + r[R.name] + "\u0001" + a[A.id] + "\u0001" + a[A.name] + "\u0001" + a[A.site] + "\u0001" + a[A.zone] + "\u0001" + f[F.key] + "\u0001" + f[F.fp] + "\u0001" + sourceOf(f);
      for (const k in ident) s += "\u0001" + ident[k];
      const vals = f[F.vals];
      for (let j = 0; j < vals.length; j++) s += "\u0001" + show(vals[j]);
      out[i] = s.toLowerCase();
    }
    return (searchText[name] = out);
  }

  function compute() {
    const name = S.status === "fixed" ? "fixed" : "f";
    const src = D[name];
    const idx = sorted(name);
    const terms = S.q.toLowerCase().split(/\s+/).filter(Boolean);
    const txt = terms.length ? texts(name) : null;
    const layerIdx = S.layer === "" ? -1 : D.layers.indexOf(S.layer);
    const ruleIdx = S.rule === "" ? -1 : Number(S.rule);
    const assetIdx = S.asset === "" ? -1 : Number(S.asset);
    let ruleOk = null;
    if (S.tag) {
      const t = S.tag.toLowerCase(), prefix = t.endsWith(".");
      ruleOk = rules.map((r) => r[R.tags].some((g) => (prefix ? g.toLowerCase().startsWith(t) : g.toLowerCase() === t)));
    }
    const change = S.change === "new" ? 1 : S.change === "still" ? 2 : 0;
    const status = S.status === "open" ? 0 : S.status === "waived" ? 1 : -1;
    const sevCount = [0, 0, 0, 0, 0];
    const out = [];
    for (let n = 0; n < idx.length; n++) {
      const i = idx[n], f = src[i];
      if (status >= 0 && f[F.status] !== status) continue;
      if (layerIdx !== -1 && f[F.layer] !== layerIdx) continue;
      if (ruleIdx !== -1 && f[F.rule] !== ruleIdx) continue;
      if (assetIdx !== -1 && f[F.asset] !== assetIdx) continue;
      if (change && f[F.change] !== change) continue;
      if (ruleOk && !ruleOk[f[F.rule]]) continue;
      if (S.site || S.zone) {
        const a = assets[f[F.asset]];
        if (S.site && a[A.site] !== S.site) continue;
        if (S.zone && a[A.zone] !== S.zone) continue;
      }
      if (txt) {
        const s = txt[i];
        let ok = true;
        for (const t of terms) if (s.indexOf(t) === -1) { ok = false; break; }
        if (!ok) continue;
      }
      sevCount[f[F.sev]]++;
      if (S.sev.size && !S.sev.has(f[F.sev])) continue;
      out.push(i);
    }
    return { name, src, rows: out, sevCount };
  }

  /* ---------- findings rendering ---------- */
  function findingRow(name, i, src) {
    const f = src[i], r = rules[f[F.rule]], a = assets[f[F.asset]];
    const key = name + ":" + i;
    const isOpen = !printing && expanded.has(key);
    const detId = "d-" + name + "-" + i;
    const btn = el("button", { type: "button", class: "xbtn", "aria-expanded": isOpen ? "true" : "false", "aria-controls": detId, "data-key": key, "aria-label": D.sev[f[F.sev]] + ": " + r[R.title] + " on " + assetLabel(a) }, [chevron(), sevBadge(f[F.sev])]);
    const st = el("td", null, [el("span", { class: "badge " + STATUS[f[F.status]], text: STATUS[f[F.status]] })]);
    if (f[F.change] === 1) st.append(el("span", { class: "badge new", text: "new" }));
    const where = [a[A.site], a[A.zone]].filter(Boolean).join(" / ");
    const tr = el("tr", { class: "frow" + (isOpen ? " open" : ""), "data-key": key }, [
      el("td", null, [btn]),
      el("td", null, [el("div", { class: "ftitle", text: r[R.title] }), el("div", { class: "sub mono", text: f[F.key] })]),
      el("td", null, [el("div", { text: assetLabel(a) }), a[A.name] ? el("div", { class: "sub mono", text: a[A.id] }) : null]),
      el("td", null, [el("div", { text: where || "—" }), el("div", { class: "sub", text: layerName(f[F.layer]) })]),
      st,
    ]);
    const rowsOut = [tr];
    if (isOpen) rowsOut.push(detailRow(f, r, a, detId));
    if (printing) rowsOut.push(el("tr", { class: "evrow" }, [el("td", { colspan: "5" }, [evidenceLine(f)])]));
    return rowsOut;
  }
  // On paper each finding carries its evidence on one line; the rule's text is under "Rules that fired".
  function evidenceLine(f) {
    const shape = D.shapes[f[F.shape]], vals = f[F.vals];
    const parts = [];
    for (let j = 0; j < shape.length; j++) parts.push(shape[j] + " = " + show(vals[j]));
    parts.push("fingerprint " + f[F.fp]);
    return el("div", { class: "evl", text: parts.join("  ·  ") });
  }
  function detailRow(f, r, a, detId) {
    const det = el("div", { class: "det" });
    const w = D.waiverOf[f[F.fp]];
    if (w) det.append(el("p", { class: "waiver" + (w[3] ? " expired" : "") }, [el("strong", { text: w[3] ? "Waiver expired " + w[2] + " (finding reopened). " : "Waived until " + w[2] + ". " }), w[0], " — " + w[1]]));
    if (r[R.desc]) det.append(el("p", { text: r[R.desc] }));
    const shape = D.shapes[f[F.shape]], vals = f[F.vals];
    det.append(el("h4", { text: "Evidence" }));
    if (shape.length) {
      const tb = el("tbody");
      for (let j = 0; j < shape.length; j++) tb.append(el("tr", null, [el("th", { scope: "row", text: shape[j] }), el("td", { text: show(vals[j]) })]));
      det.append(el("table", { class: "ev" }, [tb]));
    } else det.append(el("p", { class: "muted", text: "The rule lists no evidence fields." }));
    const source = sourceOf(f);
    if (source) det.append(el("p", { class: "sub" }, ["Source: ", el("span", { class: "mono", text: source })]));
    if (r[R.rem]) det.append(el("h4", { text: "Remediation" }), el("p", { class: "remed", text: r[R.rem] }));
    if (r[R.refs].length) {
      const ul = el("ul", { class: "refs" });
      for (const ref of r[R.refs]) {
        const u = safeUrl(ref);
        ul.append(el("li", null, [u ? el("a", { href: u, rel: "noopener noreferrer", text: ref }) : el("span", { class: "mono", text: ref })]));
      }
      det.append(el("h4", { text: "References" }), ul);
    }
    const ident = a[A.ident];
    const idl = Object.keys(ident).map((k) => k + " " + ident[k]).join(" · ");
    det.append(
      el("h4", { text: "Identification" }),
      el("p", { class: "tags" }, r[R.tags].map((t) => el("span", { class: "tag", text: t }))),
      el("p", { class: "sub mono", text: "fingerprint " + f[F.fp] + " · rule " + r[R.name] + " (" + r[R.id] + ")" + (r[R.pack] ? " · pack " + r[R.pack] : "") }),
      idl ? el("p", { class: "sub", text: "Asset identity: " + idl }) : null
    );
    return el("tr", { class: "detail", id: detId }, [el("td", { colspan: "5" }, [det])]);
  }
  function findingsTable(name, src, list) {
    // On paper each finding is its own <tbody>, so its evidence line never lands on the next page alone.
    const bodies = [];
    let tb = el("tbody");
    for (const i of list) {
      if (printing) { tb = el("tbody", { class: "fbody" }); bodies.push(tb); }
      tb.append(...findingRow(name, i, src));
    }
    if (!printing) bodies.push(tb);
    return el("table", { class: "data fl" }, [
      el("caption", { class: "vh", text: "Findings" }),
      el("colgroup", null, [el("col", { class: "c-sev" }), el("col"), el("col", { class: "c-asset" }), el("col", { class: "c-where" }), el("col", { class: "c-status" })]),
      el("thead", null, [el("tr", null, ["Severity", "Finding", "Asset", "Site / zone", "Status"].map((h) => el("th", { scope: "col", text: h })))]),
      ...bodies,
    ]);
  }
  const PRINT_CAP = 2000;
  function renderFindings() {
    const res = compute();
    current = res;
    const list = $("f-list"), pager = $("f-pager");
    list.replaceChildren();
    pager.replaceChildren();
    // severity toggles show counts under the other filters
    for (const b of document.querySelectorAll(".sevbtn")) {
      const i = Number(b.dataset.sev);
      b.setAttribute("aria-pressed", S.sev.has(i) ? "true" : "false");
      let n = b.querySelector(".n");
      if (!n) { n = el("span", { class: "n" }); b.querySelector(".sev").append(n); }
      n.textContent = fmt(res.sevCount[i]);
    }
    document.querySelector(".sevtoggles").classList.toggle("none", S.sev.size === 0);
    const total = res.rows.length;
    renderChips();
    if (!total) {
      $("f-count").textContent = "No findings match these filters.";
      list.append(el("p", { class: "empty", text: D.f.length ? "No findings match. Clear a filter to see more." : "This scan has no findings. Check Coverage: what was not scanned is not clean." }));
      return;
    }
    if (S.group) return renderGroups(res);
    const size = printing ? PRINT_CAP : S.size;
    const pages = Math.max(1, Math.ceil(total / size));
    if (S.page >= pages) S.page = pages - 1;
    const start = printing ? 0 : S.page * size, end = Math.min(total, start + size);
    $("f-count").textContent = "Showing " + fmt(start + 1) + "–" + fmt(end) + " of " + fmt(total) + " findings" + (printing && total > end ? " (printed list capped; narrow the filters to print the rest)" : "");
    list.append(findingsTable(res.name, res.src, res.rows.slice(start, end)));
    renderPager(pager, pages, total);
  }
  function renderPager(pager, pages, total) {
    const prev = el("button", { type: "button", class: "btn", disabled: S.page === 0, onclick: () => { S.page--; update(true); } }, ["‹ Previous"]);
    const next = el("button", { type: "button", class: "btn", disabled: S.page >= pages - 1, onclick: () => { S.page++; update(true); } }, ["Next ›"]);
    const sizeSel = el("select", { "aria-label": "Rows per page", onchange: (e) => { S.size = Number(e.target.value); S.page = 0; update(); } },
      [50, 100, 250, 500].map((n) => el("option", { value: n, selected: n === S.size, text: n + " per page" })));
    pager.append(el("span", { class: "pg", text: "Page " + fmt(S.page + 1) + " of " + fmt(pages) }), prev, next, sizeSel);
  }
  const GROUP_PAGE = 50, IN_GROUP = 100;
  function renderGroups(res) {
    const groups = new Map();
    const byRule = S.group === "rule";
    for (const i of res.rows) {
      const f = res.src[i], k = byRule ? f[F.rule] : f[F.asset];
      let g = groups.get(k);
      if (!g) { g = { key: k, rows: [], counts: [0, 0, 0, 0, 0], assets: new Set() }; groups.set(k, g); }
      g.rows.push(i);
      g.counts[f[F.sev]]++;
      g.assets.add(f[F.asset]);
    }
    const worst = (g) => { for (let s = 4; s >= 0; s--) if (g.counts[s]) return s; return 0; };
    const list = [...groups.values()].sort((a, b) => worst(b) - worst(a) || b.rows.length - a.rows.length);
    const pages = Math.max(1, Math.ceil(list.length / GROUP_PAGE));
    if (S.page >= pages) S.page = pages - 1;
    const start = printing ? 0 : S.page * GROUP_PAGE, end = printing ? list.length : Math.min(list.length, start + GROUP_PAGE);
    $("f-count").textContent = fmt(res.rows.length) + " findings in " + fmt(list.length) + (byRule ? " rules" : " assets") + (list.length > GROUP_PAGE && !printing ? " · groups " + fmt(start + 1) + "–" + fmt(end) : "");
    const box = $("f-list");
    for (const g of list.slice(start, end)) {
      let head;
      if (byRule) {
        const r = rules[g.key];
        head = [sevBadge(worst(g)), el("span", { class: "gt", text: r[R.title] }), el("span", { class: "sub mono", text: r[R.name] }), el("span", { class: "gn", text: fmt(g.rows.length) + " on " + fmt(g.assets.size) + " asset" + (g.assets.size === 1 ? "" : "s") })];
      } else {
        const a = assets[g.key];
        head = [sevBadge(worst(g)), el("span", { class: "gt", text: assetLabel(a) }), el("span", { class: "sub mono", text: a[A.id] }), sevCounts(g.counts), el("span", { class: "gn", text: [a[A.site], a[A.zone]].filter(Boolean).join(" / ") })];
      }
      const det = el("details", { class: "group", open: printing }, [el("summary", null, head)]);
      let shown = 0;
      const more = () => {
        const take = g.rows.slice(shown, printing ? g.rows.length : shown + IN_GROUP);
        shown += take.length;
        const old = det.querySelector(".more");
        if (old) old.remove();
        const existing = det.querySelector("tbody");
        if (existing) { for (const i of take) existing.append(...findingRow(res.name, i, res.src)); }
        else det.append(findingsTable(res.name, res.src, take));
        if (shown < g.rows.length) det.append(el("button", { type: "button", class: "btn more", onclick: more, text: "Show " + fmt(Math.min(IN_GROUP, g.rows.length - shown)) + " more of " + fmt(g.rows.length - shown) }));
      };
      if (printing) more();
      else det.addEventListener("toggle", () => { if (det.open && !shown) more(); });
      box.append(det);
    }
    if (!printing && pages > 1) renderPager($("f-pager"), pages, list.length);
  }
  function renderChips() {
    const box = $("f-active");
    box.replaceChildren();
    const add = (label, clear) => box.append(el("span", { class: "chip" }, [label, el("button", { type: "button", "aria-label": "Remove filter " + label, onclick: () => { clear(); S.page = 0; update(); }, text: "×" })]));
    if (S.asset !== "" && assets[Number(S.asset)]) add("Asset: " + assetLabel(assets[Number(S.asset)]), () => { S.asset = ""; });
  }

  /* ---------- CSV export of the current view (a local download, no network) ---------- */
  function csvCell(v) {
    let s = show(v);
    if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;  // a spreadsheet must not read scanned text as a formula
    return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
  }
  function exportCsv() {
    const res = current;
    const head = ["severity", "status", "change", "rule", "title", "asset", "asset_name", "site", "zone", "layer", "key", "evidence", "source", "fingerprint"];
    const lines = [head.join(",")];
    for (const i of res.rows) {
      const f = res.src[i], r = rules[f[F.rule]], a = assets[f[F.asset]], shape = D.shapes[f[F.shape]];
      const ev = shape.map((k, j) => k + "=" + show(f[F.vals][j])).join("; ");
      lines.push([D.sev[f[F.sev]], STATUS[f[F.status]], ["", "new", "still open"][f[F.change]], r[R.name], r[R.title], a[A.id], a[A.name], a[A.site], a[A.zone], D.layers[f[F.layer]], f[F.key], ev, sourceOf(f), f[F.fp]].map(csvCell).join(","));
    }
    const url = URL.createObjectURL(new Blob(["\ufeff" + lines.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" }));
    const a = el("a", { href: url, download: "xposture-scan-" + $("f-csv").dataset.scan + "-findings.csv" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  /* ---------- controls and URL state ---------- */
  function fillSelect(id, options) {
    const s = $(id);
    if (!s) return;
    for (const o of options) {
      if (o.group) {
        const g = el("optgroup", { label: o.group });
        for (const c of o.items) g.append(el("option", { value: c.value, text: c.label }));
        s.append(g);
      } else s.append(el("option", { value: o.value, text: o.label }));
    }
  }
  function setupControls() {
    const uniq = (arr) => [...new Set(arr)].filter((x) => x !== "" && x !== null && x !== undefined).sort();
    fillSelect("f-layer", D.layers.map((l) => ({ value: l, label: D.layerNames[l] || l })));
    fillSelect("f-site", uniq(assets.map((a) => a[A.site])).map((s) => ({ value: s, label: s })));
    fillSelect("f-zone", uniq(assets.map((a) => a[A.zone])).map((s) => ({ value: s, label: s })));  // fixed findings' too
    const fired = new Set(D.f.map((f) => f[F.rule]).concat(D.fixed.map((f) => f[F.rule])));
    fillSelect("f-rule", rules.map((r, i) => ({ i, r })).filter((x) => fired.has(x.i))
      .sort((a, b) => (a.r[R.title] < b.r[R.title] ? -1 : 1)).map((x) => ({ value: String(x.i), label: x.r[R.title] })));
    const tagsBy = new Map();
    for (const r of rules) for (const t of r[R.tags]) { const p = fwOf(t); if (!tagsBy.has(p)) tagsBy.set(p, new Set()); tagsBy.get(p).add(t.toLowerCase()); }
    const fwOpts = [];
    for (const [prefix, name] of D.fw) {
      if (!tagsBy.has(prefix)) continue;
      fwOpts.push({ group: name, items: [{ value: prefix + ".", label: "All " + name }].concat([...tagsBy.get(prefix)].sort().map((t) => ({ value: t, label: t }))) });
    }
    fillSelect("f-tag", fwOpts);
    const bind = (id, k) => { const s = $(id); if (s) s.addEventListener("change", () => { S[k] = s.value; S.page = 0; update(); }); };
    bind("f-layer", "layer"); bind("f-site", "site"); bind("f-zone", "zone"); bind("f-rule", "rule");
    bind("f-tag", "tag"); bind("f-status", "status"); bind("f-change", "change"); bind("f-group", "group");
    $("q").addEventListener("input", () => { clearTimeout(searchTimer); searchTimer = setTimeout(applySearch, D.f.length > 20000 ? 200 : 60); });
    for (const b of document.querySelectorAll(".sevbtn")) b.addEventListener("click", () => toggleSev(Number(b.dataset.sev)));
    $("f-reset").addEventListener("click", () => { resetState(); syncControls(); update(); });
    $("f-csv").addEventListener("click", exportCsv);
    $("f-list").addEventListener("click", (e) => {
      if (e.target.closest("a, .detail, .more, summary")) return;
      const tr = e.target.closest("tr.frow");
      if (!tr) return;
      toggleRow(tr.dataset.key);
    });
  }
  let searchTimer = 0;
  function applySearch() {
    clearTimeout(searchTimer);
    if (S.q === $("q").value) return;
    S.q = $("q").value;
    S.page = 0;
    update();
  }
  function toggleSev(i) { if (S.sev.has(i)) S.sev.delete(i); else S.sev.add(i); S.page = 0; update(); }
  function toggleRow(key) {
    if (expanded.has(key)) expanded.delete(key); else expanded.add(key);
    const tr = document.querySelector('tr.frow[data-key="' + CSS.escape(key) + '"]');
    if (!tr) return;
    const [name, i] = key.split(":");
    const fresh = findingRow(name, Number(i), D[name]);
    const nextRow = tr.nextElementSibling;
    if (nextRow && nextRow.classList.contains("detail")) nextRow.remove();
    tr.replaceWith(...fresh);
    fresh[0].querySelector(".xbtn").focus();
  }
  function resetState() {
    Object.assign(S, { q: "", layer: "", site: "", zone: "", rule: "", tag: "", status: "", change: "", group: "", asset: "", page: 0 });
    S.sev.clear();
  }
  const KEYS = ["q", "layer", "site", "zone", "rule", "tag", "status", "change", "group", "asset"];
  function syncControls() {
    $("q").value = S.q;
    const map = { layer: "f-layer", site: "f-site", zone: "f-zone", rule: "f-rule", tag: "f-tag", status: "f-status", change: "f-change", group: "f-group" };
    for (const k in map) {
      const s = $(map[k]);
      if (!s) continue;
      if (S[k] && ![...s.options].some((o) => o.value === S[k])) s.append(el("option", { value: S[k], text: S[k] }));
      s.value = S[k];
    }
  }
  function writeHash() {
    const p = new URLSearchParams();
    for (const k of KEYS) if (S[k]) p.set(k, S[k]);
    if (S.sev.size) p.set("sev", [...S.sev].sort().join(","));
    if (S.page) p.set("page", String(S.page + 1));
    const h = "#findings" + (p.toString() ? "?" + p.toString() : "");
    if (location.hash !== h) history.replaceState(null, "", h);
  }
  function readHash() {
    const h = location.hash;
    if (!h.startsWith("#findings?")) return false;
    const p = new URLSearchParams(h.slice("#findings?".length));
    resetState();
    for (const k of KEYS) if (p.has(k)) S[k] = p.get(k);
    if (p.has("sev")) for (const s of p.get("sev").split(",")) if (/^[0-4]$/.test(s)) S.sev.add(Number(s));
    if (p.has("page")) S.page = Math.max(0, (parseInt(p.get("page"), 10) || 1) - 1);
    return true;
  }
  function update(keepFocus) {
    renderFindings();
    if (!printing) writeHash();
    if (keepFocus) { const b = document.querySelector("#f-list .xbtn"); if (b) b.focus(); }
  }

  /* ---------- asset tree ---------- */
  const assetCounts = assets.map(() => [0, 0, 0, 0, 0]);
  const assetFindings = assets.map(() => []);
  for (let i = 0; i < D.f.length; i++) {
    const f = D.f[i];
    assetFindings[f[F.asset]].push(i);
    if (f[F.status] === 0) assetCounts[f[F.asset]][f[F.sev]]++;
  }
  // Worst first: any critical outranks any number of highs, and so on down.
  const assetScore = assetCounts.map((c) => c[4] * 1e12 + c[3] * 1e9 + c[2] * 1e6 + c[1] * 1e3 + c[0]);
  const ASSET_PAGE = 200;
  function assetText(a) {
    const ident = a[A.ident];
    let s = a[A.id] + " " + a[A.name] + " " + a[A.kind];
    for (const k in ident) s += " " + ident[k];
    for (const k in a[A.ids]) s += " " + a[A.ids][k].join(" ");
    return s.toLowerCase();
  }
  let assetTexts = null;
  function renderAssets() {
    const box = $("a-tree");
    box.replaceChildren();
    const q = $("a-q").value.trim().toLowerCase();
    if (q && !assetTexts) assetTexts = assets.map(assetText);
    const tree = new Map();
    let matched = 0;
    for (let i = 0; i < D.nAssets; i++) {
      if (q && assetTexts[i].indexOf(q) === -1) continue;
      matched++;
      const a = assets[i], site = a[A.site] || "", zone = a[A.zone] || "";
      if (!tree.has(site)) tree.set(site, new Map());
      const zones = tree.get(site);
      if (!zones.has(zone)) zones.set(zone, []);
      zones.get(zone).push(i);
    }
    if (!matched) { box.append(el("p", { class: "empty", text: D.nAssets ? "No asset matches." : "No assets in this scan." })); return; }
    const openAll = printing || (q !== "" && matched <= 500);
    const sum = (list) => { const c = [0, 0, 0, 0, 0]; for (const i of list) for (let s = 0; s < 5; s++) c[s] += assetCounts[i][s]; return c; };
    const sites = [...tree.keys()].sort((a, b) => (a === "") - (b === "") || (a < b ? -1 : 1));
    for (const site of sites) {
      const zones = tree.get(site);
      const all = [].concat(...zones.values());
      const sd = el("details", { class: "site", open: openAll || sites.length <= 3 }, [
        el("summary", null, [site || "(no site)", el("span", { class: "meta", text: zones.size + " zone" + (zones.size === 1 ? "" : "s") + " · " + fmt(all.length) + " asset" + (all.length === 1 ? "" : "s") }), sevCounts(sum(all))]),
      ]);
      for (const zone of [...zones.keys()].sort((a, b) => (a === "") - (b === "") || (a < b ? -1 : 1))) {
        const list = zones.get(zone).sort((x, y) => assetScore[y] - assetScore[x] || (assetLabel(assets[x]) < assetLabel(assets[y]) ? -1 : 1));
        const lvl = list.length ? assets[list[0]][A.level] : null;
        const zd = el("details", { class: "zone", open: openAll }, [
          el("summary", null, [zone || "(no zone)", el("span", { class: "meta", text: (lvl !== null && lvl !== undefined ? "level " + lvl + " · " : "") + fmt(list.length) + " asset" + (list.length === 1 ? "" : "s") }), sevCounts(sum(list))]),
        ]);
        let shown = 0;
        const more = () => {
          const take = list.slice(shown, printing ? list.length : shown + ASSET_PAGE);
          shown += take.length;
          const old = zd.querySelector(":scope > .more");
          if (old) old.remove();
          for (const i of take) zd.append(assetNode(i, openAll && printing));
          if (shown < list.length) zd.append(el("button", { type: "button", class: "btn more", onclick: more, text: "Show more (" + fmt(list.length - shown) + " left)" }));
        };
        if (zd.open) more(); else zd.addEventListener("toggle", () => { if (zd.open && !shown) more(); });
        sd.append(zd);
      }
      box.append(sd);
    }
  }
  function assetNode(i, open) {
    const a = assets[i];
    const d = el("details", { class: "asset", open: open }, [
      el("summary", null, [el("strong", { text: assetLabel(a) }), el("span", { class: "meta mono", text: a[A.id] }), sevCounts(assetCounts[i])]),
    ]);
    let done = false;
    const fill = () => {
      if (done) return;
      done = true;
      const dl = el("dl", { class: "idgrid" });
      const row = (k, v) => { if (v !== "" && v !== null && v !== undefined && !(Array.isArray(v) && !v.length)) dl.append(el("dt", { text: k }), el("dd", { text: show(v) })); };
      const ident = a[A.ident];
      for (const k of ["vendor", "model", "firmware", "serial"]) row(k, ident[k]);
      for (const k of Object.keys(ident).sort()) if (!["vendor", "model", "firmware", "serial"].includes(k)) row(k, ident[k]);
      row("kind", a[A.kind]);
      row("layer", D.layerNames[a[A.layer]] || a[A.layer]);
      row("level", a[A.level]);
      for (const k of Object.keys(a[A.ids]).sort()) row(k, a[A.ids][k]);
      row("seen by", a[A.seen]);
      const body = el("div", { class: "assetbody" }, [dl]);
      const fl = assetFindings[i];
      if (printing) {
        // on paper the findings list already names each finding's asset; print identity only
      } else if (fl.length) {
        const top = fl.slice().sort((x, y) => D.f[y][F.sev] - D.f[x][F.sev]).slice(0, printing ? fl.length : 20);
        const ul = el("ul", { class: "refs" });
        for (const j of top) { const f = D.f[j]; ul.append(el("li", null, [sevBadge(f[F.sev]), " ", rules[f[F.rule]][R.title], el("span", { class: "sub mono", text: "  " + f[F.key] }), f[F.status] === 1 ? el("span", { class: "badge waived", text: "waived" }) : null])); }
        body.append(ul, el("a", { href: "#findings?asset=" + i, text: "Open all " + fmt(fl.length) + " finding" + (fl.length === 1 ? "" : "s") + " of this asset in the findings list" }));
      } else body.append(el("p", { class: "muted", text: "No findings on this asset." }));
      d.append(body);
    };
    if (open) fill(); else d.addEventListener("toggle", () => { if (d.open) fill(); });
    return d;
  }

  /* ---------- generic paged tables (coverage targets, audit log) ---------- */
  const TABLES = {
    cov: {
      rows: D.cov,
      head: ["Status", "Scanner", "Target", "Site", "Records", "Detail"],
      order: (rows) => { const rank = { failed: 0, timeout: 1, partial: 2, skipped: 3, ok: 5 }; return rows.map((_, i) => i).sort((x, y) => (rank[rows[x][2]] ?? 4) - (rank[rows[y][2]] ?? 4)); },
      cells: (c) => [covBadge(c[2]), el("span", { text: c[0] }), el("span", { class: "mono", text: c[1] }), c[5] || "—", fmt(c[4] || 0), c[3] || ""],
      text: (c) => c.join(" ").toLowerCase(),
      filter: { label: "Status", values: ["failed", "timeout", "partial", "skipped", "ok"], col: 2 },
      empty: "No scanner reported coverage: nothing was scanned.",
    },
    audit: {
      rows: D.audit,
      head: ["Time (UTC)", "Scanner", "Target", "Protocol", "Sent"],
      order: (rows) => rows.map((_, i) => i),
      cells: (c) => [el("span", { class: "nowrap", text: typeof c[0] === "number" ? new Date(c[0] * 1000).toISOString().replace("T", " ").slice(0, 23) : show(c[0]) }), c[1], el("span", { class: "mono", text: c[2] }), c[3], el("span", { class: "mono", text: c[4] })],
      text: (c) => c.join(" ").toLowerCase(),
      filter: null,
      empty: "No active probe was sent.",
    },
  };
  TABLES.waivers = {
    rows: D.waivers,
    head: ["State", "Finding", "Reason", "Owner", "Expires", "Created"],
    order: (rows) => rows.map((_, i) => i),
    cells: (w) => [w[0] ? covBadge("failed", "expired (finding reopened)") : covBadge("ok", "active"),
      el("span", null, [w[1] || "(no matching finding in this scan)", el("div", { class: "sub mono", text: w[2] })]),
      w[3], w[4], el("span", { class: "nowrap", text: w[5] }), el("span", { class: "nowrap", text: w[6] })],
    text: (w) => w.slice(1).join(" ").toLowerCase(),
    filter: null,
    empty: "No waivers.",
  };
  function covBadge(state, label) {
    const known = ["ok", "partial", "failed", "timeout", "skipped"].includes(state) ? state : "other";
    return el("span", { class: "cov cov-" + known }, [icon("cov-" + known), label || state]);
  }
  function mountTable(box) {
    const spec = TABLES[box.dataset.source];
    if (!spec) return;
    const st = { q: "", f: "", page: 0, size: 50 };
    const ord = spec.order(spec.rows);
    let txt = null;
    const bar = el("div", { class: "toolbar noprint" }, [el("div", { class: "row" }, [
      el("label", { class: "search" }, [el("span", { class: "vh", text: "Filter rows" }), el("input", { type: "search", placeholder: "Filter…", autocomplete: "off", oninput: (e) => { st.q = e.target.value.toLowerCase(); st.page = 0; draw(); } })]),
      spec.filter ? el("label", null, [spec.filter.label + " ", el("select", { onchange: (e) => { st.f = e.target.value; st.page = 0; draw(); } }, [el("option", { value: "", text: "All" })].concat(spec.filter.values.map((v) => el("option", { value: v, text: v }))))]) : null,
    ])]);
    const count = el("p", { class: "count", "aria-live": "polite" });
    const holder = el("div");
    const pager = el("div", { class: "pager noprint" });
    box.replaceChildren(bar, count, holder, pager);
    function draw() {
      if (st.q && !txt) txt = spec.rows.map(spec.text);
      const rows = ord.filter((i) => (!st.f || spec.rows[i][spec.filter.col] === st.f) && (!st.q || txt[i].indexOf(st.q) !== -1));
      holder.replaceChildren();
      pager.replaceChildren();
      if (!rows.length) { count.textContent = ""; holder.append(el("p", { class: "empty", text: spec.rows.length ? "No row matches." : spec.empty })); return; }
      const size = printing ? PRINT_CAP : st.size;
      const pages = Math.ceil(rows.length / size);
      if (st.page >= pages) st.page = pages - 1;
      const start = printing ? 0 : st.page * size, end = Math.min(rows.length, start + size);
      count.textContent = "Showing " + fmt(start + 1) + "–" + fmt(end) + " of " + fmt(rows.length);
      const tb = el("tbody");
      for (const i of rows.slice(start, end)) tb.append(el("tr", null, spec.cells(spec.rows[i]).map((c) => el("td", null, [c]))));
      holder.append(el("table", { class: "data" }, [el("thead", null, [el("tr", null, spec.head.map((h) => el("th", { scope: "col", text: h })))]), tb]));
      if (pages > 1) pager.append(
        el("span", { class: "pg", text: "Page " + fmt(st.page + 1) + " of " + fmt(pages) }),
        el("button", { type: "button", class: "btn", disabled: st.page === 0, onclick: () => { st.page--; draw(); } }, ["‹ Previous"]),
        el("button", { type: "button", class: "btn", disabled: st.page >= pages - 1, onclick: () => { st.page++; draw(); } }, ["Next ›"]));
    }
    box._draw = draw;
    draw();
  }

  /* ---------- keyboard, navigation, print ---------- */
  const help = $("help");
  let helpReturn = null;
  function openHelp() { helpReturn = document.activeElement; help.hidden = false; help.querySelector("button").focus(); }
  function closeHelp() { help.hidden = true; if (helpReturn) helpReturn.focus(); }
  function moveRow(delta) {
    const btns = [...document.querySelectorAll("#f-list .xbtn")].filter((b) => b.offsetParent !== null);
    if (!btns.length) return;
    const at = btns.indexOf(document.activeElement);
    const next = at === -1 ? (delta > 0 ? 0 : btns.length - 1) : Math.min(btns.length - 1, Math.max(0, at + delta));
    btns[next].focus();
    btns[next].scrollIntoView({ block: "nearest" });
  }
  let gPending = false;
  document.addEventListener("keydown", (e) => {
    if (!help.hidden) {
      if (e.key === "Escape") { e.preventDefault(); closeHelp(); }
      else if (e.key === "Tab") { e.preventDefault(); help.querySelector("button").focus(); }
      return;
    }
    const t = e.target;
    const typing = t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA");
    if (typing) {
      if (e.key === "Escape" && t.type === "search") {
        t.value = "";
        if (t.id === "q") applySearch(); else t.dispatchEvent(new Event("input"));
      } else if (e.key === "Enter" && t.id === "q") { e.preventDefault(); applySearch(); moveRow(1); }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (gPending) {
      gPending = false;
      const go = { s: "summary", c: "coverage", f: "findings", a: "assets", p: "compliance", r: "rules", w: "waivers" }[e.key];
      if (go) { e.preventDefault(); const sec = $(go); sec.scrollIntoView(); const h = sec.querySelector("h2"); if (h) { h.tabIndex = -1; h.focus({ preventScroll: true }); } }
      return;
    }
    const inList = t && t.closest && t.closest("#f-list");
    switch (e.key) {
      case "/": e.preventDefault(); $("q").focus(); $("q").select(); break;
      case "?": e.preventDefault(); openHelp(); break;
      case "g": gPending = true; setTimeout(() => { gPending = false; }, 1500); break;
      case "j": moveRow(1); break;
      case "k": moveRow(-1); break;
      case "ArrowDown": if (inList) { e.preventDefault(); moveRow(1); } break;
      case "ArrowUp": if (inList) { e.preventDefault(); moveRow(-1); } break;
      case "]": if (!S.group) { S.page++; update(true); } break;
      case "[": if (!S.group && S.page > 0) { S.page--; update(true); } break;
      case "1": case "2": case "3": case "4": case "5": toggleSev(Number(e.key) - 1); break;
      default: break;
    }
  });
  document.addEventListener("click", (e) => {
    const a = e.target.closest("[data-action]");
    if (!a) return;
    const act = a.dataset.action;
    if (act === "print") window.print();
    else if (act === "help") openHelp();
    else if (act === "close-help") closeHelp();
  });
  help.addEventListener("click", (e) => { if (e.target === help) closeHelp(); });
  window.addEventListener("hashchange", () => {
    if (readHash()) { syncControls(); renderFindings(); $("findings").scrollIntoView(); }
  });
  function setPrinting(on) {
    if (printing === on) return;
    printing = on;
    renderFindings();
    renderAssets();
    for (const box of document.querySelectorAll(".jstable")) if (box._draw) box._draw();
  }
  window.addEventListener("beforeprint", () => setPrinting(true));
  window.addEventListener("afterprint", () => setPrinting(false));
  if ("IntersectionObserver" in window) {
    const links = new Map([...document.querySelectorAll(".side a")].map((a) => [a.getAttribute("href").slice(1), a]));
    const io = new IntersectionObserver((entries) => {
      for (const en of entries) if (en.isIntersecting) { for (const a of links.values()) a.classList.remove("cur"); const l = links.get(en.target.id); if (l) l.classList.add("cur"); }
    }, { rootMargin: "-10% 0px -80% 0px" });
    for (const s of document.querySelectorAll("main > section")) io.observe(s);
  }

  /* ---------- start ---------- */
  let t = performance.now();
  setupControls();
  mark("controls", t);
  const fromHash = readHash();
  syncControls();
  t = performance.now();
  renderFindings();
  mark("findings", t);
  t = performance.now();
  renderAssets();
  mark("assets", t);
  $("a-q").addEventListener("input", () => renderAssets());
  for (const box of document.querySelectorAll(".jstable")) mountTable(box);
  if (fromHash) $("findings").scrollIntoView();
  window.xposture = { state: S, visible: () => current.rows.length, setPrinting };
  mark("ready", t0);
  document.documentElement.dataset.ready = "1";
})();
