/**
 * The run comparison's charts, drawn with Observable Plot from a RunComparison (src/eval/compare-runs.ts).
 * Plot itself is passed in: the page loads it lazily (RunCompare.svelte), so it is not in the main
 * bundle, and tests hand in the module with a DOM of their own (`layout.document`).
 *
 * Readable on a projector and safe under the app's Content-Security-Policy:
 * - sizes are in the page's em (`layout.em`, the text size in pixels): the text follows the page's
 *   font size and Present mode, and margins and rows grow with it; run labels wrap (`wrap`) and rows
 *   are as tall as their label; below NARROW_EM of width, run labels go above their bars instead of
 *   beside them;
 * - colours are passed in (`Palette`, read from the page's CSS variables), so light and dark mode
 *   both hold; every coloured mark also says in text what it is, so colour is never the only cue;
 * - Plot's inline <style> element is removed (the policy allows no inline styles; RunCompare.svelte's
 *   stylesheet has the same rules) and styles are set through the DOM, which the policy permits;
 * - each chart is an image with an accessible name (role img, aria-label; Plot's names of its parts
 *   removed); its numbers are in the table.
 */

import type * as PlotLib from '@observablehq/plot';
import type { AnswerMeasure, Outcome, RunComparison, Side } from '../../eval/compare-runs';
import { dec, pct } from './format';

export type PlotModule = typeof PlotLib;

/** Colours as CSS colour strings: each fill with the text colour that reads on it. */
export interface Palette {
  text: string;
  muted: string;
  /** Empty part of a 0..1 bar. */
  track: string;
  plain: string;
  onPlain: string;
  grounded: string;
  onGrounded: string;
  win: string;
  loss: string;
  /** Text on a win or loss cell. */
  onOutcome: string;
  tie: string;
  onTie: string;
  /** Lines between cells (the page's surface). */
  surface: string;
}

export interface Layout {
  /** The chart's width in pixels (its container's). */
  width: number;
  /** The page's text size in pixels. */
  em: number;
  /** Where to create the SVG (tests); default the page's document. */
  document?: Document;
}

/** Below this width (in em) run labels go above their bars, and the answers chart has one column. */
export const NARROW_EM = 36;

export const MEASURES: Record<AnswerMeasure, string> = { facts: 'Key facts held', f1: 'Token F1 (mean)' };
export const SIDES: Record<Side, string> = { without: 'model only', with: '+ documents' };
export const OUTCOMES: Record<Outcome, { symbol: string; label: string }> = {
  win: { symbol: '+', label: 'win: only the answer with documents holds the key facts' },
  loss: { symbol: '−', label: 'loss: only the answer without documents holds them' },
  tie: { symbol: '=', label: 'tie: both answers or neither hold them' },
};

/** Estimated width of text in em (bold), a little generous: system-ui averages ~0.55 em a character. */
const textEm = (s: string): number => [...s].length * 0.6;
/** Line height of wrapped labels, em. */
const LINE = 1.2;

/**
 * Greedy word wrap at `maxEm` (a word longer than a line gets a line of its own). A lone separator
 * ("·" of a run label) stays at the end of the line before it, never opens one.
 */
export function wrap(text: string, maxEm: number): string[] {
  const words: string[] = [];
  for (const w of text.split(/\s+/).filter((w) => w !== '')) {
    if (/^[·|/–—-]$/.test(w) && words.length > 0) words[words.length - 1] += ` ${w}`;
    else words.push(w);
  }
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    const next = line === '' ? word : `${line} ${word}`;
    if (line !== '' && textEm(next) > maxEm) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line !== '') lines.push(line);
  return lines.length === 0 ? [''] : lines;
}

/** Run labels as drawn: wrapped to `maxEm`, and the most lines any of them takes. */
function wrapped(names: readonly string[], maxEm: number): { text: Map<string, string>; lines: number } {
  const text = new Map(names.map((n) => [n, wrap(n, maxEm).join('\n')]));
  return { text, lines: Math.max(1, ...[...text.values()].map((t) => t.split('\n').length)) };
}

/** The left column of run labels (wide charts): the longest label, wrapped at most to 14 em and 35% of the chart. */
function labelColumn(names: readonly string[], { width, em }: Layout): { px: number; text: Map<string, string>; lines: number } {
  const longest = Math.max(4, ...names.map(textEm));
  const px = Math.max(5 * em, Math.min((longest + 1) * em, 14 * em, width * 0.35));
  return { px, ...wrapped(names, px / em - 1) };
}

