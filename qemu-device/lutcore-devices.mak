# The devices of the LUTCore VM and nothing else: microvm with its PCIe host
# bridge and serial ports, virtio-blk (PCI) for model disks, and LUTCore.
CONFIG_MICROVM=y
CONFIG_VIRTIO_PCI=y
CONFIG_VIRTIO_BLK=y
CONFIG_LUTCORE=y
