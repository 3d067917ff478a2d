package dev.elfmend.cli;

import dev.elfmend.fixup.Demo;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code elfmend demo}: the problem and the fix, on this machine, without Nix. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Show the problem and the fix without Nix: a copy of a host program whose loader is "
                + "missing fails to start; elfmend points it at a store-shaped copy of the host's libraries; it runs.")
final class DemoCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--dir", paramLabel = "DIR", description = "Work here (default: a new temp directory).")
    Path dir;

    @Option(names = "--binary", paramLabel = "FILE", defaultValue = "/bin/ls",
            description = "The host program to copy. Default: /bin/ls.")
    Path binary;

    @Parameters(paramLabel = "ARG", arity = "0..*", description = "Arguments for the program (default: --version).")
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws IOException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        Path work = dir != null ? dir : Files.createTempDirectory("elfmend-demo");
        List<String> programArgs = args.isEmpty() ? List.of("--version") : args;
        boolean ok = Demo.run(work, binary, programArgs, line -> {
            out.println(line);
            out.flush();
        });
        out.println(ok ? "The fixed copy runs. Everything is in " + work
                : "The fixed copy did not run; see above. Everything is in " + work);
        out.flush();
        return ok ? ExitCodes.OK : ExitCodes.FAILURE;
    }
}