/** Plot's SVG made ready for the page (see the module header). */
function finish(node: SVGSVGElement | HTMLElement, label: string): SVGSVGElement {
  for (const style of node.querySelectorAll('style')) style.remove();
  // Plot names its mark groups ("bar", "x-axis tick"): inside an image those are no one's business,
  // and a <g> with a name but no role is invalid ARIA.
  for (const el of node.querySelectorAll('[aria-label], [aria-description]')) {
    el.removeAttribute('aria-label');
    el.removeAttribute('aria-description');
  }
  node.setAttribute('role', 'img');
  node.setAttribute('aria-label', label);
  return node as SVGSVGElement;
}

const common = (layout: Layout, palette: Palette) => ({
  width: layout.width,
  ...(layout.document ? { document: layout.document } : {}),
  style: { fontSize: `${layout.em}px`, color: palette.text, background: 'transparent', overflow: 'visible' },
});

/**
 * A 0..1 bar's value label: inside the bar's end, in the colour that reads on the bar, when it fits
 * there; else just after the bar when it fits there; else on whichever side has more room. (Plot
 * anchors text once per mark, hence two marks.) `trackPx`: the pixels a bar of value 1 takes.
 */
function valueLabels<T extends { value: number }>(
  Plot: PlotModule,
  data: readonly T[],
  channels: PlotLib.TextOptions,
  text: (d: T) => string,
  onBar: (d: T) => string,
  palette: Palette,
  em: number,
  trackPx: number,
): PlotLib.Markish[] {
  const inside = (d: T): boolean => {
    const need = (textEm(text(d)) + 0.8) * em;
    const bar = d.value * trackPx;
    const after = trackPx - bar;
    return bar >= need || (after < need && bar > after);
  };
  return [
    Plot.text(data.filter(inside), { ...channels, x: 'value', text, fill: onBar, textAnchor: 'end', dx: -0.4 * em }),
    Plot.text(
      data.filter((d) => !inside(d)),
      { ...channels, x: 'value', text, fill: palette.text, textAnchor: 'start', dx: 0.4 * em },
    ),
  ];
}

/** A run's header above its bars (narrow charts): in a y band of its own, from the chart's left edge. */
const HEADER = '\u0000run';
const headerOf = (name: string): string => `\u0000${name}`;

function headers(Plot: PlotModule, names: readonly string[], text: Map<string, string>, marginLeft: number, channels: PlotLib.TextOptions) {
  return Plot.text(names, {
    ...channels,
    frameAnchor: 'left',
    text: (n: string) => text.get(n) ?? n,
    textAnchor: 'start',
    lineAnchor: 'middle',
    dx: -marginLeft,
    fontWeight: 'bold',
  });
}

/**
 * (a) Per run, the share of answers holding the key facts and the mean token F1, without and with
 * documents. Wide: run labels on the left, the two measures in two columns, two bars per run in
 * each. Narrow: each run's label above its four bars, which are named on the left.
 */
