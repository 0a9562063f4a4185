# Sourced by the stubs: one line per call in $STUB_RECORD, the program's name and its arguments,
# separated by tabs (tests/render/test_buildspec_in_a_shell.py reads it).
record() {
    line=$(basename "$0")
    for argument in "$@"; do line=$(printf '%s\t%s' "$line" "$argument"); done
    printf '%s\n' "$line" >> "$STUB_RECORD"
}
