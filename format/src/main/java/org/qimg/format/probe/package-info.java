/**
 * Recognising by signature the formats qimg does not read, so that none is ever read as raw: every format
 * qemu-img 7.2 probes (with QEMU's rules and scores), and the compressed streams and archives images ship in.
 * {@code Signatures} is the table; {@code ForeignFormat} is the {@link org.qimg.format.ImageFormat} whose open
 * refuses with one line naming the file and what it is.
 */
package org.qimg.format.probe;
