// gradkey review site: sortable tables and review decisions. The pages work
// without it (tables come sorted by name; decisions can be typed into
// decisions-template.csv). Nothing here reads or writes the network.
(function () {
  "use strict";
  document.documentElement.setAttribute("data-js", "ready");

  // ---- sortable tables: a button in each header cell; data-sort holds the key
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var numeric = th.getAttribute("data-type") === "number";
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var key = function (row) {
          var v = row.cells[col].getAttribute("data-sort") || row.cells[col].textContent;
          return numeric ? parseFloat(v) : v;
        };
        rows.sort(function (a, b) {
          var x = key(a), y = key(b);
          var c = numeric ? x - y : String(x).localeCompare(String(y));
          return ascending ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });

  // ---- review decisions: kept in localStorage, offered as decisions.csv
  var toolbar = document.getElementById("decisions-toolbar");
  if (!toolbar) return;
  var STORE = "gradkey-decisions:" + location.pathname;
  var store = {};
  try { store = JSON.parse(localStorage.getItem(STORE) || "{}"); } catch (e) { store = {}; }
  var save = function () { try { localStorage.setItem(STORE, JSON.stringify(store)); } catch (e) { /* private mode */ } };
  var who = document.getElementById("who");
  who.value = store["\u0000who"] || "";
  who.addEventListener("input", function () { store["\u0000who"] = who.value; save(); });
  var fieldsets = Array.prototype.slice.call(document.querySelectorAll("fieldset.decision"));
  // Keyed by student and question (or line), so a regenerated page keeps them.
  var idOf = function (fs) { return fs.getAttribute("data-key"); };
  var counter = document.getElementById("decided");
  var count = function () {
    var n = fieldsets.filter(function (fs, i) { return store[idOf(fs)]; }).length;
    counter.textContent = n + " of " + fieldsets.length + " decided";
  };
  var show = function (fs, d) {
    fs.classList.toggle("decided", !!d);
    fs.querySelectorAll("button[data-verdict]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(!!d && b.getAttribute("data-verdict") === d.verdict));
    });
    fs.querySelector("output.state").textContent = d ? "decided: " + d.verdict + (d.points !== "" ? ", " + d.points + " points" : "") : "not decided";
  };
  fieldsets.forEach(function (fs, i) {
    fs.hidden = false;
    var id = idOf(fs), d = store[id];
    var points = fs.querySelector("input[name=points]"), why = fs.querySelector("input[name=why]");
    var select = fs.querySelector("select[name=question]");
    if (d) { points.value = d.points; why.value = d.why; if (select) select.value = d.question; }
    show(fs, d);
    fs.querySelectorAll("button[data-verdict]").forEach(function (b) {
      b.addEventListener("click", function () {
        var verdict = b.getAttribute("data-verdict");
        var question = select ? select.value : JSON.parse(fs.getAttribute("data-question"));
        if (!verdict) { delete store[id]; }
        else if (!question) { fs.querySelector("output.state").textContent = "choose the question first"; return; }
        else { store[id] = { student: JSON.parse(fs.getAttribute("data-student")), question: question, verdict: verdict,
                             points: points.value, why: why.value }; }
        save(); show(fs, store[id]); count();
      });
    });
    [points, why].forEach(function (input) {
      input.addEventListener("change", function () {
        if (store[id]) { store[id].points = points.value; store[id].why = why.value; save(); show(fs, store[id]); }
      });
    });
  });
  var cell = function (v) {
    v = String(v == null ? "" : v);
    return /[",\r\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
  };
  document.getElementById("download").addEventListener("click", function () {
    var rows = [["student", "question", "verdict", "points", "who", "why"]];
    fieldsets.forEach(function (fs, i) {
      var d = store[idOf(fs)];
      if (d) rows.push([d.student, d.question, d.verdict, d.points, who.value, d.why]);
    });
    var text = rows.map(function (r) { return r.map(cell).join(","); }).join("\n") + "\n";
    var a = document.createElement("a");
    a.href = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
    a.download = "decisions.csv";
    document.body.appendChild(a); a.click(); a.remove();
  });
  document.getElementById("clear").addEventListener("click", function () {
    if (!confirm("Clear every decision on this page?")) return;
    var keep = store["\u0000who"]; store = {}; if (keep) store["\u0000who"] = keep; save();
    fieldsets.forEach(function (fs) { fs.querySelectorAll("input").forEach(function (x) { x.value = ""; }); show(fs, null); });
    count();
  });
  toolbar.hidden = false;
  count();
})();
