/**
 * Issue 12, reading VMDK: oracle tests against qemu-img 7.2 (every subformat, qemu-io writes, parent chains,
 * vmfs and vmfsSparse descriptors, images above 2 GiB), libvmdk's vmdkinfo as a second reader, {@code check},
 * and malformed files that must fail with one clean line.
 */
package org.qimg.tests.vmdk;
