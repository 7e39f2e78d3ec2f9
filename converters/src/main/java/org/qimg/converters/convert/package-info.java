/**
 * The convert pipeline: plan chunks from metadata, read, zero-scan and compress them on a pool, and write
 * them in guest order to a raw or cluster target ({@link org.qimg.converters.convert.Converter}); plus the
 * output's safety: a temporary file renamed into place, same-file refusal, verification.
 */
package org.qimg.converters.convert;
