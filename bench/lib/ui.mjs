// Ink's render and <App> as the monitor runs them: from the UI bundle (dist/ui/render-monitor.bundle.js,
// Ink with the ink-patch modules swapped in), or with RTK_BENCH_UI=sources from the unbundled build
// (Ink as published), to compare the two in one run.
const fromSources = process.env.RTK_BENCH_UI === 'sources';
const ui = fromSources
  ? { ...(await import('ink')), ...(await import('../../dist/ui/App.js')), ...(await import('../../dist/ui/render-monitor.js')) }
  : await import('../../dist/ui/render-monitor.bundle.js');
export const render = ui.render;
export const renderMonitor = ui.renderMonitor;
export const App = ui.App;
export const uiSource = fromSources ? 'sources' : 'bundle';
