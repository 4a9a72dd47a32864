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
