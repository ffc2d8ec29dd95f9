"""Reading and checking workflow files: the input stage of the pipeline.

    reader.py     the one module that reads files and folders (size limits, no named pipes)
    writer.py     the one module that writes files (atomically, or only when new)
    loader.py     the workflows folder -> DesiredState, every problem at file:line:column
    project.py    onepin-sync.yaml: the workflows folder, the lockfile, named environments
    scaffold.py   what `init` writes, from the templates in onepin_sync/scaffold/ (package data)
    pure:         discovery (keys), yamlstrict + yamlcore (strict YAML 1.2), sourcemap,
                  interpolate (${env.X}, ${secret.X}), fileformat + filecheck + extrakeys (the
                  format and its checks), layout (node positions), yamlwriter (a spec as a YAML
                  file)

The pure modules import no IO (no os, no clock, no environment, no network, no terminal);
`tests/test_architecture.py` holds that transitively. Never imports api/, state/, commands/,
views/ or cli/.
"""
