import test from 'ava';
import { RIG_PEER, RIG_VM, switchRig } from '../support/switchRig.js';

// The host switch is the Linux bridge (peer, paravirt ports) and the NIC's eswitch (uplink, vf
// ports) in one: only frames the NIC sees meet its VF MAC filters; learning moves static
// entries (br_fdb_update); group/zero sources are dropped (br_handle_frame); unknown unicast
// and group frames reach a VF port only as the eswitch sends them.

const VM = RIG_VM;
const PEER = RIG_PEER;
const FAR = 0x5254_0000_0003;

/** {@link switchRig} with one frame per send. */
const rig = () => {
  const r = switchRig();
  return { ...r, send: (from: number, src: number, dst: number) => r.send(from, [src, dst]) };
};

test('the VF filter steers frames from the uplink, not frames between bridge ports', (t) => {
  const r = rig();
  r.sw.setVfFilter(VM, r.port.vf, r.port.pv);
  r.send(r.port.up, FAR, VM);
  t.is(r.got.get('vf'), 1);
  // A local peer's frame follows the bridge's entry (the tap here), not the NIC's filter.
  r.send(r.port.peer, PEER, VM);
  t.is(r.got.get('pv'), 1);
  t.is(r.got.get('vf'), 1);
});

test('learning moves a static entry to the port the MAC was last seen on, filter or not', (t) => {
  const r = rig();
  r.sw.setVfFilter(VM, r.port.vf, r.port.pv);
  // The guest sends through its VF: the bridge now finds the VM on the NIC side.
  r.send(r.port.vf, VM, PEER);
  t.is(r.got.get('peer'), 1);
  r.send(r.port.peer, PEER, VM);
  t.is(r.got.get('vf'), 1);
  // One frame on virtio moves it back to the tap.
  r.send(r.port.pv, VM, PEER);
  r.send(r.port.peer, PEER, VM);
  t.is(r.got.get('pv'), 1);
  // A port that does not learn leaves the entry alone.
  r.sw.setLearning(r.port.vf, false);
  r.send(r.port.vf, VM, PEER);
  r.send(r.port.peer, PEER, VM);
  t.is(r.got.get('pv'), 2);
  t.is(r.sw.lookup(VM), r.port.vf); // the filter still steers what comes from the wire
});

test('a group or all-zero source is dropped as invalid-src-mac and never learned', (t) => {
  const r = rig();
  r.send(r.port.up, 0x0100_5e00_0001, PEER);
  r.send(r.port.up, 0, PEER);
  r.send(r.port.up, FAR, PEER);
  t.is(r.drops.get('invalid-src-mac'), 2);
  t.is(r.got.get('peer'), 1);
  t.is(r.sw.learnedCount, 1);
  t.is(r.pool.inUse, 0);
});

test('a VF port gets flooded group frames only while a driver listens, and never unknown unicast', (t) => {
  const r = rig();
  r.send(r.port.peer, PEER, 0xffff_ffff_ffff);
  t.is(r.got.get('vf'), undefined);
  t.is(r.got.get('pv'), 1);
  r.sw.setVfListening(r.port.vf, true);
  r.send(r.port.peer, PEER, 0xffff_ffff_ffff);
  t.is(r.got.get('vf'), 1);
  r.send(r.port.peer, PEER, 0x5254_0000_0099);
  t.is(r.got.get('vf'), 1);
  t.is(r.got.get('up'), 3);
  t.is(r.pool.inUse, 0);
});

test("a flooded frame's original goes to the preferred port, or to its sibling when the preferred one gets no copy (a VF port without a driver)", (t) => {
  const r = rig();
  const originals: number[] = [];
  const copyOf = new Set<number>();
  r.pool.onClone = (_p, _h, copy) => copyOf.add(copy);
  // every port's sink records whether it got the original (the handle the flood started with)
  for (const id of Object.values(r.port)) {
    const port = id as number;
    r.sw.port(port).sink = (pkts, start, n) => {
      for (let i = start; i < start + n; i++) {
        const h = pkts[i] as number;
        if (!copyOf.has(h)) originals.push(port);
        copyOf.delete(h);
      }
      r.pool.freeBurst(pkts, start, n);
    };
  }
  r.sw.floodPreference = () => r.port.vf;
  // from the uplink the first port that gets a copy is the peer's: the rule, not the order, picks
  r.send(r.port.up, FAR, 0xffff_ffff_ffff);
  t.deepEqual(
    originals,
    [r.port.pv],
    'no driver on the VF: the NIC gets the original on its paravirtual port',
  );
  r.sw.setVfListening(r.port.vf, true);
  r.send(r.port.up, FAR, 0xffff_ffff_ffff);
  t.deepEqual(originals, [r.port.pv, r.port.vf], 'with a driver the VF port takes it');
  t.is(r.pool.inUse, 0);
});

