import { createStore } from '../dist/store/index.js';
import { logLine } from './lib/util.mjs';
const store = createStore({ scrollback: 100000, timers: { setTimeout: () => 0, clearTimeout: () => undefined } });
store.dispatch({ type: 'runs', host: 'h', runs: [{id:'h:r',host:'h',session:'r',state:'running',reason:null,alerts:[],progress:null,metrics:{},log:'/x',checkpoints:null,lastOutputSecondsAgo:0,attachedClients:0,createdAt:null}] });
const chunks=[]; let n=0;
for (let c=0;c<600;c++){ const l=[]; for(let i=0;i<330;i++) l.push(logLine(n++)); chunks.push(l); }
for (let rep=0; rep<5; rep++) {
  const t0=process.cpuUsage();
  for (const l of chunks) store.dispatch({ type: 'log', runId: 'h:r', chunk: { kind: 'lines', lines: l, offset: n } });
  const c=process.cpuUsage(t0); console.log('ms/10k', ((c.user+c.system)/1000/(chunks.length*330)*10000).toFixed(2));
}
