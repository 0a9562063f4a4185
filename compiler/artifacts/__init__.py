"""The compiled artifact, OUT/<model>/<env>/: its format, writing it, reading and checking it.

`render` produces the files' text; this package decides how they are serialised (`format`), puts
them on disk all or nothing (`write`) and reads them back for every command that consumes them
(apply, diff, run, registry, graph, verify), refusing an OUT of another format version.
"""
