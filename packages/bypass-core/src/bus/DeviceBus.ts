import type { Observable } from 'rxjs';
import { EventChannel } from '../events/EventChannel.js';
import { BypassError } from '../errors/BypassError.js';
import type { BusDevice } from './BusDevice.js';

/**
 * A hot-plug event: a device appeared, or left (`surprise` = without the guest's consent).
 *
 * @example
 * ```ts
 * bus.events$.subscribe((e: BusEvent) => console.log(e.kind, e.device.id));
 * ```
 */
export interface BusEvent {
  kind: 'add' | 'remove';
  device: BusDevice;
  /** For `remove`: true when the device vanished without an orderly unplug. */
  surprise: boolean;
}

/**
 * The devices plugged into a machine, with hot-plug add/remove events (synchronous, in order) and
 * lookup by id, PCI address and PCI slot serial.
 *
 * @example
 * ```ts
 * const bus = new DeviceBus();
 * bus.events$.subscribe((e) => console.log(e.kind, e.device.id));
 * const vf = new BusDevice({ id: '0002:00:02.0', bus: 'pci', pci: { address: '0002:00:02.0', serial: 3 } });
 * bus.add(vf);                 // logs "add 0002:00:02.0"
 * bus.bySerial(3) === vf;      // true
 * bus.remove(vf, { surprise: true });
 * ```
 */
export class DeviceBus {
  private readonly devices = new Map<string, BusDevice>();
  private readonly subject = new EventChannel<BusEvent>();

  /** Hot-plug events, delivered synchronously in the order they happen. */
  readonly events$: Observable<BusEvent> = this.subject.observable;

  /**
   * Plugs a device in.
   *
   * @throws {@link BypassError} `ERR_ALREADY_REGISTERED` when a device with that id is present.
   */
  add(device: BusDevice): void {
    if (this.devices.has(device.id)) {
      throw new BypassError(
        'ERR_ALREADY_REGISTERED',
        `bus device ${device.id} is already plugged in; remove it first`,
      );
    }
    device.present = true;
    this.devices.set(device.id, device);
    this.subject.next({ kind: 'add', device, surprise: false });
  }

  /**
   * Unplugs a device. Listeners (drivers) tear down their netdevs synchronously.
   *
   * @throws {@link BypassError} `ERR_NOT_FOUND` when the device is not plugged in.
   */
  remove(device: BusDevice, options: { surprise?: boolean } = {}): void {
    if (this.devices.get(device.id) !== device) {
      throw new BypassError('ERR_NOT_FOUND', `bus device ${device.id} is not plugged in`);
    }
    device.present = false;
    this.devices.delete(device.id);
    this.subject.next({ kind: 'remove', device, surprise: options.surprise ?? false });
  }

  /** The device with that id, or undefined. */
  get(id: string): BusDevice | undefined {
    return this.devices.get(id);
  }

  /** The PCI device at `address`, or undefined. */
  byPciAddress(address: string): BusDevice | undefined {
    for (const d of this.devices.values()) if (d.pci?.address === address) return d;
    return undefined;
  }

  /** The PCI device whose slot serial is `serial`, or undefined. */
  bySerial(serial: number): BusDevice | undefined {
    for (const d of this.devices.values()) if (d.pci?.serial === serial) return d;
    return undefined;
  }

  /** Every plugged device, in plug order. */
  list(): BusDevice[] {
    return [...this.devices.values()];
  }

  /**
   * How many subscriptions to {@link DeviceBus.events$} are open: a driver that stopped
   * following the bus must not leave one behind.
   */
  get subscriberCount(): number {
    return this.subject.subscriberCount;
  }

  /** Completes the event stream (no more hot-plug events). */
  dispose(): void {
    this.subject.complete();
  }
}
