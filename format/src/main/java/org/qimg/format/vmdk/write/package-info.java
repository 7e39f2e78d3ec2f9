/**
 * Writing new VMDK images, on {@link org.qimg.format.vmdk.layout} only: {@link
 * org.qimg.format.vmdk.write.VmdkCreateOptions} (qemu-img's options and checks), one
 * {@link org.qimg.format.ClusterSink} per subformat ({@link org.qimg.format.vmdk.write.SparseWriter}
 * monolithicSparse as qemu-img lays it out, {@link org.qimg.format.vmdk.write.StreamWriter} streamOptimized as
 * VMware's vmdk-convert lays it out, {@link org.qimg.format.vmdk.write.DescriptorFileWriter} monolithicFlat and
 * twoGbMaxExtent* with their extent files), and the grain
 * compressor {@link org.qimg.format.vmdk.write.GrainDeflater} the convert pipeline runs on every core.
 */
package org.qimg.format.vmdk.write;
