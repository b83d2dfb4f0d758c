// Keyboard shortcuts for the review queue. No inline script: the page's CSP allows only this file.
(function () {
  "use strict";
  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT");
  }
  function go(id) {
    var a = document.getElementById(id);
    if (a) window.location.href = a.href;
  }
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("decide");
    var curator = document.getElementById("curator");
    var hint = document.getElementById("hint");
    if (curator) {
      if (!curator.value) curator.value = localStorage.getItem("trialex-curator") || "";
      curator.addEventListener("change", function () { localStorage.setItem("trialex-curator", curator.value); });
    }
    document.querySelectorAll("select[data-autosubmit]").forEach(function (s) {
      s.addEventListener("change", function () { s.form.submit(); });
    });
    function submit(action) {
      var button = form.querySelector('button[value="' + action + '"]');
      if (!button) return;
      if (!curator.value.trim()) { hint.textContent = "Enter your name first."; curator.focus(); return; }
      localStorage.setItem("trialex-curator", curator.value);
      form.requestSubmit(button);
    }
    var value = document.getElementById("value");
    if (value) {
      value.addEventListener("keydown", function (e) {
        if (e.key === "Enter") { e.preventDefault(); submit("correct"); }
      });
    }
    var rows = Array.prototype.slice.call(document.querySelectorAll("#queue tbody tr[data-pk]"));
    var cursor = -1;
    function mark(i) {
      if (!rows.length) return;
      cursor = Math.max(0, Math.min(rows.length - 1, i));
      rows.forEach(function (r, j) { r.classList.toggle("cursor", j === cursor); });
      rows[cursor].scrollIntoView({ block: "nearest" });
    }
    document.addEventListener("keydown", function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (typing(document.activeElement)) {
        if (e.key === "Escape") document.activeElement.blur();
        return;
      }
      if (form) {
        if (e.key === "t") submit("accept_table");
        else if (e.key === "x") submit("accept_text");
        else if (e.key === "d") submit("dismiss");
        else if (e.key === "c") { e.preventDefault(); value.focus(); hint.textContent = "Type the value, then Enter."; }
        else if (e.key === "/") { e.preventDefault(); document.getElementById("comment").focus(); }
        else if (e.key === "j" || e.key === "ArrowRight") go("next");
        else if (e.key === "k" || e.key === "ArrowLeft") go("prev");
      } else if (e.key === "/" && document.getElementById("search")) {
        e.preventDefault();
        document.getElementById("search").focus();
      } else if (rows.length) {
        if (e.key === "j") mark(cursor + 1);
        else if (e.key === "k") mark(cursor - 1);
        else if (e.key === "Enter" && cursor >= 0) rows[cursor].querySelector("a").click();
      }
    });
  });
})();
