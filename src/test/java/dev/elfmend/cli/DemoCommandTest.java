package dev.elfmend.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.elfmend.testing.Readelf;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCommandTest {

    @Test
    void demoShowsTheMissingInterpreterFailureAndTheFixedCopyRunning(@TempDir Path dir) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Main.run(new String[] {"demo", "--dir", dir.toString()}, new PrintWriter(out), new PrintWriter(err));

        assertEquals(0, status, out + "\n" + err);
        String text = out.toString();
        assertTrue(text.contains("3. Running it: cannot start: No such file or directory"), text);
        assertTrue(text.contains("5. Running it again: exit 0, output: ls (GNU coreutils)"), text);
        Path copy = dir.resolve("app/ls");
        String interpreter = Readelf.programHeaders(copy).interpreter().orElseThrow();
        assertTrue(interpreter.startsWith(dir.resolve("nix/store").toString()), interpreter);
        assertTrue(Files.exists(Path.of(interpreter)), interpreter);
    }
}
