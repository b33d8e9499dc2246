// The Market Portal's behaviour: countdowns, confirmations and the uPlot charts. No other origin.
"use strict";

function countdowns() {
  // The market clock is the server's (a demo runs inside a bid window): keep its offset from ours.
  const marketNow = Date.parse(document.body.dataset.marketNow || "");
  const skew = Number.isNaN(marketNow) ? 0 : marketNow - Date.now();
  const nodes = document.querySelectorAll("[data-countdown]");
  const tick = () => {
    const now = Date.now() + skew;
    nodes.forEach((node) => {
      const left = Math.max(0, Date.parse(node.dataset.countdown) - now) / 1000;
      const d = Math.floor(left / 86400), h = Math.floor((left % 86400) / 3600);
      const m = Math.floor((left % 3600) / 60), s = Math.floor(left % 60);
      node.textContent = left <= 0 ? "closed" : `${d} d ${h} h ${m} min ${s} s`;
    });
  };
  if (nodes.length) { tick(); setInterval(tick, 1000); }
}

function confirmations() {
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
}

function chartData(node) {
  return JSON.parse(document.getElementById(node.dataset.source).textContent);
}

function nodalChart(node) {
  const data = chartData(node);
  const xs = data.prices.map((_, i) => i);
  const marks = data.prices.map((p, i) => (data.highlight.includes(data.points[i]) ? p : null));
  const opts = {
    width: Math.min(1000, node.clientWidth || 900), height: 300,
    scales: { x: { time: false } },
    axes: [{ label: "pricing points, lowest price first" }, { label: "$/MW" }],
    series: [
      { label: "point", value: (u, i) => (i == null ? "" : data.points[i] || "") },
      { label: "nodal price", stroke: "#0b4f9c", width: 2 },
      { label: "source / sink", stroke: "#a40000", points: { show: true, size: 9 }, paths: () => null },
    ],
  };
  return new uPlot(opts, [xs, data.prices, marks], node);
}

function hourlyChart(node) {
  const data = chartData(node);
  const ts = data.t.map((t) => Date.parse(t.replace(" ", "T")) / 1000);
  const opts = {
    width: Math.min(1000, node.clientWidth || 900), height: 300,
    axes: [{}, { label: "$" }],
    series: [
      {},
      { label: "target allocation", stroke: "#0b4f9c", width: 1.5 },
      { label: "congestion credit", stroke: "#0a6b2d", width: 1.5 },
    ],
  };
  return new uPlot(opts, [ts, data.ta, data.credit], node);
}

function charts() {
  document.querySelectorAll("[data-chart]").forEach((node) => {
    const chart = node.dataset.chart === "nodal" ? nodalChart(node) : hourlyChart(node);
    node.dataset.drawn = chart ? "true" : "false";
  });
}

document.addEventListener("DOMContentLoaded", () => {
  countdowns();
  confirmations();
  charts();
});
