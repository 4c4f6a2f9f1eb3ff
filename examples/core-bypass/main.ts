import { runCoreExample } from './runCoreExample.js';

// The core example: a toy paravirtual NIC bypassed by a hot-plugged VF.
const result = runCoreExample();
for (const line of result.log) console.log(line);
console.log('');
console.log('phase                                 paravirt    vf  dropped');
for (const p of result.phases) {
  const dropped = Object.entries(p.dropped)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  console.log(
    `${p.phase.padEnd(36)} ${String(p.paravirt).padStart(9)} ${String(p.vf).padStart(5)}  ${dropped || '-'}`,
  );
}
