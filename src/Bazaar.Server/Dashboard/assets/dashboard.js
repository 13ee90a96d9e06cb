// Bazaar dashboard: theme toggle, phone menu, htmx's anti-forgery header, and the overview charts (Chart.js).
(function () {
  'use strict';
  const root = document.documentElement;

  function isDark() {
    return root.dataset.theme ? root.dataset.theme === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
  }

  document.addEventListener('DOMContentLoaded', function () {
    const toggle = document.getElementById('theme-toggle');
    if (toggle) toggle.addEventListener('click', function () {
      root.dataset.theme = isDark() ? 'light' : 'dark';
      try { localStorage.setItem('bz-theme', root.dataset.theme); } catch (e) { /* private mode */ }
      drawCharts();
    });
    const menu = document.querySelector('.menu-toggle');
    if (menu) menu.addEventListener('click', function () {
      const nav = document.getElementById('nav');
      nav.classList.toggle('open');
      menu.setAttribute('aria-expanded', nav.classList.contains('open'));
    });
    // "Select all" checkboxes: data-select-all="ids" ticks every checkbox named ids on the page.
    document.querySelectorAll('input[data-select-all]').forEach(function (all) {
      all.addEventListener('change', function () {
        document.querySelectorAll('input[type=checkbox][name="' + all.dataset.selectAll + '"]').forEach(function (c) { c.checked = all.checked; });
      });
    });
    drawCharts();
  });

  // htmx requests carry the page's anti-forgery token as a header.
  document.addEventListener('htmx:configRequest', function (e) {
    const t = document.querySelector('input[name="__RequestVerificationToken"]');
    if (t) e.detail.headers['X-CSRF-TOKEN'] = t.value;
  });

  function drawCharts() {
    const dataEl = document.getElementById('chart-data');
    if (!dataEl || !window.Chart) return;
    const data = JSON.parse(dataEl.textContent);
    const css = getComputedStyle(root);
    const colors = ['--chart-1', '--chart-4', '--chart-2', '--chart-3'].map(function (v) { return css.getPropertyValue(v).trim(); });
    const grid = css.getPropertyValue('--grid'), fg = css.getPropertyValue('--muted');
    document.querySelectorAll('canvas[data-chart]').forEach(function (canvas) {
      const i = data.series.findIndex(function (s) { return s.id === canvas.dataset.chart; });
      if (i < 0) return;
      const s = data.series[i];
      const old = Chart.getChart(canvas);
      if (old) old.destroy();
      new Chart(canvas, {
        type: s.id === 'users' || s.id === 'orders' ? 'bar' : 'line',
        data: { labels: data.labels, datasets: [{ label: s.label, data: s.data, borderColor: colors[i], backgroundColor: colors[i] + '55', fill: true, tension: .25, pointRadius: 2 }] },
        options: {
          animation: false, responsive: true, maintainAspectRatio: false,
          plugins: { legend: { labels: { color: fg } } },
          scales: { x: { ticks: { color: fg, maxTicksLimit: 10 }, grid: { color: grid } }, y: { beginAtZero: true, ticks: { color: fg, precision: 0 }, grid: { color: grid } } },
        },
      });
    });
  }
})();
