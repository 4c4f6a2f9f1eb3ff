import type { VirtqueueDeviceSide } from '../virtqueue/VirtqueueDeviceSide.js';

/**
 * Copies `len` bytes out of the readable segments of the chain last popped from `vq`, skipping
 * the first `skip` bytes, into `dst[dstOff..]`. Segments were bounds-checked by `pop`.
 *
 * @internal
 */
export function copyFromGuest(
  mem: Uint8Array,
  vq: VirtqueueDeviceSide,
  skip: number,
  dst: Uint8Array,
  dstOff: number,
  len: number,
): void {
  let left = len;
  let s = skip;
  for (let i = 0; i < vq.outCount && left > 0; i++) {
    const segLen = vq.segLen[i] as number;
    if (s >= segLen) {
      s -= segLen;
      continue;
    }
    const a = (vq.segAddr[i] as number) + s;
    const n = Math.min(segLen - s, left);
    // Same buffer (guest memory to a pool slot): copyWithin, no view allocated per frame.
    if (dst === mem) mem.copyWithin(dstOff, a, a + n);
    else dst.set(mem.subarray(a, a + n), dstOff);
    dstOff += n;
    left -= n;
    s = 0;
  }
}

/**
 * Copies `len` bytes of `src[srcOff..]` into the writable segments of the chain last popped from
 * `vq`, starting `skip` bytes into them (segment index `first` is the first writable one).
 *
 * @internal
 */
export function copyToGuest(
  mem: Uint8Array,
  vq: VirtqueueDeviceSide,
  first: number,
  skip: number,
  src: Uint8Array,
  srcOff: number,
  len: number,
): void {
  let left = len;
  let s = skip;
  const end = vq.outCount + vq.inCount;
  for (let i = first; i < end && left > 0; i++) {
    const segLen = vq.segLen[i] as number;
    if (s >= segLen) {
      s -= segLen;
      continue;
    }
    const a = (vq.segAddr[i] as number) + s;
    const n = Math.min(segLen - s, left);
    if (src === mem) mem.copyWithin(a, srcOff, srcOff + n);
    else mem.set(src.subarray(srcOff, srcOff + n), a);
    srcOff += n;
    left -= n;
    s = 0;
  }
}

/**
 * The guest address of byte `skip` of the chain popped into `vq`, counting from segment
 * `first` (readable segments first, then writable ones); -1 when the chain is shorter.
 */
export function guestAddrAt(vq: VirtqueueDeviceSide, first: number, skip: number): number {
  let s = skip;
  const end = vq.outCount + vq.inCount;
  for (let i = first; i < end; i++) {
    const segLen = vq.segLen[i] as number;
    if (s < segLen) return (vq.segAddr[i] as number) + s;
    s -= segLen;
  }
  return -1;
}
