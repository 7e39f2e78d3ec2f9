/**
 * Reading VMDK images as qemu-img 7.2 reads them: text descriptors and their extents (FLAT, VMFS, SPARSE,
 * VMFSSPARSE), hosted sparse extents (monolithicSparse, twoGbMaxExtentSparse) with grain directories and
 * tables, streamOptimized extents (compressed grains with markers, the footer's grain directory), COWD
 * (vmfsSparse) extents, zeroed grains and parent chains. {@link org.qimg.format.vmdk.read.VmdkImage} is the
 * entry point; every field read from a file is validated before use.
 */
package org.qimg.format.vmdk.read;
