//! `camp lsp`: a language server over standard input and output (LSP, via `lsp-server`).
//!
//! The workspace is every `.camp` file under the folder the client opens, with unsaved buffers
//! in place of their files ([`world`]). After each change the whole workspace is checked again,
//! as `camp check` would, and the diagnostics of every file that changed are published; edits
//! that arrive together are checked once. Navigation uses a name index built from the ASTs
//! ([`index`]).

pub mod features;
pub mod incremental;
pub mod index;
pub mod position;
pub mod server;
pub mod world;

use lsp_server::{Connection, Message, Notification, Response};
use lsp_types::notification::{Notification as _, PublishDiagnostics};

pub use server::Server;

/// Errors of the transport.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// Serves on standard input and output until the client says `exit`.
pub fn run_stdio() -> Result<(), Error> {
    let (connection, io_threads) = Connection::stdio();
    serve(&connection)?;
    drop(connection);
    io_threads.join()?;
    Ok(())
}

/// The initialize handshake, then the message loop.
pub fn serve(connection: &Connection) -> Result<(), Error> {
    let (id, params) = connection.initialize_start()?;
    let params: lsp_types::InitializeParams = serde_json::from_value(params)?;
    let mut server = Server::new();
    let result = server.initialize(&params);
    connection.initialize_finish(id, serde_json::to_value(result)?)?;
    watch_files(connection, &params)?;
    publish(connection, &mut server)?;

    while let Ok(msg) = connection.receiver.recv() {
        match msg {
            Message::Request(req) => {
                if connection.handle_shutdown(&req)? {
                    return Ok(());
                }
                // Answer from an up-to-date workspace, and publish what changed first.
                publish(connection, &mut server)?;
                let resp = match server.request(&req.method, req.params) {
                    Ok(v) => Response::new_ok(req.id, v),
                    Err((code, message)) => Response::new_err(req.id, code, message),
                };
                connection.sender.send(Message::Response(resp))?;
            }
            Message::Notification(n) => {
                if n.method == "exit" {
                    return Ok(());
                }
                server.notification(&n.method, n.params);
            }
            Message::Response(_) => {}
        }
        // Check once for a burst of edits: only when nothing else is waiting.
        if connection.receiver.is_empty() {
            publish(connection, &mut server)?;
        }
    }
    Ok(())
}

fn publish(connection: &Connection, server: &mut Server) -> Result<(), Error> {
    for p in server.publish() {
        let n = Notification::new(PublishDiagnostics::METHOD.to_string(), p);
        connection.sender.send(Message::Notification(n))?;
    }
    Ok(())
}

/// Asks the client to report `.camp` files created, changed or deleted on disk, when it can.
fn watch_files(connection: &Connection, params: &lsp_types::InitializeParams) -> Result<(), Error> {
    use lsp_types::request::{RegisterCapability, Request as _};
    let dynamic = params
        .capabilities
        .workspace
        .as_ref()
        .and_then(|w| w.did_change_watched_files.as_ref())
        .and_then(|d| d.dynamic_registration)
        .unwrap_or(false);
    if !dynamic {
        return Ok(());
    }
    let options = lsp_types::DidChangeWatchedFilesRegistrationOptions {
        watchers: vec![lsp_types::FileSystemWatcher {
            glob_pattern: lsp_types::GlobPattern::String("**/*.camp".into()),
            kind: None,
        }],
    };
    let params = lsp_types::RegistrationParams {
        registrations: vec![lsp_types::Registration {
            id: "camp-watch".into(),
            method: "workspace/didChangeWatchedFiles".into(),
            register_options: Some(serde_json::to_value(options)?),
        }],
    };
    let req = lsp_server::Request::new(
        lsp_server::RequestId::from("camp-watch".to_string()),
        RegisterCapability::METHOD.to_string(),
        params,
    );
    connection.sender.send(Message::Request(req))?;
    Ok(())
}
