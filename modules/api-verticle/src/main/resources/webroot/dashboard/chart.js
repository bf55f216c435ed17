// A small time-series line chart drawn on a <canvas>: a fixed window of samples, one y axis that
// grows to fit (rounded to 1/2/5 steps), a legend. No library.

const WINDOW_MS = 5 * 60 * 1000;

function niceCeiling(v) {
  if (!(v > 0)) {
    return 1;
  }
  const pow = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) {
    if (v <= m * pow) {
      return m * pow;
    }
  }
  return 10 * pow;
}

function formatNumber(v) {
  if (v >= 1e6) {
    return (v / 1e6).toFixed(v >= 1e7 ? 0 : 1) + 'M';
  }
  if (v >= 1e3) {
    return (v / 1e3).toFixed(v >= 1e4 ? 0 : 1) + 'k';
  }
  return v >= 10 || v === 0 ? String(Math.round(v)) : v.toFixed(1);
}

export class TimeChart {
  /**
   * @param canvas the element to draw on
   * @param series [{label, color, dash}] one line each (dash: a canvas line-dash pattern)
   * @param unit text after the axis label (e.g. "rows/s")
   */
  constructor(canvas, series, unit) {
    this.canvas = canvas;
    this.series = series;
    this.unit = unit;
    this.samples = []; // {t, values: [..]}
    new ResizeObserver(() => this.draw()).observe(canvas);
  }

  push(t, values) {
    this.samples.push({ t, values });
    while (this.samples.length && this.samples[0].t < t - WINDOW_MS) {
      this.samples.shift();
    }
    this.draw();
  }

  get size() {
    return this.samples.length;
  }

  draw() {
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (width === 0 || height === 0) {
      return;
    }
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const g = canvas.getContext('2d');
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    const style = getComputedStyle(canvas);
    const ink = style.getPropertyValue('--chart-ink').trim() || '#888';
    const grid = style.getPropertyValue('--chart-grid').trim() || '#ddd';
    const left = 48;
    const right = 8;
    const top = 22;
    const bottom = 20;
    const plotW = width - left - right;
    const plotH = height - top - bottom;
    const now = this.samples.length ? this.samples[this.samples.length - 1].t : Date.now();
    const t0 = now - WINDOW_MS;
    let max = 0;
    for (const s of this.samples) {
      for (const v of s.values) {
        if (Number.isFinite(v)) {
          max = Math.max(max, v);
        }
      }
    }
    const step = niceCeiling(max / 4);
    max = step * 4;

    g.font = '11px system-ui, sans-serif';
    g.lineWidth = 1;
    g.strokeStyle = grid;
    g.fillStyle = ink;
    g.textAlign = 'right';
    g.textBaseline = 'middle';
    for (let i = 0; i <= 4; i++) {
      const y = top + plotH - (plotH * i) / 4;
      g.beginPath();
      g.moveTo(left, Math.round(y) + 0.5);
      g.lineTo(left + plotW, Math.round(y) + 0.5);
      g.stroke();
      g.fillText(formatNumber(step * i), left - 6, y);
    }
    g.textAlign = 'center';
    g.textBaseline = 'top';
    for (let m = 0; m <= 5; m++) {
      const x = left + (plotW * m) / 5;
      g.fillText(m === 5 ? 'now' : `-${5 - m} min`, x, top + plotH + 5);
    }

    // legend
    g.textAlign = 'left';
    g.textBaseline = 'middle';
    let lx = left;
    for (const s of this.series) {
      g.fillStyle = s.color;
      g.fillRect(lx, 7, 12, 3);
      g.fillStyle = ink;
      const label = `${s.label}`;
      g.fillText(label, lx + 16, 9);
      lx += 16 + g.measureText(label).width + 16;
    }
    g.textAlign = 'right';
    g.fillText(this.unit, left + plotW, 9);

    this.series.forEach((s, i) => {
      g.strokeStyle = s.color;
      g.lineWidth = 2;
      g.setLineDash(s.dash || []);
      g.beginPath();
      let started = false;
      for (const sample of this.samples) {
        const v = sample.values[i];
        if (!Number.isFinite(v)) {
          started = false;
          continue;
        }
        const x = left + ((sample.t - t0) / WINDOW_MS) * plotW;
        const y = top + plotH - (v / max) * plotH;
        if (started) {
          g.lineTo(x, y);
        } else {
          g.moveTo(x, y);
          started = true;
        }
      }
      g.stroke();
      g.setLineDash([]);
    });
  }
}
