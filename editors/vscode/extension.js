// Starts `camp lsp` for .camp files. `npm run build` bundles this file into dist/extension.js.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("camp").get("path") || "camp";
  const server = { command, args: ["lsp"] };
  client = new LanguageClient(
    "camp",
    "camp",
    { run: server, debug: server },
    {
      documentSelector: [{ scheme: "file", language: "camp" }, { scheme: "untitled", language: "camp" }],
      synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.camp") },
    }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
