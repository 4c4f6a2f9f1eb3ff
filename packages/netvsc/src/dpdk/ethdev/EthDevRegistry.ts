import { BypassError } from '@bypass/core';
import { EventEmitter } from 'eventemitter3';
import type { EthDev } from './EthDev.js';

/**
 * A PMD as the registry sees it (a `rte_vdev_driver` / `rte_pci_driver` with its probe): which
 * device names it handles and how it creates a port for one.
 *
 * @example
 * ```ts
 * const nullDriver: EthDriver = {
 *   name: 'net_null',
 *   matches: (devName) => devName.startsWith('net_null'),
 *   probe: (registry, devName, args) => new NullPort({ registry, name: devName, devargs: args }),
 * };
 * registry.registerDriver(nullDriver);
 * ```
 */
export interface EthDriver {
  /** Driver name (`net_tap`, `net_failsafe`, `net_vf`). */
  readonly name: string;
  /** True when this driver handles the device `devName` (a vdev name or a PCI address). */
  matches(devName: string): boolean;
  /**
   * Creates and returns the port (its constructor allocates the id).
   *
   * @throws `BypassError` for bad devargs or a missing device.
   */
  probe(registry: EthDevRegistry, devName: string, args: string): EthDev;
}

/**
 * The events of an {@link EthDevRegistry}: `new` (`RTE_ETH_EVENT_NEW`, a port was allocated)
 * and `destroy` (`RTE_ETH_EVENT_DESTROY`, a port was released). `new` is emitted for ports created
 * through {@link EthDevRegistry.probe}.
 *
 * @example
 * ```ts
 * registry.events.on('new', (p) => console.log(`port ${p.portId} ${p.name}`));
 * ```
 */
export interface EthDevRegistryEvents {
  new: [port: EthDev];
  destroy: [port: EthDev];
}

/**
 * Splits a devargs string into the device name (up to the first comma) and its arguments
 * (`rte_devargs_parse`).
 *
 * @throws `BypassError` `ERR_PARSE` for an empty device name.
 * @example
 * ```ts
 * splitDevargs('net_tap_vsc0,remote=eth1'); // { name: 'net_tap_vsc0', args: 'remote=eth1' }
 * ```
 */
export function splitDevargs(devargs: string): { name: string; args: string } {
  const text = devargs.trim();
  const comma = text.indexOf(',');
  const name = comma < 0 ? text : text.slice(0, comma);
  const args = comma < 0 ? '' : text.slice(comma + 1);
  if (name.length === 0) {
    throw new BypassError('ERR_PARSE', `devargs ${JSON.stringify(devargs)} has no device name`);
  }
  return { name, args };
}

/**
 * The ports of one DPDK process (`rte_eth_devices[]`): port ids (lowest free first, at most
 * `maxPorts`, `RTE_MAX_ETHPORTS` = 32 by default), lookup by id and name, the PMDs that can be
 * probed by devargs (`rte_eal_hotplug_add` / `rte_dev_probe`) and removal
 * (`rte_eal_hotplug_remove`).
 *
 * @example
 * ```ts
 * const registry = new EthDevRegistry();
 * registry.registerDriver(tapDriver({ ns, pool }));
 * const tap = registry.probe('net_tap0,remote=eth1');
 * registry.getByName('net_tap0') === tap; // true
 * registry.remove(tap);                   // stop, close, release
 * ```
 */
export class EthDevRegistry {
  /** `new` and `destroy` events. */
  readonly events = new EventEmitter<EthDevRegistryEvents>();
  /** Highest number of ports (`RTE_MAX_ETHPORTS`). */
  readonly maxPorts: number;

  private readonly byId: (EthDev | undefined)[] = [];
  private readonly byName = new Map<string, EthDev>();
  private readonly drivers: EthDriver[] = [];

  /**
   * @throws `BypassError` `ERR_INVALID_ARGUMENT` for a `maxPorts` outside 1..1024.
   */
  constructor(options: { maxPorts?: number } = {}) {
    const max = options.maxPorts ?? 32;
    if (!Number.isInteger(max) || max < 1 || max > 1024) {
      throw new BypassError('ERR_INVALID_ARGUMENT', `maxPorts must be in 1..1024, got ${max}`);
    }
    this.maxPorts = max;
  }

  /** Registers a PMD; drivers are tried in registration order. */
  registerDriver(driver: EthDriver): void {
    this.drivers.push(driver);
  }

  /**
   * Allocates a port id for `port` (`rte_eth_dev_allocate`); called by the {@link EthDev}
   * constructor.
   *
   * @throws `BypassError` `ERR_ALREADY_REGISTERED` ("Ethernet device with name X already
   * allocated"), `ERR_BUSY` when all ids are taken.
   */
  allocate(port: EthDev): number {
    if (this.byName.has(port.name)) {
      throw new BypassError(
        'ERR_ALREADY_REGISTERED',
        `Ethernet device with name ${port.name} already allocated`,
      );
    }
    let id = 0;
    while (id < this.maxPorts && this.byId[id] !== undefined) id++;
    if (id >= this.maxPorts) {
      throw new BypassError(
        'ERR_BUSY',
        `Reached maximum number of Ethernet ports (${this.maxPorts}); close one first`,
      );
    }
    this.byId[id] = port;
    this.byName.set(port.name, port);
    return id;
  }

  /** Releases the id of a closed port (`rte_eth_dev_release_port`); emits `destroy`. */
  release(port: EthDev): void {
    if (this.byId[port.portId] !== port) return;
    this.byId[port.portId] = undefined;
    this.byName.delete(port.name);
    this.events.emit('destroy', port);
  }

  /** The port with that id, or undefined. */
  get(portId: number): EthDev | undefined {
    return Number.isInteger(portId) ? this.byId[portId] : undefined;
  }

  /** The port with that name, or undefined. */
  getByName(name: string): EthDev | undefined {
    return this.byName.get(name);
  }

  /** Allocated ports, by id. */
  ports(): EthDev[] {
    return this.byId.filter((p): p is EthDev => p !== undefined);
  }

  /**
   * Probes a device from its devargs (`name,args`): the first driver that matches the name
   * creates the port.
   *
   * @throws `BypassError` `ERR_PARSE` for an empty name, `ERR_ALREADY_REGISTERED` when the
   * device is already probed, `ERR_NOT_FOUND` when no driver handles it, or the driver's error.
   */
  probe(devargs: string): EthDev {
    const { name, args } = splitDevargs(devargs);
    if (this.byName.has(name)) {
      throw new BypassError('ERR_ALREADY_REGISTERED', `device ${name} is already probed`);
    }
    const driver = this.drivers.find((d) => d.matches(name));
    if (driver === undefined) {
      throw new BypassError(
        'ERR_NOT_FOUND',
        `no driver for device ${name}; register its PMD with registerDriver()`,
      );
    }
    const port = driver.probe(this, name, args);
    this.events.emit('new', port);
    return port;
  }

  /**
   * Hot-unplugs a port from the application's side (`rte_eal_hotplug_remove`): stops, closes,
   * releases. Unknown or already released ports are ignored.
   */
  remove(port: EthDev): void {
    if (this.byId[port.portId] !== port) return;
    port.stop();
    port.close();
  }
}
