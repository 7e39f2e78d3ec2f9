/**
 * Guest read traces (QEMU trace logs or plain range lists) parsed into sets of guest clusters, for
 * {@code analyze --trace} and {@code convert --keep-plain-trace}.
 */
package org.qimg.converters.trace;
