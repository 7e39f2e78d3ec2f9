/**
 * OVF package facts that readers and writers of OVAs share: the manifest ({@code .mf}) syntax and its check
 * ({@link org.qimg.format.ova.OvaManifest}). The OVA writer is {@code org.qimg.converters.ova}.
 */
package org.qimg.format.ova;
