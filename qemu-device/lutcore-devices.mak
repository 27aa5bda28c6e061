# The devices of the LUTCore VM and little else: microvm with its PCIe host
# bridge and serial ports, virtio-blk (PCI) for model disks, and LUTCore.
CONFIG_MICROVM=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_BLK=y
CONFIG_LUTCORE=y
# QEMU 7.2 cannot link x86_64-softmmu with microvm alone (hw/i386/acpi-common.c
# and the hw/acpi x86 stub both define pc_madt_cpu_entry; fixed upstream in
# 8.0), and CONFIG_PC alone misses IDE and DIMM code that pc.c calls. Q35 is
# the smallest coherent set that links; the VM itself boots microvm.
CONFIG_Q35=y
