/**
 * {@code qimg compare}: guest content equality with qemu-img compare's rules, messages and exit codes,
 * including strict mode's allocation comparison ({@code -s}).
 */
package org.qimg.converters.compare;
