/**
 * {@code qimg analyze}: what compression costs at read time: a census of cluster kinds, payload histograms,
 * measured decompression cost per codec, read amplification and the cost of a traced boot, with advice.
 */
package org.qimg.converters.analyze;
