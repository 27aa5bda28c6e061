/*
 * LUTCore PCIe device: interrupt status, mask and MSI-X delivery.
 *
 * IRQ_STATUS latches events (JOB_DONE, JOB_ERROR, SIGNAL per core); IRQ_MASK
 * enables them. MSI-X is edge-triggered, so a message is sent for core c on
 * vector c whenever one of c's bits becomes both set and enabled: when the
 * event is raised, and when the mask enables a bit that is already set.
 * Called with the BQL held.
 *
 * SPDX-License-Identifier: GPL-2.0-or-later
 */

#include "qemu/osdep.h"
#include "hw/pci/msix.h"
#include "lutcore.h"
#include "trace.h"

static uint32_t lutcore_core_irq_bits(unsigned core)
{
    return LUTCORE_IRQ_JOB_DONE(core) | LUTCORE_IRQ_JOB_ERROR(core) |
           LUTCORE_IRQ_SIGNAL(core);
}

/* Send one message per core that has an enabled bit among @changed. */
static void lutcore_irq_notify(LutcoreState *s, uint32_t changed)
{
    PCIDevice *pdev = PCI_DEVICE(s);
    uint32_t pending = changed & s->irq_status & s->irq_mask;
    unsigned c;

    assert(lutcore_bql_locked());
    if (!pending) {
        return;
    }
    for (c = 0; c < s->num_cores; c++) {
        if (!(pending & lutcore_core_irq_bits(c))) {
            continue;
        }
        trace_lutcore_irq_notify(c, s->irq_status, s->irq_mask);
        if (msix_enabled(pdev)) {
            msix_notify(pdev, c);
        }
    }
}

void lutcore_irq_raise(LutcoreState *s, uint32_t bits)
{
    s->irq_status |= bits & LUTCORE_IRQ_ALL;
    lutcore_irq_notify(s, bits);
}

/* IRQ_STATUS write: write 1 to clear. */
void lutcore_irq_ack(LutcoreState *s, uint32_t bits)
{
    uint32_t cleared = bits & s->irq_status;
    unsigned c;

    s->irq_status &= ~bits;
    for (c = 0; c < s->num_cores; c++) {
        if (cleared & LUTCORE_IRQ_JOB_ERROR(c)) {
            lutcore_cp_error_acked(&s->core[c]);
        }
    }
}

void lutcore_irq_set_mask(LutcoreState *s, uint32_t mask)
{
    uint32_t enabled = mask & ~s->irq_mask;

    s->irq_mask = mask & LUTCORE_IRQ_ALL;
    lutcore_irq_notify(s, enabled);
}
