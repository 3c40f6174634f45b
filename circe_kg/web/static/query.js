/* The /query page's glue code: turns the plain form into Yasqe (the editor of Yasgui, with SPARQL syntax
   highlighting) and shows results with Yasr's table; loads the examples listed in the page into the editor;
   keeps the permalink current. Yasgui's bundle (/vendor/yasgui/yasgui.min.js) is loaded before this file.

   Nothing here calls another server: the queries go to this server's /sparql, and the options below switch
   off every call Yasgui would make elsewhere. Without this file the page still works (form + examples). */

/* The snippets (curl, Python, R, JavaScript) under the editor: a Copy button each, and kept to the query being
   edited — written by the server (POST /query/snippets, the one place that knows how each language escapes
   a query), as the page itself shows them without JavaScript. Runs without Yasgui too. */
var circeSnippets = (function () {
  "use strict";

  var section = document.getElementById("snippets");
  if (!section) return { update: function () {} };

  Array.prototype.forEach.call(section.querySelectorAll("details.snippet"), function (details) {
    var code = details.querySelector("code");
    if (!code || !navigator.clipboard) return;
    var button = document.createElement("button");
    var status = document.createElement("span");
    button.type = "button";
    button.textContent = section.dataset.copyLabel;
    status.setAttribute("role", "status");
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(code.textContent).then(function () {
        status.textContent = " " + section.dataset.copiedLabel;
        window.setTimeout(function () { status.textContent = ""; }, 2000);
      });
    });
    details.appendChild(button);
    details.appendChild(status);
  });

  var timer = null;
  var asked = 0;
  function refresh(text) {
    var ticket = ++asked;
    fetch(section.dataset.snippetsUrl, {
      method: "POST",
      headers: { Accept: "application/json" },
      body: new URLSearchParams({ query: text }),
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).then(function (codes) {
      if (!codes || ticket !== asked) return; // an answer to an older text
      Object.keys(codes).forEach(function (key) {
        var code = document.getElementById("snippet-" + key + "-code");
        if (code) code.textContent = codes[key];
      });
    }).catch(function () { /* the snippets stay as they were */ });
  }
  function update(text) { // called as the query changes; asks once typing pauses
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { refresh(text); }, 400);
  }
  var textarea = document.getElementById("query-text"); // the plain form, where Yasqe has not replaced it
  if (textarea) textarea.addEventListener("input", function () { update(textarea.value); });
  return { update: update };
})();

(function () {
  "use strict";

  var Yasgui = window.Yasgui;
  var root = document.getElementById("query-editor");
  if (!Yasgui || !Yasgui.Yasqe || !Yasgui.Yasr || !root) return;
  var Yasqe = Yasgui.Yasqe;
  var Yasr = Yasgui.Yasr;

  /* ---- No external calls -------------------------------------------------------------------------
     Yasgui merges a config into its defaults with lodash's merge, which merges arrays index by index:
     `autocompleters: []` in a config would leave the default list untouched. So the defaults themselves
     are changed, and the completers that call out are unregistered so that nothing can enable them.
     - autocompleters: only "variables" (from the query) and "prefixes" (the list bundled in Yasqe).
       The "property" and "class" completers fetch from the Linked Open Vocabularies web service.
     - prefixCcApi: null, so prefixes never come from an online prefix service.
     - createShortLink: undefined, so there is no link-shortener button.
     - corsProxy: undefined, so no query is relayed through a proxy (a Yasgui option; this page uses
       Yasqe and Yasr directly, without Yasgui's tabs and endpoint picker and its catalogue of endpoints).
     - requestConfig.endpoint: this server's /sparql, never Yasqe's default public endpoint. */
  var LOCAL_AUTOCOMPLETERS = ["variables", "prefixes"];
  Object.keys(Yasqe.Autocompleters || {}).forEach(function (name) {
    if (LOCAL_AUTOCOMPLETERS.indexOf(name) < 0) delete Yasqe.Autocompleters[name];
  });
  var endpoint = new URL(root.dataset.endpoint, document.baseURI).href; // Yasqe wants an absolute URL
  Yasqe.defaults.autocompleters = LOCAL_AUTOCOMPLETERS.slice();
  Yasqe.defaults.prefixCcApi = null;
  Yasqe.defaults.createShortLink = undefined;
  Yasqe.defaults.requestConfig.endpoint = endpoint;
  if (Yasgui.defaults) {
    Yasgui.defaults.corsProxy = undefined;
    Yasgui.defaults.requestConfig.endpoint = endpoint;
  }

  /* A permalink reopens this page with the query in the editor: /query?query=<urlencoded text>. */
  var permalinkBase = root.dataset.permalinkBase;
  function permalinkFor(text) {
    return permalinkBase + "?query=" + encodeURIComponent(text);
  }

  /* ---- The editor replaces the form --------------------------------------------------------------- */
  var form = document.getElementById("query-form");
  var textarea = document.getElementById("query-text");
  var yasqe = new Yasqe(document.getElementById("yasqe"), {
    value: textarea.value,
    persistenceId: null, // the page's query (permalink or example) wins over one kept in the browser
    consumeShareLink: null, // the server already put ?query= in the page; read nothing else from the URL
    createShareableLink: function (editor) { // Yasqe's share button: the local permalink, absolute
      return new URL(permalinkFor(editor.getValue()), document.baseURI).href;
    },
    autocompleters: LOCAL_AUTOCOMPLETERS.slice(),
    prefixCcApi: null,
    createShortLink: undefined,
    requestConfig: {
      endpoint: endpoint,
      method: "POST", // form-encoded query=…
      acceptHeaderSelect: "application/sparql-results+json",
      acceptHeaderGraph: "text/turtle",
    },
    editorHeight: "24rem",
  });
  yasqe.getInputField().setAttribute("aria-label", "SPARQL query");
  form.hidden = true;

  /* ---- Results: Yasr's table (URIs are links), or its raw response view --------------------------- */
  var yasr = new Yasr(document.getElementById("yasr"), {
    persistenceId: null,
    defaultPlugin: "table",
    prefixes: function () { return yasqe.getPrefixesFromQuery(); }, // show URIs with the query's prefixes
  });
  yasqe.on("queryResponse", function (editor, response, duration) {
    yasr.setResponse(response, duration);
  });
  /* Yasr's link to its documentation is an icon alone: give it a name (WCAG 2.4.4, 4.1.2). */
  function nameHelpLinks() {
    Array.prototype.forEach.call(document.querySelectorAll("#yasr .yasr_external_ref_btn"), function (a) {
      a.setAttribute("aria-label", root.dataset.helpLabel);
    });
  }
  nameHelpLinks();
  yasr.on("drawn", nameHelpLinks);

  /* ---- Permalink ----------------------------------------------------------------------------------- */
  var link = document.getElementById("permalink");
  function updatePermalink() {
    link.href = permalinkFor(yasqe.getValue());
  }
  yasqe.on("change", function () {
    updatePermalink();
    circeSnippets.update(yasqe.getValue());
  });
  updatePermalink();

  /* ---- Examples: choosing one loads its text (from the page's <details> list) into the editor ------ */
  var select = document.getElementById("example");
  var description = document.getElementById("example-description");
  document.getElementById("example-open").hidden = true; // no need to submit: choosing loads it
  select.addEventListener("change", function () {
    var details = document.getElementById("example-" + select.value);
    var code = document.getElementById("example-" + select.value + "-text");
    if (!details || !code) return;
    var question = details.querySelector(".example-question");
    description.textContent = question ? question.textContent : "";
    yasqe.setValue(code.textContent);
    yasqe.focus();
  });
})();
