import { runNewDriverExample } from './runNewDriverExample.js';

// A new paravirtual NIC driver, written against the bypass ops, put through a live migration by
// the simulator like the built-in mechanisms.
const r = runNewDriverExample();
console.log(r.text);
for (const [id, nic] of Object.entries(r.report.nics)) {
  const path = r.report.timeline.datapath[id] ?? [];
  console.log(
    `${id} (${nic.model}): ${path.map(([s, e, p]) => `${p} ${s / 1e6}..${e / 1e6}ms`).join(', ')}`,
  );
  console.log(
    `  stats: ${Object.entries(nic.stats)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}`,
  );
}
for (const m of r.models) m.dispose();
