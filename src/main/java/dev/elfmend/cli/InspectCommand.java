package dev.elfmend.cli;

import dev.elfmend.fixup.OpenElf;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code elfmend inspect}: what readelf, objdump -T and patchelf --print-* would tell, at a glance. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show what an ELF file asks of the system: interpreter, needed libraries, run path, "
                + "required symbol versions, trailing payload.")
final class InspectCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    RootOption root;

    @Option(names = "--json", description = "Print a JSON array, one object per file.")
    boolean json;

    @Option(names = "--all-symbols", description = "List every symbol under each required version.")
    boolean allSymbols;

    @Parameters(paramLabel = "FILE", arity = "1..*", description = "ELF files to inspect.")
    List<Path> files;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<Object> reports = new ArrayList<>();
        int status = ExitCodes.OK;
        for (Path file : files) {
            try (OpenElf open = OpenElf.open(file, true)) {
                InspectReport report = new InspectReport(file, open.elf(), root.resolveInside(
                        open.elf().interpreter().orElse(null)));
                if (json) {
                    reports.add(report.toJson());
                } else {
                    report.print(out, allSymbols);
                }
            } catch (IOException e) {
                status = ExitCodes.FAILURE;
                String reason = Errors.describe(e);
                if (json) {
                    Map<String, Object> failed = new LinkedHashMap<>();
                    failed.put("path", file.toString());
                    failed.put("error", reason);
                    reports.add(failed);
                } else {
                    err.println("elfmend: " + dev.elfmend.fixup.FileNames.shown(file) + ": " + reason);
                }
            }
        }
        if (json) {
            out.println(Json.write(reports));
        }
        out.flush();
        return status;
    }
}
