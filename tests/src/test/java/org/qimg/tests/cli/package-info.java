/**
 * Integration tests of the command line's surface: {@code -p} progress against qemu-img's own output and on a
 * real terminal (a pty through {@code script}), help and usage of every command, generated man pages and
 * completion, option parsing as qemu-img's getopt, and the install step.
 */
package org.qimg.tests.cli;
