import { LineAssembler } from '../dist/sources/log-follow.js';
import { logLine } from './lib/util.mjs';
let text=''; for (let i=0;i<200000;i++) text+=logLine(i)+'\n';
const buf=Buffer.from(text); const chunks=[]; for(let o=0;o<buf.length;o+=32768) chunks.push(buf.subarray(o,o+32768));
for (let rep=0; rep<5; rep++) {
  const la=new LineAssembler(); const t0=process.cpuUsage(); let n=0;
  for (const c of chunks) { n+=la.push(c).length; la.partial; }
  const c=process.cpuUsage(t0); console.log('ms/10k', ((c.user+c.system)/1000/n*10000).toFixed(2), n);
}
