// Runs qimg's compressed qcow2 convert with plain-keeping policies (PolicyConvert) until the CLI's
// convert command wires them. Usage (single-file source launch):
//   java -cp cli/target/qimg.jar bench/boot-convert.java SRC DST zlib|zstd [--keep-plain-trace F]
//        [--keep-plain RANGES] [--min-savings PCT]
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.qimg.converters.policy.PlainPolicies;
import org.qimg.converters.policy.PolicyConvert;
import org.qimg.format.DiskImage;
import org.qimg.format.ImageFormats;
import org.qimg.format.codec.CompressionType;

public class BootConvert {
    public static void main(String[] a) throws Exception {
        List<Path> traces = new ArrayList<>();
        List<String> ranges = new ArrayList<>();
        Double min = null;
        for (int i = 3; i < a.length; i += 2) {
            switch (a[i]) {
                case "--keep-plain-trace" -> traces.add(Path.of(a[i + 1]));
                case "--keep-plain" -> ranges.add(a[i + 1]);
                case "--min-savings" -> min = Double.parseDouble(a[i + 1]);
                default -> throw new IllegalArgumentException(a[i]);
            }
        }
        CompressionType t = a[2].equals("zstd") ? CompressionType.ZSTD : CompressionType.ZLIB;
        try (DiskImage src = ImageFormats.open(Path.of(a[0]), null)) {
            PolicyConvert.toCompressedQcow2(List.of(src), Path.of(a[1]), t, 65536,
                    new PlainPolicies(traces, ranges, min), Runtime.getRuntime().availableProcessors());
        }
    }
}
