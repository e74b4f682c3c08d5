/* Kunskapsbanken: progressive enhancement only. Autocomplete as an ARIA 1.2 combobox; the site works without it. */
(function () {
  "use strict";

  function setupCombobox(input) {
    var endpoint = input.getAttribute("data-suggest");
    var form = input.form;
    if (!endpoint || !form || !window.fetch) { return; }
    var listId = input.id + "-forslag";
    var list = document.createElement("ul");
    list.id = listId;
    list.className = "suggest-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Sökförslag");
    list.hidden = true;
    var live = document.createElement("div");
    live.className = "visually-hidden";
    live.setAttribute("aria-live", "polite");
    form.appendChild(list);
    form.appendChild(live);

    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", listId);

    var items = [];
    var active = -1;
    var timer = null;
    var lastQuery = null;
    var requestSeq = 0;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      active = index;
      for (var i = 0; i < items.length; i++) {
        items[i].setAttribute("aria-selected", i === index ? "true" : "false");
      }
      if (index >= 0) {
        input.setAttribute("aria-activedescendant", items[index].id);
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }

    function choose(text) {
      input.value = text;
      close();
      form.submit();
    }

    function render(suggestions) {
      list.textContent = "";
      items = [];
      suggestions.forEach(function (text, i) {
        var li = document.createElement("li");
        li.id = listId + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.textContent = text;
        li.addEventListener("mousedown", function (event) { event.preventDefault(); });
        li.addEventListener("click", function () { choose(text); });
        list.appendChild(li);
        items.push(li);
      });
      active = -1;
      if (items.length) {
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        live.textContent = items.length === 1 ? "1 förslag" : items.length + " förslag";
      } else {
        close();
      }
    }

    function fetchSuggestions() {
      // one space after the last word is kept: it says the word is whole ("hur anmäler man " is no "… mannen")
      var q = input.value.replace(/^\s+/, "").replace(/\s+$/, " ");
      if (q === lastQuery) { return; }
      lastQuery = q;
      if (q.trim().length < 2) { render([]); return; }
      var seq = ++requestSeq;
      fetch(endpoint + "?q=" + encodeURIComponent(q), { headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { suggestions: [] }; })
        .then(function (data) {
          if (seq === requestSeq && document.activeElement === input) { render(data.suggestions || []); }
        })
        .catch(function () { render([]); });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, 150);
    });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden && items.length > 0;
      if (event.key === "ArrowDown") {
        if (!open) { lastQuery = null; fetchSuggestions(); return; }
        event.preventDefault();
        highlight(active < items.length - 1 ? active + 1 : 0);
      } else if (event.key === "ArrowUp") {
        if (!open) { return; }
        event.preventDefault();
        highlight(active > 0 ? active - 1 : items.length - 1);
      } else if (event.key === "Enter") {
        if (open && active >= 0) {
          event.preventDefault();
          choose(items[active].textContent);
        }
      } else if (event.key === "Escape") {
        if (open) {
          event.preventDefault();
          close();
        }
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }

  function init() {
    var inputs = document.querySelectorAll("input[data-suggest]");
    for (var i = 0; i < inputs.length; i++) { setupCombobox(inputs[i]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
