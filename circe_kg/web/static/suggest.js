// Suggestions for the search box: concepts whose name (in any partner language) starts with the words typed,
// shown in the reader's language with the name that matched. Progressive enhancement: without this script the
// search form works the same, with no suggestions.
(function () {
  "use strict";
  var input = document.getElementById("q");
  var list = document.getElementById("q-suggestions");
  if (!input || !list || !window.fetch) { return; }
  var url = input.getAttribute("data-suggest");
  var timer = null;
  var asked = "";
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var text = input.value.trim();
      if (text.length < 2 || text === asked) { return; }
      asked = text;
      var address = url + (url.indexOf("?") < 0 ? "?" : "&") + "q=" + encodeURIComponent(text);
      fetch(address, { headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { suggestions: [] }; })
        .then(function (answer) {
          if (text !== asked) { return; }  // an earlier answer arriving late: the later one is shown
          while (list.firstChild) { list.removeChild(list.firstChild); }
          answer.suggestions.forEach(function (s) {
            var option = document.createElement("option");
            option.value = s.label;
            option.label = s.matched !== s.label ? s.label + " — " + s.matched + " (" + s.matchedLanguage + ")"
              : s.label + (s.scheme ? " · " + s.scheme : "");
            list.appendChild(option);
          });
        })
        .catch(function () { /* no suggestions: the form still works */ });
    }, 150);
  });
}());
