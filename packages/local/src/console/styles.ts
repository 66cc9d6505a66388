/**
 * The console's one stylesheet, served as a file (the CSP allows no inline styles). System fonts and
 * colours from custom properties: light and dark follow `prefers-color-scheme`; the layout reflows
 * to one column on a narrow window, and tables scroll sideways inside their own box.
 */
export const STYLES = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --panel: #f6f8fa;
  --accent: #0550ae; --accent-fg: #ffffff; --danger: #a40e26; --ok: #116329; --warn: #7d4e00;
  --current: #116329; --previous: #6e40c9; --pending: #9a6700; --custom: #57606a;
  --focus: #0969da;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --fg: #e6edf3; --muted: #9198a1; --line: #30363d; --panel: #161b22;
    --accent: #4493f8; --accent-fg: #0d1117; --danger: #ff7b72; --ok: #3fb950; --warn: #d29922;
    --current: #3fb950; --previous: #bc8cff; --pending: #d29922; --custom: #9198a1;
    --focus: #58a6ff;
  }
}
* { box-sizing: border-box; }
html { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background: var(--bg); color: var(--fg); }
body { margin: 0; }
a { color: var(--accent); }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 0.9em; }
pre { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: 0.75rem; overflow: auto; max-height: 24rem; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: var(--bg); padding: 0.5rem; z-index: 10; }
.skip:focus { left: 0.5rem; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1.5rem; padding: 0.6rem 1.25rem; border-bottom: 1px solid var(--line); background: var(--panel); }
header.top .brand { font-weight: 700; }
header.top nav ul { display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; list-style: none; margin: 0; padding: 0; }
header.top nav a[aria-current="page"] { font-weight: 700; text-decoration: none; color: var(--fg); border-bottom: 2px solid var(--accent); }
header.top .who { margin-left: auto; color: var(--muted); display: flex; gap: 0.75rem; align-items: center; flex-wrap: wrap; }
main { padding: 1rem 1.25rem 3rem; max-width: 100rem; }
h1 { font-size: 1.4rem; margin: 0.25rem 0 0.75rem; word-break: break-all; }
h2 { font-size: 1.1rem; margin: 1.75rem 0 0.5rem; border-bottom: 1px solid var(--line); padding-bottom: 0.25rem; }
.muted { color: var(--muted); }
.flash { padding: 0.6rem 0.9rem; border-radius: 6px; border: 1px solid; margin: 0.5rem 0 1rem; }
.flash.success { border-color: var(--ok); color: var(--ok); }
.flash.error { border-color: var(--danger); color: var(--danger); }
form.filters { display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: flex-end; margin-bottom: 0.75rem; }
form.filters > label, .field { display: flex; flex-direction: column; font-size: 0.85rem; color: var(--muted); gap: 0.15rem; }
input, select, textarea, button { font: inherit; color: var(--fg); background: var(--bg); border: 1px solid var(--line); border-radius: 6px; padding: 0.35rem 0.55rem; }
textarea { width: 100%; min-height: 6rem; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
button, .button { cursor: pointer; background: var(--panel); text-decoration: none; color: var(--fg); display: inline-block; }
button.primary { background: var(--accent); color: var(--accent-fg); border-color: var(--accent); }
button.danger { color: var(--danger); border-color: var(--danger); }
button.link { border: none; background: none; color: var(--accent); padding: 0; text-decoration: underline; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; }
caption { text-align: left; padding: 0.5rem 0.75rem; color: var(--muted); caption-side: top; }
th, td { text-align: left; padding: 0.45rem 0.75rem; border-top: 1px solid var(--line); vertical-align: top; }
thead th { background: var(--panel); white-space: nowrap; font-size: 0.85rem; }
td.desc { max-width: 22rem; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
td.name { word-break: break-all; min-width: 12rem; }
.chip { display: inline-block; border: 1px solid var(--line); border-radius: 999px; padding: 0 0.5rem; font-size: 0.8rem; margin: 0 0.2rem 0.2rem 0; }
.label { display: inline-block; border-radius: 4px; padding: 0 0.4rem; font-size: 0.8rem; font-weight: 600; border: 1px solid var(--custom); color: var(--custom); margin-right: 0.25rem; }
.label.AWSCURRENT { border-color: var(--current); color: var(--current); }
.label.AWSPREVIOUS { border-color: var(--previous); color: var(--previous); }
.label.AWSPENDING { border-color: var(--pending); color: var(--pending); }
.on { color: var(--ok); font-weight: 600; }
.off { color: var(--muted); }
.bad { color: var(--danger); font-weight: 600; }
.pager { display: flex; gap: 1rem; align-items: center; margin-top: 0.75rem; flex-wrap: wrap; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 0.35rem 1.25rem; margin: 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; word-break: break-all; }
ol.timeline { list-style: none; margin: 0; padding: 0; border-left: 3px solid var(--line); }
ol.timeline > li { position: relative; margin: 0 0 0.75rem 0; padding: 0.5rem 0.75rem 0.5rem 1.1rem; }
ol.timeline > li::before { content: ""; position: absolute; left: -0.5rem; top: 0.85rem; width: 0.7rem; height: 0.7rem; border-radius: 50%; background: var(--bg); border: 2px solid var(--muted); }
ol.timeline > li.current::before { border-color: var(--current); background: var(--current); }
ol.timeline > li.deprecated { opacity: 0.75; }
.version-head { display: flex; flex-wrap: wrap; gap: 0.25rem 0.75rem; align-items: baseline; }
.value { margin-top: 0.5rem; border: 1px dashed var(--line); border-radius: 6px; padding: 0.5rem 0.75rem; }
.value table td, .value table th { border-top: none; padding: 0.2rem 0.5rem; }
.masked { letter-spacing: 0.1em; color: var(--muted); }
.actions { display: grid; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); gap: 1rem; }
.actions form, .panel { border: 1px solid var(--line); border-radius: 6px; padding: 0.75rem; background: var(--panel); display: flex; flex-direction: column; gap: 0.5rem; }
.actions h3 { margin: 0; font-size: 1rem; }
.confirm-box { font-size: 0.9rem; }
ol.steps { list-style: none; padding: 0; margin: 0.25rem 0; display: flex; flex-wrap: wrap; gap: 0.5rem; }
ol.steps li { border: 1px solid var(--line); border-radius: 6px; padding: 0.25rem 0.6rem; }
ol.steps li.done { border-color: var(--ok); color: var(--ok); }
ol.steps li.failed { border-color: var(--danger); color: var(--danger); }
ol.steps li.running { border-color: var(--pending); color: var(--pending); }
dialog { border: 1px solid var(--line); border-radius: 8px; background: var(--bg); color: var(--fg); max-width: 32rem; }
dialog::backdrop { background: rgb(0 0 0 / 0.4); }
dialog .buttons { display: flex; gap: 0.75rem; justify-content: flex-end; margin-top: 1rem; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.login { max-width: 36rem; margin: 4rem auto; padding: 0 1rem; }
@media (max-width: 700px) {
  main { padding: 0.75rem; }
  dl.meta { grid-template-columns: 1fr; }
  td.desc { max-width: 10rem; }
}
`;
