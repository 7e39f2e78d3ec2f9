package org.qimg.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.qimg.converters.info.InfoCollector;
import org.qimg.converters.info.InfoReport;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParseResult;

/** {@code qimg info}: qemu-img info's output, human or JSON, optionally for the whole backing chain. */
final class InfoCommand implements Callable<Integer> {
    private CommandSpec spec;

    static CommandSpec spec() {
        InfoCommand c = new InfoCommand();
        c.spec = Specs.command("info", c, "Show facts about an image (as qemu-img info).")
                .addOption(ImageOptions.format())
                .addOption(ImageOptions.output())
                .addOption(Specs.flag("Show every image of the backing chain.", "--backing-chain"))
                .addOption(ImageOptions.forceShare())
                .addOption(ImageOptions.imageOpts())
                .addPositional(Specs.positional(0, "FILE", String.class, "The image to describe."));
        return c.spec;
    }

    @Override
    public Integer call() throws Exception {
        ParseResult args = spec.commandLine().getParseResult();
        String format = args.matchedOptionValue("-f", null);
        boolean chain = args.matchedOptionValue("--backing-chain", false);
        String file = ImageOptions.imageName(args, args.matchedPositionalValue(0, null));
        List<InfoReport> reports = InfoCollector.collect(file, format, chain, args.matchedOptionValue("-U", false));
        PrintWriter out = spec.commandLine().getOut();
        if (ImageOptions.output(args) == OutputFormat.JSON) {
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
