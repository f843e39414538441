// 南湖 staff pages: the one script. Every page works without it; it only
// enhances: the live to-do stream on the 工作台, the progress bar of a long
// job, and a question before a destructive button.
(function () {
  "use strict";

  // A button with data-confirm asks before its form is sent.
  document.addEventListener("submit", function (ev) {
    var b = ev.submitter;
    var q = (b && b.getAttribute("data-confirm")) || ev.target.getAttribute("data-confirm");
    if (q && !window.confirm(q)) {
      ev.preventDefault();
    }
  });

  // Live to-dos: the page keeps the notification stream open (which makes
  // its person "online": routing then sends no SMS for what arrives) and
  // puts each new to-do at the top of the list.
  function liveTodos(box) {
    if (!window.EventSource) {
      return;
    }
    var list = box.querySelector("ul.todos");
    var state = box.querySelector(".live-state");
    var empty = box.querySelector(".todo-empty");
    var count = document.querySelector("[data-todo-count]");
    var seen = {};
    var setState = function (s) { if (state) { state.textContent = s; } };
    var es = new EventSource(box.getAttribute("data-stream"));
    es.addEventListener("open", function () { setState("已连接：新的待办会自动出现在这里。"); });
    es.addEventListener("error", function () { setState("连接中断，正在重新连接……"); });
    es.addEventListener("todo", function (m) {
      var ev;
      try { ev = JSON.parse(m.data); } catch (e) { return; }
      if (!ev || !ev.todo || seen[ev.event_id]) { return; }
      seen[ev.event_id] = true;
      var t = ev.todo;
      var li = document.createElement("li");
      li.className = "new" + (t.urgency ? " urgent" : "");
      li.setAttribute("data-todo-id", t.id || "");
      var head = document.createElement("div");
      if (t.urgency) {
        var u = document.createElement("span");
        u.className = "tag urgent";
        u.textContent = t.urgency;
        head.appendChild(u);
      }
      var what = {created: "新待办", reassigned: "转给您", done: "已办结", overdue: "已超期", escalated: "催办"}[ev.type] || ev.type;
      var k = document.createElement("span");
      k.className = "tag role";
      k.textContent = what;
      head.appendChild(k);
      var title = document.createElement("strong");
      title.textContent = t.title || "(无标题)";
      head.appendChild(title);
      li.appendChild(head);
      var meta = document.createElement("div");
      meta.className = "meta";
      var bits = [];
      if (t.doc_number) { bits.push(t.doc_number); }
      if (ev.assignee_name) { bits.push("承办人：" + ev.assignee_name); }
      if (t.due) {
        var d = new Date(t.due);
        if (!isNaN(d)) { bits.push("期限：" + shanghaiTime(d)); }
      }
      meta.textContent = bits.join(" · ");
      li.appendChild(meta);
      list.insertBefore(li, list.firstChild);
      if (empty) { empty.hidden = true; }
      if (count) { count.textContent = String(list.children.length); }
    });
  }

  // shanghaiTime writes d as the server does: 2026-12-10 17:00, Beijing time.
  function shanghaiTime(d) {
    var p = {};
    try {
      new Intl.DateTimeFormat("en-GB", {timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", hour12: false}).formatToParts(d).forEach(function (x) { p[x.type] = x.value; });
    } catch (e) {
      return d.toLocaleString();
    }
    return p.year + "-" + p.month + "-" + p.day + " " + p.hour + ":" + p.minute;
  }

  // A job's page: the bar moves as the job goes, without reloading.
  function jobProgress(box) {
    var url = box.getAttribute("data-job-status");
    var bar = box.querySelector("progress");
    var pct = box.querySelector(".job-percent");
    var note = box.querySelector(".job-note");
    var state = box.querySelector(".job-state");
    var tick = function () {
      fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json(); })
        .then(function (j) {
          bar.value = j.percent;
          bar.textContent = j.percent + "%";
          pct.textContent = j.percent + "%";
          note.textContent = j.note || "";
          if (j.state === "running") {
            window.setTimeout(tick, 700);
          } else {
            state.textContent = j.state === "done" ? "已完成。" + (j.result || "") : "失败：" + (j.error || "");
          }
        })
        .catch(function () { window.setTimeout(tick, 2000); });
    };
    if (box.querySelector(".job-state") && /正在进行/.test(state.textContent)) {
      window.setTimeout(tick, 300);
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-stream]").forEach(liveTodos);
    document.querySelectorAll("[data-job-status]").forEach(jobProgress);
  });
})();
