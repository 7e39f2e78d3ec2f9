package org.qimg.format;

/**
 * One internal snapshot as {@code qemu-img info} lists it.
 *
 * @param id            the snapshot's id string
 * @param name          its name
 * @param vmStateSize   size of the saved VM state in bytes
 * @param dateSec       creation time, seconds since the epoch
 * @param dateNsec      nanosecond part of the creation time
 * @param vmClockNsec   guest clock at creation, nanoseconds
 * @param virtualSize   guest size when taken, or -1 when the table entry does not record it (v2 images)
 * @param icount        instruction count, or -1 when absent
 */
public record SnapshotInfo(String id, String name, long vmStateSize, long dateSec, long dateNsec,
                           long vmClockNsec, long virtualSize, long icount) {
}
