/**
 * Which clusters of a compressed target stay plain ({@code --keep-plain-trace}, {@code --keep-plain},
 * {@code --min-savings}): compression policies the convert pipeline consults per cluster.
 */
package org.qimg.converters.policy;
