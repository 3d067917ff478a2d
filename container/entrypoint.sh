#!/bin/sh
# elfmend's container entrypoint: runs `elfmend watch` in the background so editor servers dropped into
# the home directory (VS Code, Cursor, ...) get patched the moment they land, and runs the container's
# command as the main process. As PID 1 it forwards signals to that command, reaps orphaned children
# while it waits, stops the watcher when the command ends and exits with the command's status.
#
#   ELFMEND_TREES       colon-separated trees to watch (default: the editor server directories in $HOME
#                       and /vscode/vscode-server)
#   ELFMEND_WATCH_ARGS  more options for `elfmend watch` (split on spaces), e.g. "--settle-ms 50"
#   ELFMEND_DISABLE=1   run the command without the watcher
set -u

if [ "$#" -eq 0 ]; then
    set -- /bin/sh
fi

if [ "${ELFMEND_DISABLE:-0}" = 1 ]; then
    exec "$@"
fi

watch_args=""
if [ -n "${ELFMEND_TREES:-}" ]; then
    old_ifs=$IFS
    IFS=:
    for tree in $ELFMEND_TREES; do
        [ -n "$tree" ] && watch_args="$watch_args --tree $tree"
    done
    IFS=$old_ifs
fi

# shellcheck disable=SC2086 # word splitting of the option lists is intended
elfmend watch $watch_args ${ELFMEND_WATCH_ARGS:-} </dev/null &
watcher=$!

# A non-interactive shell starts background commands with SIGINT and SIGQUIT ignored; undo that so the
# command gets the signals forwarded below.
(trap - INT QUIT; exec "$@") &
main=$!

forward() {
    kill -s "$1" "$main" 2>/dev/null
}
for signal in TERM INT HUP QUIT USR1 USR2 WINCH; do
    # shellcheck disable=SC2064 # the signal name is meant to be fixed now
    trap "forward $signal" "$signal"
done

# `wait` returns early when a trapped signal arrives (the command may survive it), and as PID 1 the
# shell reaps every exited child while waiting, adopted orphans included.
status=0
while :; do
    wait "$main"
    status=$?
    kill -0 "$main" 2>/dev/null || break
done

trap - TERM INT HUP QUIT USR1 USR2 WINCH
kill -s TERM "$watcher" 2>/dev/null
wait "$watcher" 2>/dev/null
wait 2>/dev/null
exit "$status"
