/* The charts of the reports pages (docs/reports.md §2), drawn with Apache ECharts served by the app itself.
 *
 * Each <div class="chart" data-source="ID"> names a <script type="application/json" id="ID"> island that the
 * page wrote with json_script: {kind, name, unit, labels, values, urls}. No inline code and no eval (the
 * Content-Security-Policy forbids both, docs/security.md §7): the tooltip is drawn on the canvas
 * (renderMode "richText") instead of as HTML with style attributes. A drawn chart gets class "drawn"; a
 * chart that cannot be drawn says so and opens its table.
 */
(function () {
  'use strict';

  var BRAND = '#8b1a1a';

  function unitText(data, value) {
    if (value === null || value === undefined) { return '—'; }
    var text = Number(value).toLocaleString('zh-CN', { maximumFractionDigits: 2 });
    return data.unit === '%' ? text + '%' : text + ' ' + data.unit;
  }

  function tooltip(data, trigger) {
    return {
      trigger: trigger,
      renderMode: 'richText',
      confine: true,
      valueFormatter: function (value) { return unitText(data, value); }
    };
  }

  // Counts step by whole numbers; a percentage or an amount per person may not.
  function minInterval(data) {
    return data.unit === '%' || data.unit === '元' ? 0 : 1;
  }

  function lineOption(data) {
    return {
      color: [BRAND],
      animation: false,
      // The right margin leaves room for the last month's label under the end of the axis.
      grid: { left: 8, right: 28, top: 24, bottom: 8, containLabel: true },
      tooltip: tooltip(data, 'axis'),
      xAxis: { type: 'category', data: data.labels, boundaryGap: false },
      yAxis: { type: 'value', name: data.unit, minInterval: minInterval(data) },
      series: [{ name: data.name, type: 'line', data: data.values, connectNulls: false, symbolSize: 7 }]
    };
  }

  function barOption(data) {
    return {
      color: [BRAND],
      animation: false,
      grid: { left: 8, right: 16, top: 24, bottom: 8, containLabel: true },
      tooltip: tooltip(data, 'item'),
      xAxis: { type: 'category', data: data.labels, axisLabel: { interval: 0, rotate: data.labels.length > 6 ? 30 : 0 } },
      yAxis: { type: 'value', name: data.unit, minInterval: minInterval(data) },
      series: [{ name: data.name, type: 'bar', data: data.values, barMaxWidth: 40 }]
    };
  }

  // A ranking: one bar per unit, the first ranked on top, the value at the end of its bar.
  function rankingOption(data) {
    return {
      color: [BRAND],
      animation: false,
      grid: { left: 8, right: 56, top: 8, bottom: 8, containLabel: true },
      tooltip: tooltip(data, 'item'),
      xAxis: { type: 'value', name: data.unit, minInterval: minInterval(data) },
      yAxis: { type: 'category', data: data.labels, inverse: true, axisLabel: { interval: 0 } },
      series: [{
        name: data.name,
        type: 'bar',
        data: data.values,
        barMaxWidth: 22,
        label: { show: true, position: 'right', formatter: function (p) { return unitText(data, p.value); } }
      }]
    };
  }

  function unavailable(el, why) {
    el.classList.add('chart-unavailable');
    el.textContent = why;
    var section = el.closest('section');
    var details = section && section.querySelector('details.chart-table');
    if (details) { details.open = true; }
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute('data-source'));
    if (!source) { return; }
    if (typeof window.echarts === 'undefined') {
      unavailable(el, '图表组件未能加载,请查看下方数据表。');
      return;
    }
    var data = JSON.parse(source.textContent);
    if (!data.labels.length) {
      unavailable(el, '没有可画的数据。');
      return;
    }
    var option = data.kind === 'line' ? lineOption(data) : data.kind === 'hbar' ? rankingOption(data) : barOption(data);
    if (data.kind === 'hbar') {
      // Room for every unit's bar (CSSOM, which the policy allows; style attributes it does not).
      el.style.height = Math.max(220, data.labels.length * 28 + 48) + 'px';
    }
    var chart = window.echarts.init(el, null, { renderer: 'canvas', locale: 'ZH' });
    chart.setOption(option);
    var urls = data.urls || [];
    if (urls.some(function (u) { return !!u; })) {
      el.classList.add('clickable');
      chart.on('click', function (params) {
        var url = urls[params.dataIndex];
        if (url) { window.location.assign(url); }
      });
    }
    el.classList.add('drawn');
    el.setAttribute('data-points', String(data.values.length));
    return chart;
  }

  function start() {
    var charts = [];
    document.querySelectorAll('.chart[data-source]').forEach(function (el) {
      var chart = draw(el);
      if (chart) { charts.push(chart); }
    });
    var pending = null;
    window.addEventListener('resize', function () {
      if (pending) { window.clearTimeout(pending); }
      pending = window.setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 150);
    });
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
}());
