/* The pages' few scripts, in one static file: the Content-Security-Policy allows no inline script
   (script-src 'self'). Each behaviour is switched on by a data attribute in the templates. */
(function () {
  'use strict';

  // <input type="checkbox" data-check-all="SELECTOR">: ticks or clears every box SELECTOR finds
  document.querySelectorAll('[data-check-all]').forEach(function (all) {
    all.addEventListener('change', function () {
      document.querySelectorAll(all.getAttribute('data-check-all')).forEach(function (b) { b.checked = all.checked; });
    });
  });

  // <a data-back>: back to the previous page (the link's own href, "/", without history)
  document.querySelectorAll('a[data-back]').forEach(function (a) {
    a.addEventListener('click', function (e) {
      if (window.history.length > 1) { e.preventDefault(); window.history.back(); }
    });
  });

  // the new-claim form: "增加一行" adds an empty invoice row
  var addRow = document.getElementById('add-row');
  if (addRow) {
    addRow.addEventListener('click', function () {
      var body = document.querySelector('#invoices tbody');
      var row = body.rows[body.rows.length - 1].cloneNode(true);
      row.querySelectorAll('input').forEach(function (i) { i.value = ''; });
      row.cells[0].textContent = body.rows.length + 1;
      body.appendChild(row);
    });
  }

  // a background job's page (<section id="job" data-job="ID" data-finished="no">): poll its progress
  var job = document.getElementById('job');
  if (job && job.getAttribute('data-job')) {
    var id = job.getAttribute('data-job');
    var show = function (s) {
      var bar = document.getElementById('bar');
      bar.max = s.total || 1; bar.value = s.done;
      document.getElementById('count').textContent = s.total ? ('已处理 ' + s.done + ' / ' + s.total) : '准备中…';
      document.getElementById('state').textContent = s.finished ? (s.error ? '失败' : '已完成') : (s.state === 'queued' ? '排队中，请稍候…' : '进行中，请稍候…');
      if (s.error) { var e = document.getElementById('error'); e.textContent = s.error; e.hidden = false; }
      if (s.download) { var d = document.getElementById('download'); d.href = s.download; d.textContent = '下载 ' + s.filename; d.hidden = false; }
      if (s.href) { var h = document.getElementById('href'); h.href = s.href; h.textContent = s.message || '查看结果'; h.hidden = false; }
      return s.finished;
    };
    var poll = function () {
      fetch('/jobs/' + encodeURIComponent(id) + '.json', {credentials: 'same-origin'})
        .then(function (r) { return r.json(); })
        .then(function (s) { if (!show(s)) { setTimeout(poll, 700); } })
        .catch(function () { setTimeout(poll, 2000); });
    };
    if (job.getAttribute('data-finished') !== 'yes') { setTimeout(poll, 300); }
  }
})();
