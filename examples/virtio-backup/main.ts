import { runVirtioBackupExample } from './runVirtioBackupExample.js';

// virtio-net with VIRTIO_NET_F_BACKUP: the bypass master, a VF that comes and goes, an announce.
const r = runVirtioBackupExample();
for (const line of r.log) console.log(line);
console.log('');
console.log(`master ${r.names.master}, virtio ${r.names.virtio}, VF ${r.names.vf}`);
console.log(`features: ${r.features.join(' ')}`);
console.log('');
console.log('phase                                    virtio    vf  dropped');
for (const p of r.phases) {
  const dropped = Object.entries(p.dropped)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  console.log(
    `${p.phase.padEnd(40)} ${String(p.virtio).padStart(6)} ${String(p.vf).padStart(5)}  ${dropped || '-'}`,
  );
}
console.log(
  `\nreceived on the master: ${r.received}; gratuitous ARPs: ${r.garps} (acked ${r.announceAcks}); leaked frames: ${r.leakedFrames}`,
);
