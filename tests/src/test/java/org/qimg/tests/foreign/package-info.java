/** Integration tests: images in formats qimg does not read, and compressed or archived files, are refused by every command, never read as raw. */
package org.qimg.tests.foreign;
