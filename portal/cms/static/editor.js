// The portal desk's rich-text editor: it turns the body's textarea into
// an editing surface with a toolbar (paragraph, subheading, bold, lists,
// link, the article's own pictures) and writes the HTML back into the
// textarea when the form is sent. Without script the textarea is the
// editor; either way the server sanitises what arrives.
(function () {
  "use strict";
  var area = document.querySelector("textarea[data-rich]");
  if (!area || !document.execCommand) return;
  var form = area.form;
  var wrap = document.createElement("div");
  wrap.className = "rich";
  var bar = document.createElement("div");
  bar.className = "rich-bar";
  bar.setAttribute("role", "toolbar");
  bar.setAttribute("aria-label", "正文格式");
  var surface = document.createElement("div");
  surface.className = "rich-surface";
  surface.contentEditable = "true";
  surface.setAttribute("role", "textbox");
  surface.setAttribute("aria-multiline", "true");
  surface.setAttribute("aria-label", "正文");
  // The body points at its pictures by their public address (/files/…);
  // on the staff web the same files are under /portal/files/, so the
  // surface shows them from there and the body keeps the public one.
  function shown(html) { return html.replace(/(<img\b[^>]*\bsrc=")\/files\//g, "$1/portal/files/"); }
  function kept(html) { return html.replace(/(<img\b[^>]*\bsrc=")\/portal\/files\//g, "$1/files/"); }
  surface.innerHTML = shown(area.value) || "<p><br></p>";
  var source = false;

  function button(label, title, run) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    b.title = title;
    b.addEventListener("click", function () {
      if (source) return;
      surface.focus();
      run();
    });
    bar.appendChild(b);
    return b;
  }
  document.execCommand("defaultParagraphSeparator", false, "p");
  button("段落", "普通段落", function () { document.execCommand("formatBlock", false, "p"); });
  button("小标题", "小标题", function () { document.execCommand("formatBlock", false, "h3"); });
  button("加粗", "加粗", function () { document.execCommand("bold"); });
  button("• 列表", "项目列表", function () { document.execCommand("insertUnorderedList"); });
  button("1. 编号", "编号列表", function () { document.execCommand("insertOrderedList"); });
  button("链接", "把选中的文字做成链接", function () {
    var url = window.prompt("链接地址（本站页面如 /art/12，或 https:// 开头的地址）", "https://");
    if (url) document.execCommand("createLink", false, url);
  });
  var images = [];
  try { images = JSON.parse(area.getAttribute("data-images") || "[]"); } catch (e) { images = []; }
  if (images.length) {
    var pick = document.createElement("select");
    pick.setAttribute("aria-label", "插入图片");
    var first = document.createElement("option");
    first.value = "";
    first.textContent = "插入图片…";
    pick.appendChild(first);
    images.forEach(function (im) {
      var o = document.createElement("option");
      o.value = im.src;
      o.textContent = im.name;
      pick.appendChild(o);
    });
    pick.addEventListener("change", function () {
      if (!pick.value) return;
      var alt = pick.options[pick.selectedIndex].textContent.replace(/\.[^.]+$/, "");
      surface.focus();
      var img = document.createElement("img");
      img.setAttribute("src", "/portal" + pick.value);
      img.alt = alt;
      document.execCommand("insertHTML", false, "<p>" + img.outerHTML + "</p>");
      pick.value = "";
    });
    bar.appendChild(pick);
  }
  var toggle = button("HTML 源码", "在所见即所得和 HTML 源码之间切换", function () {});
  toggle.addEventListener("click", function () {
    source = !source;
    if (source) {
      area.value = kept(surface.innerHTML);
      surface.hidden = true;
      area.hidden = false;
      area.focus();
    } else {
      surface.innerHTML = shown(area.value);
      area.hidden = true;
      surface.hidden = false;
      surface.focus();
    }
    toggle.setAttribute("aria-pressed", source ? "true" : "false");
  });
  area.parentNode.insertBefore(wrap, area);
  wrap.appendChild(bar);
  wrap.appendChild(surface);
  wrap.appendChild(area);
  area.hidden = true;
  var label = document.querySelector("label[for='" + area.id + "']");
  if (label) label.addEventListener("click", function () { if (!source) surface.focus(); });
  form.addEventListener("submit", function () {
    if (!source) area.value = kept(surface.innerHTML);
  });
})();
