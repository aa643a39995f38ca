/**
 * The training report's style sheet, inlined in the page's `<style>`, and
 * the part of it a chart file carries in its own.
 *
 * @module
 */

/** How a chart's parts look, in the report page and in a standalone chart file. */
export const CHART_CSS: string = `svg.chart .plot { fill: #fff; stroke: none; }
svg.chart .grid { stroke: #e2e8f0; }
svg.chart .axis { stroke: #64748b; }
svg.chart .tick { font-size: 11px; fill: #475569; }
svg.chart .label { font-size: 12px; fill: #334155; }
svg.chart .legend { font-size: 12px; fill: #0f172a; }
svg.chart .marker { stroke: #94a3b8; stroke-dasharray: 4 3; }
svg.chart .marker-label { font-size: 11px; fill: #475569; font-weight: 600; }
svg.chart text { font-family: inherit; }
`;

/** CSS for the report page, its tables and its SVG charts. */
export const REPORT_CSS: string = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #0f172a;
  background: #f8fafc; margin: 0; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 20px 60px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid #cbd5e1; }
h3 { font-size: 14px; margin: 12px 0 6px; }
.sub { color: #64748b; margin: 0 0 8px; }
section { background: #fff; border: 1px solid #e2e8f0; border-radius: 8px; padding: 4px 16px 16px;
  margin-top: 18px; }
section > h2 { margin-top: 12px; }
.note { color: #475569; font-size: 13px; margin: 4px 0 8px; }
.empty { color: #64748b; font-style: italic; }
table { border-collapse: collapse; }
table.data { margin: 10px 0; min-width: 50%; }
table.data th, table.data td { padding: 4px 12px; border-bottom: 1px solid #e2e8f0; text-align: left; }
table.data th { font-weight: 600; color: #334155; background: #f1f5f9; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.big { font-weight: 600; }
tr.baseline td { color: #475569; background: #f8fafc; }
small.baseline { color: #64748b; font-weight: 400; }
.cols { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 24px; }
table.kv { width: 100%; font-size: 13px; }
table.kv th { text-align: left; font-weight: 500; color: #475569; padding: 2px 12px 2px 0;
  white-space: nowrap; vertical-align: top; }
table.kv td { padding: 2px 0; word-break: break-word; font-family: ui-monospace, Menlo, Consolas,
  monospace; font-size: 12px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; }
svg.chart { width: 100%; height: auto; display: block; }
${CHART_CSS}.panels { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 12px; }
.cms { display: flex; flex-wrap: wrap; gap: 24px; }
table.confusion { font-variant-numeric: tabular-nums; }
table.confusion th, table.confusion td { border: 1px solid #e2e8f0; padding: 6px 10px; }
table.confusion td { text-align: center; min-width: 72px; font-weight: 600; }
table.confusion td small { display: block; font-weight: 400; font-size: 11px; opacity: 0.85; }
table.confusion th { background: #f1f5f9; font-weight: 600; }
table.confusion .corner { font-weight: 400; color: #64748b; font-size: 12px; }
table.confusion td.total { background: #f8fafc; color: #475569; font-weight: 400; }
table.confusion th.total { color: #475569; font-weight: 400; }
`;
