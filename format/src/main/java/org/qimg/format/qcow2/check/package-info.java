/**
 * {@code qimg check} for qcow2: rebuilds the refcounts from every structure that references clusters,
 * compares them with the stored ones, reports as qemu-img check does, and repairs leaks and corruptions
 * ({@code -r leaks|all}).
 */
package org.qimg.format.qcow2.check;
