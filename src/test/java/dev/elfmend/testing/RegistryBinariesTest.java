package dev.elfmend.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RegistryBinariesTest {

    private static final Map<String, String> NODE_MACHINES = Map.of(
            "x64", "Advanced Micro Devices X86-64", "arm64", "AArch64", "s390x", "IBM S/390", "ppc64le", "PowerPC64");

    private static final Map<String, String> PROTOC_MACHINES = Map.of(
            "linux-x86_64", "Advanced Micro Devices X86-64", "linux-aarch_64", "AArch64",
            "linux-ppcle_64", "PowerPC64", "linux-s390_64", "IBM S/390", "linux-x86_32", "Intel 80386");

    @ParameterizedTest
    @ValueSource(strings = {"x64", "arm64", "s390x", "ppc64le"})
    void nodeIsAForeignDynamicExecutableForItsMachine(String arch) {
        Path node = RegistryBinaries.nodeLinux(arch);
        Readelf.Header header = Readelf.header(node);
        assertEquals(NODE_MACHINES.get(arch), header.machine());
        assertEquals("EXEC", header.type());
        assertEquals(!arch.equals("s390x"), header.littleEndian());
        assertTrue(Readelf.programHeaders(node).interpreter().isPresent());
        assertTrue(Readelf.dynamic(node).needed().contains("libstdc++.so.6"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"linux-x86_64", "linux-aarch_64", "linux-ppcle_64", "linux-s390_64", "linux-x86_32"})
    void dynamicProtocIsAnExecutableForItsMachine(String classifier) {
        Path protoc = RegistryBinaries.protoc(classifier);
        assertTrue(Files.isExecutable(protoc));
        assertEquals(PROTOC_MACHINES.get(classifier), Readelf.header(protoc).machine());
        assertTrue(Readelf.programHeaders(protoc).interpreter().isPresent());
    }

    @Test
    void staticProtocRunsHere() {
        Path protoc = RegistryBinaries.protoc(RegistryBinaries.PROTOC_STATIC, "linux-x86_64");
        assertEquals(Optional.empty(), Readelf.programHeaders(protoc).interpreter());
        assertTrue(Processes.runOk(protoc.toString(), "--version").out().startsWith("libprotoc "));
    }

    @Test
    void npmAddonsAreSharedLibraries() {
        assertEquals(Optional.of("watcher.node"), Readelf.dynamic(RegistryBinaries.parcelWatcher()).soname());
        assertEquals(Optional.of("$ORIGIN/"), Readelf.dynamic(RegistryBinaries.sharpLibvips()).runpath());
    }
}
