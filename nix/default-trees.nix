# Where remote editors put their servers: the trees watched when none are configured. The same list
# as dev.elfmend.config.ElfmendConfig.DEFAULT_TREES (NixFilesTest keeps the two in step). `~/` is the
# home directory of the user the daemon runs as.
[
  "~/.vscode-server"
  "~/.vscode-server-insiders"
  "~/.vscode-server-oss"
  "~/.vscodium-server"
  "~/.cursor-server"
  "~/.windsurf-server"
  "~/.vscode/cli"
  "/vscode/vscode-server"
]
