/**
 * The oracle suite: qimg against the real qemu-img/qemu-io 7.2.
 *
 * <p>{@link org.qimg.tests.oracle.OracleImages} lists the image matrix; each image is built by qemu-img and
 * qemu-io on first use (in one scratch directory per test JVM) and shared by every test class:
 * <ul>
 *   <li>{@code QemuOracleTest}: {@code convert -O raw} byte-identical, {@code info} JSON field by field and
 *       human text line by line, {@code map --output=json}, {@code info -f/-U};</li>
 *   <li>{@code MapOracleTest}: human map, {@code --start-offset}/{@code --max-length};</li>
 *   <li>{@code BackingChainOracleTest}: {@code info --backing-chain};</li>
 *   <li>{@code SnapshotOracleTest}: {@code convert -l} by name, ID and long spelling;</li>
 *   <li>{@code ConvertQcow2OracleTest}: qcow2 output passes check/compare and matches qemu-img's bytes;</li>
 *   <li>{@code SampleImageTest}: the committed {@code samples/sample.qcow2};</li>
 *   <li>{@code ErrorCasesTest}: bad inputs through the real launcher ({@code java -jar qimg.jar}).</li>
 * </ul>
 * Run one class: {@code mvn -B -pl tests -am verify -Dtest=QemuOracleTest -Dsurefire.failIfNoSpecifiedTests=false};
 * keep the images for a look with {@code -Dqimg.keepScratch=true} (the path is under {@code java.io.tmpdir}).
 */
package org.qimg.tests.oracle;
