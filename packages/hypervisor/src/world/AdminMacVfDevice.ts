import { BypassError, VfDevice, type MacAddress } from '@bypass/core';

/**
 * A VF whose MAC the host set (libvirt hostdev `<mac>`, `ip link set PF vf N mac`): the guest
 * cannot move it away from that address. The PF refuses the VF's request (ixgbe_sriov.c
 * ixgbe_set_vf_mac_addr unless the VF is trusted; igb_main.c igb_set_vf_mac_addr when the PF
 * set it), so `setMacAddress` to any other address throws `ERR_REFUSED`; trusted VFs
 * (`ip link set PF vf N trust on`) are not modelled.
 *
 * @example
 * ```ts
 * const vf = new AdminMacVfDevice({ pool, permAddr: MacAddress.parse('52:54:00:00:00:02'), parent: fn });
 * vf.setMacAddress(MacAddress.parse('52:54:00:00:00:01')); // throws ERR_REFUSED
 * ```
 */
export class AdminMacVfDevice extends VfDevice {
  protected override ndoSetMacAddress(mac: MacAddress): void {
    if (mac.equals(this.permAddr)) return;
    throw new BypassError(
      'ERR_REFUSED',
      `the PF refused to change ${this.name}'s MAC to ${mac.toString()}: the host assigned ${this.permAddr.toString()} to this VF (make them equal, or use fail_over_mac active or follow)`,
    );
  }
}

// The report's netdev events name a device by its class: to them this is still a VfDevice.
Object.defineProperty(AdminMacVfDevice, 'name', { value: 'VfDevice' });
