// The coverage page's refresh, run in the browser: every config.everyMs it
// fetches the report as JSON from config.url and redraws the buckets and the
// badge; on failure it shows a banner and dims the stale counts.
(function () {
  // Written by the server into <script type="application/json" id="coverage-config">.
  var config = JSON.parse(document.getElementById('coverage-config').textContent);
  var banner = document.getElementById('refresh-error');
  var buckets = document.getElementById('buckets');
  function list(el, items) {
    var section = el.closest('section');
    var old = section.querySelector('ul, p:not(.note)');
    var next;
    if (items.length === 0) {
      next = document.createElement('p');
      next.className = 'muted';
      next.textContent = 'None';
    } else {
      next = document.createElement('ul');
      items.forEach(function (t) {
        // a name, or [name, note]: the triggers a table lacks
        var li = document.createElement('li');
        var c = document.createElement('code');
        c.textContent = typeof t === 'string' ? t : t[0];
        li.appendChild(c);
        if (typeof t !== 'string') {
          var note = document.createElement('span');
          note.className = 'muted';
          note.textContent = t[1];
          li.appendChild(document.createTextNode(' '));
          li.appendChild(note);
        }
        next.appendChild(li);
      });
    }
    if (old) section.replaceChild(next, old);
    else section.appendChild(next);
    el.textContent = String(items.length);
  }
  function refresh() {
    fetch(config.url, { headers: { accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (res) {
        return res.json().then(function (body) {
          if (!res.ok) throw new Error(body.message || 'HTTP ' + res.status);
          return body;
        });
      })
      .then(function (r) {
        if (!buckets.querySelector('.buckets')) {
          location.reload();
          return;
        }
        var withMissing = function (t) {
          var missing = (r.missingTriggers || {})[t] || [];
          return missing.length && missing.length < 4 ? [t, 'missing ' + missing.join(', ')] : t;
        };
        var expected = r.uncoveredExpected.map(withMissing).concat(
          r.missingExpected.map(function (t) {
            return t + ' (missing)';
          }),
        );
        var unclassified = r.unclassified.map(withMissing);
        var uncovered = expected.concat(unclassified);
        list(buckets.querySelector('[data-count="covered"]'), r.covered);
        list(buckets.querySelector('[data-count="uncovered"]'), expected);
        list(buckets.querySelector('[data-count="unclassified"]'), unclassified);
        list(buckets.querySelector('[data-count="expected"]'), r.expectedUncovered);
        var drift = [];
        r.drift.forEach(function (d) {
          d.differences.forEach(function (x) {
            drift.push(d.table + ': ' + x);
          });
        });
        list(buckets.querySelector('[data-count="drift"]'), drift);
        buckets.querySelector('[data-count="drift"]').textContent = String(r.drift.length);
        var parts = [];
        if (uncovered.length) parts.push(uncovered.length + ' uncovered');
        if (r.drift.length) parts.push(r.drift.length + ' with capture drift');
        var badge = document.getElementById('coverage-badge');
        badge.textContent = parts.length ? parts.join(', ') : 'All covered';
        badge.className = 'badge ' + (parts.length ? 'warn' : 'ok');
        var at = document.getElementById('refreshed-at');
        at.textContent = r.checkedAt;
        at.setAttribute('datetime', r.checkedAt);
        // shown like every other time on the pages: the viewer's time zone, UTC on hover
        if (window.threadlineLocalTime) window.threadlineLocalTime(at);
        buckets.classList.remove('stale');
        banner.hidden = true;
      })
      .catch(function (e) {
        banner.textContent =
          'Refresh failed at ' +
          new Date().toISOString() +
          ': ' +
          e.message +
          '. The counts below are from the last successful refresh and may be out of date.';
        banner.hidden = false;
        buckets.classList.add('stale');
      });
  }
  setInterval(refresh, config.everyMs);
})();
