/* epaper search (检索): the query of ?q= (or the form) against the static index in search/ (written with the site
   from every issue in it; see epaper/render/web/web_search.py). Text is indexed as overlapping two-character pieces
   of Chinese (and Japanese, Korean) and whole Latin words; the query is cut the same way, and a story matches when
   it holds every piece. Each result links to the story and to the page it is printed on. Everything it loads is
   on this site; no dependencies. */
(function () {
  "use strict";
  var form = document.querySelector(".search-form");
  var input = document.getElementById("q");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  if (!form || !input || !status || !list) return;
  var CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af";
  var TOKEN = new RegExp("[" + CJK + "]+|[0-9A-Za-z\u00c0-\u024f]+", "g");
  var IS_CJK = new RegExp("^[" + CJK + "]");
  var MAX_RESULTS = 100;
  var base = new URL("search/", document.baseURI);
  var docs = null;
  var shards = {};

  function getJSON(url) {
    return fetch(url).then(function (r) {
      if (!r.ok) throw new Error(r.status + " " + url);
      return r.json();
    });
  }
  function fill(pattern, values) {
    return pattern.replace(/\{(\w+)\}/g, function (_, k) { return values[k] === undefined ? "" : values[k]; });
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // The pieces of a query; `prefix` marks a lone CJK character, looked up as the start of a piece.
  function pieces(text) {
    var out = [];
    (text.match(TOKEN) || []).forEach(function (run) {
      if (IS_CJK.test(run)) {
        var chars = Array.from(run);
        if (chars.length === 1) out.push({ piece: run, prefix: true });
        for (var i = 0; i + 1 < chars.length; i++) out.push({ piece: chars[i] + chars[i + 1], prefix: false });
      } else {
        out.push({ piece: run.toLowerCase(), prefix: false });
      }
    });
    return out;
  }
  function shard(piece, count) {
    var n = String(count === undefined ? docs.shards : count);
    var i = piece.codePointAt(0) % Number(n);
    return (i < 10 ? "0" : "") + i;
  }
  function loadShard(name) {
    if (!shards[name]) shards[name] = getJSON(new URL(name + ".json", base));
    return shards[name];
  }
  // The documents holding one piece (or, for a prefix, any piece that starts with it).
  function lookup(p) {
    return loadShard(shard(p.piece)).then(function (table) {
      if (!p.prefix) return table[p.piece] || [];
      var found = {};
      Object.keys(table).forEach(function (k) {
        if (k.lastIndexOf(p.piece, 0) === 0) table[k].forEach(function (d) { found[d] = true; });
      });
      return Object.keys(found).map(Number);
    });
  }

  // Marks every occurrence of the query's runs in a text.
  function marked(tag, cls, text, query) {
    var e = el(tag, cls);
    var words = (query.match(TOKEN) || []).filter(function (w) { return w.length > 0; });
    var pattern = words.length ? new RegExp("(" + words.map(function (w) {
      return w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }).join("|") + ")", "gi") : null;
    String(text).split(pattern || /$^/).forEach(function (part, i) {
      if (!part) return;
      if (pattern && i % 2 === 1) e.appendChild(el("mark", "", part));
      else e.appendChild(document.createTextNode(part));
    });
    return e;
  }

  function show(query, hits) {
    list.textContent = "";
    if (!hits.length) { status.textContent = fill(status.getAttribute("data-none"), { query: query }); return; }
    status.textContent = fill(status.getAttribute("data-count"), { count: hits.length });
    hits.slice(0, MAX_RESULTS).forEach(function (n) {
      var d = docs.docs[n];  // [title, url, where, page url, date, summary]
      var li = el("li", "search-result");
      var h = el("h2", "search-title");
      var a = marked("a", "", d[0], query);
      a.href = d[1];
      h.appendChild(a);
      li.appendChild(h);
      var where = el("p", "search-where");
      var pa = el("a", "", d[2]);
      pa.href = d[3];
      where.appendChild(pa);
      li.appendChild(where);
      li.appendChild(marked("p", "search-excerpt", d[5], query));
      list.appendChild(li);
    });
  }

  function run(query) {
    list.textContent = "";
    var ps = pieces(query);
    if (!ps.length) { status.textContent = ""; return; }
    var ready = docs ? Promise.resolve(docs) : getJSON(new URL("docs.json", base)).then(function (d) { docs = d; return d; });
    ready.then(function () {
      return Promise.all(ps.map(lookup));
    }).then(function (sets) {
      // every piece must be there; documents are in the index's order: newest issue first, then page order
      sets.sort(function (x, y) { return x.length - y.length; });
      var hits = sets[0].filter(function (n) {
        return sets.every(function (s) { return s.indexOf(n) >= 0; });
      });
      hits.sort(function (x, y) { return x - y; });
      show(query, hits);
    }).catch(function (err) {
      status.textContent = String(err);
    });
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var q = input.value.trim();
    history.replaceState(null, "", "?q=" + encodeURIComponent(q));
    run(q);
  });
  var q = new URLSearchParams(location.search).get("q") || "";
  input.value = q;
  run(q.trim());
})();
