/** The README's library examples, compiled and run by the tests through the public entry point only. */
package org.qimg.examples;
