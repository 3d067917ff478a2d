# What every elfmend unit shares, in the NixOS/home-manager serviceConfig form: the sandbox, restarts,
# the memory limit and the JVM flags. Pure (no nixpkgs). The hand-written units in ../systemd/ carry
# the same settings; SystemdUnitsTest checks that they agree with this file.
{
  # For the long-running watcher.
  watch = {
    Type = "exec";
    Restart = "on-failure";
    RestartSec = 5;
    # The JVM answers SIGTERM with exit status 143 after its shutdown hook stopped the daemon.
    SuccessExitStatus = 143;
    # The daemon finishes or abandons the file in hand within a few seconds of SIGTERM.
    TimeoutStopSec = 15;
  };

  # For the one-shot fix at boot, login or activation (it indexes the store, so it may take a while).
  fix = {
    Type = "oneshot";
    TimeoutStartSec = 900;
  };

  # For both. ProtectSystem=strict makes everything read-only except the ReadWritePaths each unit
  # lists. Deliberately NOT set: MemoryDenyWriteExecute (the JVM's JIT writes and then runs machine
  # code), RestrictSUIDSGID (patching keeps a file's mode bits, set-id ones included), LockPersonality
  # and ProtectKernel* (left off along with them: the JVM gets no extra seccomp filters, and an
  # unprivileged daemon cannot load modules or write kernel tunables anyway). User units add
  # PrivateUsers (see ../systemd/elfmend.service).
  sandbox = {
    NoNewPrivileges = true;
    ProtectSystem = "strict";
    PrivateTmp = true;
    # Above what javaOptions lets the JVM reserve for heap, metaspace and code (192 MB); a leak ends
    # in a restart of this unit, not in the OOM killer picking something else.
    MemoryMax = "256M";
  };

  # Small idle footprint (the goal is an idle RSS of at most 64 MB): a capped heap that the serial
  # collector gives back to the system after a burst, C1 only, small stacks, metaspace and code cache,
  # native memory malloc keeps after a burst returned to the system every 10 s (JDK >= 17.0.9/21.0.1),
  # no class-data archive (mapped, it costs the idle daemon 5 MB more than the classes it loads);
  # exit on OutOfMemoryError so that Restart=on-failure brings back a daemon that works. The launcher
  # (bin/elfmend) adds these to its own flags.
  javaOptions = builtins.concatStringsSep " " [
    "-Xms8m"
    "-Xmx96m"
    "-XX:+UseSerialGC"
    "-XX:MinHeapFreeRatio=10"
    "-XX:MaxHeapFreeRatio=30"
    "-XX:TieredStopAtLevel=1"
    "-Xss512k"
    "-XX:MaxMetaspaceSize=64m"
    "-XX:ReservedCodeCacheSize=32m"
    "-XX:-UsePerfData"
    "-XX:TrimNativeHeapInterval=10000"
    "-Xshare:off"
    "-XX:+ExitOnOutOfMemoryError"
  ];
}
