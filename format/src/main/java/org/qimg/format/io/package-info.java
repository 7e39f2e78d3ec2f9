/**
 * Positional I/O helpers shared by the formats: read or write a whole buffer at an offset, from many threads.
 */
package org.qimg.format.io;
