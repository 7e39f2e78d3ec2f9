/**
 * Shared test harness: running external tools with deadlines ({@link org.qimg.tests.support.Proc}),
 * qemu-img/qemu-io ({@link org.qimg.tests.support.Qemu}), qimg in-process or through its jar
 * ({@link org.qimg.tests.support.Qimg}), a per-JVM scratch directory, checksums, deterministic content
 * and a field-by-field JSON comparison.
 */
package org.qimg.tests.support;
