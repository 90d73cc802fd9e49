/*
 * The unit list on the join page, narrowed as you type.
 *
 * The page works without this script: a <select> grouped by department.
 * With it, a search box above the list keeps only the units whose name, or
 * whose department's name, holds every word typed ("icu", "ward 4",
 * "emerg"); when one unit is left it is chosen at once, and a status line
 * (announced by screen readers) says how many match. The <select> stays the
 * field that is sent, so the server checks the choice as before.
 */
(function () {
  "use strict";

  var picker = document.querySelector("[data-unit-picker]");
  var select = picker && picker.querySelector("[data-unit-select]");
  if (!select) {
    return;
  }

  function normalise(text) {
    return text
      .normalize("NFD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, " ")
      .trim();
  }

  var groups = Array.prototype.map.call(select.querySelectorAll("optgroup"), function (group) {
    var heading = normalise(group.label);
    return {
      element: group,
      options: Array.prototype.map.call(group.querySelectorAll("option"), function (option) {
        return { element: option, text: " " + normalise(option.textContent) + " " + heading };
      }),
    };
  });
  var total = groups.reduce(function (n, g) {
    return n + g.options.length;
  }, 0);

  var searchId = select.id + "-search";
  var statusId = select.id + "-status";
  var label = document.createElement("label");
  label.className = "unit-picker__label";
  label.htmlFor = searchId;
  label.textContent = "Type part of its name to narrow the list";
  var search = document.createElement("input");
  search.type = "search";
  search.id = searchId;
  search.className = "unit-picker__search";
  search.setAttribute("autocomplete", "off");
  search.setAttribute("autocapitalize", "off");
  search.setAttribute("spellcheck", "false");
  search.setAttribute("enterkeyhint", "done");
  search.setAttribute("aria-controls", select.id);
  search.setAttribute("aria-describedby", statusId);
  var status = document.createElement("p");
  status.id = statusId;
  status.className = "helptext unit-picker__status";
  status.setAttribute("aria-live", "polite");
  select.parentNode.insertBefore(label, select);
  select.parentNode.insertBefore(search, select);
  select.parentNode.insertBefore(status, select.nextSibling);

  function matches(entry, words) {
    return words.every(function (word) {
      return entry.text.indexOf(word) !== -1;
    });
  }

  // Options are moved out of the list, not hidden: a phone's own picker
  // ignores "hidden" on options, but it only shows those in the list.
  function show(words) {
    var kept = [];
    groups.forEach(function (group) {
      if (group.element.parentNode === select) {
        select.removeChild(group.element);
      }
      while (group.element.firstChild) {
        group.element.removeChild(group.element.firstChild);
      }
      group.options.forEach(function (entry) {
        if (matches(entry, words)) {
          group.element.appendChild(entry.element);
          kept.push(entry.element);
        }
      });
      if (group.element.firstChild) {
        select.appendChild(group.element);
      }
    });
    return kept;
  }

  function update() {
    var chosen = select.value;
    var words = normalise(search.value).split(" ").filter(Boolean);
    var kept = show(words);
    if (!words.length) {
      select.value = chosen;
      status.textContent = total + " units and departments. Type to narrow the list.";
    } else if (!kept.length) {
      show([]);
      select.value = chosen;
      status.textContent =
        "Nothing matches \u201c" +
        search.value.trim() +
        "\u201d. Try fewer letters, or your department's name.";
    } else if (kept.length === 1) {
      select.value = kept[0].value;
      status.textContent = "Chosen: " + kept[0].textContent + ". You can go on.";
    } else {
      var stillThere = kept.some(function (option) {
        return option.value === chosen;
      });
      select.value = stillThere ? chosen : "";
      status.textContent = kept.length + " match. Choose yours from the list below.";
    }
  }

  search.addEventListener("input", update);
  search.addEventListener("keydown", function (event) {
    // Enter would send the whole form from here; move on to the list instead.
    if (event.key === "Enter") {
      event.preventDefault();
      select.focus();
    }
  });
  update();
})();
