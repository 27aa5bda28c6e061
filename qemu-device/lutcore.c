/*
 * LUTCore PCIe device: QOM type, properties, realize/exit and reset.
 *
 * A lookup-table accelerator for low-bit LLM inference (LUT Tensor Core).
 * The register interface is qemu-device/lutcore_regs.h; docs/device.md is
 * its prose. Register accesses live in lutcore_mmio.c, interrupts in
 * lutcore_irq.c, job execution in lutcore_cp.c and the device MMU in
 * lutcore_mmu.c.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "hw/pci/msix.h"
#include "hw/pci/pcie.h"
#include "migration/vmstate.h"
#include "qemu/module.h"
#include "lutcore.h"

/* Upper bounds that keep the modeled array and the queue sensible. */
#define LUTCORE_MAX_ARRAY_M     64
#define LUTCORE_MAX_ARRAY_N     4096
#define LUTCORE_MAX_ARRAY_K     16
#define LUTCORE_MAX_QUEUE_DEPTH 256

static bool lutcore_check_props(LutcoreState *s, Error **errp)
{
    if (s->num_cores < 1 || s->num_cores > LUTCORE_MAX_CORES) {
        error_setg(errp, "num-cores must be 1..%d", LUTCORE_MAX_CORES);
        return false;
    }
    if (s->array_m < 1 || s->array_m > LUTCORE_MAX_ARRAY_M ||
        s->array_n < 1 || s->array_n > LUTCORE_MAX_ARRAY_N ||
        s->array_k < 1 || s->array_k > LUTCORE_MAX_ARRAY_K) {
        error_setg(errp, "array-m/n/k must be 1..%d/1..%d/1..%d",
                   LUTCORE_MAX_ARRAY_M, LUTCORE_MAX_ARRAY_N,
                   LUTCORE_MAX_ARRAY_K);
        return false;
    }
    if (s->array_mult < 1 || s->clock_mhz < 1) {
        error_setg(errp, "array-mult and clock-mhz must be at least 1");
        return false;
    }
    if (s->queue_depth < 1 || s->queue_depth > LUTCORE_MAX_QUEUE_DEPTH) {
        error_setg(errp, "queue-depth must be 1..%d",
                   LUTCORE_MAX_QUEUE_DEPTH);
        return false;
    }
    return true;
}

static void lutcore_realize(PCIDevice *pdev, Error **errp)
{
    LutcoreState *s = LUTCORE(pdev);
    int i;

    if (!lutcore_check_props(s, errp) || !lutcore_exec_init(s, errp)) {
        return;
    }
    if (pcie_endpoint_cap_init(pdev, 0) < 0) {
        error_setg(errp, "cannot add the PCIe capability");
        goto fail_engine;
    }

    memory_region_init_io(&s->mmio, OBJECT(s), &lutcore_mmio_ops, s,
                          "lutcore-regs", LUTCORE_REGS_SIZE);
    pci_register_bar(pdev, LUTCORE_BAR_REGS, PCI_BASE_ADDRESS_SPACE_MEMORY,
                     &s->mmio);

    if (msix_init_exclusive_bar(pdev, LUTCORE_MSIX_VECTORS,
                                LUTCORE_BAR_MSIX, errp)) {
        goto fail_pcie;
    }
    /* msix_notify() drops vectors that were never declared used. */
    for (i = 0; i < LUTCORE_MSIX_VECTORS; i++) {
        msix_vector_use(pdev, i);
    }

    lutcore_cp_init(s);
    return;

fail_pcie:
    pcie_cap_exit(pdev);
fail_engine:
    lutcore_exec_fini(s);
}

static void lutcore_exit(PCIDevice *pdev)
{
    LutcoreState *s = LUTCORE(pdev);

    lutcore_cp_fini(s);
    lutcore_exec_fini(s);
    msix_unuse_all_vectors(pdev);
    msix_uninit_exclusive_bar(pdev);
    pcie_cap_exit(pdev);
}

/*
 * Device reset (system reset, FLR-less hot reset). The PCI core resets
 * config space and MSI-X itself; this puts every register back to its
 * reset value and drops all jobs like a soft reset does.
 */
static void lutcore_reset_hold(LUTCORE_RESET_HOLD_ARGS)
{
    LutcoreState *s = LUTCORE(obj);
    unsigned i;

    lutcore_cp_reset(s);
    for (i = 0; i < s->num_cores; i++) {
        LutcoreCore *c = &s->core[i];

        c->pt_base = 0;
        c->cmd_addr = 0;
        c->cmd_size = 0;
        c->seqno = 0;
        c->done_seqno = 0;
    }
    s->ctrl = 0;
    s->scratch = 0;
    s->irq_status = 0;
    s->irq_mask = 0;
    s->debug = 0;
}

/* Jobs run in threads against guest memory; migration is not supported. */
static const VMStateDescription lutcore_vmstate = {
    .name = TYPE_LUTCORE,
    .unmigratable = 1,
};

static LUTCORE_PROPS_CONST Property lutcore_props[] = {
    DEFINE_PROP_UINT32("num-cores", LutcoreState, num_cores,
                       LUTCORE_DEFAULT_CORES),
    DEFINE_PROP_UINT32("array-m", LutcoreState, array_m,
                       LUTCORE_DEFAULT_ARRAY_M),
    DEFINE_PROP_UINT32("array-n", LutcoreState, array_n,
                       LUTCORE_DEFAULT_ARRAY_N),
    DEFINE_PROP_UINT32("array-k", LutcoreState, array_k,
                       LUTCORE_DEFAULT_ARRAY_K),
    DEFINE_PROP_UINT32("array-mult", LutcoreState, array_mult,
                       LUTCORE_DEFAULT_ARRAY_MULT),
    DEFINE_PROP_UINT32("clock-mhz", LutcoreState, clock_mhz,
                       LUTCORE_DEFAULT_CLOCK_MHZ),
    DEFINE_PROP_UINT32("queue-depth", LutcoreState, queue_depth,
                       LUTCORE_DEFAULT_QUEUE_DEPTH),
    DEFINE_PROP_UINT32("engine-threads", LutcoreState, engine_threads, 1),
    DEFINE_PROP_BOOL("debug-hooks", LutcoreState, debug_hooks, false),
    LUTCORE_PROPS_END
};

static void lutcore_class_init(ObjectClass *oc, LUTCORE_CLASS_DATA data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    PCIDeviceClass *pc = PCI_DEVICE_CLASS(oc);
    ResettableClass *rc = RESETTABLE_CLASS(oc);

    pc->realize = lutcore_realize;
    pc->exit = lutcore_exit;
    pc->vendor_id = LUTCORE_PCI_VENDOR_ID;
    pc->device_id = LUTCORE_PCI_DEVICE_ID;
    pc->revision = LUTCORE_PCI_REVISION;
    pc->class_id = LUTCORE_PCI_CLASS;

    rc->phases.hold = lutcore_reset_hold;

    set_bit(DEVICE_CATEGORY_MISC, dc->categories);
    dc->desc = "LUTCore lookup-table LLM accelerator";
    dc->vmsd = &lutcore_vmstate;
    device_class_set_props(dc, lutcore_props);
}

static const TypeInfo lutcore_types[] = {
    {
        .name = TYPE_LUTCORE,
        .parent = TYPE_PCI_DEVICE,
        .instance_size = sizeof(LutcoreState),
        .class_init = lutcore_class_init,
        .interfaces = (InterfaceInfo[]) {
            { INTERFACE_PCIE_DEVICE },
            { }
        },
    },
};

DEFINE_TYPES(lutcore_types)
