/** Small dependency-free SVG charts for evaluation reports. */

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1'];
const W = 720;
const H = 360;
const M = { top: 40, right: 150, bottom: 50, left: 60 };

function escape(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

function frame(title: string, yLabel: string, body: string, yMax: number, yTicks: number[]): string {
  const plotH = H - M.top - M.bottom;
  const y = (v: number) => M.top + plotH - (v / yMax) * plotH;
  const ticks = yTicks
    .map((t) => `<line x1="${M.left}" x2="${W - M.right}" y1="${y(t)}" y2="${y(t)}" stroke="#ddd"/><text x="${M.left - 6}" y="${y(t) + 4}" text-anchor="end" font-size="11">${t}</text>`)
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escape(title)}</text>
${ticks}
<text transform="translate(16 ${M.top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escape(yLabel)}</text>
${body}
</svg>
`;
}

function legend(series: string[]): string {
  return series
    .map((s, i) => `<rect x="${W - M.right + 16}" y="${M.top + i * 20}" width="12" height="12" fill="${PALETTE[i % PALETTE.length]}"/><text x="${W - M.right + 34}" y="${M.top + i * 20 + 10}" font-size="12">${escape(s)}</text>`)
    .join('');
}

export interface BarChart {
  title: string;
  yLabel: string;
  groups: string[];
  series: string[];
  /** values[series][group]; NaN draws nothing. */
  values: number[][];
  /** Optional [low, high] whiskers, same layout. */
  intervals?: Array<Array<[number, number]>>;
  yMax?: number;
}

export function barChart(c: BarChart): string {
  const yMax = c.yMax ?? Math.max(1e-9, ...c.values.flat().filter(Number.isFinite), ...(c.intervals?.flat().map((i) => i[1]).filter(Number.isFinite) ?? [])) * 1.1;
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const groupW = plotW / c.groups.length;
  const barW = (groupW * 0.8) / c.series.length;
  const y = (v: number) => M.top + plotH - (v / yMax) * plotH;
  let body = '';
  c.groups.forEach((g, gi) => {
    const x0 = M.left + gi * groupW + groupW * 0.1;
    body += `<text x="${M.left + gi * groupW + groupW / 2}" y="${H - M.bottom + 18}" text-anchor="middle" font-size="12">${escape(g)}</text>`;
    c.series.forEach((_, si) => {
      const v = c.values[si]?.[gi] ?? Number.NaN;
      if (!Number.isFinite(v)) return;
      const x = x0 + si * barW;
      body += `<rect x="${x}" y="${y(v)}" width="${barW - 2}" height="${M.top + plotH - y(v)}" fill="${PALETTE[si % PALETTE.length]}"><title>${escape(c.series[si]!)} ${escape(g)}: ${v.toFixed(3)}</title></rect>`;
      const interval = c.intervals?.[si]?.[gi];
      if (interval && interval.every(Number.isFinite)) {
        const cx = x + (barW - 2) / 2;
        body += `<line x1="${cx}" x2="${cx}" y1="${y(interval[0])}" y2="${y(interval[1])}" stroke="black"/><line x1="${cx - 4}" x2="${cx + 4}" y1="${y(interval[0])}" y2="${y(interval[0])}" stroke="black"/><line x1="${cx - 4}" x2="${cx + 4}" y1="${y(interval[1])}" y2="${y(interval[1])}" stroke="black"/>`;
      }
    });
  });
  return frame(c.title, c.yLabel, body + legend(c.series), yMax, niceTicks(yMax));
}

export interface BoxPlot {
  title: string;
  yLabel: string;
  /** One box per series: [p5, p25, p50, p75, p95]. */
  series: Array<{ name: string; quantiles: [number, number, number, number, number] }>;
}

export function boxPlot(c: BoxPlot): string {
  const yMax = Math.max(1e-9, ...c.series.map((s) => s.quantiles[4])) * 1.1;
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const slot = plotW / Math.max(1, c.series.length);
  const y = (v: number) => M.top + plotH - (v / yMax) * plotH;
  let body = '';
  c.series.forEach((s, i) => {
    const [p5, p25, p50, p75, p95] = s.quantiles;
    const cx = M.left + slot * i + slot / 2;
    const w = Math.min(60, slot * 0.5);
    const color = PALETTE[i % PALETTE.length];
    body += `<line x1="${cx}" x2="${cx}" y1="${y(p5)}" y2="${y(p95)}" stroke="black"/>`;
    body += `<rect x="${cx - w / 2}" y="${y(p75)}" width="${w}" height="${Math.max(1, y(p25) - y(p75))}" fill="${color}" stroke="black"><title>${escape(s.name)}: p5 ${p5.toFixed(1)}, p25 ${p25.toFixed(1)}, p50 ${p50.toFixed(1)}, p75 ${p75.toFixed(1)}, p95 ${p95.toFixed(1)}</title></rect>`;
    body += `<line x1="${cx - w / 2}" x2="${cx + w / 2}" y1="${y(p50)}" y2="${y(p50)}" stroke="black" stroke-width="2"/>`;
    body += `<text x="${cx}" y="${H - M.bottom + 18}" text-anchor="middle" font-size="12">${escape(s.name)}</text>`;
  });
  body += `<text x="${W - M.right + 16}" y="${M.top + 10}" font-size="11">box: p25–p75, line: p50</text><text x="${W - M.right + 16}" y="${M.top + 26}" font-size="11">whiskers: p5–p95</text>`;
  return frame(c.title, c.yLabel, body, yMax, niceTicks(yMax));
}

function niceTicks(max: number): number[] {
  const raw = max / 5;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let t = 0; t <= max + 1e-9; t += step) ticks.push(Number(t.toPrecision(6)));
  return ticks;
}
