/* The query page: YASGUI over our own endpoint, or the plain form when scripts are off.
 * No inline script (the page's CSP allows scripts from 'self' only); settings come from
 * data- attributes. Nothing is fetched from elsewhere: no endpoint catalogue, no
 * prefix.cc or LOV autocompletion, no localStorage persistence.
 *
 * YASGUI has no translations of its own: on a Japanese page its fixed strings are replaced
 * from the table below as they appear (a MutationObserver on its element), and the results
 * table's DataTables gets its Japanese texts. Typed literals are shown as numbers and dates
 * (the lexical form and datatype stay in the cell's tooltip and in the Response view). */
(function () {
  "use strict";
  var XSD = "http://www.w3.org/2001/XMLSchema#";
  var NUMBERS = ["integer", "decimal", "int", "long", "short", "nonNegativeInteger", "positiveInteger",
                 "negativeInteger", "nonPositiveInteger", "unsignedInt", "unsignedLong"];
  var JA = {
    "Query": "問い合わせ", "Run query": "問い合わせを実行", "Share query": "問い合わせを共有",
    "Table": "表", "Response": "応答", "Simple view": "簡易表示", "Ellipse": "長い値を省略",
    "Filter query results": "結果を絞り込む", "Page size: ": "1ページの行数: ", "Download result": "結果をダウンロード",
    "Download Results": "結果をダウンロード", "Show all": "すべて表示", "Add tab": "タブを追加",
    "Add a new tab": "タブを追加", "Close tab": "タブを閉じる", "Clear endpoint": "エンドポイントを消去",
    "Open settings": "設定を開く", "Close settings": "設定を閉じる", "Request method": "リクエストの方式",
    "Accept Headers": "Accept ヘッダー", "Arguments": "引数", "Header Arguments": "ヘッダー引数",
    "Copy Tab": "タブを複製", "Close other tabs": "ほかのタブを閉じる", "Shorten": "短縮",
    "Try query in a new browser window": "新しいウィンドウで問い合わせる", "Endpoint is down": "エンドポイントが応答しません",
    "Unable to get response from endpoint. Possible reasons:": "エンドポイントから応答がありません。考えられる理由:",
    "Incorrect endpoint URL": "エンドポイントの URL が正しくありません", "cannot render result": "結果を表示できません",
    "Download not supported": "ダウンロードできません", "Search or add an endpoint": "エンドポイントを検索または追加",
    "Shows table view": "表で表示", "Shows response view": "応答をそのまま表示", "pagination": "ページ送り"
  };
  var DATATABLES_JA = {
    emptyTable: "結果はありません", zeroRecords: "一致する結果はありません", info: "_TOTAL_ 行中 _START_–_END_ 行",
    infoEmpty: "0 行", infoFiltered: "（全 _MAX_ 行から絞り込み）", search: "絞り込み:", lengthMenu: "_MENU_ 行ずつ表示",
    paginate: { first: "&lt;&lt;", last: "&gt;&gt;", next: "&gt;", previous: "&lt;" }
  };
  var SUMMARY = /^(\d+) results? in ([\d.]+) seconds?$/;

  function grouped(lexical) {
    var match = /^([+-]?)(\d+)(\.\d+)?$/.exec(lexical.trim());
    if (!match) { return null; }
    var whole = match[2].replace(/^0+(?=\d)/, "").replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (match[1] === "-" ? "\u2212" : "") + whole + (match[3] || "");
  }
  function eraDigits(n) {
    return n < 10 ? String.fromCharCode(0xFF10 + n) : String(n);
  }
  function eraYear(year) {
    var eras = [[2019, "令和"], [1989, "平成"], [1926, "昭和"]];
    for (var i = 0; i < eras.length; i += 1) {
      if (year >= eras[i][0]) {
        var n = year - eras[i][0] + 1;
        return eras[i][1] + (n === 1 ? "元" : eraDigits(n)) + "年";
      }
    }
    return year + "年";
  }
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                "October", "November", "December"];
  function dated(lexical, lang) {
    var match = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(lexical);
    if (!match) { return null; }
    var year = +match[1], month = +match[2], day = match[3] ? +match[3] : null;
    if (lang === "ja") {
      return eraYear(year) + eraDigits(month) + "月" + (day ? eraDigits(day) + "日" : "") +
        "（" + year + "年" + month + "月" + (day ? day + "日" : "") + "）";
    }
    return (day ? day + " " : "") + MONTHS[month - 1] + " " + year;
  }
  function readable(binding, lang) {
    var type = binding.datatype || "";
    if (type.indexOf(XSD) !== 0 || binding["xml:lang"]) { return null; }
    var local = type.slice(XSD.length);
    if (NUMBERS.indexOf(local) >= 0) { return grouped(binding.value); }
    if (local === "date" || local === "gYearMonth") { return dated(binding.value, lang); }
    if (local === "string") { return binding.value; }
    return null;
  }
  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" }[c];
    });
  }

  function localiseTable(table, lang) {
    if (lang === "ja" && table.defaults && table.defaults.tableConfig) {
      table.defaults.tableConfig.language = DATATABLES_JA;
    }
    var original = table.prototype.formatLiteral;
    table.prototype.formatLiteral = function (binding, prefixes) {
      var shown = readable(binding, lang);
      if (shown === null) { return original.call(this, binding, prefixes); }
      var type = "xsd:" + binding.datatype.slice(XSD.length);
      return "<span class=\"typed\" title=\"" + escapeHtml(binding.value + " (" + type + ")") + "\">" +
        escapeHtml(shown) + "</span>";
    };
  }

  function translated(text) {
    var trimmed = text.trim();
    if (Object.prototype.hasOwnProperty.call(JA, text)) { return JA[text]; }
    if (Object.prototype.hasOwnProperty.call(JA, trimmed)) { return text.replace(trimmed, JA[trimmed]); }
    var summary = SUMMARY.exec(trimmed);
    return summary ? summary[1] + " 件（" + summary[2] + " 秒）" : null;
  }
  function translate(root) {
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (var node = walker.nextNode(); node; node = walker.nextNode()) {
      var text = translated(node.nodeValue);
      if (text !== null && text !== node.nodeValue) { node.nodeValue = text; }
    }
    var elements = root.querySelectorAll("[title], [placeholder], [aria-label]");
    Array.prototype.forEach.call(elements, function (element) {
      ["title", "placeholder", "aria-label"].forEach(function (name) {
        var value = element.getAttribute(name);
        var text = value && translated(value);
        if (text && text !== value) { element.setAttribute(name, text); }
      });
    });
  }
  function keepTranslated(holder) {
    translate(holder);
    new MutationObserver(function () { translate(holder); })
      .observe(holder, { childList: true, subtree: true, characterData: true, attributes: true,
                         attributeFilter: ["title", "placeholder", "aria-label"] });
  }

  function start() {
    var form = document.getElementById("sparql-form");
    var holder = document.getElementById("yasgui");
    var Yasgui = window.Yasgui;
    if (!form || !holder || typeof Yasgui !== "function") {
      return;  // the plain form keeps working
    }
    var lang = document.documentElement.lang === "en" ? "en" : "ja";
    var endpoint = new URL(form.getAttribute("data-endpoint"), window.location.href).href;
    var prefixes = JSON.parse(form.getAttribute("data-prefixes") || "{}");
    var initial = document.getElementById("query").value;
    if (Yasgui.Yasr && Yasgui.Yasr.plugins && Yasgui.Yasr.plugins.table) {
      localiseTable(Yasgui.Yasr.plugins.table, lang);
    }
    // Whole values by default ("Ellipse" cuts every column a little short of its widest value,
    // numbers included); a wide table scrolls inside its own box.
    var plugins = Yasgui.Yasr && Yasgui.Yasr.defaults && Yasgui.Yasr.defaults.plugins;
    if (plugins && plugins.table) {
      plugins.table.dynamicConfig = Object.assign({}, plugins.table.dynamicConfig, { isEllipsed: false });
    }
    // Shown before YASGUI starts: CodeMirror measures its element, and a hidden one is empty.
    form.hidden = true;
    holder.hidden = false;
    if (lang === "ja") { keepTranslated(holder); }
    var yasgui = new Yasgui(holder, {
      requestConfig: { endpoint: endpoint, method: "POST" },
      copyEndpointOnNewTab: true,
      endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
      persistenceId: null,
      populateFromUrl: false,
      tabName: lang === "ja" ? JA.Query : "Query",
      yasqe: { value: initial, autocompleters: ["prefixes", "variables"], persistenceId: null },
      yasr: { persistenceId: null, prefixes: prefixes }
    });
    form.hidden = true;
    holder.hidden = false;
    localLinks(holder, form.getAttribute("data-base"));
    var tab = yasgui.getTab();
    if (!tab.getQuery().trim()) { tab.setQuery(initial); }
    if (tab.getYasqe()) { tab.getYasqe().refresh(); }
    var buttons = document.querySelectorAll("button.example");
    Array.prototype.forEach.call(buttons, function (button) {
      button.addEventListener("click", function () {
        var current = yasgui.getTab();
        current.setQuery(button.getAttribute("data-query"));
        current.query();
        holder.scrollIntoView({ behavior: "smooth" });
      });
    });
  }
  /* Results name the data by its canonical IRIs (under the publication's base, which may be a
   * persistent namespace such as w3id.org): their links open this server's page for them. */
  function localLinks(holder, base) {
    if (!base) {
      return;
    }
    var rewrite = function () {
      Array.prototype.forEach.call(holder.querySelectorAll("a[href^='" + base + "/']"), function (a) {
        a.setAttribute("href", a.getAttribute("href").slice(base.length));
      });
    };
    new MutationObserver(rewrite).observe(holder, { childList: true, subtree: true });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
