/* The employment figures page's trend (docs/domain.md §23 "Figures"): the last twelve months' employed
 * against the same months of the base year, drawn with Apache ECharts served by the app itself.
 *
 * The data is a <script type="application/json"> island the page wrote with json_script: {labels, unit,
 * series: [{name, values}]}. No inline code and no eval (the Content-Security-Policy forbids both,
 * docs/security.md §7): the tooltip is drawn on the canvas (renderMode "richText"). A chart that cannot be
 * drawn says so and opens its table.
 */
(function () {
  'use strict';

  var COLOURS = ['#8b1a1a', '#7a8591'];

  function unavailable(el, why) {
    el.classList.add('chart-unavailable');
    el.textContent = why;
    var section = el.closest('section');
    var details = section && section.querySelector('details.chart-table');
    if (details) { details.open = true; }
  }

  function draw(el) {
    var source = document.getElementById(el.getAttribute('data-source'));
    if (!source) { return null; }
    if (typeof window.echarts === 'undefined') {
      unavailable(el, '图表组件未能加载,请查看下方数据表。');
      return null;
    }
    var data = JSON.parse(source.textContent);
    if (!data.labels.length) {
      unavailable(el, '没有可画的数据。');
      return null;
    }
    var chart = window.echarts.init(el, null, { renderer: 'canvas', locale: 'ZH' });
    chart.setOption({
      color: COLOURS,
      animation: false,
      legend: { top: 0 },
      grid: { left: 8, right: 28, top: 32, bottom: 8, containLabel: true },
      tooltip: {
        trigger: 'axis',
        renderMode: 'richText',
        confine: true,
        valueFormatter: function (value) { return Number(value).toLocaleString('zh-CN') + ' ' + data.unit; }
      },
      xAxis: { type: 'category', data: data.labels, boundaryGap: false },
      yAxis: { type: 'value', name: data.unit, minInterval: 1 },
      series: data.series.map(function (s, i) {
        return { name: s.name, type: 'line', data: s.values, symbolSize: 7, lineStyle: { type: i ? 'dashed' : 'solid' } };
      })
    });
    el.classList.add('drawn');
    el.setAttribute('data-points', String(data.labels.length));
    return chart;
  }

  function start() {
    var charts = [];
    document.querySelectorAll('.employment-trend[data-source]').forEach(function (el) {
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
