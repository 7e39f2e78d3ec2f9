package org.qimg.format.qcow2;

/**
 * Options of a new qcow2 image, named as qemu-img names them ({@code -o cluster_size=…,compat=…}).
 * TODO(writer): fields, defaults (qemu-img 7.2's), validation and parsing of {@code -o} strings pending.
 */
public final class Qcow2CreateOptions {
}
