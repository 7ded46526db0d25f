#include "web/assets.hpp"

namespace lbha::web {

std::string_view stylesheet() {
  return R"css(body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: #222; background: #f4f5f7; }
.bar { display: flex; gap: 1.5em; align-items: center; padding: .5em 1em; background: #263238; color: #eceff1; }
.bar a { color: #eceff1; }
.bar .brand { font-weight: bold; }
.bar .user { margin-left: auto; }
.bar form { margin: 0; }
main { padding: 1em 1.5em; }
h1 { font-size: 1.3em; margin: .2em 0 .8em; }
.error { color: #b71c1c; font-weight: bold; }
.notice, #lbctl-output { background: #fffde7; border: 1px solid #f9a825; padding: .5em; white-space: pre-wrap; }
svg.graph { vertical-align: middle; }
svg.graph polyline { fill: none; stroke: #1565c0; stroke-width: 1.5; }
#lbctl-output.failed { background: #ffebee; border-color: #c62828; }
.why, .hint, .refresh { color: #555; }
.role { font-weight: bold; }
.role-ACTIVE { color: #1b5e20; }
.role-PASSIVE { color: #0d47a1; }
.role-FAULT, .role-DEAD { color: #b71c1c; }
table.overview, table.list { border-collapse: collapse; background: #fff; margin-bottom: .5em; }
table.list th, table.list td { padding: .25em .7em; text-align: left; border-bottom: 1px solid #e0e0e0; }
table.list th { font-size: .8em; color: #555; }
table.list.rips { margin-left: 2em; }
a.button { display: inline-block; padding: .1em .6em; margin-right: .3em; border: 1px solid #90a4ae; border-radius: 3px; background: #eceff1; color: #222; text-decoration: none; }
form.edit label { display: grid; grid-template-columns: 11em 20em 1fr; gap: .75em; align-items: center; margin: .3em 0; }
form.edit .help, p.help { color: #555; font-size: .9em; }
pre.current, pre.status, pre.file { background: #fff; border: 1px solid #e0e0e0; padding: .5em; white-space: pre-wrap; }
p.question { font-weight: bold; }
table.overview th, table.overview td { padding: .25em .7em; text-align: left; border-bottom: 1px solid #e0e0e0; }
table.overview th { font-size: .8em; color: #555; }
table.overview td.num { text-align: right; }
table.overview tr.vip td { font-weight: bold; }
td.mark { font-size: 1.2em; }
tr.state-up td.mark, tr.state-up { color: #1b5e20; }
tr.state-up { background: #e8f5e9; }
tr.state-down { background: #ffebee; color: #b71c1c; }
tr.state-degraded, tr.state-on-backup, tr.state-drain, tr.state-serving { background: #fff8e1; color: #8d6e00; }
tr.state-halt { background: #eceff1; color: #37474f; }
td.actions form { display: inline; margin: 0 .2em 0 0; }
form.login { display: grid; gap: .7em; max-width: 20em; }
form.login input { display: block; width: 100%; }
.stale { color: #b71c1c; }
)css";
}

std::string_view script() {
  return R"js('use strict';
(function () {
  const box = document.getElementById('overview');
  if (!box) return;
  const stamp = document.getElementById('updated');
  async function poll() {
    try {
      const res = await fetch(box.dataset.poll, {credentials: 'same-origin', cache: 'no-store'});
      if (res.status === 401) { window.location.assign('/lbadmin/login'); return; }
      if (!res.ok) throw new Error('HTTP ' + res.status);
      const doc = await res.json();
      // The fragment is rendered and escaped by lbha-webd, like the page itself.
      box.innerHTML = doc.html;
      if (stamp) { stamp.textContent = 'Last update ' + new Date().toLocaleTimeString(); stamp.className = ''; }
    } catch (e) {
      if (stamp) { stamp.textContent = 'Not updated: ' + e.message; stamp.className = 'stale'; }
    }
  }
  setInterval(poll, 2000);
})();
)js";
}

}  // namespace lbha::web
