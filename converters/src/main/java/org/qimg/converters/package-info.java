/**
 * Operations that move or inspect guest data across {@link org.qimg.format.DiskImage}s, one sub-package each;
 * this package holds what they share: progress events ({@link org.qimg.converters.ProgressListener}) and
 * worker-result unwrapping. Nothing here prints.
 */
package org.qimg.converters;
