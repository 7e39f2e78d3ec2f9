/**
 * Raw images: the host file is the guest disk; holes and allocated ranges come from the host file system
 * ({@code SEEK_DATA}/{@code SEEK_HOLE}, {@code st_blocks}) through libc.
 */
package org.qimg.format.raw;
