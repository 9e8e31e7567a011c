// Tree browser: the first click loads children through htmx; later clicks fold and unfold them.
document.addEventListener("click", (event) => {
  const toggle = event.target.closest(".tree-toggle");
  if (!toggle) return;
  const children = toggle.closest(".tree-node").querySelector(":scope > .tree-children");
  const open = toggle.getAttribute("aria-expanded") !== "true";
  toggle.setAttribute("aria-expanded", String(open));
  children.hidden = !open;
});
// Phone cards: each cell of a table.table-cards without its own data-label is labelled with its
// column's header, shown before it when the table stacks into cards (luoshi.css).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table.table-cards").forEach((table) => {
    const heads = [...table.querySelectorAll(":scope > thead > tr > th")].map((th) => th.textContent.trim());
    table.querySelectorAll(":scope > tbody > tr").forEach((tr) => {
      [...tr.children].forEach((td, i) => {
        if (!td.hasAttribute("data-label") && !td.hasAttribute("colspan")) td.dataset.label = heads[i] || "";
      });
    });
  });
});
