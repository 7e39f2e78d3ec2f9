/**
 * The {@code qimg} command line: one picocli command per qemu-img command, declared through picocli's
 * programmatic model ({@code Specs}), which parses options as qemu-img spells them, prints results (human or
 * JSON), renders progress, and maps errors to qemu-img's exit codes. No format logic lives here.
 */
package org.qimg.cli;
