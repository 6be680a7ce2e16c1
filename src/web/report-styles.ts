/** The report's stylesheet, inlined in the page (no CDN, nothing fetched): screen and print. */
export const REPORT_CSS = `
:root { --ink: #1f2328; --muted: #59636e; --line: #d0d7de; --soft: #f6f8fa; --accent: #2f5d8a; --bad: #b42318; --good: #1a7f37; }
* { box-sizing: border-box; }
html { font-family: "DejaVu Sans", "Liberation Sans", Arial, sans-serif; font-size: 10.5pt; color: var(--ink); line-height: 1.4; }
body { margin: 0 auto; max-width: 190mm; padding: 8mm 0; }
h1 { font-size: 20pt; margin: 0 0 2mm; color: var(--accent); }
h2 { font-size: 14pt; margin: 6mm 0 2mm; border-bottom: 2px solid var(--accent); padding-bottom: 1mm; }
h3 { font-size: 11.5pt; margin: 4mm 0 1.5mm; }
h4 { font-size: 10.5pt; margin: 3mm 0 1mm; color: var(--muted); }
p { margin: 1mm 0; }
.muted { color: var(--muted); }
.subtitle { color: var(--muted); margin: 0 0 4mm; }
table { border-collapse: collapse; width: 100%; margin: 1mm 0 3mm; }
th, td { border: 1px solid var(--line); padding: 1mm 1.5mm; text-align: left; vertical-align: top; }
th { background: var(--soft); font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
dl.facts { display: grid; grid-template-columns: 55mm 1fr; gap: 0.5mm 3mm; margin: 1mm 0 3mm; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
.headline { display: grid; grid-template-columns: repeat(4, 1fr); gap: 2mm; margin: 2mm 0 4mm; }
.headline div { border: 1px solid var(--line); border-radius: 2mm; padding: 2mm; background: var(--soft); }
.headline .value { display: block; font-size: 14pt; font-weight: 700; color: var(--accent); }
.headline .label { display: block; font-size: 8.5pt; color: var(--muted); }
section.method, .headline, .chart-box, table.figures, .ranking-sector, dl.facts, table.form-findings, tr { break-inside: avoid; page-break-inside: avoid; }
h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
.brand { break-before: page; page-break-before: always; }
.chart-box { margin: 2mm 0 4mm; }
.chart-box svg { max-width: 100%; height: auto; }
.probe { border: 1px solid var(--line); border-radius: 2mm; padding: 1.5mm 2.5mm; margin: 2.5mm 0; font-size: 9pt; }
.probe dl.facts { grid-template-columns: 32mm 1fr 32mm 1fr; font-size: 8.5pt; }
.probe dl.facts dt.row { grid-column: 1; }
.probe dl.facts dd.wide { grid-column: 2 / 5; }
.probe table { font-size: 8pt; }
.probe th, .probe td { padding: 0.4mm 1mm; }
.probe h4 { margin: 2mm 0 0.5mm; font-size: 9pt; }
.reply-text { font-size: 8.5pt; }
.probe.unanswered { border-left: 4px solid var(--bad); }
.probe.answered { border-left: 4px solid var(--good); }
.probe h3 { margin-top: 0; }
.badge { display: inline-block; padding: 0 1.5mm; border-radius: 1mm; font-size: 8.5pt; background: var(--soft); border: 1px solid var(--line); }
.badge.bad { color: var(--bad); border-color: var(--bad); }
.badge.good { color: var(--good); border-color: var(--good); }
.reply-text { white-space: pre-wrap; background: var(--soft); border: 1px solid var(--line); padding: 2mm; font-size: 9.5pt; margin: 1mm 0; }
mark.spelling { background: #ffe3e3; color: var(--bad); text-decoration: underline wavy var(--bad); }
.mail-view { border: 1px dashed var(--line); padding: 2mm; margin: 1mm 0; max-height: none; overflow: hidden; font-size: 9pt; }
.mail-view img { max-width: 100%; height: auto; }
.mail-view table { width: auto; border: 0; margin: 0; }
.mail-view td, .mail-view th { border: 0; padding: 0; }
.sonde-mail-text { white-space: pre-wrap; word-break: break-word; font-family: inherit; margin: 0; }
.sonde-remote-image { display: inline-block; border: 1px dashed var(--bad); color: var(--bad); padding: 0 1mm; font-size: 8pt; }
.override { color: var(--accent); font-weight: 600; }
code, .hash { font-family: "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 8.5pt; word-break: break-all; }
ul.compact { margin: 0.5mm 0 1.5mm; padding-left: 5mm; }
a { color: var(--accent); }
@page { size: A4; margin: 18mm 12mm 16mm; }
@media print { body { padding: 0; max-width: none; } a { text-decoration: none; } }
`;
