/** Integration tests: images in formats qimg does not read, also inside compressed files or archives, are refused by every command, never read as raw. */
package org.qimg.tests.foreign;
