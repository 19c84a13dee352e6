// The searchkit search page: plain JavaScript, no build step, nothing from the internet.
// Article text only ever reaches the page as DOM text nodes (never innerHTML), and the
// server's Content-Security-Policy runs no script but this file.
"use strict";

(function () {
  const PAGE_SIZE = 10;
  const DEBOUNCE_MS = 200;
  const $ = (id) => document.getElementById(id);
  const el = (tag, props, ...children) => {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.startsWith("aria-") || key === "role" || key === "for") node.setAttribute(key, value);
      else node[key] = value;
    }
    for (const child of children) node.append(child);
    return node;
  };

  // State: what the address bar holds.
  let state = { q: "", sources: [], since: "", until: "", sort: "relevance", article: "" };
  let generation = 0;       // every search gets a number; only the latest may draw
  let controller = null;    // aborts the requests of a search that was overtaken
  let nextCursor = null;
  let shownHits = 0;
  let debounceTimer = null;
  let lastQueryKey = null;
  let dateBuckets = [];     // [{start, end, count}] of the drawn histogram
  let openedByUs = false;   // the article view was opened by a click here (so Back closes it)

  function readLocation() {
    const params = new URLSearchParams(location.search);
    const sort = params.get("sort");
    return {
      q: params.get("q") || "",
      sources: params.getAll("source"),
      since: params.get("since") || "",
      until: params.get("until") || "",
      sort: ["relevance", "newest", "oldest"].includes(sort) ? sort : "relevance",
      article: params.get("article") || "",
    };
  }

  function urlFor(s) {
    const params = new URLSearchParams();
    if (s.q) params.set("q", s.q);
    for (const source of s.sources) params.append("source", source);
    if (s.since) params.set("since", s.since);
    if (s.until) params.set("until", s.until);
    if (s.sort !== "relevance") params.set("sort", s.sort);
    if (s.article) params.set("article", s.article);
    const text = params.toString();
    return text ? "?" + text : location.pathname;
  }

  function navigate(changes, { push = true } = {}) {
    state = { ...state, ...changes };
    const url = urlFor(state);
    if (push) history.pushState(null, "", url);
    else history.replaceState(null, "", url);
  }

  // The API

  function apiURL(options) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(options)) {
      if (Array.isArray(value)) value.forEach((v) => params.append(key, v));
      else if (value !== "" && value !== null && value !== undefined) params.set(key, String(value));
    }
    return "/api/search?" + params.toString();
  }

  async function getJSON(url, signal) {
    const response = await fetch(url, { signal, headers: { Accept: "application/json" } });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(data.message || "the server answered " + response.status);
      error.position = data.position;
      throw error;
    }
    return data;
  }

  function queryKey(s) {
    return JSON.stringify([s.q, s.sources, s.since, s.until, s.sort]);
  }

  async function search() {
    const key = queryKey(state);
    lastQueryKey = key;
    const mine = ++generation;
    if (controller) controller.abort();
    controller = new AbortController();
    const signal = controller.signal;
    // The library's facets ignore their own filter (multi-select): the other outlets and
    // dates stay listed with their counts while one is picked.
    const url = apiURL({ q: state.q, sort: state.sort, sources: state.sources, since: state.since,
                         until: state.until, limit: PAGE_SIZE, snippet_chars: 220, source_facet_limit: 50 });
    $("results").setAttribute("aria-busy", "true");
    try {
      const results = await getJSON(url, signal);
      if (mine !== generation) return; // a newer search started: this answer is stale
      showError(null);
      drawResults(results, false);
      drawSources(results.facets);
      drawDates(results.facets);
    } catch (error) {
      if (mine !== generation || error.name === "AbortError") return;
      showError(error);
    } finally {
      if (mine === generation) $("results").removeAttribute("aria-busy");
    }
  }

  async function more() {
    if (!nextCursor) return;
    const mine = generation;
    const button = $("more");
    button.disabled = true;
    try {
      const results = await getJSON(apiURL({
        q: state.q, sort: state.sort, sources: state.sources, since: state.since, until: state.until,
        limit: PAGE_SIZE, cursor: nextCursor, snippet_chars: 220, facets: "false", suggest_spelling: "false",
      }), controller ? controller.signal : undefined);
      if (mine !== generation) return;
      const first = drawResults(results, true);
      if (first) first.querySelector("a").focus();
    } catch (error) {
      if (mine === generation && error.name !== "AbortError") showError(error);
    } finally {
      button.disabled = false;
    }
  }

  // Drawing

  function showError(error) {
    const box = $("error");
    box.hidden = !error;
    box.textContent = error ? "Search failed: " + error.message : "";
  }

  function formatDate(iso, interval) {
    if (!iso) return "";
    const [y, m, d] = iso.split("-").map(Number);
    const day = new Date(Date.UTC(y, m - 1, d));
    const options = { timeZone: "UTC" };
    if (interval === "year") options.year = "numeric";
    else if (interval === "month") Object.assign(options, { year: "numeric", month: "short" });
    else Object.assign(options, { year: "numeric", month: "short", day: "numeric" });
    return new Intl.DateTimeFormat(undefined, options).format(day);
  }

  // Text with the [start, end) offsets wrapped in <mark>, as DOM nodes.
  function highlighted(text, highlights) {
    const fragment = document.createDocumentFragment();
    let at = 0;
    for (const [start, end] of highlights || []) {
      if (start < at || end <= start) continue;
      fragment.append(document.createTextNode(text.slice(at, start)));
      fragment.append(el("mark", { text: text.slice(start, end) }));
      at = end;
    }
    fragment.append(document.createTextNode(text.slice(at)));
    return fragment;
  }

  function hitItem(hit) {
    const headlineSnippet = (hit.snippets || []).find((s) => s.field === "headline" && s.offset === 0
      && !s.truncated_start && !s.truncated_end && s.text === hit.headline);
    const link = el("a", { class: "headline", href: urlFor({ ...state, article: hit.id }) });
    link.append(headlineSnippet ? highlighted(hit.headline, headlineSnippet.highlights)
                                : document.createTextNode(hit.headline || hit.id));
    link.addEventListener("click", (event) => {
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
      event.preventDefault();
      openedByUs = true;
      navigate({ article: hit.id });
      showArticle(hit.id, link);
    });
    const meta = el("p", { class: "meta" });
    if (hit.source) meta.append(el("span", { class: "source", text: hit.source }));
    if (hit.date) meta.append(el("time", { dateTime: hit.date, text: formatDate(hit.date, "day") }));
    const item = el("li", { class: "hit" }, el("h2", {}, link), meta);
    for (const snippet of hit.snippets || []) {
      if (snippet === headlineSnippet) continue;
      const p = el("p", { class: "snippet" });
      if (snippet.truncated_start) p.append("… ");
      p.append(highlighted(snippet.text, snippet.highlights));
      if (snippet.truncated_end) p.append(" …");
      item.append(p);
    }
    return item;
  }

  function drawResults(results, append) {
    const list = $("hits");
    if (!append) { list.replaceChildren(); shownHits = 0; }
    shownHits += results.hits.length;
    let first = null;
    for (const hit of results.hits) {
      const item = hitItem(hit);
      first = first || item;
      list.append(item);
    }
    nextCursor = results.next_cursor && results.hits.length ? results.next_cursor : null;
    if (shownHits >= results.total) nextCursor = null;
    $("more").hidden = !nextCursor;
    if (!append) {
      const shown = results.total === 1 ? "1 result" : results.total.toLocaleString() + " results";
      const what = results.query ? " for “" + results.query + "”" : "";
      $("status").textContent = results.total ? shown + what : "No results" + what;
      const suggestion = $("suggestion");
      suggestion.hidden = !results.suggestion;
      if (results.suggestion) {
        const link = $("suggestion-link");
        link.textContent = results.suggestion;
        link.href = urlFor({ ...state, q: results.suggestion, article: "" });
      }
      const warnings = $("warnings");
      warnings.replaceChildren(...(results.warnings || []).map((w) => el("li", { text: w })));
      warnings.hidden = !(results.warnings || []).length;
    }
    return first;
  }

  function drawSources(facets) {
    const list = $("sources");
    const counts = new Map(facets.source.map((f) => [f.value, f.count]));
    // A picked outlet stays listed even when the other filters leave it no article.
    for (const picked of state.sources) {
      if (![...counts.keys()].some((v) => v.toLowerCase() === picked.toLowerCase())) counts.set(picked, 0);
    }
    const picked = new Set(state.sources.map((s) => s.toLowerCase()));
    list.replaceChildren();
    for (const [value, count] of counts) {
      const box = el("input", { type: "checkbox", value, checked: picked.has(value.toLowerCase()) });
      box.addEventListener("change", () => {
        const chosen = [...list.querySelectorAll("input:checked")].map((b) => b.value);
        navigate({ sources: chosen, article: "" });
        search();
      });
      const label = el("label", {}, box, el("span", { class: "name", text: value }),
                       el("span", { class: "count", text: count.toLocaleString() }));
      list.append(el("li", {}, label));
    }
    if (!counts.size) list.append(el("li", { class: "help", text: "No sources" }));
  }

  function addDays(iso, days) {
    const [y, m, d] = iso.split("-").map(Number);
    return new Date(Date.UTC(y, m - 1, d + days)).toISOString().slice(0, 10);
  }

  function bucketEnd(start, interval) {
    const [y, m] = start.split("-").map(Number);
    if (interval === "week") return addDays(start, 6);
    if (interval === "month") return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
    if (interval === "year") return y + "-12-31";
    return start;
  }

  function drawDates(facets) {
    const box = $("histogram");
    const interval = facets.date_interval;
    dateBuckets = facets.date.map((f) => ({ start: f.value, end: bucketEnd(f.value, interval), count: f.count, interval }));
    const highest = Math.max(1, ...dateBuckets.map((b) => b.count));
    box.replaceChildren();
    dateBuckets.forEach((bucket, i) => {
      const label = formatDate(bucket.start, interval) + ": " + bucket.count.toLocaleString()
        + (bucket.count === 1 ? " article" : " articles");
      const fill = el("span", { class: "fill" });
      fill.style.height = (bucket.count ? Math.max(4, (100 * bucket.count) / highest) : 0) + "%";
      const bar = el("button", { type: "button", class: bucket.count ? "bar" : "bar empty", title: label,
                                 "aria-label": label }, fill);
      bar.dataset.index = String(i);
      bar.addEventListener("click", (event) => {
        if (event.detail === 0) chooseDates(i, i); // from the keyboard; the pointer is handled below
      });
      box.append(bar);
    });
    $("axis-start").textContent = dateBuckets.length ? formatDate(dateBuckets[0].start, interval) : "";
    $("axis-end").textContent = dateBuckets.length > 1 ? formatDate(dateBuckets[dateBuckets.length - 1].start, interval) : "";
    if (!dateBuckets.length) box.append(el("p", { class: "help", text: "No dated articles" }));
    markRange();
  }

  function markRange(from, to) {
    const bars = $("histogram").querySelectorAll(".bar");
    bars.forEach((bar, i) => {
      const bucket = dateBuckets[i];
      let on;
      if (from !== undefined) on = i >= Math.min(from, to) && i <= Math.max(from, to);
      else on = Boolean(state.since || state.until) && (!state.since || bucket.end >= state.since)
        && (!state.until || bucket.start <= state.until);
      bar.classList.toggle("selected", on);
      bar.setAttribute("aria-pressed", on ? "true" : "false");
    });
    const range = $("range");
    range.hidden = !(state.since || state.until);
    $("range-text").textContent = (state.since ? formatDate(state.since, "day") : "…") + " – "
      + (state.until ? formatDate(state.until, "day") : "…");
  }

  function chooseDates(from, to) {
    const a = dateBuckets[Math.min(from, to)];
    const b = dateBuckets[Math.max(from, to)];
    if (!a || !b) return;
    navigate({ since: a.start, until: b.end, article: "" });
    search();
  }

  // Click or drag across the bars.
  function barIndexAt(x) {
    const bars = [...$("histogram").querySelectorAll(".bar")];
    let best = -1;
    let distance = Infinity;
    bars.forEach((bar, i) => {
      const rect = bar.getBoundingClientRect();
      const d = x < rect.left ? rect.left - x : x > rect.right ? x - rect.right : 0;
      if (d < distance) { distance = d; best = i; }
    });
    return best;
  }

  let dragFrom = null;
  let dragTo = null;
  const histogram = $("histogram");
  histogram.addEventListener("pointerdown", (event) => {
    if (event.button !== 0 || !event.target.closest(".bar")) return;
    dragFrom = dragTo = barIndexAt(event.clientX);
    histogram.setPointerCapture(event.pointerId);
    histogram.classList.add("dragging");
    markRange(dragFrom, dragTo);
    event.preventDefault();
  });
  histogram.addEventListener("pointermove", (event) => {
    if (dragFrom === null) return;
    dragTo = barIndexAt(event.clientX);
    markRange(dragFrom, dragTo);
  });
  const endDrag = (event, apply) => {
    if (dragFrom === null) return;
    const from = dragFrom;
    const to = apply ? barIndexAt(event.clientX) : dragTo;
    dragFrom = dragTo = null;
    histogram.classList.remove("dragging");
    if (apply) chooseDates(from, to);
    else markRange();
  };
  histogram.addEventListener("pointerup", (event) => endDrag(event, true));
  histogram.addEventListener("pointercancel", (event) => endDrag(event, false));

  // The article view

  async function showArticle(id, returnFocus) {
    const dialog = $("article");
    dialog.returnFocus = returnFocus || document.activeElement;
    $("article-title").textContent = "Loading…";
    $("article-meta").replaceChildren();
    $("article-text").replaceChildren();
    $("article-url").hidden = true;
    if (!dialog.open) dialog.showModal();
    $("article-title").focus();
    try {
      const article = await getJSON("/api/articles/" + encodeURIComponent(id));
      if (state.article !== id) return;
      $("article-title").textContent = article.headline || article.id;
      const meta = $("article-meta");
      if (article.source) meta.append(el("span", { class: "source", text: article.source }));
      if (article.date) meta.append(el("time", { dateTime: article.date, text: formatDate(article.date, "day") }));
      if (article.attribution) meta.append(el("span", { text: article.attribution }));
      const text = $("article-text");
      for (const paragraph of (article.body || "").split(/\n\s*\n/)) {
        if (paragraph.trim()) text.append(el("p", { text: paragraph.trim() }));
      }
      if ((article.background || []).length) {
        text.append(el("h3", { text: "Background" }));
        for (const paragraph of article.background) text.append(el("p", { class: "background", text: paragraph }));
      }
      const link = $("article-url");
      if (article.url && /^https?:\/\//i.test(article.url)) {
        link.href = article.url;
        link.hidden = false;
      }
    } catch (error) {
      $("article-title").textContent = "Cannot show this article";
      $("article-text").replaceChildren(el("p", { text: error.message }));
    }
  }

  function hideArticle() {
    const dialog = $("article");
    if (dialog.open) dialog.close();
  }

  $("article").addEventListener("close", () => {
    const dialog = $("article");
    if (state.article) {
      if (openedByUs) { openedByUs = false; history.back(); }
      else navigate({ article: "" }, { push: false });
    }
    if (dialog.returnFocus && document.contains(dialog.returnFocus)) dialog.returnFocus.focus();
  });
  $("close-article").addEventListener("click", () => hideArticle());
  $("article").addEventListener("click", (event) => {
    if (event.target === $("article")) hideArticle(); // a click on the backdrop
  });

  // Controls

  function syncControls() {
    if ($("q").value !== state.q) $("q").value = state.q;
    $("sort").value = state.sort;
    document.title = state.q ? state.q + " – searchkit" : "searchkit";
  }

  $("q").addEventListener("input", () => {
    clearTimeout(debounceTimer);
    debounceTimer = setTimeout(() => {
      if ($("q").value === state.q) return;
      navigate({ q: $("q").value, article: "" }, { push: false });
      document.title = state.q ? state.q + " – searchkit" : "searchkit";
      search();
    }, DEBOUNCE_MS);
  });
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    clearTimeout(debounceTimer);
    const q = $("q").value;
    if (q !== state.q || queryKey({ ...state, q }) !== lastQueryKey) {
      navigate({ q, article: "" });
      search();
    }
    $("results").focus();
  });
  $("sort").addEventListener("change", () => {
    navigate({ sort: $("sort").value, article: "" });
    search();
  });
  $("clear-dates").addEventListener("click", () => {
    navigate({ since: "", until: "", article: "" });
    search();
    histogram.querySelector(".bar")?.focus();
  });
  $("more").addEventListener("click", more);
  $("suggestion-link").addEventListener("click", (event) => {
    event.preventDefault();
    navigate({ q: $("suggestion-link").textContent, article: "" });
    syncControls();
    search();
  });

  function fromLocation() {
    state = readLocation();
    syncControls();
    if (queryKey(state) !== lastQueryKey) search();
    if (state.article) showArticle(state.article);
    else hideArticle();
  }

  window.addEventListener("popstate", () => {
    openedByUs = false;
    fromLocation();
  });
  fromLocation();
})();
