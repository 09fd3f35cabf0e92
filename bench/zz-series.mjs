process.env.NODE_ENV='production';
const m = await import('./figures/series.mjs');
const r = await m.run();
console.log(process.execArgv.join(' ') || '(none)', r.map(x => x.value).join(' '));