export function answersChart(Plot: PlotModule, cmp: RunComparison, layout: Layout, palette: Palette): SVGSVGElement {
  const { em, width } = layout;
  const names = cmp.runs.map((r) => r.name);
  type Row = (typeof cmp.answers)[number];
  const fmt = (d: Row): string => (d.measure === 'facts' ? pct(d.value) : dec(d.value));
  const fill = (d: Row): string => (d.side === 'with' ? palette.grounded : palette.plain);
  const onFill = (d: Row): string => (d.side === 'with' ? palette.onGrounded : palette.onPlain);
  const label =
    'Answers without and with documents, per run: share holding the key facts, and mean token F1. The numbers are in the table above.';

  if (width / em >= NARROW_EM) {
    const labels = labelColumn(names, layout);
    const bar = 1.7 * em;
    const rowHeight = Math.max(2 * bar, labels.lines * LINE * em) + 1.2 * em;
    const marginRight = 0.5 * em;
    const padding = 0.06;
    const trackPx = (width - labels.px - marginRight) / (2 + padding);
    const svg = Plot.plot({
      ...common(layout, palette),
      height: names.length * rowHeight + 2.4 * em,
      marginTop: 2 * em,
      marginBottom: 0.4 * em,
      marginLeft: labels.px,
      marginRight,
      fx: { domain: ['facts', 'f1'], tickFormat: (m: AnswerMeasure) => MEASURES[m], axis: 'top', label: null, padding },
      fy: { domain: names, axis: null, label: null, padding: 0.12 },
      y: { domain: ['without', 'with'], axis: null, padding: 0.1 },
      x: { domain: [0, 1], axis: null },
      color: { type: 'identity' },
      marks: [
        Plot.axisFy({ anchor: 'left', label: null, tickSize: 0, tickFormat: (n: string) => labels.text.get(n) ?? n, fontWeight: 'bold' }),
        Plot.barX(cmp.answers, { fx: 'measure', fy: 'run', y: 'side', x: 1, fill: palette.track }),
        Plot.barX(cmp.answers, { fx: 'measure', fy: 'run', y: 'side', x: 'value', fill }),
        ...valueLabels(
          Plot,
          cmp.answers,
          { fx: 'measure', fy: 'run', y: 'side' },
          (d) => `${SIDES[d.side]} ${fmt(d)}`,
          onFill,
          palette,
          em,
          trackPx,
        ),
      ],
    });
    return finish(svg, label);
  }

  const heads = wrapped(names, width / em - 1);
  const keys = ['facts|without', 'facts|with', 'f1|without', 'f1|with'];
  const key = (d: Row): string => `${d.measure}|${d.side}`;
  const names4: Record<string, string> = {
    'facts|without': 'Key facts\nmodel only',
    'facts|with': 'Key facts\n+ documents',
    'f1|without': 'Token F1\nmodel only',
    'f1|with': 'Token F1\n+ documents',
  };
  const band = Math.max(2.4, heads.lines * LINE + 0.4) * em;
  const marginLeft = 7 * em;
  const marginRight = 0.5 * em;
  const svg = Plot.plot({
    ...common(layout, palette),
    height: names.length * (5 * band + em) + 0.8 * em,
    marginTop: 0.4 * em,
    marginBottom: 0.4 * em,
    marginLeft,
    marginRight,
    fy: { domain: names, axis: null, label: null, padding: 0.05 },
    y: { domain: [HEADER, ...keys], axis: null, padding: 0.12 },
    x: { domain: [0, 1], axis: null },
    color: { type: 'identity' },
    marks: [
      headers(Plot, names, heads.text, marginLeft, { fy: (n: string) => n, y: () => HEADER }),
      Plot.axisY(keys, { anchor: 'left', label: null, tickSize: 0, tickFormat: (k: string) => names4[k] ?? k }),
      Plot.barX(cmp.answers, { fy: 'run', y: key, x: 1, fill: palette.track }),
      Plot.barX(cmp.answers, { fy: 'run', y: key, x: 'value', fill }),
      ...valueLabels(Plot, cmp.answers, { fy: 'run', y: key }, fmt, onFill, palette, em, width - marginLeft - marginRight),
    ],
  });
  return finish(svg, label);
}

/** (b) Per run, the share of questions with an evidence passage among the first k retrieved, at each cut-off. */
export function retrievalChart(Plot: PlotModule, cmp: RunComparison, layout: Layout, palette: Palette): SVGSVGElement {
  const { em, width } = layout;
  const names = cmp.runs.map((r) => r.name);
  type Hit = (typeof cmp.hits)[number];
  const shown = cmp.hits.filter((h): h is Hit & { value: number } => h.value !== null);
  const beyond = cmp.hits.filter((h) => h.value === null);
  const key = (d: Hit): string => `hit@${d.k}`;
  const narrow = width / em < NARROW_EM;
  const labels = narrow ? null : labelColumn(names, layout);
  const heads = narrow ? wrapped(names, width / em - 1) : null;
  const bar = 1.6 * em;
  const rowHeight = labels
    ? Math.max(cmp.ks.length * bar, labels.lines * LINE * em) + 1.2 * em
    : (cmp.ks.length + 1) * Math.max(bar, (heads!.lines * LINE + 0.2) * em) + 1.2 * em;
  const marginLeft = labels?.px ?? 0.4 * em;
  const marginRight = 0.5 * em;
  const svg = Plot.plot({
    ...common(layout, palette),
    height: names.length * rowHeight + 0.8 * em,
    marginTop: 0.4 * em,
    marginBottom: 0.4 * em,
    marginLeft,
    marginRight,
    fy: { domain: names, axis: null, label: null, padding: 0.1 },
    y: { domain: [...(narrow ? [HEADER] : []), ...cmp.ks.map((k) => `hit@${k}`)], axis: null, padding: 0.12 },
    x: { domain: [0, 1], axis: null },
    color: { type: 'identity' },
    marks: [
      labels
        ? Plot.axisFy({ anchor: 'left', label: null, tickSize: 0, tickFormat: (n: string) => labels.text.get(n) ?? n, fontWeight: 'bold' })
        : headers(Plot, names, heads!.text, marginLeft, { fy: (n: string) => n, y: () => HEADER }),
      Plot.barX(shown, { fy: 'run', y: key, x: 1, fill: palette.track }),
      Plot.barX(shown, { fy: 'run', y: key, x: 'value', fill: palette.grounded }),
      ...valueLabels(
        Plot,
        shown,
        { fy: 'run', y: key },
        (d) => `${key(d)} ${pct(d.value)}`,
        () => palette.onGrounded,
        palette,
        em,
        width - marginLeft - marginRight,
      ),
      Plot.text(beyond, {
        fy: 'run',
        y: key,
        x: 0,
        text: (d: Hit) => `${key(d)}: not measured (top ${d.runK})`,
        fill: palette.muted,
        textAnchor: 'start',
        dx: 0.4 * em,
      }),
    ],
  });
  return finish(
    svg,
    'Retrieval per run: share of questions with an evidence passage among the first k retrieved, for each k. The numbers are in the table above.',
  );
}

