package dev.elfmend.elf;

/** How a file is linked, which decides what elfmend may do to it. */
public enum LinkKind {
    /** Statically linked executable: no interpreter, no dynamic section; nothing to patch. */
    STATIC_EXECUTABLE,
    /** Static PIE: relocates itself, has a dynamic section but no interpreter; nothing to patch. */
    STATIC_PIE,
    /** Executable started through an interpreter (PT_INTERP), PIE or not. */
    DYNAMIC_EXECUTABLE,
    /** Shared object loaded by the dynamic loader. */
    SHARED_OBJECT,
    /** Relocatable object file (.o). */
    RELOCATABLE,
    /** Core dump. */
    CORE,
    /** Anything else (unknown e_type). */
    OTHER;

    public boolean isStatic() {
        return this == STATIC_EXECUTABLE || this == STATIC_PIE;
    }
}
