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
// The photo button: the photos chosen (or just taken) are shown before they are sent, as data:
// URLs (the page's CSP allows those for images, not blob: ones).
document.addEventListener("change", (event) => {
  const input = event.target.closest("[data-photo-input]");
  if (!input) return;
  const previews = input.closest("[data-photo-field]").querySelector("[data-photo-previews]");
  previews.replaceChildren();
  [...input.files].forEach((file) => {
    if (!file.type.startsWith("image/")) return;
    const img = document.createElement("img");
    img.className = "evidence-thumb";
    img.alt = `待上传的照片：${file.name}`;
    img.dataset.testid = "photo-preview";
    const reader = new FileReader();
    reader.addEventListener("load", () => { img.src = reader.result; });
    reader.readAsDataURL(file);
    previews.append(img);
  });
  const count = document.createElement("div");
  count.className = "w-100 small text-secondary";
  count.textContent = input.files.length ? `已选 ${input.files.length} 张照片，提交后上传` : "";
  previews.append(count);
});
