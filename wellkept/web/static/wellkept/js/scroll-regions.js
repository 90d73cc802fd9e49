/*
 * Keyboard access to boxes that scroll sideways (WCAG 2.1.1).
 *
 * On a narrow screen a wide table becomes its own horizontal scroll box
 * (wellkept.css, "Tables") so that it never widens the page. A mouse or a
 * finger can scroll it; a keyboard can only if the box takes focus. Each box
 * that really overflows gets tabindex="0" (and, unless it is the table
 * itself, the region role and the name of its table), so Tab reaches it and
 * the arrow keys scroll it. A box that fits again gives them back, so wide
 * screens get no useless tab stops. Without this script the boxes still
 * scroll by touch and pointer.
 */
(function () {
  "use strict";

  var SELECTOR = "table, .table-scroll, pre";
  var MARK = "data-scroll-region";

  function nameOf(box) {
    var caption = box.querySelector("caption");
    var text = caption ? caption.textContent.trim() : "";
    return text || "Scrollable content";
  }

  function update(box) {
    var overflows = box.scrollWidth > box.clientWidth + 1;
    var marked = box.hasAttribute(MARK);
    if (overflows && !marked && !box.hasAttribute("tabindex")) {
      box.setAttribute(MARK, "");
      box.setAttribute("tabindex", "0");
      if (box.tagName !== "TABLE") {
        // A table keeps its own role (and its caption as its name).
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", nameOf(box));
      }
    } else if (!overflows && marked) {
      box.removeAttribute(MARK);
      box.removeAttribute("tabindex");
      if (box.tagName !== "TABLE") {
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    }
  }

  var boxes = Array.prototype.slice.call(document.querySelectorAll(SELECTOR));
  boxes.forEach(update);
  if ("ResizeObserver" in window) {
    // Also covers a box inside <details> that is opened later.
    var observer = new ResizeObserver(function (entries) {
      entries.forEach(function (entry) {
        update(entry.target);
      });
    });
    boxes.forEach(function (box) {
      observer.observe(box);
    });
  }
})();
