// Link pickers for the edit forms: each <select data-picker> becomes a searchable, accessible field
// (accessible-autocomplete, from the npm registry). Progressive enhancement: the <select> stays in the form,
// hidden, and is what the form sends; without JavaScript it is the plain list it always was.
// A single choice is one search field; a multiple choice lists what is chosen (each with a Remove button) above
// a search field that adds one more. Typed text that names no choice stops the save with a message on the field.
(function () {
  "use strict";
  var form = document.querySelector("form[data-picker-strings]");
  if (!form || !window.accessibleAutocomplete) { return; }
  var words = JSON.parse(form.getAttribute("data-picker-strings"));

  function say(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, name) { return name in values ? values[name] : whole; });
  }

  function plain(text) {
    return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }

  // label -> option; two options with the same label are told apart by the end of their address.
  function choicesOf(select) {
    var byLabel = {};
    Array.prototype.forEach.call(select.options, function (option) {
      if (!option.value) { return; }
      var label = option.textContent.trim();
      if (byLabel[label]) { label += " (" + option.value.split(/[\/#]/).pop() + ")"; }
      byLabel[label] = option;
    });
    return byLabel;
  }

  // Every typed word must occur in the label (accents and case ignored); labels that start with it come first.
  function engine(labels) {
    return function (query, populate) {
      var typed = plain(query.trim());
      var parts = typed.split(/\s+/).filter(Boolean);
      var found = labels().filter(function (label) {
        var text = plain(label);
        return parts.every(function (part) { return text.indexOf(part) >= 0; });
      });
      found.sort(function (a, b) { return (plain(a).indexOf(typed) === 0 ? 0 : 1) - (plain(b).indexOf(typed) === 0 ? 0 : 1); });
      populate(found);
    };
  }

  function options(id, labels, extra) {
    var settings = {
      id: id,
      source: engine(labels),
      showAllValues: true,
      confirmOnBlur: false,
      displayMenu: "overlay",
      tNoResults: function () { return words.noResults; },
      tStatusNoResults: function () { return words.noResults; },
      tStatusResults: function (count, selected) { return say(words.results, { count: count }) + " " + selected; },
      tStatusSelectedOption: function (option, count, index) {
        return say(words.highlighted, { option: option, index: index + 1, count: count });
      },
      tAssistiveHint: function () { return words.hint; }
    };
    Object.keys(extra).forEach(function (key) { settings[key] = extra[key]; });
    return settings;
  }

  function fieldError(select, message) {
    var field = select.closest(".field");
    var old = field.querySelector(".picker-error");
    if (old) { old.parentNode.removeChild(old); }
    if (!message) { return null; }
    var error = document.createElement("p");
    error.className = "error picker-error";
    error.setAttribute("role", "alert");
    error.textContent = message;
    field.appendChild(error);
    return error;
  }

  // On save: typed text that names a choice is chosen; text that names none stops the save, said on the field.
  function checkOnSubmit(select, input, byLabel, choose) {
    form.addEventListener("submit", function (event) {
      var text = input().value.trim();
      fieldError(select, null);
      if (!text && select.multiple) { return; }
      if (!text) { select.value = ""; return; }
      var named = byLabel[text] ? text : Object.keys(byLabel).filter(function (label) {
        return plain(label) === plain(text);  // the whole name typed, in any case or without its accents
      })[0];
      if (named) { choose(named); return; }
      event.preventDefault();
      fieldError(select, say(words.notAChoice, { text: text }));
      input().focus();
    });
  }

  function single(select) {
    var id = select.id;
    var byLabel = choicesOf(select);
    var holder = document.createElement("div");
    holder.className = "picker";
    select.id = id + "-select";
    select.parentNode.insertBefore(holder, select);
    select.hidden = true;
    var chosen = select.selectedIndex >= 0 && select.options[select.selectedIndex].value
      ? Object.keys(byLabel).filter(function (label) { return byLabel[label].selected; })[0] : "";
    window.accessibleAutocomplete(options(id, function () { return Object.keys(byLabel); }, {
      element: holder,
      defaultValue: chosen || "",
      onConfirm: function (label) { if (label && byLabel[label]) { byLabel[label].selected = true; } }
    }));
    checkOnSubmit(select, function () { return document.getElementById(id); }, byLabel, function (label) {
      byLabel[label].selected = true;
    });
  }

  function multiple(select) {
    var id = select.id;
    var name = select.getAttribute("data-picker");
    var byLabel = choicesOf(select);
    var box = document.createElement("div");
    box.className = "picker picker-multiple";
    var list = document.createElement("ul");
    list.className = "picked";
    list.setAttribute("aria-label", words.chosen + ": " + name);
    var none = document.createElement("p");
    none.className = "picked-none";
    none.textContent = words.nothingChosen;
    var holder = document.createElement("div");
    var status = document.createElement("p");
    status.className = "visually-hidden picker-status";
    status.setAttribute("aria-live", "polite");
    box.appendChild(list);
    box.appendChild(none);
    box.appendChild(holder);
    box.appendChild(status);
    select.id = id + "-select";
    select.parentNode.insertBefore(box, select);
    select.hidden = true;

    function unchosen() {
      return Object.keys(byLabel).filter(function (label) { return !byLabel[label].selected; });
    }

    function draw() {
      while (list.firstChild) { list.removeChild(list.firstChild); }
      Object.keys(byLabel).forEach(function (label) {
        if (!byLabel[label].selected) { return; }
        var item = document.createElement("li");
        var text = document.createElement("span");
        text.textContent = label;
        var button = document.createElement("button");
        button.type = "button";
        button.className = "picked-remove";
        button.textContent = "×";
        button.setAttribute("aria-label", say(words.remove, { label: label }));
        button.addEventListener("click", function () {
          byLabel[label].selected = false;
          draw();
          status.textContent = say(words.removed, { label: label });
          document.getElementById(id).focus();
        });
        item.appendChild(text);
        item.appendChild(button);
        list.appendChild(item);
      });
      none.hidden = list.children.length > 0;
      list.hidden = list.children.length === 0;
    }

    function choose(label) {
      if (!byLabel[label] || byLabel[label].selected) { return; }
      byLabel[label].selected = true;
      draw();
      status.textContent = say(words.added, { label: label });
    }

    // A fresh, empty search field after each choice (the component keeps its text otherwise).
    function mount(focus) {
      var element = document.createElement("div");
      holder.innerHTML = "";
      holder.appendChild(element);
      window.accessibleAutocomplete(options(id, unchosen, {
        element: element,
        onConfirm: function (label) {
          if (!label) { return; }
          choose(label);
          window.setTimeout(function () { mount(true); }, 0);
        }
      }));
      if (focus) { document.getElementById(id).focus(); }
    }

    draw();
    mount(false);
    checkOnSubmit(select, function () { return document.getElementById(id); }, byLabel, choose);
  }

  Array.prototype.forEach.call(form.querySelectorAll("select[data-picker]"), function (select) {
    if (select.multiple) { multiple(select); } else { single(select); }
  });
}());