/** Every how many questions the x axis is labelled, for labels about 2.5 em apart. */
function tickStep(cell: number, em: number): number {
  return [1, 2, 5, 10, 20, 25, 50, 100, 200, 500].find((s) => s * cell >= 2.5 * em) ?? 1000;
}

/**
 * (c) Per question (x) and run (y): whether retrieval won, lost or tied on key facts, as a coloured
 * cell with its symbol (+ − =). Cells are at least half an em wide: a long set scrolls sideways
 * (the SVG may be wider than `layout.width`).
 */
export function winsChart(Plot: PlotModule, cmp: RunComparison, layout: Layout, palette: Palette): SVGSVGElement {
  const { em } = layout;
  const names = cmp.runs.map((r) => r.name);
  const narrow = layout.width / em < NARROW_EM;
  const labels = narrow ? null : labelColumn(names, layout);
  const heads = narrow ? wrapped(names, layout.width / em - 1) : null;
  const marginLeft = labels?.px ?? 0.4 * em;
  const marginRight = narrow ? 0.4 * em : em;
  const n = Math.max(1, cmp.questions.length);
  const cell = Math.max(0.5 * em, Math.min(2.4 * em, (layout.width - marginLeft - marginRight) / n));
  const width = Math.ceil(marginLeft + marginRight + cell * n);
  const rowHeight = Math.max(1.8, (labels ?? heads!).lines * LINE + 0.4) * em;
  const rows = narrow ? names.flatMap((r) => [headerOf(r), r]) : names;
  const step = tickStep(cell, em);
  const ticks = cmp.questions.map((q) => q.n).filter((q, i) => i === 0 || q % step === 0);
  const symbolSize = Math.min(em, cell * 0.8);
  const fills: Record<Outcome, string> = { win: palette.win, loss: palette.loss, tie: palette.tie };
  type Cell = (typeof cmp.outcomes)[number];
  const svg = Plot.plot({
    ...common({ ...layout, width }, palette),
    height: rows.length * rowHeight + 3 * em,
    marginTop: 0.3 * em,
    marginBottom: 2.7 * em,
    marginLeft,
    marginRight,
    x: { domain: cmp.questions.map((q) => q.n), padding: 0, label: null },
    y: { domain: rows, padding: 0, label: null, axis: null },
    color: { type: 'identity' },
    marks: [
      labels
        ? Plot.axisY({ anchor: 'left', label: null, tickSize: 0, tickFormat: (r: string) => labels.text.get(r) ?? r, fontWeight: 'bold' })
        : headers(Plot, names, heads!.text, marginLeft, { y: headerOf }),
      Plot.axisX({ ticks, tickSize: 0, label: 'question', labelAnchor: 'center', labelArrow: 'none', labelOffset: 2.4 * em }),
      Plot.cell(cmp.outcomes, { x: 'n', y: 'run', fill: (d: Cell) => fills[d.outcome], stroke: palette.surface }),
      ...(symbolSize >= 7
        ? [
            Plot.text(cmp.outcomes, {
              x: 'n',
              y: 'run',
              text: (d: Cell) => OUTCOMES[d.outcome].symbol,
              fill: (d: Cell) => (d.outcome === 'tie' ? palette.onTie : palette.onOutcome),
              fontSize: symbolSize,
              fontWeight: 'bold',
            }),
          ]
        : []),
    ],
  });
  return finish(
    svg,
    'Per question and run: whether retrieval won (+), lost (−) or tied (=) on key facts. The counts are in the table above.',
  );
}
