package org.qimg.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.qimg.converters.info.InfoCollector;
import org.qimg.converters.info.InfoReport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code qimg info}: qemu-img info's output, human or JSON, optionally for the whole backing chain. */
@Command(name = "info", description = "Show facts about an image (as qemu-img info).")
final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ImageOptions.Format imageFormat;

    @Mixin
    ImageOptions.Output outputFormat;

    @Option(names = "--backing-chain", description = "Show every image of the backing chain.")
    boolean chain;

    @Mixin
    ImageOptions.ForceShare forceShare;

    @Parameters(index = "0", paramLabel = "FILE")
    String file;

    @Override
    public Integer call() throws Exception {
        List<InfoReport> reports = InfoCollector.collect(file, imageFormat.format, chain);
        PrintWriter out = spec.commandLine().getOut();
        if (outputFormat.output == OutputFormat.JSON) {
            if (chain) {
                List<Object> list = new ArrayList<>();
                for (InfoReport r : reports) {
                    list.add(r.json());
                }
                out.println(Json.pretty(list));
            } else {
                out.println(Json.pretty(reports.get(0).json()));
            }
        } else {
            for (int i = 0; i < reports.size(); i++) {
                if (i > 0) {
                    out.print("\n");
                }
                out.print(reports.get(i).human());
            }
        }
        out.flush();
        return 0;
    }
}
