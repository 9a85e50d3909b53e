/* The query page: YASGUI over our own endpoint, or the plain form when scripts are off.
 * No inline script (the page's CSP allows scripts from 'self' only); settings come from
 * data- attributes. Nothing is fetched from elsewhere: no endpoint catalogue, no
 * prefix.cc or LOV autocompletion, no localStorage persistence. */
(function () {
  "use strict";
  function start() {
    var form = document.getElementById("sparql-form");
    var holder = document.getElementById("yasgui");
    if (!form || !holder || typeof window.Yasgui !== "function") {
      return;  // the plain form keeps working
    }
    var endpoint = new URL(form.getAttribute("data-endpoint"), window.location.href).href;
    var prefixes = JSON.parse(form.getAttribute("data-prefixes") || "{}");
    var initial = document.getElementById("query").value;
    var yasgui = new window.Yasgui(holder, {
      requestConfig: { endpoint: endpoint, method: "POST" },
      copyEndpointOnNewTab: true,
      endpointCatalogueOptions: { getData: function () { return [{ endpoint: endpoint }]; } },
      persistenceId: null,
      populateFromUrl: false,
      yasqe: { value: initial, autocompleters: ["prefixes", "variables"], persistenceId: null },
      yasr: { persistenceId: null, prefixes: prefixes }
    });
    form.hidden = true;
    holder.hidden = false;
    localLinks(holder, form.getAttribute("data-base"));
    var buttons = document.querySelectorAll("button.example");
    Array.prototype.forEach.call(buttons, function (button) {
      button.addEventListener("click", function () {
        var tab = yasgui.getTab();
        tab.setQuery(button.getAttribute("data-query"));
        tab.query();
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
