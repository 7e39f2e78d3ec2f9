package org.qimg.format.qcow2.check;

/**
 * What a check found, with QEMU's counters ({@code BdrvCheckResult}) and the fields {@code qemu-img check}
 * reports. {@link #failure()} is non-null when the check could not complete (qemu-img: "Check failed").
 */
public final class CheckResult {
    long checkErrors;
    long corruptions;
    long leaks;
    long corruptionsFixed;
    long leaksFixed;
    long imageEndOffset;
    long totalClusters;
    long allocatedClusters;
    long fragmentedClusters;
    long compressedClusters;
    String failure;
    /** A fatal corruption event was signalled while repairing: QEMU's image is unusable afterwards. */
    boolean unusable;

    public long checkErrors() {
        return checkErrors;
    }

    public long corruptions() {
        return corruptions;
    }

    public long leaks() {
        return leaks;
    }

    public long corruptionsFixed() {
        return corruptionsFixed;
    }

    public long leaksFixed() {
        return leaksFixed;
    }

    public long imageEndOffset() {
        return imageEndOffset;
    }

    public long totalClusters() {
        return totalClusters;
    }

    public long allocatedClusters() {
        return allocatedClusters;
    }

    public long fragmentedClusters() {
        return fragmentedClusters;
    }

    public long compressedClusters() {
        return compressedClusters;
    }

    /** Why the check stopped early (e.g. "Input/output error"), or null when it completed. */
    /**
     * True when the repair signalled a fatal corruption (QEMU sets {@code bs->drv = NULL}): qemu-img's second
     * check of the repaired image then fails with "Check failed: No medium found".
     */
    public boolean unusable() {
        return unusable;
    }

    public String failure() {
        return failure;
    }

    /** Keeps the repair counts of an earlier pass, as qemu-img does for its re-check after a repair. */
    public void carryFixedCounts(CheckResult repairPass) {
        this.corruptionsFixed = repairPass.corruptionsFixed;
        this.leaksFixed = repairPass.leaksFixed;
    }

    CheckResult copy() {
        CheckResult c = new CheckResult();
        c.checkErrors = checkErrors;
        c.corruptions = corruptions;
        c.leaks = leaks;
        c.corruptionsFixed = corruptionsFixed;
        c.leaksFixed = leaksFixed;
        c.imageEndOffset = imageEndOffset;
        c.totalClusters = totalClusters;
        c.allocatedClusters = allocatedClusters;
        c.fragmentedClusters = fragmentedClusters;
        c.compressedClusters = compressedClusters;
        c.failure = failure;
        return c;
    }

    void restore(CheckResult o) {
        checkErrors = o.checkErrors;
        corruptions = o.corruptions;
        leaks = o.leaks;
        corruptionsFixed = o.corruptionsFixed;
        leaksFixed = o.leaksFixed;
        imageEndOffset = o.imageEndOffset;
        totalClusters = o.totalClusters;
        allocatedClusters = o.allocatedClusters;
        fragmentedClusters = o.fragmentedClusters;
        compressedClusters = o.compressedClusters;
        failure = o.failure;
    }
}