test('a bridge frame for the NIC side goes through the PF: the eswitch hands it to the VF whose filter matches, not the wire', (t) => {
  const r = rig();
  // The bridge's entry for the VM's MAC points at the uplink (learned from the wire), and the
  // NIC steers that MAC to the VF (libvirt set the VF MAC): PF-to-VF local switching.
  r.sw.removeStatic(VM);
  r.send(r.port.up, VM, PEER);
  t.is(r.sw.lookup(VM), r.port.up);
  r.sw.setVfFilter(VM, r.port.vf, -1);
  r.send(r.port.peer, PEER, VM);
  t.is(r.got.get('vf'), 1);
  t.is(r.got.get('up'), undefined);
  // Without the filter the same frame goes to the wire.
  r.sw.clearVfFilter(VM);
  r.send(r.port.peer, PEER, VM);
  t.is(r.got.get('up'), 1);
});

test('the eswitch hands a frame to a VF only by its MAC filter: an entry learned behind a VF for another MAC leads to the wire', (t) => {
  const r = rig();
  const OTHER = 0x5254_0000_00aa;
  // The VF's MAC is VM; a frame the VF sent from OTHER (spoof check off) made the bridge learn
  // OTHER behind the PF, at the VF port.
  r.sw.setVfFilter(VM, r.port.vf, r.port.pv);
  r.send(r.port.vf, OTHER, PEER);
  t.is(r.sw.lookup(OTHER), r.port.vf);
  // A bridge port's frame for OTHER leaves through the PF; no VF has OTHER's filter: the wire.
  r.send(r.port.peer, PEER, OTHER);
  t.is(r.got.get('up'), 1);
  t.is(r.got.get('vf'), undefined);
  // A frame from the VF for OTHER: no filter matches it either, so it goes to the wire.
  r.send(r.port.vf, VM, OTHER);
  t.is(r.got.get('up'), 2);
  // From the wire it would go up through the PF to the bridge, whose entry points back at the
  // PF: the bridge does not forward it (stale-fdb).
  r.send(r.port.up, FAR, OTHER);
  t.is(r.drops.get('stale-fdb'), 1);
  t.is(r.got.get('vf'), undefined);
  // The VF's own MAC still reaches it, by its filter, from anywhere.
  r.send(r.port.up, FAR, VM);
  r.send(r.port.vf, VM, PEER);
  r.send(r.port.peer, PEER, VM);
  t.is(r.got.get('vf'), 2);
});

test('unknown unicast flooded by the bridge: the PF copy goes to the VF whose filter matches, the other bridge ports still get theirs', (t) => {
  const r = rig();
  r.sw.removeStatic(VM);
  r.sw.setVfFilter(VM, r.port.vf, -1);
  r.sw.addPort('peer', 'other', (pkts, start, n) => {
    r.got.set('other', (r.got.get('other') ?? 0) + n);
    r.pool.freeBurst(pkts, start, n);
  });
  r.send(r.port.peer, PEER, VM);
  t.is(r.got.get('vf'), 1, 'the copy toward the PF');
  t.is(r.got.get('up'), undefined, 'nothing on the wire');
  t.is(r.got.get('other'), 1);
  t.is(r.got.get('pv'), 1, 'the tap, not shadowed (no paravirtual port given to the filter)');
  // From the wire, unknown unicast is the eswitch's: the filter decides, no flood.
  r.send(r.port.up, FAR, VM);
  t.is(r.got.get('vf'), 2);
});

test('vfToBridge wire: a VF frame for a bridge station goes to the uplink, unknown unicast from a VF only there; pf (default) delivers it through the bridge', (t) => {
  const listed = switchRig();
  const unlisted = switchRig({ vfToBridge: 'wire' });
  for (const r of [listed, unlisted]) {
    r.sw.setVfFilter(VM, r.port.vf, r.port.pv);
    r.send(r.port.vf, [VM, PEER]); // the local peer (static on its bridge port)
    r.send(r.port.vf, [VM, FAR]); // a station nobody knows: flooded
  }
  t.is(listed.got.get('peer'), 2, 'the peer gets its frame and the flood');
  t.is(listed.got.get('up'), 1);
  t.is(unlisted.got.get('peer'), undefined, 'nothing reaches the bridge from the VF');
  t.is(unlisted.got.get('up'), 2, 'both left on the wire');
  // Group frames still reach the bridge (the eswitch replicates them to the PF), frames from
  // the bridge and the wire are unchanged, and another VF's MAC stays local.
  unlisted.send(unlisted.port.vf, [VM, 0xffff_ffff_ffff]);
  t.is(unlisted.got.get('peer'), 1);
  t.is(unlisted.got.get('up'), 3);
  unlisted.send(unlisted.port.peer, [PEER, VM]);
  t.is(unlisted.got.get('vf'), 1);
  const other = unlisted.sw.addPort('vf', 'vm2-vf', (pkts, start, n) => {
    unlisted.got.set('vf2', (unlisted.got.get('vf2') ?? 0) + n);
    unlisted.pool.freeBurst(pkts, start, n);
  });
  unlisted.sw.setVfFilter(FAR, other, -1);
  unlisted.send(unlisted.port.vf, [VM, FAR]);
  t.is(unlisted.got.get('vf2'), 1);
  t.is(unlisted.got.get('up'), 3);
});
