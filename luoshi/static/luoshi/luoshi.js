// Tree browser: the first click loads children through htmx; later clicks fold and unfold them.
document.addEventListener("click", (event) => {
  const toggle = event.target.closest(".tree-toggle");
  if (!toggle) return;
  const children = toggle.closest(".tree-node").querySelector(":scope > .tree-children");
  const open = toggle.getAttribute("aria-expanded") !== "true";
  toggle.setAttribute("aria-expanded", String(open));
  children.hidden = !open;
});
