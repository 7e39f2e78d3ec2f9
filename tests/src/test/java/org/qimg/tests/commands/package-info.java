/**
 * The qemu-img commands that change an image in place (resize, snapshot, ...), each run by qemu-img on one
 * copy of an image and by qimg on another: same output and exit code, {@code qemu-img check} clean and
 * {@code qemu-img compare} identical afterwards.
 */
package org.qimg.tests.commands;
