import { BypassError } from '../errors/BypassError.js';

/**
 * The bus a device sits on. `pci` covers SR-IOV VFs; `vmbus` Hyper-V synthetic devices;
 * `virtio` a virtio device (itself usually the child of a virtio-pci function).
 *
 * @example
 * ```ts
 * const t: BusType = 'pci';
 * ```
 */
export type BusType = 'pci' | 'vmbus' | 'virtio' | 'platform' | 'virtual';

/**
 * Identity of a PCI function.
 *
 * @example
 * ```ts
 * const pci: PciIdentity = { address: '0002:00:02.0', serial: 3, vendor: 0x15b3, device: 0x1016 };
 * ```
 */
export interface PciIdentity {
  /** `domain:bus:device.function`, e.g. `0000:00:05.0`. */
  address: string;
  /**
   * The slot serial number (Hyper-V's vPCI `slot` serial, which the host announces in the
   * NVSP VF association so netvsc can match its VF).
   */
  serial?: number;
  vendor?: number;
  device?: number;
  /** True for an SR-IOV virtual function. */
  virtfn?: boolean;
}

/**
 * Identity of a VMBus device.
 *
 * @example
 * ```ts
 * const id: VmbusIdentity = { classId: 'f8615163-df3e-46c5-913f-f2d2f965ed0e', instanceId: '...' };
 * ```
 */
export interface VmbusIdentity {
  /** Device class UUID; the network class is f8615163-df3e-46c5-913f-f2d2f965ed0e. */
  classId: string;
  /** Instance UUID. */
  instanceId: string;
}

/**
 * Options for a {@link BusDevice}.
 *
 * @example
 * ```ts
 * const o: BusDeviceOptions = { id: 'virtio0', bus: 'virtio', parent: pciFn };
 * ```
 */
export interface BusDeviceOptions {
  /** Unique id on its bus (`0000:00:05.0`, `virtio0`, a VMBus instance UUID). */
  id: string;
  bus: BusType;
  parent?: BusDevice | null;
  pci?: PciIdentity;
  vmbus?: VmbusIdentity;
  /** Name of the driver bound to it (`virtio_net`, `hv_netvsc`, `mlx5_core`...). */
  driver?: string;
}

const PCI_ADDR_RE = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$/;

/**
 * A device on a bus: the parent a netdev hangs from (Linux `dev.parent`). The bypass framework
 * tells active from backup by comparing parents, and refuses an active whose parent is not PCI.
 *
 * @example
 * ```ts
 * const fn = new BusDevice({ id: '0000:00:05.0', bus: 'pci', pci: { address: '0000:00:05.0' } });
 * const virtio = new BusDevice({ id: 'virtio0', bus: 'virtio', parent: fn });
 * virtio.isPci; // false
 * ```
 */
export class BusDevice {
  readonly id: string;
  readonly bus: BusType;
  readonly parent: BusDevice | null;
  readonly pci: PciIdentity | null;
  readonly vmbus: VmbusIdentity | null;
  driver: string | null;
  /** False once the device has been hot-unplugged. */
  present = true;

  /**
   * @throws {@link BypassError} `ERR_INVALID_ARGUMENT` for an empty id, a `pci` device without a
   * valid `pci.address`, or a `vmbus` device without a class id.
   */
  constructor(options: BusDeviceOptions) {
    if (typeof options.id !== 'string' || options.id.length === 0) {
      throw new BypassError('ERR_INVALID_ARGUMENT', 'a bus device needs a non-empty id');
    }
    if (options.bus === 'pci') {
      const a = options.pci?.address;
      if (a === undefined || !PCI_ADDR_RE.test(a)) {
        throw new BypassError(
          'ERR_INVALID_ARGUMENT',
          `PCI device ${options.id} needs pci.address as dddd:bb:dd.f (lower-case hex), got ${JSON.stringify(a)}`,
        );
      }
    }
    if (options.bus === 'vmbus' && (options.vmbus?.classId ?? '') === '') {
      throw new BypassError(
        'ERR_INVALID_ARGUMENT',
        `VMBus device ${options.id} needs vmbus.classId`,
      );
    }
    this.id = options.id;
    this.bus = options.bus;
    this.parent = options.parent ?? null;
    this.pci = options.pci ?? null;
    this.vmbus = options.vmbus ?? null;
    this.driver = options.driver ?? null;
  }

  /** True for a PCI function (Linux `dev_is_pci`). */
  get isPci(): boolean {
    return this.bus === 'pci';
  }
}
